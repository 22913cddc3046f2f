#!/usr/bin/env bash
# Peer comparison for issue 3's workloads W1-W4 and issue 8's W5, W6, W4s
# (a pipeline, time steps): a copy of the same bytes, Numba, scipy.ndimage,
# OpenCV, Halide and stn on the same inputs, in one run.
# Makes its own venv in benches/peers/.venv; a peer that cannot be installed
# or imported is reported and skipped. Prints a markdown table of medians.
# Usage: benches/peers/run.sh [--repeats N] [--threads N] [--only W1,W3,W5,W6,W4s] [--small]
#        benches/peers/run.sh --language [--rounds N] [--threads N] [--only W7,W8,W8f] [--small]
#        (the language issue's W7 with Devito, W8 and W8f: language.py)
#        benches/peers/run.sh --paired [--rounds N] [--threads N] [--only W1,W5,W6,W4s,W7] [--small]
#        (the sliding-window issue's workloads, subjects called in turn with
#        paired ratios, stn through its Python package: paired.py)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv" || { echo "run.sh: cannot create a venv with $py" >&2; exit 1; }
fi
vpy="$venv/bin/python"
"$vpy" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
# numpy is required; every other package is one peer, skipped if it fails.
"$vpy" -m pip install -q --disable-pip-version-check numpy \
    || { echo "run.sh: cannot install numpy; nothing to compare" >&2; exit 1; }
for pkg in numba halide opencv-python-headless scipy devito; do
    if ! "$vpy" -m pip install -q --disable-pip-version-check "$pkg" >/dev/null 2>&1; then
        echo "note: pip install $pkg failed; that peer is skipped"
    fi
done

echo "building stn (release)..."
(cd "$root" && cargo build --release --quiet) || { echo "run.sh: cargo build failed" >&2; exit 1; }
target="${CARGO_TARGET_DIR:-$root/target}"
if [ "${1:-}" = "--paired" ]; then
    shift
    # stn's Python package, optimized, into this venv.
    "$vpy" -m pip install -q --disable-pip-version-check "maturin>=1.16,<2" \
        || { echo "run.sh: cannot install maturin" >&2; exit 1; }
    PATH="$venv/bin:$PATH" MATURIN_PEP517_ARGS="--locked" "$vpy" -m pip install -q \
        --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps "$root/python" \
        || { echo "run.sh: cannot build stn's Python package" >&2; exit 1; }
    exec "$vpy" "$here/paired.py" --stn "$target/release/stn" "$@"
fi
if [ "${1:-}" = "--language" ]; then
    shift
    exec "$vpy" "$here/language.py" --stn "$target/release/stn" "$@"
fi
exec "$vpy" "$here/peers.py" --stn "$target/release/stn" "$@"
