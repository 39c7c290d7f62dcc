"""Metrics repository: append-only points, the latest-value summary, metric key ids.

Points are written with the driver's bulk path (executemany on SQLite, COPY on
PostgreSQL) and read back as columns, never as one object per row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, select

from labledger.store import _dialect
from labledger.store.database import Database
from labledger.store.tables import ingested_batches, latest_metrics, metric_keys

Columns = tuple[list[int], list[int], list[float]]


def key_ids(db: Database, conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids for metric key names, creating missing ones (race-safe)."""
    names = list(names)
    missing = [n for n in names if n not in db.key_ids]
    if missing:
        rows = conn.execute(
            select(metric_keys.c.name, metric_keys.c.id).where(metric_keys.c.name.in_(missing))
        )
        db.key_ids.update({r.name: r.id for r in rows})
        missing = [n for n in missing if n not in db.key_ids]
    if missing:
        stmt = _dialect.insert(conn, metric_keys).on_conflict_do_nothing()
        conn.execute(stmt, [{"name": n} for n in missing])
        rows = conn.execute(
            select(metric_keys.c.name, metric_keys.c.id).where(metric_keys.c.name.in_(missing))
        )
        db.key_ids.update({r.name: r.id for r in rows})
    return {n: db.key_ids[n] for n in names}


def find_key_id(conn: Connection, name: str) -> int | None:
    return conn.execute(select(metric_keys.c.id).where(metric_keys.c.name == name)).scalar()


def claim_batch(conn: Connection, run_pk: int, batch_id: str, now_ms: int) -> bool:
    """Record a batch id; False if this batch was already stored (a retry)."""
    stmt = (
        _dialect.insert(conn, ingested_batches)
        .values(run_pk=run_pk, batch_id=batch_id, created_ms=now_ms)
        .on_conflict_do_nothing()
        .returning(ingested_batches.c.run_pk)
    )
    return conn.execute(stmt).first() is not None


def insert_points(
    db: Database, conn: Connection, run_pk: int, project_id: int, metrics: Mapping[str, Columns]
) -> int:
    if not metrics:
        return 0
    ids = key_ids(db, conn, metrics)
    rows: list[tuple[int, int, int, int, float | None]] = []
    latest: list[dict[str, object]] = []
    for key, (steps, stamps, values) in metrics.items():
        if not steps:
            continue
        kid = ids[key]
        rows.extend(
            (run_pk, kid, s, t, None if v != v else v)
            for s, t, v in zip(steps, stamps, values, strict=True)
        )
        best = max(range(len(steps)), key=lambda i: (steps[i], stamps[i]))
        v = values[best]
        latest.append(
            {
                "run_pk": run_pk,
                "key_id": kid,
                "project_id": project_id,
                "step": steps[best],
                "ts": stamps[best],
                "value": None if math.isnan(v) else v,
            }
        )
    _bulk_insert_points(conn, rows)
    _upsert_latest(conn, latest)
    return len(rows)


def _bulk_insert_points(
    conn: Connection, rows: list[tuple[int, int, int, int, float | None]]
) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            sql = "COPY metric_points (run_pk, key_id, step, ts, value) FROM STDIN"
            with cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    conn.exec_driver_sql(
        "INSERT INTO metric_points (run_pk, key_id, step, ts, value) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def _upsert_latest(conn: Connection, latest: list[dict[str, object]]) -> None:
    if not latest:
        return
    stmt = _dialect.insert(conn, latest_metrics)
    cur = latest_metrics.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_pk", "key_id"],
        set_={"step": stmt.excluded.step, "ts": stmt.excluded.ts, "value": stmt.excluded.value},
        where=(stmt.excluded.step > cur.step)
        | ((stmt.excluded.step == cur.step) & (stmt.excluded.ts >= cur.ts)),
    )
    conn.execute(stmt, latest)


def latest_points(
    conn: Connection, run_pks: Iterable[int]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Each run's latest point per key: key -> (step, timestamp)."""
    out: dict[int, dict[str, tuple[int, int]]] = {}
    pks = list(run_pks)
    for start in range(0, len(pks), 500):
        rows = conn.execute(
            select(
                latest_metrics.c.run_pk,
                metric_keys.c.name,
                latest_metrics.c.step,
                latest_metrics.c.ts,
            )
            .select_from(
                latest_metrics.join(metric_keys, metric_keys.c.id == latest_metrics.c.key_id)
            )
            .where(latest_metrics.c.run_pk.in_(pks[start : start + 500]))
        )
        for pk, name, step, ts in rows:
            out.setdefault(int(pk), {})[name] = (int(step), int(ts))
    return out


def list_metric_keys(conn: Connection, run_pk: int) -> list[str]:
    rows = conn.execute(
        select(metric_keys.c.name)
        .select_from(latest_metrics.join(metric_keys, metric_keys.c.id == latest_metrics.c.key_id))
        .where(latest_metrics.c.run_pk == run_pk)
        .order_by(metric_keys.c.name)
    )
    return [r.name for r in rows]
