"""SQL for project roles: members, a project's default role, and the role a user holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from labledger.store import _dialect
from labledger.store.tables import project_members, projects, runs, users


def set_role(conn: Connection, project_id: int, user_id: int, role: str, now_ms: int) -> None:
    stmt = _dialect.insert(conn, project_members).values(
        project_id=project_id, user_id=user_id, role=role, added_ms=now_ms
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["project_id", "user_id"], set_={"role": stmt.excluded.role}
        )
    )


def remove(conn: Connection, project_id: int, user_id: int) -> bool:
    result = conn.execute(
        delete(project_members).where(
            project_members.c.project_id == project_id, project_members.c.user_id == user_id
        )
    )
    return result.rowcount > 0


def role_of(conn: Connection, project_id: int, user_id: int) -> str | None:
    return conn.execute(
        select(project_members.c.role).where(
            project_members.c.project_id == project_id, project_members.c.user_id == user_id
        )
    ).scalar()


def count_role(conn: Connection, project_id: int, role: str) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                project_members.c.project_id == project_id, project_members.c.role == role
            )
        ).scalar_one()
    )


def list_members(conn: Connection, project_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(users.c.name, users.c.kind, project_members.c.role, project_members.c.added_ms)
        .join(users, users.c.id == project_members.c.user_id)
        .where(project_members.c.project_id == project_id)
        .order_by(users.c.name)
    )
    return [dict(r._mapping) for r in rows]


def set_default_role(conn: Connection, project_id: int, role: str | None) -> None:
    conn.execute(update(projects).where(projects.c.id == project_id).values(default_role=role))


def default_role(conn: Connection, project_id: int) -> str | None:
    return conn.execute(select(projects.c.default_role).where(projects.c.id == project_id)).scalar()


# Built once: these run on every service call of a server with auth on.
_PROJECT_ACCESS = (
    select(projects.c.id, projects.c.default_role, project_members.c.role)
    .select_from(
        projects.outerjoin(
            project_members,
            (project_members.c.project_id == projects.c.id)
            & (project_members.c.user_id == bindparam("user_id")),
        )
    )
    .where(projects.c.name == bindparam("name"))
)
_RUN_ACCESS = (
    select(runs.c.project_id, projects.c.default_role, project_members.c.role)
    .select_from(
        runs.join(projects, projects.c.id == runs.c.project_id).outerjoin(
            project_members,
            (project_members.c.project_id == runs.c.project_id)
            & (project_members.c.user_id == bindparam("user_id")),
        )
    )
    .where(runs.c.id == bindparam("run_id"))
)


def project_access(conn: Connection, name: str, user_id: int) -> tuple[int, str | None, str | None]:
    """(project id, its default role, the user's role) for a project by name; id -1 if the
    project does not exist."""
    row = conn.execute(_PROJECT_ACCESS, {"name": name, "user_id": user_id}).first()
    return (-1, None, None) if row is None else (row.id, row.default_role, row.role)


def run_access(
    conn: Connection, run_id: str, user_id: int
) -> tuple[int, str | None, str | None] | None:
    """(project id, default role, the user's role) of a run's project; None: no such run."""
    row = conn.execute(_RUN_ACCESS, {"run_id": run_id, "user_id": user_id}).first()
    return None if row is None else (row.project_id, row.default_role, row.role)


def readable_project_names(conn: Connection, user_id: int) -> set[str]:
    """Projects the user is a member of or that grant every signed-in user a role."""
    member = select(project_members.c.project_id).where(project_members.c.user_id == user_id)
    rows = conn.execute(
        select(projects.c.name).where(
            projects.c.id.in_(member) | projects.c.default_role.is_not(None)
        )
    )
    return {r.name for r in rows}


def roles_of_user(conn: Connection, user_id: int) -> dict[str, tuple[str | None, str | None]]:
    """project name -> (its default role, the user's membership role), for every project
    the user belongs to or that grants every signed-in user a role."""
    rows = conn.execute(
        select(projects.c.name, projects.c.default_role, project_members.c.role)
        .select_from(
            projects.outerjoin(
                project_members,
                (project_members.c.project_id == projects.c.id)
                & (project_members.c.user_id == user_id),
            )
        )
        .where(project_members.c.role.is_not(None) | projects.c.default_role.is_not(None))
    )
    return {r.name: (r.default_role, r.role) for r in rows}
