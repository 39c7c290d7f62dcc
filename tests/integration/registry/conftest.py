"""The registry's hostile-input tests: the auth-on ``world`` of tests/integration/auth (alpha
with a user of every role, beta of ``outsider``), on SQLite and PostgreSQL, and a snapshot
of everything a refused request must leave as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from labledger.store import registry_tables
from labledger.store.tables import audit_log, projects
from tests.conftest import PG_URL, _pg_admin
from tests.integration.auth.conftest import World, built_world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per backend for each test module: every test makes the models, runs and
    webhooks it works on afresh (``World.model``), and compares the store before and after
    itself, so the tests do not depend on each other."""
    folder = tmp_path_factory.mktemp("registry")
    if request.param == "sqlite":
        with built_world(f"sqlite:///{folder / 'labledger.db'}", folder) as w:
            yield w
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with built_world(f"{PG_URL}?options=-csearch_path%3D{schema}", folder) as w:
            yield w
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


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
