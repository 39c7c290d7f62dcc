"""``labledger db upgrade|current``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from labledger.cli._common import reports_errors
from labledger.core.settings import Settings


def _db(data_dir: str | None, db_uri: str | None):  # type: ignore[no-untyped-def]
    from labledger.services.tracker import db_uri_for
    from labledger.store.database import Database

    settings = Settings.from_env(data_dir=data_dir, db_uri=db_uri)
    if not settings.data_dir and not settings.db_uri:
        settings = settings.with_(data_dir=settings.tracking_uri)
    return Database(db_uri_for(settings))


db_options = [
    click.option(
        "--data-dir",
        envvar="LABLEDGER_DATA_DIR",
        default=None,
        help="Data directory holding labledger.db [env: LABLEDGER_DATA_DIR].",
    ),
    click.option(
        "--db-uri",
        envvar="LABLEDGER_DB_URI",
        default=None,
        help="SQLAlchemy URL of the database [env: LABLEDGER_DB_URI].",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def _with_db_options(fn: F) -> F:
    for option in reversed(db_options):
        fn = option(fn)
    return fn


@click.group()
def db() -> None:
    """Database schema management."""


@db.command()
@_with_db_options
@reports_errors
def upgrade(data_dir: str | None, db_uri: str | None) -> None:
    """Bring the database schema to the version this LabLedger needs."""
    from labledger.store.schema import current_revision, head_revision
    from labledger.store.schema import upgrade as do_upgrade

    database = _db(data_dir, db_uri)
    try:
        before = current_revision(database)
        do_upgrade(database)
        click.echo(f"schema upgraded: {before or 'empty'} -> {head_revision()}")
    finally:
        database.dispose()


@db.command()
@_with_db_options
@reports_errors
def current(data_dir: str | None, db_uri: str | None) -> None:
    """Show the schema revision of the database and the one this LabLedger needs."""
    from labledger.store.schema import current_revision, head_revision

    database = _db(data_dir, db_uri)
    try:
        click.echo(f"current: {current_revision(database) or 'empty'}\nhead:    {head_revision()}")
    finally:
        database.dispose()
