"""SQL for aliases: where each points, every decision taken on it, policies and approvals."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from labledger.store import _dialect
from labledger.store.registry_tables import alias_events, approvals, model_aliases, model_policies

# -- where an alias points now ------------------------------------------------------------


def current(conn: Connection, model_id: int, alias: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(model_aliases).where(
            model_aliases.c.model_id == model_id, model_aliases.c.alias == alias
        )
    ).first()
    return None if row is None else dict(row._mapping)


def all_current(conn: Connection, model_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(model_aliases)
        .where(model_aliases.c.model_id == model_id)
        .order_by(model_aliases.c.alias)
    )
    return [dict(r._mapping) for r in rows]


def point(
    conn: Connection, model_id: int, alias: str, version_id: int, version: int, now_ms: int
) -> None:
    stmt = _dialect.insert(conn, model_aliases).values(
        model_id=model_id, alias=alias, version_id=version_id, version=version, moved_ms=now_ms
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["model_id", "alias"],
            set_={"version_id": version_id, "version": version, "moved_ms": now_ms},
        )
    )


def unset(conn: Connection, model_id: int, alias: str) -> bool:
    result = conn.execute(
        delete(model_aliases).where(
            model_aliases.c.model_id == model_id, model_aliases.c.alias == alias
        )
    )
    return result.rowcount > 0


def holding(conn: Connection, version_id: int) -> list[str]:
    rows = conn.execute(
        select(model_aliases.c.alias)
        .where(model_aliases.c.version_id == version_id)
        .order_by(model_aliases.c.alias)
    )
    return [r.alias for r in rows]


# -- history ------------------------------------------------------------------------------


def add_event(conn: Connection, row: dict[str, Any]) -> int:
    values = {**row, "gates": orjson.dumps(row.get("gates") or []).decode()}
    return int(
        conn.execute(alias_events.insert().values(values).returning(alias_events.c.id)).scalar_one()
    )


def _event(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["gates"] = orjson.loads(out["gates"])
    return out


def events(
    conn: Connection,
    model_id: int,
    alias: str | None,
    *,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first."""
    query = select(alias_events).where(alias_events.c.model_id == model_id)
    if alias is not None:
        query = query.where(alias_events.c.alias == alias)
    if before_id is not None:
        query = query.where(alias_events.c.id < before_id)
    rows = conn.execute(query.order_by(alias_events.c.id.desc()).limit(limit))
    return [_event(r) for r in rows]


_MOVES = ("promote", "rollback", "unset")


def holder_at(conn: Connection, model_id: int, alias: str, time_ms: int) -> dict[str, Any] | None:
    """The last move of ``alias`` at or before ``time_ms`` (None: it pointed nowhere yet)."""
    row = conn.execute(
        select(alias_events)
        .where(
            alias_events.c.model_id == model_id,
            alias_events.c.alias == alias,
            alias_events.c.time_ms <= time_ms,
            alias_events.c.kind.in_(_MOVES),
        )
        .order_by(alias_events.c.time_ms.desc(), alias_events.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _event(row)


def moves(conn: Connection, model_id: int, alias: str) -> list[dict[str, Any]]:
    """Every move of ``alias``, newest first (for rollback)."""
    rows = conn.execute(
        select(alias_events)
        .where(
            alias_events.c.model_id == model_id,
            alias_events.c.alias == alias,
            alias_events.c.kind.in_(_MOVES),
        )
        .order_by(alias_events.c.id.desc())
    )
    return [_event(r) for r in rows]


def requesters(conn: Connection, model_id: int, alias: str, to_version: int) -> set[str]:
    """Who asked for ``alias`` to point at ``to_version`` (a refused promotion is a request)."""
    rows = conn.execute(
        select(alias_events.c.actor).where(
            alias_events.c.model_id == model_id,
            alias_events.c.alias == alias,
            alias_events.c.to_version == to_version,
            alias_events.c.kind == "refuse",
        )
    )
    return {r.actor for r in rows}


# -- policies -----------------------------------------------------------------------------


def get_policy(conn: Connection, model_id: int, alias: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(model_policies).where(
            model_policies.c.model_id == model_id, model_policies.c.alias == alias
        )
    ).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out["document"] = orjson.loads(out["document"])
    return out


def all_policies(conn: Connection, model_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(model_policies)
        .where(model_policies.c.model_id == model_id)
        .order_by(model_policies.c.alias)
    )
    return [{**dict(r._mapping), "document": orjson.loads(r.document)} for r in rows]


def set_policy(
    conn: Connection,
    model_id: int,
    alias: str,
    document: dict[str, Any],
    digest: str,
    now_ms: int,
    actor: str,
) -> None:
    text = orjson.dumps(document).decode()
    stmt = _dialect.insert(conn, model_policies).values(
        model_id=model_id,
        alias=alias,
        document=text,
        digest=digest,
        updated_ms=now_ms,
        updated_by=actor,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["model_id", "alias"],
            set_={"document": text, "digest": digest, "updated_ms": now_ms, "updated_by": actor},
        )
    )


def delete_policy(conn: Connection, model_id: int, alias: str) -> bool:
    result = conn.execute(
        delete(model_policies).where(
            model_policies.c.model_id == model_id, model_policies.c.alias == alias
        )
    )
    return result.rowcount > 0


# -- approvals ----------------------------------------------------------------------------


def add_approval(conn: Connection, row: dict[str, Any]) -> bool:
    """False if this approver already approved this version under this policy."""
    stmt = (
        _dialect.insert(conn, approvals)
        .values(row)
        .on_conflict_do_nothing(
            index_elements=["model_id", "alias", "version_id", "approver", "policy_digest"]
        )
        .returning(approvals.c.id)
    )
    return conn.execute(stmt).scalar() is not None


def approvals_for(
    conn: Connection, model_id: int, alias: str, version_id: int | None = None
) -> list[dict[str, Any]]:
    query = select(approvals).where(approvals.c.model_id == model_id, approvals.c.alias == alias)
    if version_id is not None:
        query = query.where(approvals.c.version_id == version_id)
    rows = conn.execute(query.order_by(approvals.c.id))
    return [dict(r._mapping) for r in rows]


def delete_version_approvals(conn: Connection, version_id: int) -> None:
    conn.execute(delete(approvals).where(approvals.c.version_id == version_id))
