#!/usr/bin/env bash
# Every test: unit, data-driven, differential, semantics tables, CLI, doc
# tests, and the embedding example. Needs only a Rust toolchain.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo test --locked
cargo run --locked --quiet --example embed > /dev/null
echo "all tests passed"
