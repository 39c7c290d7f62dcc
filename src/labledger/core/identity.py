"""Who is calling: the principal every service call is made for, what it may ask, and the
roles a user holds in a project.

A principal comes from a credential (a server reads it from the request's token or session
cookie; the embedded SDK acts for the process), never from anything a request body says.
The policy (``services/roles.py``) decides each call from the principal's scopes, its
server-admin flag and its role in the project concerned.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Action(StrEnum):
    """What a service call does, as the access policy sees it."""

    READ = "read"  # look at runs, metrics, artifacts, projects
    WRITE = "write"  # create runs, log to them, upload, annotate
    DELETE = "delete"  # remove a run or an artifact (its tombstone stays)
    MAINTAIN = "maintain"  # a project's upkeep: seal, required fields, gc of the project
    MANAGE = "manage"  # a project's members and roles
    ADMIN = "admin"  # the store as a whole: users, gc, totals, blob checks, the audit log


class Role(IntEnum):
    """A user's role in a project; each includes the ones below it."""

    VIEWER = 1
    EDITOR = 2
    MAINTAINER = 3
    OWNER = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Role | None:
        """``"editor"`` -> ``Role.EDITOR``; ``None`` for a name that is not a role."""
        return cls.__members__.get(name.upper()) if isinstance(name, str) else None

    @classmethod
    def needed_for(cls, action: Action) -> Role:
        return _ROLE_NEEDED[action]


_ROLE_NEEDED = {
    Action.READ: Role.VIEWER,
    Action.WRITE: Role.EDITOR,
    Action.DELETE: Role.MAINTAINER,
    Action.MAINTAIN: Role.MAINTAINER,
    Action.MANAGE: Role.OWNER,
    Action.ADMIN: Role.OWNER,  # never enough alone: store-wide work needs a server admin
}


class Scope(StrEnum):
    """What a token may be used for, whatever its user's roles."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def actions(self) -> frozenset[Action]:
        return _SCOPE_ACTIONS[self]


_SCOPE_ACTIONS = {
    Scope.READ: frozenset({Action.READ}),
    Scope.WRITE: frozenset({Action.READ, Action.WRITE, Action.DELETE, Action.MAINTAIN}),
    Scope.ADMIN: frozenset(Action),
}


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"  # no credential
    USER = "user"
    SERVICE = "service"  # a service account (CI, a scheduler)
    SYSTEM = "system"  # the server's own background work (the reaper, metrics), operators


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: its name, its kind, and the scopes its credential grants (a token of
    scope ``read`` cannot write, whatever its user's roles).  ``address`` and
    ``request_id`` say where a request came from, for the audit log."""

    name: str
    kind: PrincipalKind
    scopes: frozenset[Action]
    token_id: str | None = None
    user_id: int | None = None
    admin: bool = False
    address: str | None = None
    request_id: str | None = None

    def may(self, action: Action) -> bool:
        return action in self.scopes

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    def at(self, address: str | None, request_id: str | None) -> Principal:
        """The same caller, noted as coming from ``address`` with ``request_id``."""
        return dataclasses.replace(self, address=address, request_id=request_id)


ANONYMOUS = Principal("anonymous", PrincipalKind.ANONYMOUS, frozenset(Action))
SYSTEM = Principal("system", PrincipalKind.SYSTEM, frozenset(Action), admin=True)


def operator(name: str) -> Principal:
    """Someone acting on the store directly (``labledger users …`` with ``--data-dir``):
    the file permissions already let them do anything, so they may; the audit log names
    them."""
    return Principal(f"operator:{name}", PrincipalKind.SYSTEM, frozenset(Action), admin=True)
