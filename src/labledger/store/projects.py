"""Projects repository."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from labledger.core.entities import Project
from labledger.core.errors import ProjectNotFoundError
from labledger.store import _dialect
from labledger.store.tables import latest_metrics, metric_keys, params, projects, runs, tags

DAY_MS = 86_400_000


def get_or_create_project_id(conn: Connection, name: str, now_ms: int) -> int:
    return create_project_if_missing(conn, name, now_ms)[0]


def create_project_if_missing(conn: Connection, name: str, now_ms: int) -> tuple[int, bool]:
    """(the project's id, whether this call created it)."""
    found = find_project_id(conn, name)
    if found is not None:
        return found, False
    stmt = _dialect.insert(conn, projects).values(name=name, created_ms=now_ms)
    # RETURNING, not rowcount: PostgreSQL's driver may count a skipped row
    inserted = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["name"]).returning(projects.c.id)
    ).first()
    if inserted is not None:
        return int(inserted.id), True
    found = find_project_id(conn, name)
    assert found is not None
    return found, False


def find_project_id(conn: Connection, name: str) -> int | None:
    return conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()


def project_name(conn: Connection, project_id: int) -> str | None:
    return conn.execute(select(projects.c.name).where(projects.c.id == project_id)).scalar()


def get_project_id(conn: Connection, name: str) -> int:
    found = find_project_id(conn, name)
    if found is None:
        raise ProjectNotFoundError(f"project {name!r} does not exist", details={"project": name})
    return found


def list_projects(conn: Connection, *, days: int = 30, now_ms: int | None = None) -> list[Project]:
    """Every project with run count, last activity and runs started per day (oldest first)."""
    stats = (
        select(
            runs.c.project_id,
            func.count().label("n"),
            func.max(func.coalesce(runs.c.end_ms, runs.c.start_ms)).label("last"),
        )
        .group_by(runs.c.project_id)
        .subquery()
    )
    result = conn.execute(
        select(projects.c.id, projects.c.name, projects.c.created_ms, stats.c.n, stats.c.last)
        .select_from(projects.outerjoin(stats, stats.c.project_id == projects.c.id))
        .order_by(projects.c.name)
    )
    rows = result.all()
    now_day = (now_ms if now_ms is not None else _now_ms()) // DAY_MS
    first_day = now_day - days + 1
    per_day = runs_per_day(conn, first_day * DAY_MS)
    return [
        Project(
            name=r.name,
            created_ms=r.created_ms,
            run_count=r.n or 0,
            last_activity_ms=r.last,
            runs_per_day=[per_day.get(r.id, {}).get(d, 0) for d in range(first_day, now_day + 1)],
        )
        for r in rows
    ]


def _now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


def _distinct(
    conn: Connection, column: Any, project_column: Any, project_id: int, limit: int
) -> list[Any]:
    """Distinct values of an indexed (project, column) pair by skip-scan: one index seek
    per distinct value instead of reading every row of the project."""
    out: list[Any] = []
    last = None
    while len(out) < limit:
        q = select(column).where(project_column == project_id)
        if last is not None:
            q = q.where(column > last)
        found = conn.execute(q.order_by(column).limit(1)).scalar()
        if found is None:
            break
        out.append(found)
        last = found
    return out


def list_keys(conn: Connection, project_id: int, limit: int = 2000) -> dict[str, list[str]]:
    """Param, metric and tag keys used in a project (for suggestions and column pickers)."""
    kids = _distinct(conn, latest_metrics.c.key_id, latest_metrics.c.project_id, project_id, limit)
    names: list[str] = []
    if kids:
        rows = conn.execute(select(metric_keys.c.name).where(metric_keys.c.id.in_(kids)))
        names = sorted(r.name for r in rows)
    return {
        "params": _distinct(conn, params.c.key, params.c.project_id, project_id, limit),
        "metrics": names,
        "tags": _distinct(conn, tags.c.key, tags.c.project_id, project_id, limit),
    }


def runs_per_day(conn: Connection, since_ms: int) -> dict[int, dict[int, int]]:
    """project id -> {day number (ms // 86_400_000): runs started that day} since a time."""
    day = (runs.c.start_ms // DAY_MS).label("day")
    rows = conn.execute(
        select(runs.c.project_id, day, func.count().label("n"))
        .where(runs.c.start_ms >= since_ms)
        .group_by(runs.c.project_id, day)
    )
    out: dict[int, dict[int, int]] = {}
    for r in rows:
        out.setdefault(r.project_id, {})[int(r.day)] = int(r.n)
    return out
