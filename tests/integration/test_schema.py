"""Migrations: the only way the schema changes; a database that is behind is refused."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from labledger.core.errors import SchemaOutdatedError
from labledger.services.tracker import Tracker
from labledger.store.database import Database
from labledger.store.schema import current_revision, head_revision, upgrade
from labledger.store.tables import metadata


def test_empty_database_is_brought_to_head(store_uri):
    tracker = Tracker.open(store_uri)
    try:
        assert current_revision(tracker.db) == head_revision()
    finally:
        tracker.close()


def test_migrations_match_the_table_definitions(store_uri):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    db = Database(store_uri)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
        assert diff == []
    finally:
        db.dispose()


def test_database_behind_head_is_refused_with_the_upgrade_command(store_uri):
    db = Database(store_uri)
    try:
        upgrade(db)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    finally:
        db.dispose()
    with pytest.raises(SchemaOutdatedError, match="labledger db upgrade"):
        Tracker.open(store_uri)


def test_db_upgrade_command_upgrades_a_data_dir(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "labledger.cli", "db", "upgrade", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"-> {head_revision()}" in result.stdout
    assert (tmp_path / "labledger.db").exists()


def test_tags_project_migration_backfills_existing_rows(store_uri):
    db = Database(store_uri)
    try:
        upgrade(db, "0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO projects (id, name, created_ms) VALUES (7, 'p', 0)"))
            conn.execute(
                text(
                    "INSERT INTO runs (pk, id, project_id, name, status, start_ms) "
                    "VALUES (3, :id, 7, 'r', 'running', 0)"
                ),
                {"id": "a" * 32},
            )
            conn.execute(text("INSERT INTO tags (run_pk, key, value) VALUES (3, 'k', 'v')"))
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT project_id FROM tags")).scalar() == 7
    finally:
        db.dispose()


def test_database_size_is_read_on_both_engines(tracker):
    assert tracker.db.size_bytes() > 0  # /metrics reports it as labledger_storage_database_bytes
