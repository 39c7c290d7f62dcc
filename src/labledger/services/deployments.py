"""DeploymentService: which version each environment serves, since when, and who said so.

Deploy pipelines record a deployment (maintainers, or a service account holding that role)
after they roll a version out; ``current`` answers for now or any past moment.  A version an
environment serves cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labledger.core.errors import DeploymentNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.registry import MAX_NOTE, MAX_URL, check_env
from labledger.core.validation import check_page_size, check_str, check_timestamp
from labledger.services import audit, webhooks
from labledger.services.model_access import RegistryGuarded
from labledger.store import deployments as repo
from labledger.store.database import Connection


@dataclass(frozen=True, slots=True)
class Deployment:
    id: int
    model: str
    env: str
    version: int
    run_id: str
    since_ms: int
    url: str | None
    note: str | None
    recorded_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "env": self.env,
            "version": self.version,
            "run_id": self.run_id,
            "since_ms": self.since_ms,
            "url": self.url,
            "note": self.note,
            "recorded_by": self.recorded_by,
        }


def _deployment(model: str, row: dict[str, Any]) -> Deployment:
    return Deployment(
        row["id"],
        model,
        row["env"],
        row["version"],
        row["run_id"],
        row["time_ms"],
        row["url"],
        row["note"],
        row["actor"],
    )


class DeploymentService(RegistryGuarded):
    def record(
        self,
        name: str,
        version: int,
        env: str,
        *,
        url: str | None = None,
        note: str | None = None,
    ) -> Deployment:
        """``env`` now serves ``version`` of ``name``."""
        model = self._model(Action.MAINTAIN, name)
        env = check_env(env)
        url = check_str("url", url, MAX_URL) if url is not None else None
        note = check_str("note", note, MAX_NOTE, allow_empty=True) if note is not None else None

        def apply(conn: Connection) -> dict[str, Any]:
            row = self._version(conn, model, version)
            before = repo.current(conn, model["id"], env)
            record = {
                "model_id": model["id"],
                "env": env,
                "version_id": row["id"],
                "version": row["version"],
                "run_id": row["run_id"],
                "url": url,
                "note": note,
                "time_ms": now_ms(),
                "actor": self.principal.name[:120],
            }
            record["id"] = repo.record(conn, record)
            details = {
                "env": env,
                "version": row["version"],
                "from_version": before["version"] if before else None,
                "url": url,
            }
            audit.record(
                conn,
                self.principal,
                "deployment.record",
                f"model:{model['name']}",
                project=model["project"],
                run_id=row["run_id"],
                details=details,
            )
            webhooks.emit(
                conn,
                model["project_id"],
                "deployment.recorded",
                {"model": model["name"], "run_id": row["run_id"], **details},
            )
            return record

        return _deployment(model["name"], self.db.run_write(apply))

    def current(self, name: str, env: str, at_ms: int | None = None) -> Deployment:
        """What ``env`` served at ``at_ms`` (default now); 404 if nothing was deployed yet."""
        model = self._model(Action.READ, name)
        env = check_env(env)
        at = check_timestamp("at", at_ms) if at_ms is not None else None
        with self.db.read() as conn:
            row = repo.current(conn, model["id"], env, at)
        if row is None:
            when = "" if at is None else f" at {at}"
            raise DeploymentNotFoundError(
                f"nothing of {model['name']!r} was deployed in {env!r}{when}",
                details={"model": model["name"], "env": env},
            )
        return _deployment(model["name"], row)

    def history(self, name: str, env: str | None = None, limit: int = 100) -> list[Deployment]:
        model = self._model(Action.READ, name)
        env = check_env(env) if env is not None else None
        limit = check_page_size(limit)
        with self.db.read() as conn:
            rows = repo.history(conn, model["id"], env, limit)
        return [_deployment(model["name"], r) for r in rows]

    def environments(self, name: str) -> list[Deployment]:
        """What every environment of the model serves now."""
        model = self._model(Action.READ, name)
        with self.db.read() as conn:
            rows = [repo.current(conn, model["id"], env) for env in repo.envs(conn, model["id"])]
        return [_deployment(model["name"], r) for r in rows if r is not None]
