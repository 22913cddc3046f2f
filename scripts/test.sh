#!/usr/bin/env bash
# Every test: unit, data-driven, differential, semantics tables, CLI, doc
# tests, the embedding example, and the Python package's suite (which needs
# python3 and the package index; scripts/python_test.sh says when it skips).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --locked
cargo run --locked --quiet --example embed > /dev/null
scripts/python_test.sh
echo "all tests passed"
