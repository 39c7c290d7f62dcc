#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth and a database
# named "test", for the test suite.  Starts an installed cluster; as root on Debian/Ubuntu
# it installs the server first.  Without root or apt it only reports, and the PostgreSQL
# tests skip (or fail, when LABLEDGER_REQUIRE_SERVICES=1).
set -uo pipefail

ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
psql_ok() { psql -h 127.0.0.1 -U postgres -d "$1" -Atc "select 1" >/dev/null 2>&1; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "ensure-postgres: installing postgresql"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "ensure-postgres: PostgreSQL is not installed and cannot be installed here" >&2
        exit 0
    fi
fi

if ! ready; then
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    echo "ensure-postgres: starting cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! psql_ok postgres && [ "$(id -u)" = "0" ]; then
    # A fresh install asks for passwords on TCP; the test server trusts local connections.
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    echo "ensure-postgres: trusting 127.0.0.1 connections in $hba"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    sleep 1
fi

if psql_ok postgres && ! psql_ok test; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test" || true
fi
if psql_ok test; then
    echo "ensure-postgres: ready on 127.0.0.1:5432 (database test)"
else
    echo "ensure-postgres: PostgreSQL is not usable; its tests will skip" >&2
fi
exit 0
