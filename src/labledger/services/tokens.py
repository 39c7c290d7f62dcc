"""TokenService: API tokens (created, listed, revoked) and turning a presented secret into
the principal it stands for.

A token is 256 random bits with the ``ll_`` prefix, shown once; only its SHA-256 is
stored, with its scope, expiry, label and last use.  Revoking or disabling the user stops
it at the next request.  UI sessions and one-time login links are tokens of other kinds
(``services/logins.py``) and are authenticated here the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labledger.core.accounts import (
    MAX_TOKEN_LABEL,
    check_scope,
    check_user_name,
    looks_like_secret,
    new_secret,
    new_token_id,
    parse_lifetime,
    secret_hash,
)
from labledger.core.errors import AuthenticationError, InvalidInputError, TokenNotFoundError
from labledger.core.identity import Action, Principal, PrincipalKind, Scope
from labledger.core.ids import now_ms
from labledger.core.validation import check_str
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.services.users import user_row
from labledger.store import access_state
from labledger.store import users as repo
from labledger.store.database import Connection

API, LOGIN, SESSION = "api", "login", "session"
TOUCH_EVERY_MS = 60_000  # last use is written at most once a minute per token


@dataclass(frozen=True, slots=True)
class Token:
    id: str
    user: str
    scope: str
    label: str | None
    created_ms: int
    expires_ms: int | None
    last_used_ms: int | None
    revoked_ms: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "scope": self.scope,
            "label": self.label,
            "created_ms": self.created_ms,
            "expires_ms": self.expires_ms,
            "last_used_ms": self.last_used_ms,
            "revoked_ms": self.revoked_ms,
        }


@dataclass(frozen=True, slots=True)
class NewToken:
    token: Token
    secret: str  # shown once, never stored


def issue(
    conn: Connection,
    user_id: int,
    kind: str,
    scope: Scope,
    *,
    lifetime_ms: int | None,
    label: str | None = None,
) -> tuple[str, str]:
    """Store a new credential for ``user_id``; returns (id, secret)."""
    secret, token_id, now = new_secret(), new_token_id(), now_ms()
    repo.insert_token(
        conn,
        id=token_id,
        user_id=user_id,
        secret_hash=secret_hash(secret),
        kind=kind,
        scope=scope.value,
        label=label,
        created_ms=now,
        expires_ms=None if lifetime_ms is None else now + lifetime_ms,
    )
    return token_id, secret


def refusal(row: dict[str, Any] | None, now: int, kinds: tuple[str, ...]) -> str | None:
    """Why a credential row cannot be used now (None: it can)."""
    if row is None or row["kind"] not in kinds:
        return "the token is not known to this server"
    if row["revoked_ms"] is not None:
        return "the token was revoked"
    if row["expires_ms"] is not None and row["expires_ms"] <= now:
        return "the token has expired"
    if row["user_disabled_ms"] is not None:
        return f"user {row['user_name']!r} is disabled"
    return None


class TokenService(Guarded):
    UNGUARDED = frozenset({"authenticate"})

    def create_token(
        self,
        user: str,
        *,
        scope: str = "write",
        expires_in: str | None = "90d",
        label: str | None = None,
    ) -> NewToken:
        """A new API token for ``user`` (an admin for anyone, a user for itself)."""
        self._allow_self_or_admin(user, Action.WRITE)
        user = check_user_name("user", user)
        chosen = check_scope("scope", scope)
        lifetime = None if expires_in is None else parse_lifetime("expires_in", expires_in)
        if label is not None:
            label = check_str("label", label, MAX_TOKEN_LABEL)
        if not self._within_own_scope(chosen):
            raise InvalidInputError(
                f"a token of scope {chosen.value} is wider than the credential creating it",
                details={"field": "scope"},
            )

        def apply(conn: Connection) -> tuple[str, str]:
            row = user_row(conn, user)
            token_id, secret = issue(
                conn, row["id"], API, chosen, lifetime_ms=lifetime, label=label
            )
            audit.record(
                conn,
                self.principal,
                "token.create",
                f"token:{token_id}",
                details={
                    "user": user,
                    "scope": chosen.value,
                    "label": label,
                    "expires_in": expires_in,
                },
            )
            return token_id, secret

        token_id, secret = self.db.run_write(apply)
        return NewToken(self._get(token_id), secret)

    def list_tokens(self, user: str) -> list[Token]:
        self._allow_self_or_admin(user, Action.READ)
        user = check_user_name("user", user)
        with self.db.read() as conn:
            row = user_row(conn, user)
            return [_token(r, user) for r in repo.list_tokens(conn, row["id"], (API,))]

    def revoke_token(self, token_id: str) -> Token:
        """Revoke at once (a token already revoked stays as it was): the token's user or
        an admin."""
        self.allow(Action.WRITE)  # a valid credential that may change things; whose: below
        check_str("token_id", token_id, 32)
        with self.db.read() as conn:
            row = repo.find_token(conn, token_id)
            owner = None if row is None else repo.find_user_by_id(conn, row["user_id"])
        if row is None or row["kind"] != API or owner is None:
            self.allow(Action.ADMIN)  # only admins learn that an id does not exist
            raise TokenNotFoundError(
                f"token {token_id!r} does not exist", details={"token_id": token_id}
            )
        self._allow_self_or_admin(owner["name"], Action.WRITE)

        def apply(conn: Connection) -> None:
            if repo.revoke_token(conn, token_id, now_ms()):
                access_state.bump(conn)
                audit.record(
                    conn,
                    self.principal,
                    "token.revoke",
                    f"token:{token_id}",
                    details={"user": owner["name"]},
                )

        self.db.run_write(apply)
        self._access_changed()
        return self._get(token_id)

    def authenticate(self, secret: str, kinds: tuple[str, ...] = (API,)) -> Principal:
        """The principal a presented secret stands for; ``AuthenticationError`` saying why
        not.  Not guarded: this is how a caller becomes known."""
        if not looks_like_secret(secret):
            raise AuthenticationError(
                "the token is malformed: LabLedger tokens start with ll_",
                details={"reason": "malformed"},
            )
        now = now_ms()
        key = ("credential", secret_hash(secret))
        row = self.access_cache.get(key) if self.access_cache is not None else None
        if row is None:
            with self.db.read() as conn:
                row = repo.find_credential(conn, key[1])
            if row is not None and self.access_cache is not None:
                self.access_cache.put(key, row)  # the refusals below still apply to it
        why = refusal(row, now, kinds)
        if why is not None or row is None:
            raise AuthenticationError(
                f"{why}; get a new one with `labledger tokens create`", details={"reason": why}
            )
        if row["last_used_ms"] is None or now - row["last_used_ms"] >= TOUCH_EVERY_MS:
            self.db.run_write(repo.touch_token, row["id"], now)
            row["last_used_ms"] = now
        return principal_for(row)

    def _get(self, token_id: str) -> Token:
        with self.db.read() as conn:
            row = repo.find_token(conn, token_id)
            assert row is not None
            owner = repo.find_user_by_id(conn, row["user_id"])
            assert owner is not None
        return _token(row, owner["name"])

    def _within_own_scope(self, scope: Scope) -> bool:
        return not self.principal.signed_in or scope.actions <= self.principal.scopes

    def _allow_self_or_admin(self, name: object, action: Action) -> None:
        if isinstance(name, str) and self.principal.signed_in and self.principal.name == name:
            self.allow(action)
            return
        self.allow(Action.ADMIN)


def principal_for(row: dict[str, Any]) -> Principal:
    kind = PrincipalKind.SERVICE if row["user_kind"] == "service" else PrincipalKind.USER
    return Principal(
        name=row["user_name"],
        kind=kind,
        scopes=Scope(row["scope"]).actions,
        token_id=row["id"],
        user_id=row["user_id"],
        admin=bool(row["user_is_admin"]),
    )


def _token(row: dict[str, Any], user: str) -> Token:
    return Token(
        id=row["id"],
        user=user,
        scope=row["scope"],
        label=row["label"],
        created_ms=row["created_ms"],
        expires_ms=row["expires_ms"],
        last_used_ms=row["last_used_ms"],
        revoked_ms=row["revoked_ms"],
    )
