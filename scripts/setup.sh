#!/usr/bin/env bash
# Create .venv and install LabLedger (editable) with the PostgreSQL driver and dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# pip >= 25.1 understands [dependency-groups] (--group dev)
.venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
if [ "${1:-}" = "--dev" ]; then
    .venv/bin/python -m pip install --quiet -e ".[postgres,s3]" --group dev
else
    .venv/bin/python -m pip install --quiet -e ".[postgres,s3]"
fi
