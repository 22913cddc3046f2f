#!/usr/bin/env bash
# Every test: unit, data-driven, differential, semantics tables, CLI, doc
# tests, the embedding example, and Zarr interop with zarr-python. Needs a
# Rust toolchain and python3; the Python parts make their own venv (and are
# skipped, saying so, when the package index is unreachable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --locked
cargo run --locked --quiet --example embed > /dev/null
# Zarr arrays written by zarr-python read by stn, and the other way round.
scripts/zarr_interop.sh
# Generated code and executor under valgrind's memcheck.
scripts/memcheck.sh
# Each fuzz target for a minute (no findings, or the script fails).
scripts/fuzz.sh "${STN_FUZZ_SECONDS:-60}"
echo "all tests passed"
