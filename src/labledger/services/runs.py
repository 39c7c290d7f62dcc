"""RunService: creating/resuming runs, state changes, and atomic idempotent batches."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from labledger.core import limits
from labledger.core.entities import Batch, Run, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import InvalidInputError, RunKeyConflictError, RunNotFoundError
from labledger.core.ids import is_valid_id, new_id, now_ms
from labledger.core.validation import (
    check_params,
    check_project_name,
    check_str,
    check_tags,
    check_timestamp,
)
from labledger.services.names import random_run_name
from labledger.store import metrics as metric_repo
from labledger.store import projects as project_repo
from labledger.store import runs as run_repo
from labledger.store.database import Database


@dataclass(frozen=True, slots=True)
class BatchResult:
    points: int
    duplicate: bool


def _validate_create(spec: RunCreate) -> RunCreate:
    check_project_name(spec.project)
    if spec.id is not None and not is_valid_id(spec.id):
        raise InvalidInputError("id must be 32 lowercase hex characters", details={"field": "id"})
    if spec.parent_id is not None and not is_valid_id(spec.parent_id):
        raise InvalidInputError(
            "parent_id must be 32 lowercase hex characters", details={"field": "parent_id"}
        )
    for field, value, limit in (
        ("name", spec.name, limits.MAX_RUN_NAME),
        ("run_key", spec.run_key, limits.MAX_RUN_KEY),
        ("user", spec.user, limits.MAX_USER),
        ("group", spec.group, limits.MAX_GROUP),
        ("notes", spec.notes, limits.MAX_NOTES),
    ):
        if value is not None:
            check_str(field, value, limit, allow_empty=field == "notes")
    if spec.start_ms is not None:
        check_timestamp("start_ms", spec.start_ms)
    check_params("params", spec.params)
    check_tags("tags", spec.tags)
    return spec


class RunService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        """Create a run, or return the existing one for the same id or (project, run_key).

        Returns (run, created).  Safe when several processes race on the same run_key.
        """
        spec = _validate_create(spec)
        created = self.db.run_write(self._create, spec)
        with self.db.read() as conn:
            run_id = created[0]
            return run_repo.get_run(conn, run_id), created[1]

    def _create(self, conn: Connection, spec: RunCreate) -> tuple[str, bool]:
        now = now_ms()
        project_id = project_repo.get_or_create_project_id(conn, spec.project, now)
        if spec.parent_id is not None:
            run_repo.get_run_ref(conn, spec.parent_id)
        if spec.run_key is not None:
            existing = run_repo.find_run_id_by_key(conn, project_id, spec.run_key)
            if existing is not None:
                return self._resume(conn, existing, spec), False
        run_id = spec.id or new_id()
        inserted = run_repo.insert_run(
            conn, project_id, run_id, spec, spec.name or random_run_name(), spec.start_ms or now
        )
        if not inserted:
            if spec.run_key is not None:
                existing = run_repo.find_run_id_by_key(conn, project_id, spec.run_key)
                if existing is not None:
                    return self._resume(conn, existing, spec), False
            other_pk, other_project = run_repo.get_run_ref(conn, run_id)
            if other_project != project_id:
                raise RunKeyConflictError(
                    f"run id {run_id} already exists in another project", details={"field": "id"}
                )
            return self._resume(conn, run_id, spec), False
        run_pk, _ = run_repo.get_run_ref(conn, run_id)
        run_repo.log_params(conn, run_pk, project_id, spec.params)
        run_repo.set_tags(conn, run_pk, project_id, spec.tags)
        return run_id, True

    def _resume(self, conn: Connection, run_id: str, spec: RunCreate) -> str:
        run_pk, project_id = run_repo.get_run_ref(conn, run_id)
        run_repo.log_params(conn, run_pk, project_id, spec.params)
        run_repo.set_tags(conn, run_pk, project_id, spec.tags)
        run_repo.touch_heartbeat(conn, run_pk, now_ms())
        return run_id

    def get_run(self, run_id: str) -> Run:
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        with self.db.read() as conn:
            return run_repo.get_run(conn, run_id)

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        if change.name is not None:
            check_str("name", change.name, limits.MAX_RUN_NAME)
        if change.notes is not None:
            check_str("notes", change.notes, limits.MAX_NOTES, allow_empty=True)
        if change.end_ms is not None:
            check_timestamp("end_ms", change.end_ms)
        if change.status is not None and change.status.is_terminal and change.end_ms is None:
            change = RunUpdate(
                status=change.status, end_ms=now_ms(), name=change.name, notes=change.notes
            )
        if change.status is RunStatus.RUNNING:
            raise InvalidInputError(
                "status can only move to finished, failed or killed", details={"field": "status"}
            )

        def apply(conn: Connection) -> None:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            run_repo.update_run(conn, run_pk, change)

        self.db.run_write(apply)
        return self.get_run(run_id)

    def log_batch(self, run_id: str, batch: Batch) -> BatchResult:
        """Store a batch atomically: all of it or none.  A batch id seen before is a no-op."""

        def apply(conn: Connection) -> BatchResult:
            run_pk, project_id = run_repo.get_run_ref(conn, run_id)
            now = now_ms()
            if batch.batch_id is not None and not metric_repo.claim_batch(
                conn, run_pk, batch.batch_id, now
            ):
                return BatchResult(points=0, duplicate=True)
            run_repo.log_params(conn, run_pk, project_id, batch.params)
            run_repo.set_tags(conn, run_pk, project_id, batch.tags)
            points = metric_repo.insert_points(self.db, conn, run_pk, project_id, batch.metrics)
            run_repo.touch_heartbeat(conn, run_pk, now)
            return BatchResult(points=points, duplicate=False)

        result: BatchResult = self.db.run_write(apply)
        return result

    def delete_tag(self, run_id: str, key: str) -> None:
        def apply(conn: Connection) -> None:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            run_repo.delete_tag(conn, run_pk, key)

        self.db.run_write(apply)

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its metrics, params, tags and artifact manifest."""
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})

        def apply(conn: Connection) -> None:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            run_repo.delete_run(conn, run_pk)

        self.db.run_write(apply)

    def heartbeat(self, run_id: str) -> None:
        """A writer is alive: keeps the run from being marked killed."""
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})

        def apply(conn: Connection) -> None:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            run_repo.touch_heartbeat(conn, run_pk, now_ms())

        self.db.run_write(apply)

    def mark_silent_runs_killed(self, timeout_ms: int) -> list[str]:
        """Runs with no heartbeat for ``timeout_ms`` become ``killed`` (ended at their last
        heartbeat) instead of staying ``running`` forever."""
        ids: list[str] = self.db.run_write(run_repo.mark_silent_runs_killed, now_ms() - timeout_ms)
        return ids

    def count_by_status(self) -> dict[str, int]:
        with self.db.read() as conn:
            return run_repo.count_by_status(conn)
