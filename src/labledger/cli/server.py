"""``labledger server``."""

from __future__ import annotations

import getpass
import ipaddress
import os
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

import click

from labledger.cli._common import reports_errors
from labledger.core.identity import operator
from labledger.core.settings import Settings

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def first_login_link(tracker: Tracker, *, fresh: bool) -> str | None:
    """On a store without users: create ``admin`` and return its one-time login link;
    with ``fresh``, a new link for ``admin`` whatever the store holds."""
    logins = tracker.for_principal(operator(getpass.getuser())).logins
    secret = logins.ensure_first_admin()
    if secret is None and fresh:
        secret = logins.create_login_link("admin")
    return secret


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--data-dir",
    envvar="LABLEDGER_DATA_DIR",
    default=None,
    help="Data directory (SQLite database and artifacts) [env: LABLEDGER_DATA_DIR; "
    "default: ./.labledger].",
)
@click.option(
    "--db-uri",
    envvar="LABLEDGER_DB_URI",
    default=None,
    help="Metadata database URL, e.g. postgresql+psycopg://user@host/db [env: LABLEDGER_DB_URI].",
)
@click.option(
    "--artifact-uri",
    envvar="LABLEDGER_ARTIFACT_URI",
    default=None,
    help="Blob store: file:///folder or s3://bucket/prefix [env: LABLEDGER_ARTIFACT_URI; "
    "default: <data dir>/artifacts].",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="Server log records as text or one JSON object per line (with request ids).",
)
@click.option(
    "--auth",
    type=click.Choice(["on", "off"]),
    default=None,
    help="Ask every request for a credential and apply project roles (default: on; "
    "off is accepted only on a loopback --host) [env: LABLEDGER_AUTH].",
)
@click.option(
    "--login-link",
    is_flag=True,
    help="Print a new one-time login link for the user admin at start (make run does).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (each with its own connections and reaper).",
)
@reports_errors
def server(
    host: str,
    port: int,
    data_dir: str | None,
    db_uri: str | None,
    artifact_uri: str | None,
    log_level: str,
    log_format: str,
    auth: str | None,
    login_link: bool,
    workers: int,
) -> None:
    """Serve the REST API (and the web UI) over HTTP.

    On an empty store the first start creates the user ``admin`` and prints a one-time
    login link for it (only the link's hash is kept)."""
    import uvicorn

    from labledger.server import logs
    from labledger.server.app import create_app
    from labledger.services.tracker import Tracker

    logs.configure(log_level, log_format)
    settings = Settings.from_env(data_dir=data_dir, db_uri=db_uri, artifact_uri=artifact_uri)
    if not settings.data_dir and not settings.db_uri:
        settings = settings.with_(data_dir=settings.tracking_uri)
    if auth is not None:
        settings = replace(settings, auth=auth == "on")
    if not settings.auth and not is_loopback(host):
        raise click.UsageError(
            f"--auth off is refused with --host {host}: anyone who can reach that address "
            "could change or delete every run. Keep auth on (give people tokens with "
            "`labledger tokens create`), or listen on 127.0.0.1 only."
        )
    tracker = Tracker.from_settings(settings, auth=settings.auth)  # fail fast: schema, store
    try:
        tracker.blob_store.check()
        link = first_login_link(tracker, fresh=login_link) if settings.auth else None
    finally:
        tracker.close()
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(
        f"LabLedger serving on http://{host}:{port}  (data: "
        f"{settings.db_uri or settings.local_dir()}, artifacts: {settings.artifact_location()})"
    )
    if not settings.auth:
        click.echo("auth is off: every request may do everything (loopback only)")
    if link is not None:
        click.echo(f"Log in (one-time link, keep it private): {base}/api/v1/auth/link?token={link}")
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "timeout_keep_alive": 30,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
        return
    # Worker processes build their own app from the environment: hand the settings on.
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value is not None:
            os.environ[f.metadata["env"]] = str(value)
    os.environ[logs.LEVEL_ENV], os.environ[logs.FORMAT_ENV] = log_level, log_format
    uvicorn.run("labledger.server.app:app_from_env", factory=True, workers=workers, **common)
