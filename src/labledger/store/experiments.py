"""Projects as MLflow sees them (experiments): by numeric id, with tags and a deleted mark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update

from labledger.store import _dialect
from labledger.store.database import Connection
from labledger.store.tables import project_tags, projects, runs


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    name: str
    created_ms: int
    updated_ms: int
    deleted_ms: int | None
    tags: dict[str, str] = field(default_factory=dict)


def _rows(conn: Connection, where: object | None, limit: int | None = None) -> list[ProjectRow]:
    last_run = (
        select(func.max(func.coalesce(runs.c.end_ms, runs.c.start_ms)))
        .where(runs.c.project_id == projects.c.id)
        .scalar_subquery()
    )
    stmt = select(
        projects.c.id, projects.c.name, projects.c.created_ms, projects.c.deleted_ms, last_run
    ).order_by(projects.c.id)
    if where is not None:
        stmt = stmt.where(where)  # type: ignore[arg-type]
    if limit is not None:
        stmt = stmt.limit(limit)
    found = conn.execute(stmt).all()
    tags = _tags(conn, [r.id for r in found])
    return [
        ProjectRow(
            id=int(r.id),
            name=r.name,
            created_ms=r.created_ms,
            updated_ms=max(r.created_ms, r[4] or 0, r.deleted_ms or 0),
            deleted_ms=r.deleted_ms,
            tags=tags.get(int(r.id), {}),
        )
        for r in found
    ]


def _tags(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = conn.execute(
            select(project_tags.c.project_id, project_tags.c.key, project_tags.c.value).where(
                project_tags.c.project_id.in_(chunk)
            )
        )
        for pid, key, value in rows:
            out.setdefault(int(pid), {})[key] = value
    return out


def by_id(conn: Connection, project_id: int) -> ProjectRow | None:
    found = _rows(conn, projects.c.id == project_id)
    return found[0] if found else None


def by_name(conn: Connection, name: str) -> ProjectRow | None:
    found = _rows(conn, projects.c.name == name)
    return found[0] if found else None


def every(conn: Connection) -> list[ProjectRow]:
    return _rows(conn, None)


def set_tag(conn: Connection, project_id: int, key: str, value: str) -> None:
    stmt = _dialect.insert(conn, project_tags).values(project_id=project_id, key=key, value=value)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["project_id", "key"], set_={"value": stmt.excluded.value}
        )
    )


def delete_tag(conn: Connection, project_id: int, key: str) -> bool:
    gone = conn.execute(
        delete(project_tags).where(
            project_tags.c.project_id == project_id, project_tags.c.key == key
        )
    )
    return bool(gone.rowcount)


def rename(conn: Connection, project_id: int, name: str) -> None:
    conn.execute(update(projects).where(projects.c.id == project_id).values(name=name))


def mark_deleted(conn: Connection, project_id: int, deleted_ms: int | None) -> None:
    conn.execute(update(projects).where(projects.c.id == project_id).values(deleted_ms=deleted_ms))
