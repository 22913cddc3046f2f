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
# Generated code and executor under valgrind's memcheck.
scripts/memcheck.sh
# Each fuzz target for a minute (no findings, or the script fails).
scripts/fuzz.sh "${STN_FUZZ_SECONDS:-60}"
echo "all tests passed"
