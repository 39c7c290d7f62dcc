"""SQL for users and their credentials (API tokens, one-time login links, UI sessions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from labledger.store import _dialect
from labledger.store.tables import tokens, users


def insert_user(conn: Connection, name: str, kind: str, is_admin: bool, now_ms: int) -> int:
    result = conn.execute(
        users.insert().values(name=name, kind=kind, is_admin=is_admin, created_ms=now_ms)
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def insert_user_if_absent(
    conn: Connection, name: str, kind: str, is_admin: bool, now_ms: int
) -> int | None:
    """Create the user unless the name is taken (by a replica starting at the same moment):
    its id, or None."""
    stmt = _dialect.insert(conn, users).values(
        name=name, kind=kind, is_admin=is_admin, created_ms=now_ms
    )
    row = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["name"]).returning(users.c.id)
    ).first()
    return None if row is None else int(row.id)


def find_user(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def find_user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return None if row is None else dict(row._mapping)


def find_user_by_subject(conn: Connection, subject: str) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.oidc_subject == subject)).first()
    return None if row is None else dict(row._mapping)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(users).order_by(users.c.name))]


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def set_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


# -- tokens ---------------------------------------------------------------------------------
def insert_token(conn: Connection, **values: Any) -> None:
    conn.execute(tokens.insert().values(**values))


# Built once: this runs on every request of a server with auth on, and building and
# caching a statement anew costs as much as running it.
_CREDENTIAL = (
    select(
        tokens,
        users.c.name.label("user_name"),
        users.c.kind.label("user_kind"),
        users.c.is_admin.label("user_is_admin"),
        users.c.disabled_ms.label("user_disabled_ms"),
    )
    .join(users, users.c.id == tokens.c.user_id)
    .where(tokens.c.secret_hash == bindparam("secret_hash"))
)


def find_credential(conn: Connection, secret_hash: str) -> dict[str, Any] | None:
    """A token (any kind) by the hash of its secret, with its user's fields (``user_*``)."""
    row = conn.execute(_CREDENTIAL, {"secret_hash": secret_hash}).first()
    return None if row is None else dict(row._mapping)


def find_token(conn: Connection, token_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
    return None if row is None else dict(row._mapping)


def list_tokens(conn: Connection, user_id: int, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(tokens)
        .where(tokens.c.user_id == user_id, tokens.c.kind.in_(kinds))
        .order_by(tokens.c.created_ms, tokens.c.id)
    )
    return [dict(r._mapping) for r in rows]


def revoke_token(conn: Connection, token_id: str, now_ms: int) -> bool:
    """Revoke a live token; False if it was already revoked."""
    result = conn.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms)
    )
    return result.rowcount > 0


def revoke_user_tokens(
    conn: Connection,
    user_id: int,
    now_ms: int,
    kinds: tuple[str, ...],
    keep: str | None = None,
) -> int:
    """Revoke a user's live credentials of ``kinds`` (all but ``keep``)."""
    query = update(tokens).where(
        tokens.c.user_id == user_id, tokens.c.revoked_ms.is_(None), tokens.c.kind.in_(kinds)
    )
    if keep is not None:
        query = query.where(tokens.c.id != keep)
    return int(conn.execute(query.values(revoked_ms=now_ms)).rowcount)


def touch_token(conn: Connection, token_id: str, now_ms: int) -> None:
    conn.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_ms=now_ms))
