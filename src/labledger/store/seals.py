"""SQL for seals: reading a run's record in a fixed order for hashing, and storing the seal.

Everything is read in an order that does not depend on the database (metric keys sorted in
Python, points by step, time and value), so the same record hashes the same on SQLite and
PostgreSQL, and after a copy from one to the other.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from typing import Any

from sqlalchemy import Connection, select, update

from labledger.store.tables import artifacts, metric_keys, metric_points, run_seals, runs

_POINT = struct.Struct("<qqd")
_NAN = struct.pack("<d", math.nan)


def history_digest(conn: Connection, run_pk: int) -> str:
    """SHA-256 over every metric point of the run: for each key (sorted by name), its name,
    then each point's step, timestamp and value as little-endian int64, int64, float64."""
    keys = conn.execute(
        select(metric_keys.c.id, metric_keys.c.name).where(
            metric_keys.c.id.in_(
                select(metric_points.c.key_id).where(metric_points.c.run_pk == run_pk).distinct()
            )
        )
    ).all()
    h = hashlib.sha256()
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = (
        "SELECT step, ts, value FROM metric_points "
        f"WHERE run_pk = {mark} AND key_id = {mark} "
        "ORDER BY step, ts, CASE WHEN value IS NULL THEN 1 ELSE 0 END, value"
    )
    for key_id, name in sorted(keys, key=lambda k: k.name):
        encoded = name.encode()
        h.update(struct.pack("<I", len(encoded)) + encoded)
        result = conn.exec_driver_sql(sql, (run_pk, key_id))
        while rows := result.fetchmany(50_000):
            h.update(
                b"".join(
                    _POINT.pack(step, ts, value) if value is not None else _pack_nan(step, ts)
                    for step, ts, value in rows
                )
            )
    return h.hexdigest()


def _pack_nan(step: int, ts: int) -> bytes:
    return struct.pack("<qq", step, ts) + _NAN


def manifest(conn: Connection, run_pk: int) -> list[tuple[str, str, int]]:
    """(path, digest, size) of every artifact entry, sorted by path."""
    rows = conn.execute(
        select(artifacts.c.path, artifacts.c.digest, artifacts.c.size).where(
            artifacts.c.run_pk == run_pk
        )
    ).all()
    return sorted((r.path, r.digest, int(r.size)) for r in rows)


def save_seal(
    conn: Connection, run_pk: int, seal_hash: str, version: int, parts: dict[str, str], now: int
) -> None:
    conn.execute(update(runs).where(runs.c.pk == run_pk).values(seal_hash=seal_hash, sealed_ms=now))
    conn.execute(
        run_seals.insert().values(
            run_pk=run_pk, version=version, parts=json.dumps(parts, sort_keys=True)
        )
    )


def get_seal(conn: Connection, run_pk: int) -> tuple[str, int, dict[str, str]] | None:
    """(seal hash, version, part digests) as recorded, or None for a run not sealed."""
    row = conn.execute(
        select(runs.c.seal_hash, run_seals.c.version, run_seals.c.parts)
        .select_from(runs.join(run_seals, run_seals.c.run_pk == runs.c.pk))
        .where(runs.c.pk == run_pk)
    ).first()
    if row is None or row.seal_hash is None:
        return None
    parts: dict[str, Any] = json.loads(row.parts)
    return row.seal_hash, int(row.version), {k: str(v) for k, v in parts.items()}


def sealed_run_pks(conn: Connection, project_id: int | None = None) -> list[int]:
    query = select(runs.c.pk).where(runs.c.seal_hash.is_not(None))
    if project_id is not None:
        query = query.where(runs.c.project_id == project_id)
    return list(conn.scalars(query.order_by(runs.c.pk)))
