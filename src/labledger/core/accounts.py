"""Checks and forms of the things identity is made of: user names, roles, scopes, token
lifetimes and the secrets of tokens, login links and sessions."""

from __future__ import annotations

import hashlib
import re
import secrets

from labledger.core.errors import InvalidInputError
from labledger.core.identity import Role, Scope
from labledger.core.validation import check_str

MAX_USER_NAME = 100
MAX_TOKEN_LABEL = 200
MAX_PASSWORD = 1000  # argon2 takes any length; this bounds the work a request can ask for
MIN_PASSWORD = 12
MAX_TOKEN_LIFETIME_DAYS = 3650
TOKEN_PREFIX = "ll_"  # secret scanners recognise LabLedger tokens by it

_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
_DURATION_RE = re.compile(r"(\d{1,6})([mhdw])")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def check_user_name(field: str, name: object) -> str:
    name = check_str(field, name, MAX_USER_NAME)
    if not _USER_RE.fullmatch(name):
        raise InvalidInputError(
            f"{field} {name!r} is not a user name: letters, digits and . _ @ + - only, starting "
            "with a letter or digit",
            details={"field": field},
        )
    return name


def check_role(field: str, name: object) -> Role:
    role = Role.parse(name) if isinstance(name, str) else None
    if role is None:
        raise InvalidInputError(
            f"{field} {name!r} is not a role: one of viewer, editor, maintainer, owner",
            details={"field": field, "allowed": [r.label for r in Role]},
        )
    return role


def check_scope(field: str, name: object) -> Scope:
    if isinstance(name, str) and name in Scope.__members__.values():
        return Scope(name)
    raise InvalidInputError(
        f"{field} {name!r} is not a scope: one of read, write, admin",
        details={"field": field, "allowed": [s.value for s in Scope]},
    )


def parse_lifetime(field: str, text: object) -> int:
    """``"90d"`` -> milliseconds (units m, h, d, w), at most ten years."""
    match = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInputError(
            f"{field} {text!r} is not a duration like 30m, 12h, 90d or 4w",
            details={"field": field},
        )
    ms = int(match.group(1)) * _UNIT_MS[match.group(2)]
    if ms <= 0 or ms > MAX_TOKEN_LIFETIME_DAYS * _UNIT_MS["d"]:
        raise InvalidInputError(
            f"{field} must be between 1m and {MAX_TOKEN_LIFETIME_DAYS}d",
            details={"field": field, "limit": f"{MAX_TOKEN_LIFETIME_DAYS}d"},
        )
    return ms


def new_secret() -> str:
    """256 random bits, URL-safe, with the recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_token_id() -> str:
    return secrets.token_hex(8)


def secret_hash(secret: str) -> str:
    """What is stored of a secret: its SHA-256 (a 256-bit random secret needs no slow hash)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_secret(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX) and 20 <= len(value) <= 200


def csrf_for(session_secret: str) -> str:
    """The CSRF token of a UI session: derived from the session's secret (which the page
    cannot read: it sits in an HttpOnly cookie), so a cross-site page cannot forge it."""
    return hashlib.sha256(b"csrf:" + session_secret.encode("utf-8", "surrogatepass")).hexdigest()
