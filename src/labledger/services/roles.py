"""``RolePolicy``: who may do what on a server with auth on.

A call is allowed when the caller's credential is valid (anything else is
``AuthenticationError``), its token's scope covers the action, and either the caller is a
server admin or its role in the project concerned is high enough (``Role.needed_for``).
A user's role in a project is the higher of its membership and the project's default role
for every signed-in user.  A project or run the caller may not read is reported as not
found, as if it did not exist, so names and ids of others' work do not leak; a write to a
project the caller can see but not write is ``PermissionDeniedError``.
"""

from __future__ import annotations

from labledger.core.errors import (
    AuthenticationError,
    PermissionDeniedError,
    ProjectNotFoundError,
    RunNotFoundError,
)
from labledger.core.identity import Action, Principal, PrincipalKind, Role
from labledger.services.access_cache import AccessCache
from labledger.store import members as member_repo
from labledger.store import tombstones
from labledger.store.database import Database

SIGN_IN = (
    "sign in: send 'Authorization: Bearer <token>' (a token from `labledger tokens create` "
    "or the UI's tokens page), or run `labledger login URL`"
)


def held_role(default_role: str | None, member_role: str | None) -> Role | None:
    roles = [r for r in (Role.parse(default_role or ""), Role.parse(member_role or "")) if r]
    return max(roles) if roles else None


class RolePolicy:
    def __init__(self, db: Database, cache: AccessCache | None = None) -> None:
        self.db = db
        self.cache = cache

    def check(
        self,
        principal: Principal,
        action: Action,
        *,
        project: str | None = None,
        run_id: str | None = None,
    ) -> None:
        if principal.kind is PrincipalKind.SYSTEM:
            return
        if not principal.signed_in:
            raise AuthenticationError(f"this server needs a login; {SIGN_IN}")
        if not principal.may(action):
            raise PermissionDeniedError(
                f"this token's scope does not allow {action.value}; create a token with a "
                "wider --scope",
                details={"action": action.value},
            )
        if principal.admin:
            return
        if run_id is not None:
            self._check_run(principal, action, run_id)
        elif project is not None:
            self._check_project(principal, action, project)
        elif action not in (Action.READ, Action.WRITE):
            # store-wide reads are filtered listings and blobs by digest; store-wide writes
            # are content-addressed uploads, visible only once a run declares them
            raise PermissionDeniedError(
                f"only a server admin may {action.value} the whole store",
                details={"action": action.value},
            )

    def _check_run(self, principal: Principal, action: Action, run_id: str) -> None:
        assert principal.user_id is not None
        key = ("run", principal.user_id, run_id)
        access = self.cache.get(key) if self.cache is not None else None
        stone = None
        if access is None:
            with self.db.read() as conn:
                access = member_repo.run_access(conn, run_id, principal.user_id)
                stone = None if access is not None else tombstones.find(conn, run_id)
            if access is not None and self.cache is not None:
                self.cache.put(key, access)
        if access is None:
            if stone is not None:  # a deleted run: its tombstone is its project's to see
                try:
                    self._check_project(principal, action, stone["project"])
                except ProjectNotFoundError:  # say nothing of the project
                    raise RunNotFoundError(
                        f"run {run_id!r} does not exist", details={"run_id": run_id}
                    ) from None
            return  # no such run: the service says so
        role = held_role(access[1], access[2])
        if role is None:
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        _need(role, action, f"run {run_id}", {"run_id": run_id})

    def _check_project(self, principal: Principal, action: Action, project: str) -> None:
        assert principal.user_id is not None
        key = ("project", principal.user_id, project)
        found = self.cache.get(key) if self.cache is not None else None
        if found is None:
            with self.db.read() as conn:
                found = member_repo.project_access(conn, project, principal.user_id)
            if found[0] != -1 and self.cache is not None:
                self.cache.put(key, found)
        project_id, default_role, member_role = found
        if project_id == -1:
            if action in (Action.READ, Action.WRITE):
                return  # a read says "not found"; a first run creates it, owned by the caller
            raise ProjectNotFoundError(
                f"project {project!r} does not exist", details={"project": project}
            )
        role = held_role(default_role, member_role)
        if role is None and action is Action.READ:
            raise ProjectNotFoundError(
                f"project {project!r} does not exist", details={"project": project}
            )
        _need(role, action, f"project {project!r}", {"project": project})

    def visible_projects(self, principal: Principal) -> frozenset[str] | None:
        if principal.kind is PrincipalKind.SYSTEM or principal.admin:
            return None
        if not principal.signed_in:
            raise AuthenticationError(f"this server needs a login; {SIGN_IN}")
        assert principal.user_id is not None
        with self.db.read() as conn:
            return frozenset(member_repo.readable_project_names(conn, principal.user_id))


def _need(role: Role | None, action: Action, what: str, details: dict[str, str]) -> None:
    needed = Role.needed_for(action)
    if role is not None and role >= needed and action is not Action.ADMIN:
        return
    held = role.label if role else "no role"
    raise PermissionDeniedError(
        f"{action.value} on {what} needs the {needed.label} role (you have {held}); ask an "
        "owner of the project to add you with `labledger projects members add`",
        details={"action": action.value, "needed": needed.label, "role": held, **details},
    )
