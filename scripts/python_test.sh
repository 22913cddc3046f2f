#!/usr/bin/env bash
# The Python package (python/): builds it into a venv of its own
# (python/venv in cargo's target folder, packages from scripts/python-requirements.txt, made
# by scripts/venv.sh) with one pip command, then runs its pytest suite,
# which compares against the `stn` CLI that `cargo test` has built.
# Without access to the package index the part is skipped, with one line
# that says so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
venv="$CARGO_TARGET_DIR/python/venv"
req="$root/scripts/python-requirements.txt"
log="$(mktemp)"
probe="$(mktemp -d)"
trap 'rm -rf "$log" "$probe"' EXIT

rc=0
STN_VENV="$venv" STN_REQUIREMENTS="$req" "$root/scripts/venv.sh" >"$log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
    # Tell a missing index apart from a real failure: venv.sh exits 3 when
    # the index cannot be reached; otherwise, can pip fetch anything?
    if [ "$rc" = 3 ] || { [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -m pip download -q \
            --no-deps --disable-pip-version-check -d "$probe" pip >/dev/null 2>&1; }; then
        echo "python tests SKIPPED: pip cannot reach the package index to install $req"
        exit 0
    fi
    cat "$log" >&2
    echo "python_test.sh: could not make the venv" >&2
    exit 1
fi
vpy="$venv/bin/python"
export PATH="$venv/bin:$PATH"  # the maturin binary, for pip's build hook

# One pip command builds and installs the package (maturin, debug profile:
# the kernels' speed does not matter here, the build time does).
MATURIN_PEP517_ARGS="--profile dev --locked" "$vpy" -m pip install -q \
    --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall "$root/python"

STN_BIN="$CARGO_TARGET_DIR/debug/stn" "$venv/bin/pytest" -q "$root/python/tests"
