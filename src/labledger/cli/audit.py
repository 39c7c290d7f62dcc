"""``labledger audit ls|verify``: the audit log, read on the store directly (``--data-dir``
/ ``--db-uri``) or through a server (``--server URL``, a server admin's token)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from labledger.cli._common import operator_store, reports_errors, store_options, when_ms
from labledger.core.ids import format_ms

server_option = click.option(
    "--server",
    "server_url",
    default=None,
    help="Read through this server (http(s)://…) with LABLEDGER_TOKEN or `labledger login`'s "
    "credentials, instead of the store.",
)


@click.group()
def audit() -> None:
    """Who changed what: the hash-chained audit log."""


@audit.command("ls")
@click.option("--project", default=None)
@click.option("--run", "run_id", default=None)
@click.option("--actor", default=None)
@click.option("--since", default=None, help="2026-12-01, an ISO time, or 7d / 12h back.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
@server_option
@store_options
@reports_errors
def list_entries(
    project: str | None,
    run_id: str | None,
    actor: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    server_url: str | None,
    data_dir: str | None,
    db_uri: str | None,
) -> None:
    """Entries newest first."""
    query: dict[str, Any] = {
        "project": project,
        "run_id": run_id,
        "actor": actor,
        "since_ms": when_ms(since),
        "limit": limit,
    }
    if server_url:
        from labledger.sdk.client import Client

        with Client(server_url) as client:
            entries = client.audit_entries(**query)
    else:
        with operator_store(data_dir, db_uri) as store:
            entries = [_dict(e) for e in store.audit.list_entries(**query).entries]
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    for e in entries:
        details = json.dumps(e["details"], separators=(",", ":"))
        click.echo(
            f"{e['seq']:>7}  {format_ms(e['time_ms'])}  {e['actor']:<16} "
            f"{e['action']:<18} {e['target']}  {details}"
        )


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@server_option
@store_options
@reports_errors
def verify(as_json: bool, server_url: str | None, data_dir: str | None, db_uri: str | None) -> None:
    """Walk the hash chain; exit 1 naming the first entry altered, removed or inserted."""
    if server_url:
        from labledger.sdk.client import Client

        with Client(server_url) as client:
            report = client.verify_audit()
    else:
        with operator_store(data_dir, db_uri) as store:
            report = store.audit.verify().to_dict()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif report["ok"]:
        head = report["head"]
        click.echo(f"ok: {report['checked']} entries, head {head['seq']} {head['hash']}")
    else:
        click.echo(
            f"BROKEN: {report['problem']['message']} "
            f"({report['checked']} entries before it check out)"
        )
    if not report["ok"]:
        sys.exit(1)


def _dict(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(entry)
