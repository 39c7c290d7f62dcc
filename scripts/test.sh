#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, start services, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
scripts/ensure-postgres.sh
scripts/ensure-browser.sh
scripts/setup-mlflow-clients.sh  # the real MLflow clients tests/mlflow_compat drives
scripts/build-web.sh --check
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests
.venv/bin/mypy
.venv/bin/lint-imports
# two workers, a module per worker at a time (module-scoped servers and worlds stay shared)
.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
