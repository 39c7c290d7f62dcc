"""MemberService: projects' members and roles, and a project's default role for every
signed-in user.

Owners manage their project's members; server admins manage every project and create
projects for others (``labledger projects create NAME --owner USER``).  A project always
keeps at least one owner.  A user who creates a project by logging its first run becomes
its owner (``own_new_project``, called in that run's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labledger.core.accounts import check_role, check_user_name
from labledger.core.errors import InvalidInputError, LastOwnerError, UserNotFoundError
from labledger.core.identity import Action, Principal, Role
from labledger.core.ids import now_ms
from labledger.core.validation import check_project_name
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.services.users import user_row
from labledger.store import access_state
from labledger.store import members as repo
from labledger.store import projects as project_repo
from labledger.store.database import Connection


@dataclass(frozen=True, slots=True)
class Member:
    user: str
    kind: str
    role: str
    added_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "kind": self.kind, "role": self.role, "added_ms": self.added_ms}


@dataclass(frozen=True, slots=True)
class ProjectMembers:
    project: str
    members: list[Member]
    default_role: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "members": [m.to_dict() for m in self.members],
            "default_role": self.default_role,
        }


def own_new_project(conn: Connection, principal: Principal, project_id: int, name: str) -> None:
    """The caller who just created ``project_id`` becomes its owner (an anonymous or system
    caller owns nothing: the project then has no members)."""
    if principal.user_id is None:
        return
    repo.set_role(conn, project_id, principal.user_id, Role.OWNER.label, now_ms())
    access_state.bump(conn)
    audit.record(
        conn,
        principal,
        "project.create",
        f"project:{name}",
        project=name,
        details={"owner": principal.name},
    )


class MemberService(Guarded):
    def create_project(self, name: str, owner: str) -> ProjectMembers:
        """Create an empty project owned by ``owner`` (server admins)."""
        self.allow(Action.ADMIN)
        name = check_project_name(name)
        owner = check_user_name("owner", owner)

        def apply(conn: Connection) -> None:
            user = user_row(conn, owner)
            project_id, created = project_repo.create_project_if_missing(conn, name, now_ms())
            if not created:
                raise InvalidInputError(
                    f"project {name!r} already exists", details={"field": "name", "project": name}
                )
            repo.set_role(conn, project_id, user["id"], Role.OWNER.label, now_ms())
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "project.create",
                f"project:{name}",
                project=name,
                details={"owner": owner},
            )

        self.db.run_write(apply)
        self._access_changed()
        return self.list_members(name)

    def list_members(self, project: str) -> ProjectMembers:
        self.allow(Action.READ, project=project)
        project = check_project_name(project)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            members = [
                Member(r["name"], r["kind"], r["role"], r["added_ms"])
                for r in repo.list_members(conn, project_id)
            ]
            default_role = repo.default_role(conn, project_id)
        return ProjectMembers(project, members, default_role)

    def set_member(self, project: str, user: str, role: str) -> ProjectMembers:
        """Add ``user`` to ``project`` with ``role``, or change its role."""
        self.allow(Action.MANAGE, project=project)
        project = check_project_name(project)
        user = check_user_name("user", user)
        chosen = check_role("role", role)

        def apply(conn: Connection) -> None:
            project_id = project_repo.get_project_id(conn, project)
            member = user_row(conn, user)
            old = repo.role_of(conn, project_id, member["id"])
            if old == chosen.label:
                return
            if old == Role.OWNER.label:
                _keep_an_owner(conn, project_id, project)
            repo.set_role(conn, project_id, member["id"], chosen.label, now_ms())
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "member.set",
                f"project:{project}",
                project=project,
                details={"user": user, "role": chosen.label, "was": old},
            )

        self.db.run_write(apply)
        self._access_changed()
        return self.list_members(project)

    def remove_member(self, project: str, user: str) -> ProjectMembers:
        self.allow(Action.MANAGE, project=project)
        project = check_project_name(project)
        user = check_user_name("user", user)

        def apply(conn: Connection) -> None:
            project_id = project_repo.get_project_id(conn, project)
            member = user_row(conn, user)
            old = repo.role_of(conn, project_id, member["id"])
            if old is None:
                raise UserNotFoundError(
                    f"user {user!r} is not a member of {project!r}",
                    details={"user": user, "project": project},
                )
            if old == Role.OWNER.label:
                _keep_an_owner(conn, project_id, project)
            repo.remove(conn, project_id, member["id"])
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "member.remove",
                f"project:{project}",
                project=project,
                details={"user": user, "was": old},
            )

        self.db.run_write(apply)
        self._access_changed()
        return self.list_members(project)

    def set_default_role(self, project: str, role: str | None) -> str | None:
        """Every signed-in user's role in ``project`` (None: members only)."""
        self.allow(Action.MANAGE, project=project)
        project = check_project_name(project)
        chosen = None if role is None else check_role("default_role", role)
        if chosen is not None and chosen > Role.EDITOR:
            raise InvalidInputError(
                "default_role may be viewer or editor: maintainers and owners are named",
                details={"field": "default_role"},
            )

        def apply(conn: Connection) -> None:
            project_id = project_repo.get_project_id(conn, project)
            repo.set_default_role(conn, project_id, chosen.label if chosen else None)
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "project.default_role",
                f"project:{project}",
                project=project,
                details={"role": chosen.label if chosen else None},
            )

        self.db.run_write(apply)
        self._access_changed()
        return chosen.label if chosen else None


def _keep_an_owner(conn: Connection, project_id: int, project: str) -> None:
    if repo.count_role(conn, project_id, Role.OWNER.label) <= 1:
        raise LastOwnerError(
            f"that is the last owner of {project!r}: add another owner first",
            details={"project": project},
        )
