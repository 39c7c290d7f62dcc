"""SQL for seals: reading a run's record in a fixed order for hashing, and storing the seal.

Everything is read in an order that does not depend on the database (metric keys sorted in
Python, points by step, time and value), so the same record hashes the same on SQLite and
PostgreSQL, and after a copy from one to the other.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, union_all, update

from labledger.store.tables import (
    artifacts,
    metric_keys,
    metric_points,
    projects,
    run_seals,
    run_tombstones,
    runs,
)

_ROW = [("step", "<i8"), ("ts", "<i8"), ("value", "<f8"), ("null", "<i8")]
_PACKED = [("step", "<i8"), ("ts", "<i8"), ("value", "<f8")]  # 24 bytes a point, no padding


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
    import numpy as np

    h = hashlib.sha256()
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sql = (
        "SELECT step, ts, COALESCE(value, 0.0), CASE WHEN value IS NULL THEN 1 ELSE 0 END "
        f"FROM metric_points WHERE run_pk = {mark} AND key_id = {mark}"
    )
    for key_id, name in sorted(keys, key=lambda k: k.name):
        encoded = name.encode()
        h.update(struct.pack("<I", len(encoded)) + encoded)
        cursor = conn.connection.cursor()  # the driver's own tuples: no Row objects
        cursor.execute(sql, (run_pk, key_id))
        chunks = []
        while rows := cursor.fetchmany(100_000):
            chunks.append(np.array(rows, dtype=_ROW))  # 32 bytes a point, packed in C
        if not chunks:
            continue
        table = np.concatenate(chunks)
        # by step, time, NaN last, value: sorted here, not by the database (no temp B-tree)
        order = np.lexsort((table["value"], table["null"], table["ts"], table["step"]))
        table = table[order]
        out = np.empty(len(table), dtype=_PACKED)
        out["step"], out["ts"], out["value"] = table["step"], table["ts"], table["value"]
        out["value"][table["null"] == 1] = np.nan  # NaN is stored as NULL
        h.update(out.tobytes())
    return h.hexdigest()


def full_manifest(conn: Connection, run_pk: int) -> list[list[Any]]:
    """Every field a client declares of every artifact entry, sorted by path (seal v2)."""
    cols = artifacts.c
    rows = conn.execute(
        select(cols.path, cols.digest, cols.size, cols.media_type, cols.mtime_ms, cols.step).where(
            cols.run_pk == run_pk
        )
    ).all()
    return sorted([r.path, r.digest, int(r.size), r.media_type, r.mtime_ms, r.step] for r in rows)


def manifest(conn: Connection, run_pk: int) -> list[tuple[str, str, int]]:
    """(path, digest, size) of every artifact entry, sorted by path."""
    rows = conn.execute(
        select(artifacts.c.path, artifacts.c.digest, artifacts.c.size).where(
            artifacts.c.run_pk == run_pk
        )
    ).all()
    return sorted((r.path, r.digest, int(r.size)) for r in rows)


def begin_seal(
    conn: Connection, run_pk: int, now_ms: int, version: int, begun: dict[str, Any]
) -> None:
    """Mark the run sealed (``sealed_ms``): every write is refused from this commit on; the
    hash follows once the record has been read.  ``begun`` (what the run held as it ended)
    is kept beside, so an interrupted seal is completed only over an unchanged record."""
    done = conn.execute(
        update(runs).where(runs.c.pk == run_pk, runs.c.sealed_ms.is_(None)).values(sealed_ms=now_ms)
    )
    if done.rowcount:
        conn.execute(delete(run_seals).where(run_seals.c.run_pk == run_pk))
        conn.execute(
            run_seals.insert().values(
                run_pk=run_pk, version=version, parts=None, begun=json.dumps(begun, sort_keys=True)
            )
        )


def history_summary(conn: Connection, run_pk: int) -> list[Any]:
    """Point count and sums of steps, times and values (NaN counted apart): cheap enough for
    the transaction that ends a run, and changed by any edit of a point that matters."""
    row = conn.execute(
        select(
            func.count(),
            func.count(metric_points.c.value),
            # sums as doubles: an integer sum could overflow in SQLite (steps reach 2^63)
            func.coalesce(func.sum(metric_points.c.step * 1.0), 0.0),
            func.coalesce(func.sum(metric_points.c.ts * 1.0), 0.0),
            func.coalesce(func.sum(metric_points.c.value), 0.0),
            func.coalesce(func.sum(metric_points.c.key_id * 1.0), 0.0),
        ).where(metric_points.c.run_pk == run_pk)
    ).one()
    return [int(row[0]), int(row[1]), *(float(x) for x in row[2:])]


def dump_parts(parts: dict[str, Any]) -> str:
    return json.dumps(parts, sort_keys=True)


def save_seal(
    conn: Connection, run_pk: int, seal_hash: str, version: int, parts: dict[str, str]
) -> None:
    conn.execute(update(runs).where(runs.c.pk == run_pk).values(seal_hash=seal_hash))
    stored = conn.execute(
        update(run_seals)
        .where(run_seals.c.run_pk == run_pk)
        .values(version=version, parts=json.dumps(parts, sort_keys=True))
    )
    if not stored.rowcount:
        conn.execute(
            run_seals.insert().values(
                run_pk=run_pk, version=version, parts=json.dumps(parts, sort_keys=True)
            )
        )


def seal_record(
    conn: Connection, run_pk: int
) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None] | None:
    """(version, parts or None, begun or None) as stored, whatever ``runs.seal_hash`` says;
    None when the run has no seal record at all."""
    row = conn.execute(
        select(run_seals.c.version, run_seals.c.parts, run_seals.c.begun).where(
            run_seals.c.run_pk == run_pk
        )
    ).first()
    if row is None:
        return None
    parts = json.loads(row.parts) if row.parts else None
    begun = json.loads(row.begun) if row.begun else None
    return int(row.version), parts, begun


def get_seal(conn: Connection, run_pk: int) -> tuple[str, int, dict[str, str]] | None:
    """(seal hash, version, part digests) as recorded, or None for a run not sealed."""
    row = conn.execute(
        select(runs.c.seal_hash, run_seals.c.version, run_seals.c.parts)
        .select_from(runs.join(run_seals, run_seals.c.run_pk == runs.c.pk))
        .where(runs.c.pk == run_pk)
    ).first()
    if row is None or row.seal_hash is None or row.parts is None:
        return None
    parts: dict[str, Any] = json.loads(row.parts)
    return row.seal_hash, int(row.version), {k: str(v) for k, v in parts.items()}


def verifiable_run_ids(
    conn: Connection, project: str | None, after: str | None, limit: int
) -> list[str]:
    """Ids of runs that ended or were ever marked sealed, and of deleted runs, in id order."""
    ended = select(runs.c.id.label("id")).where(
        or_(
            runs.c.status != "running",
            runs.c.sealed_ms.is_not(None),
            runs.c.seal_hash.is_not(None),
            runs.c.pk.in_(select(run_seals.c.run_pk)),
        )
    )
    deleted = select(run_tombstones.c.run_id.label("id"))
    if project is not None:
        ended = ended.where(
            runs.c.project_id
            == select(projects.c.id).where(projects.c.name == project).scalar_subquery()
        )
        deleted = deleted.where(run_tombstones.c.project == project)
    if after is not None:
        ended = ended.where(runs.c.id > after)
        deleted = deleted.where(run_tombstones.c.run_id > after)
    both = union_all(ended, deleted).subquery()
    return list(conn.scalars(select(both.c.id).order_by(both.c.id).limit(limit)))
