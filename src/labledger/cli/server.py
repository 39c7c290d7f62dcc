"""``labledger server``."""

from __future__ import annotations

import os
from dataclasses import fields
from typing import Any

import click

from labledger.cli._common import reports_errors
from labledger.core.settings import Settings


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
    workers: int,
) -> None:
    """Serve the REST API (and the web UI) over HTTP."""
    import uvicorn

    from labledger.server import logs
    from labledger.server.app import create_app
    from labledger.services.tracker import Tracker

    logs.configure(log_level, log_format)
    settings = Settings.from_env(data_dir=data_dir, db_uri=db_uri, artifact_uri=artifact_uri)
    if not settings.data_dir and not settings.db_uri:
        settings = settings.with_(data_dir=settings.tracking_uri)
    tracker = Tracker.from_settings(settings)  # fail fast: schema and store checks first
    try:
        tracker.blob_store.check()
    finally:
        tracker.close()
    click.echo(
        f"LabLedger serving on http://{host}:{port}  (data: "
        f"{settings.db_uri or settings.local_dir()}, artifacts: {settings.artifact_location()})"
    )
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
