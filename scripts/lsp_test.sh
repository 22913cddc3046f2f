#!/usr/bin/env bash
# The language server from a real client: pytest-lsp (on pygls) starts
# `stn lsp` (STN_BIN, else target/debug/stn, built here) and checks
# diagnostics, hover, definition, references, completion and formatting on
# a workspace of `.stn` files (tests/lsp/). Needs python3 (with pip) and
# PyPI access for the venv, which lives in target/lsp/venv; `cargo test`
# alone never needs the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/lsp/venv"

rc=0
STN_VENV="$venv" STN_REQUIREMENTS="$root/scripts/lsp-requirements.txt" "$root/scripts/venv.sh" || rc=$?
if [ "$rc" = 3 ]; then
    echo "lsp client tests SKIPPED: the Python package index is unreachable, so pytest-lsp cannot be installed"
    exit 0
fi
[ "$rc" = 0 ] || { echo "lsp_test.sh: could not make the venv" >&2; exit 1; }

cd "$root"
if [ -z "${STN_BIN:-}" ]; then
    cargo build --locked --quiet --bin stn
    export STN_BIN="$root/target/debug/stn"
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider -o asyncio_mode=auto -o asyncio_default_fixture_loop_scope=function tests/lsp
