"""UserService: the people and service accounts of a server, and their passwords.

Server admins manage users; a user may see itself and set its own password.  Users are
never deleted (the audit log names them): they are disabled, which stops every token and
session of theirs at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from labledger.core.accounts import MAX_PASSWORD, MIN_PASSWORD, check_user_name
from labledger.core.errors import (
    InvalidInputError,
    PermissionDeniedError,
    UserExistsError,
    UserNotFoundError,
)
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.validation import check_str
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.store import access_state
from labledger.store import users as repo
from labledger.store.database import Connection

PASSWORDS = PasswordHasher()  # argon2id with the library's current parameters


@dataclass(frozen=True, slots=True)
class User:
    name: str
    kind: str  # user | service
    admin: bool
    disabled: bool
    has_password: bool
    sso: bool
    created_ms: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            name=row["name"],
            kind=row["kind"],
            admin=bool(row["is_admin"]),
            disabled=row["disabled_ms"] is not None,
            has_password=row["password_hash"] is not None,
            sso=row["oidc_subject"] is not None,
            created_ms=row["created_ms"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "admin": self.admin,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "sso": self.sso,
            "created_ms": self.created_ms,
        }


def user_row(conn: Connection, name: str) -> dict[str, Any]:
    row = repo.find_user(conn, name)
    if row is None:
        raise UserNotFoundError(f"user {name!r} does not exist", details={"user": name})
    return row


def _check_current(stored: str, current: str | None) -> None:
    try:
        ok = current is not None and PASSWORDS.verify(stored, current)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise PermissionDeniedError(
            "changing your own password needs the current one (field current)",
            details={"field": "current", "reason": "current_password"},
        )


def check_password(field: str, password: object) -> str:
    password = check_str(field, password, MAX_PASSWORD)
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            f"{field} must be at least {MIN_PASSWORD} characters",
            details={"field": field, "limit": MIN_PASSWORD},
        )
    return password


class UserService(Guarded):
    def add_user(self, name: str, *, admin: bool = False, service: bool = False) -> User:
        self.allow(Action.ADMIN)
        name = check_user_name("name", name)
        if not isinstance(admin, bool) or not isinstance(service, bool):
            raise InvalidInputError(
                "admin and service are true or false", details={"field": "admin"}
            )

        def apply(conn: Connection) -> None:
            if repo.find_user(conn, name) is not None:
                raise UserExistsError(f"user {name!r} already exists", details={"user": name})
            repo.insert_user(conn, name, "service" if service else "user", admin, now_ms())
            audit.record(
                conn,
                self.principal,
                "user.add",
                f"user:{name}",
                details={"admin": admin, "kind": "service" if service else "user"},
            )

        self.db.run_write(apply)
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        self._allow_self_or_admin(name)
        with self.db.read() as conn:
            return User.from_row(user_row(conn, check_user_name("name", name)))

    def list_users(self) -> list[User]:
        self.allow(Action.ADMIN)
        with self.db.read() as conn:
            return [User.from_row(r) for r in repo.list_users(conn)]

    def disable_user(self, name: str) -> User:
        """A disabled user's tokens and sessions stop working at once."""
        self.allow(Action.ADMIN)
        name = check_user_name("name", name)

        def apply(conn: Connection) -> None:
            row = user_row(conn, name)
            if row["disabled_ms"] is None:
                repo.set_user(conn, row["id"], disabled_ms=now_ms())
                access_state.bump(conn)
                audit.record(conn, self.principal, "user.disable", f"user:{name}")

        self.db.run_write(apply)
        self._access_changed()
        return self.get_user(name)

    def enable_user(self, name: str) -> User:
        self.allow(Action.ADMIN)
        name = check_user_name("name", name)

        def apply(conn: Connection) -> None:
            row = user_row(conn, name)
            if row["disabled_ms"] is not None:
                repo.set_user(conn, row["id"], disabled_ms=None)
                access_state.bump(conn)
                audit.record(conn, self.principal, "user.enable", f"user:{name}")

        self.db.run_write(apply)
        self._access_changed()
        return self.get_user(name)

    def set_password(self, name: str, password: str, current: str | None = None) -> None:
        """Set a user's password (argon2id hash only): its own, giving the ``current`` one
        when it has one (a stolen session cannot take the account), or anyone's for an
        admin.  The user's other UI sessions and login links end; API tokens stay."""
        self._allow_self_or_admin(name, Action.WRITE)
        name = check_user_name("name", name)
        hashed = PASSWORDS.hash(check_password("password", password))
        if current is not None:
            check_str("current", current, MAX_PASSWORD)
        acting_on_self = self.principal.signed_in and self.principal.name == name

        def apply(conn: Connection) -> None:
            row = user_row(conn, name)
            if acting_on_self and row["password_hash"] is not None:
                _check_current(row["password_hash"], current)
            repo.set_user(conn, row["id"], password_hash=hashed)
            ended = repo.revoke_user_tokens(
                conn, row["id"], now_ms(), ("session", "login"), keep=self.principal.token_id
            )
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "user.password",
                f"user:{name}",
                details={"sessions_ended": ended},
            )

        self.db.run_write(apply)
        self._access_changed()

    def _allow_self_or_admin(self, name: object, action: Action = Action.READ) -> None:
        """A user acts on itself within its token's scope; on others only as an admin."""
        if isinstance(name, str) and self.principal.signed_in and self.principal.name == name:
            self.allow(action)
            return
        self.allow(Action.ADMIN)
