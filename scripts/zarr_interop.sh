#!/usr/bin/env bash
# Zarr interop with the Python `zarr` package, both ways:
#   1. zarr-python writes v2 and v3 arrays (every stn dtype; Blosc, Zstd, GZip,
#      uncompressed, sharded; missing chunks) with .npy twins;
#   2. stn reads them and compares (tests/zarr.rs `python_interop`), then writes
#      its own Zarr v3 arrays with .npy twins;
#   3. zarr-python reads stn's arrays and compares.
# Needs python3 (with pip) and PyPI access for the venv, which lives in
# target/zarr-interop/venv; `cargo test` alone never needs the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/zarr-interop/venv"
req="$root/scripts/zarr-requirements.txt"
log="$(mktemp)"
data="$(mktemp -d)"
trap 'rm -rf "$log" "$data"' EXIT

fail() { cat "$log" >&2; echo "zarr_interop.sh: $*" >&2; exit 1; }

rc=0
STN_VENV="$venv" STN_REQUIREMENTS="$req" "$root/scripts/venv.sh" || rc=$?
if [ "$rc" = 3 ]; then
    echo "zarr interop SKIPPED: the Python package index is unreachable, so zarr-python cannot be installed"
    exit 0
fi
[ "$rc" = 0 ] || fail "could not make the venv"
vpy="$venv/bin/python"

"$vpy" "$root/scripts/zarr_interop.py" write "$data/py"
cd "$root"
rc=0
STN_ZARR_INTEROP="$data" cargo test --locked --quiet --test suite zarr::python_interop -- --ignored --nocapture \
    >"$log" 2>&1 || rc=$?
grep -E "^stn |MISMATCH|panicked" "$log" || true
[ "$rc" = 0 ] || fail "stn could not read zarr-python's arrays (cargo test failed)"
"$vpy" "$root/scripts/zarr_interop.py" check "$data/stn"
echo "zarr interop passed"
