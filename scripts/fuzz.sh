#!/usr/bin/env bash
# Runs the fuzz targets in fuzz/fuzz_targets for SECONDS each (default 60):
#   parse_check    arbitrary bytes as a kernel file: no panic, spans inside
#   jit_vs_interp  generated kernels, shapes, dtypes, strides, modes, threads:
#                  compiled results bit-identical to the interpreter's
#   read_files     arbitrary bytes as .npy / PNG / TIFF / Zarr metadata
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# Builds every target in one cargo invocation, then runs the targets side
# by side (each for SECONDS of wall time; on a 2-core machine three share
# the cores, so each runs fewer inputs than it would alone: the counts are
# printed). Installs cargo-fuzz when missing. Runs on the stable toolchain through
# RUSTC_BOOTSTRAP (cargo-fuzz needs nightly flags). STN_FUZZ_BUILD=release
# builds optimized with AddressSanitizer (about 9 minutes here); the default,
# dev, builds faster and runs slower (what CI uses). The working corpus is
# target/fuzz-corpus/TARGET, seeded from fuzz/seeds/TARGET; a crash leaves
# its input in fuzz/artifacts/TARGET, prints the whole report (every line
# but libFuzzer's progress lines) with libFuzzer's seed, keeps the full log
# in target/fuzz-logs/TARGET.log, and fails the script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse_check jit_vs_interp read_files)
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet --version 0.13.2
fi
build=()
[ "${STN_FUZZ_BUILD:-dev}" = release ] || build=(--dev)
export RUSTC_BOOTSTRAP=1
cargo fuzz build "${build[@]}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
pids=()
for t in "${targets[@]}"; do
    corpus="target/fuzz-corpus/$t"
    mkdir -p "$corpus"
    seeds=()
    [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
    cargo fuzz run "${build[@]}" "$t" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 >"$logs/$t" 2>&1 &
    pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
    t=${targets[$i]}
    if ! wait "${pids[$i]}"; then
        # The whole report: the sanitizer's or the panic's message, from
        # every thread, and libFuzzer's seed (rerun with -seed=N), without
        # libFuzzer's progress lines; the full log is kept beside it.
        mkdir -p target/fuzz-logs
        cp "$logs/$t" "target/fuzz-logs/$t.log"
        grep -vE '^#[0-9]+[[:space:]]' "$logs/$t" >&2 || true
        seed=$(grep -oE 'INFO: Seed: [0-9]+' "$logs/$t" | head -1 || true)
        echo "fuzz.sh: $t FAILED (${seed:-no seed printed}; input saved under fuzz/artifacts/$t," \
            "full log in target/fuzz-logs/$t.log)" >&2
        failed=1
        continue
    fi
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$logs/$t")
    cov=$(grep -oE 'cov: [0-9]+' "$logs/$t" | tail -1)
    echo "fuzz $t: $runs runs in ${secs} s, $cov, no findings"
done
exit $failed
