"""Schema version management: upgrade to head, and refuse a database that is behind."""

from __future__ import annotations

from pathlib import Path

from labledger.core.errors import SchemaOutdatedError
from labledger.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config(connection: object):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _is_empty(db: Database) -> bool:
    from sqlalchemy import inspect

    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def ensure_current(db: Database) -> None:
    """Bring an empty database to head; refuse one whose schema is behind."""
    current = current_revision(db)
    head = head_revision()
    if current == head:
        return
    if current is None and _is_empty(db):
        upgrade(db)
        return
    raise SchemaOutdatedError(
        f"the database schema is at {current or 'an unknown revision'}, this LabLedger needs "
        f"{head}: run `labledger db upgrade`",
        details={"current": current, "head": head},
    )
