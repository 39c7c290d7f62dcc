"""Alembic environment: always driven from code (labledger.store.schema) with a connection."""

from __future__ import annotations

from alembic import context

from labledger.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs alembic by hand
    raise RuntimeError("run migrations with `labledger db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
