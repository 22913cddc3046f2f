#!/usr/bin/env bash
# Every test: unit, data-driven, differential, semantics tables, CLI, doc
# tests, the embedding example, Zarr interop with zarr-python, the Python
# package's suite, the language server from a real client, the editor
# grammars, valgrind memcheck and a minute per fuzz target. Needs a Rust
# toolchain, python3 and node/npm; the Python and npm parts make their own
# venvs and node_modules (and are skipped, saying so, only when the package
# index is unreachable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Each part's wall time, printed as it ends and again at the end: where a
# run's minutes go.
times=()
lap() {
    times+=("$(printf '%-14s %4d s' "$1" "$SECONDS")")
    echo "test.sh: $1 done at ${SECONDS} s"
}
cargo test --locked
lap "cargo test"
cargo run --locked --quiet --example embed > /dev/null
lap "embed"
# Zarr arrays written by zarr-python read by stn, and the other way round.
scripts/zarr_interop.sh
lap "zarr interop"
# The Python package: NumPy and Dask (a LocalCluster) against the CLI.
scripts/python_test.sh
lap "python"
# The language server (`stn lsp`) from a real client: pytest-lsp.
scripts/lsp_test.sh
lap "lsp"
# The editor grammars: the tree-sitter corpus, every example and parser
# test file through tree-sitter, the VS Code extension's files (skipped,
# saying so, only when the npm registry is unreachable: exit 3).
editors=0
scripts/editors_test.sh || editors=$?
[ "$editors" = 0 ] || [ "$editors" = 3 ] || { echo "editors_test.sh failed" >&2; exit 1; }
lap "editors"
# Generated code and executor under valgrind's memcheck (one core), beside
# the fuzz targets' build and a minute per fuzz target (no findings, or the
# script fails): the two share the machine's cores.
memlog="$(mktemp)"
trap 'rm -f "$memlog"' EXIT
scripts/memcheck.sh >"$memlog" 2>&1 &
mem=$!
fuzzed=0
scripts/fuzz.sh "${STN_FUZZ_SECONDS:-60}" || fuzzed=$?
lap "fuzz"
memchecked=0
wait "$mem" || memchecked=$?
lap "memcheck"
cat "$memlog"
[ "$fuzzed" = 0 ] && [ "$memchecked" = 0 ] || { echo "tests failed" >&2; exit 1; }
echo "test.sh: the parts ended at (seconds since the start):"
printf '  %s\n' "${times[@]}"
echo "all tests passed"
