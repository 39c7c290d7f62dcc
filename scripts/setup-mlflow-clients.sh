#!/usr/bin/env bash
# The real MLflow clients the compatibility tests drive (tests/mlflow_compat): one current 3.x
# and one 2.x release, each in its own virtual environment (.venv-mlflow3, .venv-mlflow2), so
# neither pulls its dependency pins into LabLedger's own .venv.  Re-running is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
install() {  # install VENV REQUIREMENT...
    local venv="$1"; shift
    local marker="$venv/.labledger-ready"
    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$*" ]; then
        return
    fi
    "$PYTHON" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$@"
    echo "$*" > "$marker"
}
# Pinned: the tests assert MLflow's behaviour, so a new release is a deliberate change here.
# The 3.x environment also holds the frameworks whose MLflow callbacks are tested
# (tests/mlflow_compat/test_frameworks.py): torch pinned to its CPU build, never CUDA's; and
# PostgreSQL's driver, for an MLflow store on PostgreSQL (tests/mlflow_compat/test_import.py).
install .venv-mlflow3 "mlflow==3.18.0" "torch==2.13.0+cpu" "lightning==2.6.6" \
    "optuna==4.8.0" "optuna-integration==4.8.0" "psycopg[binary]>=3.1,<4"
install .venv-mlflow2 "mlflow==2.22.5" "numpy<2.3"
