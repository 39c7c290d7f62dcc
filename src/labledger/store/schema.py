"""Schema version management: upgrade to head, and refuse a database that is behind."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

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


def _revision_on(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _is_empty(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return not inspect(conn).get_table_names()


def _lock_for_migration(conn: Connection) -> None:
    """Serialise schema changes between processes.  SQLite: the write transaction is
    already exclusive (BEGIN IMMEDIATE); PostgreSQL: a transaction-scoped advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7341990021)"))


def upgrade(db: Database, revision: str = "head") -> None:
    from alembic import command

    with db.engine.begin() as conn:
        _lock_for_migration(conn)
        command.upgrade(_alembic_config(conn), revision)


def ensure_current(db: Database) -> None:
    """Bring an empty database to head; refuse one whose schema is behind.

    Safe when many processes open a new store at once: the check and the migration run
    in one locked transaction.
    """
    head = head_revision()
    if current_revision(db) == head:
        return
    from alembic import command

    with db.engine.begin() as conn:
        _lock_for_migration(conn)
        current = _revision_on(conn)
        if current == head:
            return
        if current is None and _is_empty(conn):
            command.upgrade(_alembic_config(conn), "head")
            return
    raise SchemaOutdatedError(
        f"the database schema is at {current or 'an unknown revision'}, this LabLedger needs "
        f"{head}: run `labledger db upgrade`",
        details={"current": current, "head": head},
    )


def is_known_revision(revision: str) -> bool:
    """True when ``revision`` is one of this code's migrations (so the database is not from
    a newer LabLedger)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    return any(rev.revision == revision for rev in script.walk_revisions())
