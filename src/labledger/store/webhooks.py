"""SQL for webhooks and their delivery outbox."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update

from labledger.store.registry_tables import webhook_deliveries, webhooks


def insert(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(webhooks.insert().values({**row, "events": orjson.dumps(row["events"]).decode()}))


def _hook(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["events"] = orjson.loads(out["events"])
    return out


def get(conn: Connection, webhook_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
    return None if row is None else _hook(row)


def for_project(conn: Connection, project_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(webhooks).where(webhooks.c.project_id == project_id).order_by(webhooks.c.created_ms)
    )
    return [_hook(r) for r in rows]


def remove(conn: Connection, webhook_id: str) -> None:
    conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
    conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))


def enqueue(conn: Connection, webhook_id: str, event: str, payload: bytes, now_ms: int) -> int:
    return int(
        conn.execute(
            webhook_deliveries.insert()
            .values(
                webhook_id=webhook_id,
                event=event,
                payload=payload.decode(),
                state="pending",
                attempts=0,
                next_attempt_ms=now_ms,
                created_ms=now_ms,
            )
            .returning(webhook_deliveries.c.id)
        ).scalar_one()
    )


def due(conn: Connection, now_ms: int, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(webhook_deliveries, webhooks.c.url, webhooks.c.secret)
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(
            webhook_deliveries.c.state == "pending",
            webhook_deliveries.c.next_attempt_ms <= now_ms,
        )
        .order_by(webhook_deliveries.c.next_attempt_ms, webhook_deliveries.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def claim(conn: Connection, delivery_id: int, attempts: int, lease_until_ms: int) -> bool:
    """Take a due delivery for one attempt (another process that read it too loses)."""
    result = conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.id == delivery_id,
            webhook_deliveries.c.state == "pending",
            webhook_deliveries.c.attempts == attempts,
        )
        .values(attempts=attempts + 1, next_attempt_ms=lease_until_ms)
    )
    return result.rowcount == 1


def finish(
    conn: Connection,
    delivery_id: int,
    *,
    state: str,
    status: int | None,
    error: str | None,
    next_attempt_ms: int,
    sent_ms: int | None,
) -> None:
    conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(
            state=state,
            last_status=status,
            last_error=error,
            next_attempt_ms=next_attempt_ms,
            sent_ms=sent_ms,
        )
    )


def deliveries(
    conn: Connection, webhook_id: str, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    query = select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
    if before_id is not None:
        query = query.where(webhook_deliveries.c.id < before_id)
    rows = conn.execute(query.order_by(webhook_deliveries.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def get_delivery(conn: Connection, delivery_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
    ).first()
    return None if row is None else dict(row._mapping)


def replay(conn: Connection, delivery_id: int, now_ms: int) -> None:
    conn.execute(
        update(webhook_deliveries)
        .where(webhook_deliveries.c.id == delivery_id)
        .values(state="pending", attempts=0, next_attempt_ms=now_ms, last_error=None)
    )
