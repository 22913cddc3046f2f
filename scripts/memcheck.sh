#!/usr/bin/env bash
# Runs examples/memcheck.rs (every boundary mode on arrays smaller than the
# footprint, 0-length axes, negative and Fortran strides) under valgrind's
# memcheck: any invalid read or write, in stn or in the generated code, fails.
# Installs valgrind from Debian's packages when it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v valgrind >/dev/null; then
    echo "memcheck.sh: installing valgrind"
    apt-get install -y -qq valgrind >/dev/null 2>&1 \
        || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq valgrind >/dev/null)
fi
cargo build --locked --quiet --example memcheck
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# --smc-check: the JIT writes code into memory it then runs.
if ! valgrind --tool=memcheck --error-exitcode=1 --smc-check=all-non-file \
    --errors-for-leak-kinds=none --log-file="$log" target/debug/examples/memcheck; then
    cat "$log" >&2
    echo "memcheck.sh: valgrind found errors (log above)" >&2
    exit 1
fi
grep -E "ERROR SUMMARY" "$log"
