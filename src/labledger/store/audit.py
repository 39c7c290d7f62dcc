"""SQL for the audit log: append an entry to the chain, read pages, walk it for checks.

``append`` runs inside the transaction of the change it records.  It moves the one row of
``audit_head`` first, which takes that row's lock on PostgreSQL (SQLite writes are already
one at a time), so entries get consecutive numbers and each one's previous hash is the
hash of the entry before it, whatever the number of writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from labledger.core.audit_chain import entry_hash
from labledger.store.tables import audit_head, audit_log


def append(conn: Connection, entry: dict[str, Any]) -> dict[str, Any]:
    """Add ``entry`` (every hashed field but ``seq`` and ``prev_hash``; ``details`` a
    dict) to the chain; returns the row as stored."""
    head = conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(seq=audit_head.c.seq + 1)
        .returning(audit_head.c.seq, audit_head.c.hash)
    ).one()
    row = dict(entry)
    row["details"] = orjson.dumps(entry["details"], option=orjson.OPT_SORT_KEYS).decode()
    row["seq"], row["prev_hash"] = int(head.seq), head.hash
    row["hash"] = entry_hash(row)
    conn.execute(audit_log.insert().values(**row))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=row["hash"]))
    return row


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
    return int(row.seq), str(row.hash)


def page(
    conn: Connection,
    *,
    project: str | None = None,
    run_id: str | None = None,
    actor: str | None = None,
    since_ms: int | None = None,
    projects: set[str] | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Entries newest first, filtered; ``projects`` limits to those projects' entries."""
    query = select(audit_log)
    if project is not None:
        query = query.where(audit_log.c.project == project)
    if run_id is not None:
        query = query.where(audit_log.c.run_id == run_id)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if since_ms is not None:
        query = query.where(audit_log.c.time_ms >= since_ms)
    if projects is not None:
        query = query.where(audit_log.c.project.in_(sorted(projects)))
    if before_seq is not None:
        query = query.where(audit_log.c.seq < before_seq)
    rows = conn.execute(query.order_by(audit_log.c.seq.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def walk(conn: Connection, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Every entry in ``seq`` order, as stored (``details`` as its JSON text)."""
    last: int | None = None
    while True:
        query = select(audit_log).order_by(audit_log.c.seq).limit(chunk)
        if last is not None:
            query = query.where(audit_log.c.seq > last)
        rows = [dict(r._mapping) for r in conn.execute(query)]
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]["seq"]
