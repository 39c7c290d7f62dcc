"""Who is calling: the principal every service call is made for, and what it may ask.

A principal comes from a credential (a server reads it from the request's token; the
embedded SDK acts for the process), never from anything a request body says.  Until users,
tokens and project roles exist, every caller is ``ANONYMOUS`` and the policy allows it
everything; the services already ask the policy on every call (``services/access.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a service call does, as the access policy sees it."""

    READ = "read"  # look at runs, metrics, artifacts, projects
    WRITE = "write"  # create runs, log to them, upload, seal
    DELETE = "delete"  # remove a run (its tombstone stays)
    ADMIN = "admin"  # the store as a whole: gc, totals, blob checks, project requirements


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"  # no credential
    USER = "user"
    SERVICE = "service"  # a service account (CI, a scheduler)
    SYSTEM = "system"  # the server's own background work (the reaper, metrics)


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: its name, its kind, and the scopes its credential grants (a token of
    scope ``read`` cannot write, whatever its user's roles)."""

    name: str
    kind: PrincipalKind
    scopes: frozenset[Action]
    token_id: str | None = None

    def may(self, action: Action) -> bool:
        return action in self.scopes


ANONYMOUS = Principal("anonymous", PrincipalKind.ANONYMOUS, frozenset(Action))
SYSTEM = Principal("system", PrincipalKind.SYSTEM, frozenset(Action))
