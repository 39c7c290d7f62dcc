"""SQL for the access generation: one number every change that can take access away moves."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from labledger.store.tables import auth_generation

_READ = select(auth_generation.c.generation).where(auth_generation.c.id == 1)


def bump(conn: Connection) -> None:
    conn.execute(
        update(auth_generation)
        .where(auth_generation.c.id == 1)
        .values(generation=auth_generation.c.generation + 1)
    )


def read(conn: Connection) -> int:
    return int(conn.execute(_READ).scalar_one())
