"""The access seam: every public service method asks ``allow`` first, for its principal.

``Guarded`` is the base of every service.  A service is built once per store for the
``ANONYMOUS`` principal; ``as_principal`` gives a copy bound to a caller (the server binds
the principal of each request's credential).  The ``Policy`` decides: today
``AllowEveryone`` for an embedded store and a server run with ``--auth off``, and
``RolePolicy`` (``services/roles.py``: token scopes, server admins, project roles) for a
server with auth on.  A call the policy refuses raises
``PermissionDeniedError`` before anything is read or written.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

from labledger.core.errors import PermissionDeniedError
from labledger.core.identity import ANONYMOUS, Action, Principal

if TYPE_CHECKING:
    from labledger.artifacts import BlobStore
    from labledger.services.access_cache import AccessCache
    from labledger.store.database import Database


class Policy(Protocol):
    def check(
        self,
        principal: Principal,
        action: Action,
        *,
        project: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Return if ``principal`` may do ``action`` on the project or run; else raise
        ``PermissionDeniedError`` (or ``AuthenticationError`` for a missing caller)."""

    def visible_projects(self, principal: Principal) -> frozenset[str] | None:
        """The projects ``principal`` may read (``None``: every one); listings filter by it."""


class AllowEveryone:
    """Every caller may do everything: LabLedger before users and roles."""

    def check(
        self,
        principal: Principal,  # noqa: ARG002 - the Policy signature
        action: Action,  # noqa: ARG002
        *,
        project: str | None = None,  # noqa: ARG002
        run_id: str | None = None,  # noqa: ARG002
    ) -> None:
        return None

    def visible_projects(self, principal: Principal) -> frozenset[str] | None:  # noqa: ARG002
        return None


class DenyEveryone:
    """No caller may do anything (a store being shut, and the tests of the seam)."""

    def check(
        self,
        principal: Principal,
        action: Action,
        *,
        project: str | None = None,
        run_id: str | None = None,
    ) -> None:
        raise PermissionDeniedError(
            f"{principal.name} may not {action.value} here",
            details={"action": action.value, "project": project, "run_id": run_id},
        )

    def visible_projects(self, principal: Principal) -> frozenset[str] | None:
        raise PermissionDeniedError(f"{principal.name} may not read here")


ALLOW_EVERYONE = AllowEveryone()


class Guarded:
    """Base of the services: the caller and the policy that judges its calls.  Every service
    is built on the database and the blob store (``Tracker`` builds them all alike)."""

    principal: Principal = ANONYMOUS
    policy: Policy = ALLOW_EVERYONE
    # Methods that take no principal's word because they are how a caller becomes known
    # (checking a token, a password, a login link): each named here, and only these.
    UNGUARDED: ClassVar[frozenset[str]] = frozenset()
    # What this server process remembers of credentials and roles (services/access_cache.py;
    # None: nothing is remembered, the embedded store and --auth off).
    access_cache: AccessCache | None = None

    def __init__(self, db: Database, blob_store: BlobStore | None = None) -> None:
        self.db = db
        self.blob_store = blob_store

    def as_principal(self, principal: Principal) -> Self:
        """This service acting for ``principal`` (a shallow copy: same store, same policy)."""
        bound = copy.copy(self)
        bound.principal = principal
        return bound

    def allow(
        self, action: Action, *, project: str | None = None, run_id: str | None = None
    ) -> None:
        self.policy.check(self.principal, action, project=project, run_id=run_id)

    def visible_projects(self) -> frozenset[str] | None:
        """The projects this caller may read (``None``: all of them)."""
        return self.policy.visible_projects(self.principal)

    def _access_changed(self) -> None:
        """After committing a change that can take access away (which moved the access
        generation in its transaction): this process forgets what it remembered."""
        if self.access_cache is not None:
            self.access_cache.changed()
