"""MLflow 3's logged models.  A logged model belongs to a run: its files are the run's
artifacts under ``models/<id>/`` (so they are sealed, verified and shown with the run), and
this service keeps what MLflow records beside them (name, type, status, params, tags).
Every change is judged on the run's project and audited in its transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labledger.core.errors import InvalidInputError, LoggedModelNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import new_id, now_ms
from labledger.core.validation import check_key, check_param_value, check_str, check_tag_value
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.store import logged_models as repo
from labledger.store import runs as run_repo
from labledger.store.database import Connection

STATUSES = frozenset({"LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"})
MAX_LISTED = 10_000


def folder_of(model_id: str) -> str:
    """Where a logged model's files sit among its run's artifacts."""
    return f"models/{model_id}"


def _check_map(field: str, values: Mapping[str, str], check_value: Any) -> dict[str, str]:
    return {check_key(f"{field}.key", k): check_value(f"{field}.{k}", v) for k, v in values.items()}


class LoggedModelService(Guarded):
    def create(
        self,
        run_id: str,
        name: str,
        model_type: str = "",
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        self.allow(Action.WRITE, run_id=run_id)
        name = check_str("name", name, 250)
        model_type = check_str("model_type", model_type, 250, allow_empty=True)
        checked_params = _check_map("params", params or {}, check_param_value)
        checked_tags = _check_map("tags", tags or {}, check_tag_value)
        model_id = "m-" + new_id()

        def apply(conn: Connection) -> None:
            ref = run_repo.get_run_for_write(conn, run_id)
            now = now_ms()
            repo.insert_model(
                conn,
                {
                    "id": model_id,
                    "run_id": run_id,
                    "project_id": ref.project_id,
                    "name": name,
                    "model_type": model_type,
                    "status": "LOGGED_MODEL_PENDING",
                    "created_ms": now,
                    "updated_ms": now,
                    "params": checked_params,
                    "tags": checked_tags,
                },
            )
            audit.record_run(
                conn,
                self.principal,
                "logged_model.create",
                run_id,
                ref.project_id,
                {"model_id": model_id, "name": name},
            )

        self.db.run_write(apply)
        return self.get(model_id)

    def get(self, model_id: str) -> dict[str, Any]:
        self.allow(Action.READ)  # signed in at all, before anything is looked at
        with self.db.read() as conn:
            row = repo.find(conn, model_id) if len(model_id) <= 40 else None
        if row is None:
            raise LoggedModelNotFoundError(f"Logged model with ID '{model_id}' not found.")
        self.allow(Action.READ, run_id=row["run_id"])
        return row

    def list(self, project_ids: Sequence[int]) -> list[dict[str, Any]]:
        """The logged models of these projects the caller may read, newest first."""
        self.allow(Action.READ)
        visible = self.visible_projects()
        with self.db.read() as conn:
            rows = repo.of_projects(conn, project_ids, MAX_LISTED)
        return [r for r in rows if visible is None or r["project"] in visible]

    def finalize(self, model_id: str, status: str) -> dict[str, Any]:
        self.allow(Action.READ)
        if status not in STATUSES:
            raise InvalidInputError(
                f"status {status!r} is not one of {', '.join(sorted(STATUSES))}",
                details={"field": "status"},
            )
        self._change(model_id, "logged_model.finalize", {"status": status}, status=status)
        return self.get(model_id)

    def set_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        row = self.get(model_id)
        merged = {**row["tags"], **_check_map("tags", tags, check_tag_value)}
        self._change(model_id, "logged_model.tags", {"keys": sorted(tags)}, tags=merged)

    def delete_tag(self, model_id: str, key: str) -> None:
        row = self.get(model_id)
        if key not in row["tags"]:
            raise LoggedModelNotFoundError(f"No tag with key {key!r} on logged model {model_id}")
        rest = {k: v for k, v in row["tags"].items() if k != key}
        self._change(model_id, "logged_model.tags", {"deleted": key}, tags=rest)

    def log_params(self, model_id: str, params: Mapping[str, str]) -> None:
        row = self.get(model_id)
        merged = {**row["params"], **_check_map("params", params, check_param_value)}
        self._change(model_id, "logged_model.params", {"keys": sorted(params)}, params=merged)

    def delete(self, model_id: str) -> None:
        row = self.get(model_id)
        self.allow(Action.DELETE, run_id=row["run_id"])

        def apply(conn: Connection) -> None:
            repo.remove(conn, model_id)
            audit.record_run(
                conn,
                self.principal,
                "logged_model.delete",
                row["run_id"],
                row["project_id"],
                {"model_id": model_id},
            )

        self.db.run_write(apply)

    def _change(self, model_id: str, action: str, details: dict[str, Any], **values: Any) -> None:
        row = self.get(model_id)
        self.allow(Action.WRITE, run_id=row["run_id"])

        def apply(conn: Connection) -> None:
            repo.change(conn, model_id, now_ms(), **values)
            audit.record_run(
                conn,
                self.principal,
                action,
                row["run_id"],
                row["project_id"],
                {"model_id": model_id, **details},
            )

        self.db.run_write(apply)
