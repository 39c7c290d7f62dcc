"""The registry's hostile-input tests: the auth-on ``world`` of tests/integration/auth (alpha
with a user of every role, beta of ``outsider``), on SQLite and PostgreSQL, and a snapshot
of everything a refused request must leave as it was."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select

from labledger.store import registry_tables
from labledger.store.tables import audit_log, projects
from tests.integration.auth.conftest import World, world  # noqa: F401 - the fixture

JSON = {"content-type": "application/json"}
TABLES = [t for t in vars(registry_tables).values() if isinstance(t, Table)]


def snapshot(w: World) -> dict[str, Any]:
    """Every row of every registry table (models, versions, files, tags, aliases and their
    history, policies, approvals, deployments, references, drift, alerts, webhooks and their
    outbox), the projects, and the audit log's length: read from the store, not the API."""
    with w.tracker.db.read() as conn:
        state: dict[str, Any] = {
            t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
            for t in [*TABLES, projects]
        }
        state["audit_log"] = conn.execute(select(func.count()).select_from(audit_log)).scalar()
    return state


def refused(answer: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The answer is ``status`` with ``code``; ``field`` (if given) is details.field and is
    named in the message."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    body: dict[str, Any] = answer.json()
    assert body["error_code"] == code, body
    assert body["message"], body
    if field is not None:
        assert body["details"].get("field") == field, body
        assert field.split(".")[-1].lower() in body["message"].lower(), body
    return body
