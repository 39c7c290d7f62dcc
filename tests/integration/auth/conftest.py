"""A server with auth on, in this process, holding two projects and a user for every role.

``alpha`` has an owner, a maintainer, an editor and a viewer; ``beta`` belongs to
``outsider``, who has no role in alpha.  Every user has an admin-scoped token (scopes do
not limit them, their roles do); the owner also has a read-scoped, an expired and a
revoked token.  ``world.system`` is the store seen by the server's own work (no checks),
for setting up what a request needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labledger.core.entities import RunCreate, RunStatus, RunUpdate
from labledger.core.identity import SYSTEM
from labledger.core.settings import Settings
from labledger.server.app import create_app
from labledger.services.tracker import Tracker

ROLES = ("owner", "maintainer", "editor", "viewer")


@dataclass
class World:
    http: TestClient
    tracker: Tracker
    system: Tracker
    tokens: dict[str, str] = field(default_factory=dict)  # caller -> secret
    counter: int = 0

    def headers(self, caller: str) -> dict[str, str]:
        token = self.tokens.get(caller)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def run(self, *, ended: bool = False, project: str = "alpha") -> str:
        run, _ = self.system.runs.create_run(RunCreate(project=project, name="r"))
        self.system.runs.log_batch(
            run.id,
            {
                "metrics": {"loss": {"steps": [0], "timestamps": [1], "values": [1.0]}},
                "tags": {"t": "1"},
            },
        )
        if ended:
            self.system.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED))
        return run.id

    def model(self, *, deploy: bool = False, alias: bool = False, reference: bool = False) -> str:
        """A model of ``alpha`` with version 1 from a run with a stored file (pointed at by
        ``champion``, deployed in ``prod``, its run holding reference ``inputs``, as asked)."""
        blob = b"weights"
        digest = hashlib.sha256(blob).hexdigest()
        run_id = self.run()
        self.system.artifacts.put_blob(digest, [blob])
        self.system.artifacts.declare(
            run_id, [{"path": "model/w.bin", "digest": digest, "size": len(blob)}]
        )
        self.system.runs.update_run(run_id, RunUpdate(status=RunStatus.FINISHED))
        name = self.fresh("model")
        self.system.models.register_version(name, run_id, "model")
        if alias:
            self.system.promotion.promote(name, 1, "champion")
        if deploy:
            self.system.deployments.record(name, 1, "prod")
        if reference:
            self.system.drift.log_reference(run_id, "inputs", {"x": [1.0, 2.0, 3.0, 4.0]})
        return name

    def user(self) -> str:
        name = self.fresh("u")
        self.system.users.add_user(name)
        return name

    def call(self, caller: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers(caller), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)


def _expire(tracker: Tracker, token_id: str) -> None:
    from sqlalchemy import update

    from labledger.store.tables import tokens

    with tracker.db.write() as conn:
        conn.execute(update(tokens).where(tokens.c.id == token_id).values(expires_ms=1))


@contextmanager
def built_world(store_uri: str, folder: Path) -> Iterator[World]:
    """The world on a new store at ``store_uri`` (files under ``folder``)."""
    tracker = Tracker.open(store_uri, artifact_uri=(folder / "artifacts").as_uri(), auth=True)
    system = tracker.for_principal(SYSTEM)
    system.users.add_user("root", admin=True)
    for name in (*ROLES, "outsider"):
        system.users.add_user(name)
    system.members.create_project("alpha", "owner")
    for role in ROLES[1:]:
        system.members.set_member("alpha", role, role)
    system.members.create_project("beta", "outsider")
    app = create_app(Settings(data_dir=str(folder / "data")), tracker=tracker)
    try:
        with TestClient(app, raise_server_exceptions=False) as http:
            w = World(http, tracker, system)
            for name in ("root", *ROLES, "outsider"):
                w.tokens["admin" if name == "root" else name] = system.tokens.create_token(
                    name, scope="admin"
                ).secret
            w.tokens["read_token"] = system.tokens.create_token("owner", scope="read").secret
            expired = system.tokens.create_token("owner", scope="admin")
            _expire(tracker, expired.token.id)
            w.tokens["expired_token"] = expired.secret
            revoked = system.tokens.create_token("owner", scope="admin")
            system.tokens.revoke_token(revoked.token.id)
            w.tokens["revoked_token"] = revoked.secret
            w.tokens["anonymous"] = ""
            yield w
    finally:
        tracker.close()


@pytest.fixture
def world(store_uri: str, tmp_path: Path) -> Iterator[World]:
    with built_world(store_uri, tmp_path) as w:
        yield w
