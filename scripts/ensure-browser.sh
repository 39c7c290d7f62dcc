#!/usr/bin/env bash
# Debian's Chromium for the end-to-end tests (Playwright cannot download its own browsers
# here).  Installs it as root with apt; otherwise only reports, and the browser tests skip
# (or fail, when LABLEDGER_REQUIRE_SERVICES=1).
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-browser: installing chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "ensure-browser: /usr/bin/chromium is missing and cannot be installed here" >&2
fi
exit 0
