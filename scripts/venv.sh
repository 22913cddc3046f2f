#!/usr/bin/env bash
# Create (or update) the repo-local Python venv at .venv with the packages in
# scripts/requirements.txt. Idempotent; prints one line on success.
# STN_VENV and STN_REQUIREMENTS choose another venv folder and requirements
# file (scripts/zarr_interop.sh uses them).
# Needs only python3 (with pip) and PyPI access; exits 3 when the index is
# unreachable.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${STN_VENV:-$root/.venv}"
req="${STN_REQUIREMENTS:-$root/scripts/requirements.txt}"
py="${PYTHON:-python3}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() { cat "$log" >&2; echo "venv.sh: $*" >&2; exit 1; }

# Exit code 3 (and one line) when the package index cannot be reached at all,
# so that callers can skip cleanly instead of failing.
if ! "$py" - <<'PY' >/dev/null 2>&1
import os, urllib.request
index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/")
urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=20)
PY
then
    echo "venv.sh: the Python package index is unreachable" >&2
    exit 3
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! "$py" -m venv "$venv" >"$log" 2>&1; then
        # e.g. Debian python3 without python3-venv/ensurepip: fall back to virtualenv from PyPI.
        rm -rf "$venv"
        "$py" -m pip install -q --disable-pip-version-check --user virtualenv >>"$log" 2>&1 \
            || fail "could not create venv (python3 -m venv and virtualenv both failed)"
        "$py" -m virtualenv -q "$venv" >>"$log" 2>&1 || fail "virtualenv failed"
    fi
fi

vpy="$venv/bin/python"
"$vpy" -m pip install -q --disable-pip-version-check --upgrade pip >>"$log" 2>&1 \
    || fail "pip upgrade failed"
"$vpy" -m pip install -q --disable-pip-version-check -r "$req" >>"$log" 2>&1 \
    || fail "pip install -r $req failed"

echo "venv ready: $venv ($("$vpy" -c 'import sys; print("python %d.%d.%d" % sys.version_info[:3])'); $("$vpy" -m pip freeze --disable-pip-version-check 2>/dev/null | grep -iE '^(numpy|scipy|zarr)==' | tr '\n' ' '))"
