#!/usr/bin/env bash
# Out-of-core benchmark: a .npy input much larger than the memory budget,
# processed with `--memory 512M`, next to `cp` of the same file on the same
# disk, alternating, ROUNDS times each (default 5). Prints each run's time
# and peak RSS (from /usr/bin/time -v), then medians and the ratio.
#
#   benches/out_of_core.sh [GiB] [dir]
#
# GiB defaults to 8; dir (default: target/out-of-core) needs about 3x that
# much free space. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

gib=${1:-8}
dir=${2:-target/out-of-core}
mkdir -p "$dir"
cargo build --release --locked --quiet
stn=target/release/stn

frames=$((gib * 1024))
input="$dir/in.npy"
if [ ! -f "$input" ] || [ "$(stat -c %s "$input")" -ne $((frames * 1024 * 1024 + 128)) ]; then
    echo "writing $input: int8 ($frames, 1024, 1024), $gib GiB"
    python3 - "$input" "$frames" <<'EOF'
import os, sys
path, frames = sys.argv[1], int(sys.argv[2])
header = "{'descr': '|i1', 'fortran_order': False, 'shape': (%d, 1024, 1024), }" % frames
header = header.ljust(128 - 10 - 1) + "\n"
block = os.urandom(64 << 20)
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    for _ in range(frames // 64):
        f.write(block)
    f.write(block[: (frames % 64) << 20])
EOF
fi
bytes=$(stat -c %s "$input")
echo "input: $bytes bytes; $(nproc) cores; $(free -g | awk '/Mem:/ {print $2}') GiB RAM"

# Warm the page cache the same way for both, then alternate cp and stn.
cat "$input" > /dev/null
python3 - "$stn" "$input" "$dir" "$bytes" "${ROUNDS:-5}" <<'EOF'
import os, statistics, subprocess, sys, time

stn, src, out, size, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
label = "stn run smooth.stn --memory 512M"
runs = {
    "cp": ["cp", src, f"{out}/copy.npy"],
    label: [stn, "run", "examples/smooth.stn", "-i", src, "-o", f"{out}/out.npy",
            "--memory", "512M", "--quiet"],
}
seen = {k: [] for k in runs}
for r in range(rounds):
    for name, cmd in runs.items():
        subprocess.run(["sync"], check=True)
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
        t = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"{name} failed: {p.stderr}")
        rss = next(int(l.split(":")[1]) for l in p.stderr.splitlines() if "Maximum resident" in l)
        seen[name].append((t, rss))
        print(f"round {r + 1}: {name:<34} {t:6.2f} s {size / t / 2**30:5.2f} GiB/s"
              f"  peak RSS {rss / 1024:6.1f} MiB", flush=True)
        for f in ("copy.npy", "out.npy"):
            if os.path.exists(f"{out}/{f}"):
                os.remove(f"{out}/{f}")
print()
med = {k: statistics.median(t for t, _ in v) for k, v in seen.items()}
for k, v in seen.items():
    print(f"{k:<34} median {med[k]:6.2f} s ({size / med[k] / 2**30:.2f} GiB/s), "
          f"best {min(t for t, _ in v):6.2f} s, max peak RSS {max(r for _, r in v) / 1024:.1f} MiB")
print(f"stn throughput / cp throughput (medians): {med['cp'] / med[label]:.2f}")
EOF
