#!/usr/bin/env bash
# Every test: unit, data-driven, differential, semantics tables, CLI, doc
# tests, the embedding example, Zarr interop with zarr-python, the Python
# package's suite, valgrind memcheck and a minute per fuzz target. Needs a
# Rust toolchain and python3; the Python parts make their own venvs (and are
# skipped, saying so, only when the package index is unreachable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --locked
cargo run --locked --quiet --example embed > /dev/null
# Zarr arrays written by zarr-python read by stn, and the other way round.
scripts/zarr_interop.sh
# The Python package: NumPy and Dask (a LocalCluster) against the CLI.
scripts/python_test.sh
# Generated code and executor under valgrind's memcheck (one core), beside
# the fuzz targets' build and a minute per fuzz target (no findings, or the
# script fails): the two share the machine's cores.
memlog="$(mktemp)"
trap 'rm -f "$memlog"' EXIT
scripts/memcheck.sh >"$memlog" 2>&1 &
mem=$!
fuzzed=0
scripts/fuzz.sh "${STN_FUZZ_SECONDS:-60}" || fuzzed=$?
memchecked=0
wait "$mem" || memchecked=$?
cat "$memlog"
[ "$fuzzed" = 0 ] && [ "$memchecked" = 0 ] || { echo "tests failed" >&2; exit 1; }
echo "all tests passed"
