"""Reading metric histories as columns, whole or reduced to bucket extremes in SQL.

A 1,000,000-point history read row by row costs about a second of Python.  For a chart,
each of a few hundred even step ranges is instead asked for its minimum and maximum point
(one index range scan per bucket, no sort of the whole history), so only a few thousand
rows ever reach Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, select

from labledger.core.errors import MetricNotFoundError
from labledger.store.metrics import Columns, find_key_id
from labledger.store.tables import latest_metrics

_UNION = 150  # buckets per statement
Row = tuple[int, int, float | None]


@dataclass(frozen=True, slots=True)
class Extent:
    key_id: int
    first_step: int | None
    last_step: int | None

    @property
    def step_span(self) -> int:
        if self.first_step is None or self.last_step is None:
            return 0
        return self.last_step - self.first_step + 1


def _mark(conn: Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def _where(
    conn: Connection, run_pk: int, kid: int, start: int | None, end: int | None
) -> tuple[str, list[int]]:
    mark = _mark(conn)
    sql = f"run_pk = {mark} AND key_id = {mark}"
    args = [run_pk, kid]
    if start is not None:
        sql += f" AND step >= {mark}"
        args.append(start)
    if end is not None:
        sql += f" AND step <= {mark}"
        args.append(end)
    return sql, args


def extent(conn: Connection, run_pk: int, key: str, start: int | None, end: int | None) -> Extent:
    """The step range a read would cover (two index seeks).  Raises if the metric was never
    logged in this run."""
    kid = find_key_id(conn, key)
    logged = (
        kid is not None
        and conn.execute(
            select(latest_metrics.c.step).where(
                latest_metrics.c.run_pk == run_pk, latest_metrics.c.key_id == kid
            )
        ).first()
    )
    if kid is None or not logged:
        raise MetricNotFoundError(
            f"metric {key!r} was never logged in this run", details={"key": key}
        )
    where, args = _where(conn, run_pk, kid, start, end)
    edge = "SELECT step FROM metric_points WHERE {} ORDER BY step {} LIMIT 1"
    first = conn.exec_driver_sql(edge.format(where, "ASC"), tuple(args)).scalar()
    last = conn.exec_driver_sql(edge.format(where, "DESC"), tuple(args)).scalar()
    return Extent(kid, first, last)


def _columns(rows: list[Row]) -> Columns:
    if not rows:
        return [], [], []
    steps, stamps, values = zip(*rows, strict=True)
    nan = math.nan
    return list(steps), list(stamps), [nan if v is None else v for v in values]


def read_all(
    conn: Connection, run_pk: int, ext: Extent, start: int | None, end: int | None
) -> Columns:
    where, args = _where(conn, run_pk, ext.key_id, start, end)
    rows = conn.exec_driver_sql(
        f"SELECT step, ts, value FROM metric_points WHERE {where} ORDER BY step, ts",
        tuple(args),
    ).fetchall()
    return _columns([(r[0], r[1], r[2]) for r in rows])


def _bucket_queries(conn: Connection) -> tuple[str, str]:
    """Per-bucket statements for the lowest and highest point: SQLite returns the row of a
    MIN/MAX aggregate's value (bare columns) and counts on the way; PostgreSQL takes the
    first row ordered by value."""
    mark = _mark(conn)
    rng = f"run_pk = {mark} AND key_id = {mark} AND step >= {mark} AND step < {mark}"
    if conn.dialect.name == "sqlite":
        return (
            f"SELECT step, ts, MIN(value), count(*) FROM metric_points WHERE {rng}",
            f"SELECT step, ts, MAX(value), 0 FROM metric_points WHERE {rng}",
        )
    return (
        f"SELECT step, ts, value, 0 FROM metric_points WHERE {rng} "
        "ORDER BY value ASC NULLS LAST LIMIT 1",
        f"SELECT step, ts, value, 0 FROM metric_points WHERE {rng} "
        "ORDER BY value DESC NULLS LAST LIMIT 1",
    )


def read_bucket_extremes(
    conn: Connection, run_pk: int, ext: Extent, buckets: int
) -> tuple[Columns, int]:
    """(columns, total points in the range): the first and last point, and the minimum and
    maximum point of each of ``buckets`` even step ranges."""
    assert ext.first_step is not None and ext.last_step is not None
    span = ext.step_span
    edges = [ext.first_step + (span * i) // buckets for i in range(buckets + 1)]
    rows: set[Row] = set()
    total = 0
    for template in _bucket_queries(conn):
        for first in range(0, buckets, _UNION):
            part = range(first, min(buckets, first + _UNION))
            sql = " UNION ALL ".join(f"SELECT * FROM ({template}) AS b{i}" for i in part)
            args: list[int] = []
            for i in part:
                args += [run_pk, ext.key_id, edges[i], edges[i + 1]]
            for r in conn.exec_driver_sql(sql, tuple(args)):
                total += int(r[3] or 0)
                if r[0] is not None:  # an all-NaN bucket has no extreme row
                    rows.add((r[0], r[1], r[2]))
    mark = _mark(conn)
    for step, order in ((ext.first_step, "ASC"), (ext.last_step, "DESC")):
        edge = conn.exec_driver_sql(
            f"SELECT step, ts, value FROM metric_points WHERE run_pk = {mark} "
            f"AND key_id = {mark} AND step = {mark} ORDER BY ts {order} LIMIT 1",
            (run_pk, ext.key_id, step),
        ).first()
        if edge is not None:
            rows.add((edge[0], edge[1], edge[2]))
    if conn.dialect.name != "sqlite":
        where, args = _where(conn, run_pk, ext.key_id, ext.first_step, ext.last_step)
        count = conn.exec_driver_sql(
            f"SELECT count(*) FROM metric_points WHERE {where}", tuple(args)
        ).scalar()
        total = int(count or 0)
    return _columns(sorted(rows, key=lambda r: (r[0], r[1]))), total
