"""Webhooks on registry events, delivered from an outbox.

``emit`` is called inside the transaction of the event itself (a version registered, an alias
moved or refused, a deployment recorded, a drift alert), so an event is queued exactly when
it happens and never lost: ``WebhookSender`` (a thread of the server) posts each queued
delivery until the receiver answers 2xx, with growing pauses between attempts, and a
delivery that was being sent when the process stopped is taken up again once its lease ends.
Receivers may see a delivery more than once (at least once); ``X-LabLedger-Delivery`` is
its stable id.  Each body is signed: ``X-LabLedger-Signature: sha256=<hex>`` is the
HMAC-SHA256, keyed with the webhook's secret, of ``<X-LabLedger-Timestamp>.<body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from labledger.core.errors import InvalidInputError, WebhookNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id, new_id, now_ms
from labledger.core.registry import check_webhook_url
from labledger.core.validation import check_page_size, check_project_name
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.store import projects as project_repo
from labledger.store import webhooks as repo
from labledger.store.database import Connection, Database

EVENTS = (
    "version.registered",
    "alias.moved",
    "alias.refused",
    "deployment.recorded",
    "drift.alert",
)
MAX_ATTEMPTS = 10
LEASE_MS = 30_000
SEND_TIMEOUT_S = 5.0
MAX_WEBHOOKS_PER_PROJECT = 20


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_ms(attempts: int) -> int:
    """Pause before the next attempt after ``attempts`` failed ones: 1 s, 2 s, 4 s ... 10 min."""
    return int(min(2 ** max(attempts - 1, 0), 600) * 1000)


def emit(conn: Connection, project_id: int, event: str, payload: dict[str, Any]) -> None:
    """Queue ``event`` for every webhook of the project that asked for it (in ``conn``'s
    transaction: the event and its deliveries commit together)."""
    assert event in EVENTS
    hooks = [h for h in repo.for_project(conn, project_id) if event in h["events"]]
    if not hooks:
        return
    now = now_ms()
    body = orjson.dumps({"event": event, "time_ms": now, **payload})
    for hook in hooks:
        repo.enqueue(conn, hook["id"], event, body, now)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    project: str
    url: str
    events: list[str]
    created_ms: int
    created_by: str
    secret: str | None = None  # only in the answer that created it

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "url": self.url,
            "events": self.events,
            "created_ms": self.created_ms,
            "created_by": self.created_by,
            "secret": self.secret,
        }


def _check_events(events: object) -> list[str]:
    if events is None:
        return list(EVENTS)
    if not isinstance(events, list) or not events:
        raise InvalidInputError("events must be a non-empty list", details={"field": "events"})
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInputError(
            f"unknown event {unknown[0]!r}; known: {', '.join(EVENTS)}",
            details={"field": "events"},
        )
    return list(dict.fromkeys(events))


class WebhookService(Guarded):
    def create(self, project: str, url: str, events: list[str] | None = None) -> Webhook:
        """Owners of a project add webhooks; the secret is shown in this answer only."""
        self.allow(Action.MANAGE, project=project)
        project = check_project_name(project)
        url = check_webhook_url(url)
        chosen = _check_events(events)
        hook_id, secret, now = new_id(), "whsec_" + secrets.token_urlsafe(32), now_ms()

        def apply(conn: Connection) -> None:
            project_id = project_repo.get_project_id(conn, project)
            if len(repo.for_project(conn, project_id)) >= MAX_WEBHOOKS_PER_PROJECT:
                raise InvalidInputError(
                    f"project {project!r} has {MAX_WEBHOOKS_PER_PROJECT} webhooks, the limit",
                    details={"field": "url", "limit": MAX_WEBHOOKS_PER_PROJECT},
                )
            repo.insert(
                conn,
                {
                    "id": hook_id,
                    "project_id": project_id,
                    "url": url,
                    "secret": secret,
                    "events": chosen,
                    "created_ms": now,
                    "created_by": self.principal.name[:120],
                },
            )
            audit.record(
                conn,
                self.principal,
                "webhook.create",
                f"webhook:{hook_id}",
                project=project,
                details={"url": url, "events": chosen},
            )

        self.db.run_write(apply)
        return Webhook(hook_id, project, url, chosen, now, self.principal.name[:120], secret)

    def list_hooks(self, project: str) -> list[Webhook]:
        self.allow(Action.MANAGE, project=project)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            rows = repo.for_project(conn, project_id)
        return [
            Webhook(r["id"], project, r["url"], r["events"], r["created_ms"], r["created_by"])
            for r in rows
        ]

    def _hook(self, webhook_id: str) -> tuple[dict[str, Any], str]:
        self.allow(Action.READ)  # signed in at all, before anything is looked at
        if not is_valid_id(webhook_id):
            raise WebhookNotFoundError(f"no webhook {webhook_id!r}", details={"id": webhook_id})
        with self.db.read() as conn:
            hook = repo.get(conn, webhook_id)
            project = project_repo.project_name(conn, hook["project_id"]) if hook else None
        if hook is None or project is None:
            raise WebhookNotFoundError(f"no webhook {webhook_id!r}", details={"id": webhook_id})
        return hook, project

    def delete(self, webhook_id: str) -> None:
        hook, project = self._hook(webhook_id)
        self.allow(Action.MANAGE, project=project)

        def apply(conn: Connection) -> None:
            repo.remove(conn, webhook_id)
            audit.record(
                conn, self.principal, "webhook.delete", f"webhook:{webhook_id}", project=project
            )

        self.db.run_write(apply)

    def deliveries(
        self, webhook_id: str, *, before: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        _, project = self._hook(webhook_id)
        self.allow(Action.MANAGE, project=project)
        limit = check_page_size(limit)
        with self.db.read() as conn:
            rows = repo.deliveries(conn, webhook_id, before_id=before, limit=limit)
        return [{**r, "payload": orjson.loads(r["payload"])} for r in rows]

    def replay(self, webhook_id: str, delivery_id: int) -> None:
        """Send a delivery again (one that failed, or one the receiver lost)."""
        _, project = self._hook(webhook_id)
        self.allow(Action.MANAGE, project=project)

        def apply(conn: Connection) -> None:
            found = repo.get_delivery(conn, delivery_id)
            if found is None or found["webhook_id"] != webhook_id:
                raise WebhookNotFoundError(
                    f"webhook {webhook_id!r} has no delivery {delivery_id}",
                    details={"delivery": delivery_id},
                )
            repo.replay(conn, delivery_id, now_ms())
            audit.record(
                conn,
                self.principal,
                "webhook.replay",
                f"webhook:{webhook_id}",
                project=project,
                details={"delivery": delivery_id},
            )

        self.db.run_write(apply)


class WebhookSender:
    """Posts due deliveries; one thread per server process (several processes share the
    outbox safely: a delivery is claimed before it is sent)."""

    def __init__(self, db: Database, *, interval_s: float = 0.5) -> None:
        self.db = db
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=SEND_TIMEOUT_S, follow_redirects=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="labledger-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=SEND_TIMEOUT_S + 5)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:  # noqa: BLE001 - a database hiccup: try again next round
                pass
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def send_due(self, limit: int = 50) -> int:
        """Attempt every due delivery once; returns how many were attempted."""
        with self.db.read() as conn:
            rows = repo.due(conn, now_ms(), limit)
        sent = 0
        for row in rows:
            if self._stop.is_set():
                break
            claimed = self.db.run_write(
                lambda c, r=row: repo.claim(c, r["id"], r["attempts"], now_ms() + LEASE_MS)
            )
            if claimed:
                self._attempt(row)
                sent += 1
        return sent

    def _attempt(self, row: dict[str, Any]) -> None:
        body = row["payload"].encode()
        stamp = str(now_ms())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "LabLedger-Webhooks",
            "X-LabLedger-Event": row["event"],
            "X-LabLedger-Delivery": str(row["id"]),
            "X-LabLedger-Timestamp": stamp,
            "X-LabLedger-Signature": signature(row["secret"], stamp, body),
        }
        status: int | None = None
        error: str | None = None
        try:
            response = self._client.post(row["url"], content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried, never lost
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = row["attempts"] + 1
        now = now_ms()
        if error is None:
            state, next_ms, sent_ms = "sent", now, now
        elif attempts >= MAX_ATTEMPTS:
            state, next_ms, sent_ms = "failed", now, None
        else:
            state, next_ms, sent_ms = "pending", now + backoff_ms(attempts), None
        self.db.run_write(
            lambda c: repo.finish(
                c,
                row["id"],
                state=state,
                status=status,
                error=error,
                next_attempt_ms=next_ms,
                sent_ms=sent_ms,
            )
        )
