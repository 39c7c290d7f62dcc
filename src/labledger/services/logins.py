"""LoginService: how people get a UI session — a one-time login link, a password, or an
OpenID Connect provider — and how a session ends.

A session is a credential of kind ``session`` (``services/tokens.py``) whose secret sits in
an HttpOnly cookie; its CSRF token is derived from that secret.  Failed password logins are
counted per user and per address; past the limit the next attempts are refused with
``TooManyAttemptsError`` before any password is hashed, so a brute force meets cheap 429s.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2.exceptions import InvalidHashError, VerificationError

from labledger.core.accounts import MAX_PASSWORD, check_user_name, csrf_for, secret_hash
from labledger.core.errors import AuthenticationError, InvalidInputError, TooManyAttemptsError
from labledger.core.identity import Action, Principal, Scope
from labledger.core.ids import now_ms
from labledger.core.validation import check_str
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.services.tokens import LOGIN, SESSION, issue, refusal
from labledger.services.users import PASSWORDS, user_row
from labledger.store import access_state
from labledger.store import users as repo
from labledger.store.database import Connection, Database

if TYPE_CHECKING:
    from labledger.artifacts import BlobStore

FIRST_ADMIN = "admin"
SESSION_LIFETIME_MS = 7 * 86_400_000
LOGIN_LINK_LIFETIME_MS = 7 * 86_400_000
_DUMMY_HASH = PASSWORDS.hash("not a password of anyone's")  # equal work for unknown users


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    admin: bool
    secret: str  # the cookie's value
    csrf: str
    expires_ms: int


class FailedLogins:
    """Failures per user and per address in a sliding window (this process's memory: each
    server process counts its own)."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_s: float = 300.0):
        self.limits = {"user": per_user, "address": per_address}
        self.window_s = window_s
        self._seen: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, user: str, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(user, address):
                seen = self._seen[key]
                while seen and now - seen[0] > self.window_s:
                    seen.popleft()
                if len(seen) >= self.limits[key[0]]:
                    wait = int(self.window_s - (now - seen[0])) + 1
                    raise TooManyAttemptsError(
                        f"too many failed logins for this {key[0]}; try again in {wait} s",
                        details={"retry_after_s": wait, "per": key[0]},
                    )

    def failed(self, user: str, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(user, address):
                self._seen[key].append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._seen.pop(("user", user), None)

    @staticmethod
    def _keys(user: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", user)]
        if address:
            keys.append(("address", address))
        return keys


class LoginService(Guarded):
    UNGUARDED = frozenset({"redeem_login_link", "login_password", "login_sso", "logout"})

    def __init__(self, db: Database, blob_store: BlobStore | None = None) -> None:
        super().__init__(db, blob_store)
        self.failures = FailedLogins()

    def ensure_first_admin(self) -> str | None:
        """On a store with no users: create ``admin`` and return a one-time login link
        secret for it (only its hash is kept).  None when users exist."""
        self.allow(Action.ADMIN)

        def apply(conn: Connection) -> str | None:
            if repo.count_users(conn) > 0:
                return None
            user_id = repo.insert_user_if_absent(conn, FIRST_ADMIN, "user", True, now_ms())
            if user_id is None:  # another server process created it a moment ago
                return None
            audit.record(
                conn,
                self.principal,
                "user.add",
                f"user:{FIRST_ADMIN}",
                details={"admin": True, "kind": "user", "first": True},
            )
            token_id, secret = issue(
                conn, user_id, LOGIN, Scope.ADMIN, lifetime_ms=LOGIN_LINK_LIFETIME_MS
            )
            audit.record(
                conn,
                self.principal,
                "login_link.create",
                f"token:{token_id}",
                details={"user": FIRST_ADMIN},
            )
            return secret

        secret: str | None = self.db.run_write(apply)
        return secret

    def create_login_link(self, user: str) -> str:
        """A one-time login link secret for ``user`` (admins; operators at the console)."""
        self.allow(Action.ADMIN)
        user = check_user_name("user", user)

        def apply(conn: Connection) -> str:
            row = user_row(conn, user)
            token_id, secret = issue(
                conn, row["id"], LOGIN, Scope.ADMIN, lifetime_ms=LOGIN_LINK_LIFETIME_MS
            )
            audit.record(
                conn,
                self.principal,
                "login_link.create",
                f"token:{token_id}",
                details={"user": user},
            )
            return secret

        secret: str = self.db.run_write(apply)
        return secret

    def redeem_login_link(self, secret: str) -> Session:
        """Exchange a login link for a session; the link works once."""
        if not isinstance(secret, str) or len(secret) > 200:
            raise AuthenticationError("the login link is not valid", details={"field": "token"})

        def apply(conn: Connection) -> Session:
            row = repo.find_credential(conn, secret_hash(secret))
            why = refusal(row, now_ms(), (LOGIN,))
            if why is not None or row is None:
                raise AuthenticationError(
                    f"the login link cannot be used: {why}; ask an admin for a new one "
                    "(`labledger users login-link NAME`)",
                    details={"reason": why},
                )
            if not repo.revoke_token(conn, row["id"], now_ms()):
                raise AuthenticationError("the login link was already used")
            return self._open_session(conn, row["user_id"], row["user_name"], "link")

        session: Session = self.db.run_write(apply)
        return session

    def login_password(self, user: str, password: str) -> Session:
        user = check_user_name("user", user)
        password = check_str("password", password, MAX_PASSWORD)
        self.failures.check(user, self.principal.address)
        with self.db.read() as conn:
            row = repo.find_user(conn, user)
        stored = row["password_hash"] if row is not None else None
        try:
            PASSWORDS.verify(stored or _DUMMY_HASH, password)
            ok = stored is not None and row is not None and row["disabled_ms"] is None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            self.failures.failed(user, self.principal.address)
            self.db.run_write(
                lambda conn: audit.record(
                    conn,
                    self.principal,
                    "login.failed",
                    f"user:{user}",
                    details={"method": "password"},
                )
            )
            raise AuthenticationError("wrong user name or password", details={"field": "password"})
        self.failures.succeeded(user)
        session: Session = self.db.run_write(
            lambda conn: self._open_session(conn, row["id"], user, "password")
        )
        return session

    def login_sso(self, subject: str, preferred_name: str) -> Session:
        """A session for the user an OpenID Connect provider vouched for (``subject`` is
        issuer and ``sub``); the user is created on first login."""
        check_str("subject", subject, 500)

        def apply(conn: Connection) -> Session:
            row = repo.find_user_by_subject(conn, subject)
            if row is None:
                name = _free_name(conn, preferred_name)
                user_id = repo.insert_user(conn, name, "user", False, now_ms())
                repo.set_user(conn, user_id, oidc_subject=subject)
                audit.record(
                    conn,
                    self.principal,
                    "user.add",
                    f"user:{name}",
                    details={"admin": False, "kind": "user", "sso": True},
                )
                row = repo.find_user_by_id(conn, user_id)
                assert row is not None
            if row["disabled_ms"] is not None:
                raise AuthenticationError(f"user {row['name']!r} is disabled")
            return self._open_session(conn, row["id"], row["name"], "oidc")

        session: Session = self.db.run_write(apply)
        return session

    def logout(self, session: Principal) -> None:
        if session.token_id is None:
            return
        token_id = session.token_id

        def apply(conn: Connection) -> None:
            row = repo.find_token(conn, token_id)
            if row is None or row["kind"] != SESSION:
                return  # an API token is revoked on purpose, never by a logout
            if repo.revoke_token(conn, token_id, now_ms()):
                access_state.bump(conn)
                audit.record(conn, self.principal, "logout", f"user:{session.name}")

        self.db.run_write(apply)
        self._access_changed()

    def _open_session(self, conn: Connection, user_id: int, name: str, method: str) -> Session:
        token_id, secret = issue(
            conn, user_id, SESSION, Scope.ADMIN, lifetime_ms=SESSION_LIFETIME_MS
        )
        who = dataclasses.replace(self.principal, name=name, user_id=user_id)
        audit.record(
            conn, who, "login", f"user:{name}", details={"method": method, "session": token_id}
        )
        row = repo.find_user_by_id(conn, user_id)
        admin = bool(row and row["is_admin"])
        return Session(name, admin, secret, csrf_for(secret), now_ms() + SESSION_LIFETIME_MS)


def _free_name(conn: Connection, wanted: str) -> str:
    """A user name from the provider's preferred name, made valid and unique."""
    base = "".join(c if c.isalnum() or c in "._@+-" else "-" for c in wanted)[:90].strip("-.")
    base = base if base and base[0].isalnum() else f"user-{base}".strip("-")
    try:
        base = check_user_name("name", base)
    except InvalidInputError:
        base = "user"
    name, n = base, 1
    while repo.find_user(conn, name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name
