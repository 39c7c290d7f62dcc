"""SQL for tombstones: what is left of a deleted run (its id is never used again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from labledger.store.tables import run_tombstones


def bury(
    conn: Connection,
    run_id: str,
    project: str,
    status: str,
    seal: tuple[str | None, str | None],
    deleted_ms: int,
    reason: str | None,
    deleted_by: str | None = None,
) -> None:
    seal_hash, seal_parts = seal
    conn.execute(
        run_tombstones.insert().values(
            run_id=run_id,
            project=project,
            status=status,
            seal_hash=seal_hash,
            seal_parts=seal_parts,
            deleted_ms=deleted_ms,
            reason=reason,
            deleted_by=deleted_by,
        )
    )


def find(conn: Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(run_tombstones).where(run_tombstones.c.run_id == run_id)).first()
    return None if row is None else dict(row._mapping)


def list_page(
    conn: Connection, project: str | None, after: str | None, limit: int
) -> list[dict[str, Any]]:
    query = select(run_tombstones)
    if project is not None:
        query = query.where(run_tombstones.c.project == project)
    if after is not None:
        query = query.where(run_tombstones.c.run_id > after)
    rows = conn.execute(query.order_by(run_tombstones.c.run_id).limit(limit))
    return [dict(r._mapping) for r in rows]
