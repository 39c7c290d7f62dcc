"""Projects repository."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from labledger.core.entities import Project
from labledger.core.errors import ProjectNotFoundError
from labledger.store import _dialect
from labledger.store.tables import projects, runs


def get_or_create_project_id(conn: Connection, name: str, now_ms: int) -> int:
    found = find_project_id(conn, name)
    if found is not None:
        return found
    stmt = _dialect.insert(conn, projects).values(name=name, created_ms=now_ms)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    found = find_project_id(conn, name)
    assert found is not None
    return found


def find_project_id(conn: Connection, name: str) -> int | None:
    return conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()


def get_project_id(conn: Connection, name: str) -> int:
    found = find_project_id(conn, name)
    if found is None:
        raise ProjectNotFoundError(f"project {name!r} does not exist", details={"project": name})
    return found


def list_projects(conn: Connection) -> list[Project]:
    stats = (
        select(
            runs.c.project_id,
            func.count().label("n"),
            func.max(func.coalesce(runs.c.end_ms, runs.c.start_ms)).label("last"),
        )
        .group_by(runs.c.project_id)
        .subquery()
    )
    rows = conn.execute(
        select(projects.c.name, projects.c.created_ms, stats.c.n, stats.c.last)
        .select_from(projects.outerjoin(stats, stats.c.project_id == projects.c.id))
        .order_by(projects.c.name)
    )
    return [
        Project(name=r.name, created_ms=r.created_ms, run_count=r.n or 0, last_activity_ms=r.last)
        for r in rows
    ]
