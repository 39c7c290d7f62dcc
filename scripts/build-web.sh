#!/usr/bin/env bash
# Build the web UI into src/labledger/server/static.  With --check (the test suite), also
# regenerate the OpenAPI document and the typed client and fail if either was stale, and
# run the UI's unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: npm is not installed; the server will serve a page saying the UI is not built" >&2
    exit 0
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error)
if [ "${1:-}" = "--check" ]; then
    .venv/bin/python -m labledger.server.openapi web/openapi.json
    (cd web && npm run --silent gen-client >/dev/null)
    if ! git diff --quiet -- web/openapi.json web/src/client 2>/dev/null; then
        echo "build-web: web/openapi.json or web/src/client was stale; regenerated files are" \
             "in the work tree, commit them:" >&2
        git diff --stat -- web/openapi.json web/src/client >&2
        exit 1
    fi
    (cd web && npx vitest run)
fi
(cd web && npm run --silent build)
