#!/usr/bin/env bash
# Install into .venv, fill ./.labledger-demo with demo runs (once), serve it on :5000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f src/labledger/server/static/index.html ] || [ -n "$(find web/src web/package.json -newer src/labledger/server/static/index.html 2>/dev/null | head -1)" ]; then
    scripts/build-web.sh
fi
DATA="${LABLEDGER_DEMO_DIR:-.labledger-demo}"
if [ ! -f "$DATA/labledger.db" ]; then
    .venv/bin/labledger demo --tracking-uri "$DATA"
fi
# --login-link: a fresh one-time login link every start, so the demo opens in one click
exec .venv/bin/labledger server --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}" --data-dir "$DATA" --login-link
