#!/usr/bin/env bash
# Wall time of `stn run` on the seed workload — smooth.stn over an int8
# (64, 1000, 1000) .npy — next to a plain `cp` of the same file, with 1 and 2
# threads, plus the kernel's compile time. Prints each time and its ratio to
# the copy. Usage: benches/run_vs_copy.sh [REPEATS]   (release build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repeats="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
stn=target/release/stn

python3 - "$work/stack.npy" <<'PY'
import os, struct, sys
hdr = "{'descr': '|i1', 'fortran_order': False, 'shape': (64, 1000, 1000), }"
hdr += " " * (64 - (10 + len(hdr) + 1) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(os.urandom(64 * 1000 * 1000))
PY

# Best of $repeats wall-clock runs of a command, in seconds.
best() {
    local t min=""
    for _ in $(seq "$repeats"); do
        t=$( { /usr/bin/time -f %e "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1 )
        if [ -z "$min" ] || awk "BEGIN{exit !($t < $min)}"; then min=$t; fi
    done
    echo "$min"
}

cp "$work/stack.npy" "$work/warm.npy"   # page cache warm for everyone
copy=$(best cp "$work/stack.npy" "$work/copy.npy")
one=$(best "$stn" run examples/smooth.stn -i "$work/stack.npy" -o "$work/out1.npy" --threads 1 -q)
two=$(best "$stn" run examples/smooth.stn -i "$work/stack.npy" -o "$work/out2.npy" --threads 2 -q)
cmp -s "$work/out1.npy" "$work/out2.npy" || { echo "outputs differ between 1 and 2 threads" >&2; exit 1; }
compile=$("$stn" inspect examples/smooth.stn --dtype i8 | sed -n 's/^compile time: //p')

echo "workload: smooth.stn, int8 (64, 1000, 1000), 64 MB in, 64 MB out; best of $repeats"
echo "machine:  $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf "%-28s %8s s   %6s\n" "cp (same file)" "$copy" "1.00x"
printf "%-28s %8s s   %6.2fx\n" "stn run --threads 1" "$one" "$(awk "BEGIN{print $one/$copy}")"
printf "%-28s %8s s   %6.2fx\n" "stn run --threads 2" "$two" "$(awk "BEGIN{print $two/$copy}")"
echo "compile time of smooth (i8): $compile"
