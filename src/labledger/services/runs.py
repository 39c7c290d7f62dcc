"""RunService: creating/resuming runs, state changes, and atomic idempotent batches."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labledger.core import limits
from labledger.core.batches import parse_batch
from labledger.core.entities import Batch, Run, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import (
    InvalidInputError,
    RunKeyConflictError,
    RunNotFoundError,
    RunStateError,
)
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id, new_id, now_ms
from labledger.core.validation import check_key, check_run_create, check_str, check_timestamp
from labledger.services import audit, deletion, sealing
from labledger.services.access import Guarded
from labledger.services.members import own_new_project
from labledger.services.names import random_run_name
from labledger.services.redaction import redact_batch, redact_create, redact_update
from labledger.store import metrics as metric_repo
from labledger.store import projects as project_repo
from labledger.store import provenance as prov_repo
from labledger.store import runs as run_repo
from labledger.store import seals as seal_repo
from labledger.store.database import Connection
from labledger.store.runs import RunRef


@dataclass(frozen=True, slots=True)
class BatchResult:
    points: int
    duplicate: bool


def _with_end_time(change: RunUpdate, ref: RunRef) -> RunUpdate:
    """A run ends after it starts: an explicit ``end_ms`` before ``start_ms`` is refused; an
    end stamped now is never earlier than a start the client chose in the future."""
    if change.end_ms is not None and change.end_ms < ref.start_ms:
        raise InvalidInputError(
            f"end_ms {change.end_ms} is before the run's start_ms {ref.start_ms}",
            details={"field": "end_ms", "start_ms": ref.start_ms},
        )
    if change.status is not None and change.status.is_terminal and change.end_ms is None:
        return dataclasses.replace(change, end_ms=max(now_ms(), ref.start_ms))
    return change


def _change_details(change: RunUpdate, ref: RunRef) -> dict[str, Any]:
    details: dict[str, Any] = {"was": ref.status.value}
    if change.status is not None:
        details["status"] = change.status.value
    if change.name is not None:
        details["name"] = change.name
    if change.notes is not None:
        details["notes"] = True
    if change.end_ms is not None:
        details["end_ms"] = change.end_ms
    return details


def _batch_details(batch: Batch) -> dict[str, Any]:
    """What an audited batch changed: keys, never values (values can be large)."""
    details: dict[str, Any] = {}
    if batch.params:
        details["params"] = sorted(batch.params)[:100]
    if batch.tags:
        details["tags"] = sorted(batch.tags)[:100]
    if batch.environment is not None:
        details["environment"] = True
    if batch.datasets:
        details["datasets"] = len(batch.datasets)
    return details


class RunService(Guarded):
    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        """Create a run, or return the existing one for the same id or (project, run_key).

        Returns (run, created).  Safe when several processes race on the same run_key.
        """
        self.allow(Action.WRITE, project=spec.project)
        spec = check_run_create(redact_create(spec))  # credentials are never stored
        created = self.db.run_write(self._create, spec)
        with self.db.read() as conn:
            run_id = created[0]
            return run_repo.get_run(conn, run_id), created[1]

    def _create(self, conn: Connection, spec: RunCreate) -> tuple[str, bool]:
        now = now_ms()
        project_id, new_project = project_repo.create_project_if_missing(conn, spec.project, now)
        if new_project:
            own_new_project(conn, self.principal, project_id, spec.project)
        else:  # it may have been created by someone else since the check: ask again
            self.allow(Action.WRITE, project=spec.project)
        if spec.parent_id is not None:
            run_repo.get_run_ref(conn, spec.parent_id)
        if spec.run_key is not None:
            existing = run_repo.find_run_id_by_key(conn, project_id, spec.run_key)
            if existing is not None:
                return self._resume(conn, existing, spec), False
        run_id = spec.id or new_id()
        deletion.refuse_buried_id(conn, run_id)
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
        audit.record_run(
            conn,
            self.principal,
            "run.create",
            run_id,
            project_id,
            {
                "name": spec.name,
                "run_key": spec.run_key,
                "parent_id": spec.parent_id,
                "params": sorted(spec.params),
                "tags": sorted(spec.tags),
            },
        )
        return run_id, True

    def _resume(self, conn: Connection, run_id: str, spec: RunCreate) -> str:
        """The existing run, active again.  A sealed run is returned as it is: it takes no
        writes, and the SDK says so before the training starts."""
        ref = run_repo.get_run_for_write(conn, run_id)
        if ref.sealed:
            return run_id
        run_repo.log_params(conn, ref.pk, ref.project_id, spec.params)
        run_repo.set_tags(conn, ref.pk, ref.project_id, spec.tags)
        audit.record_run(
            conn,
            self.principal,
            "run.resume",
            run_id,
            ref.project_id,
            {
                "status": ref.status.value,
                "params": sorted(spec.params),
                "tags": sorted(spec.tags),
            },
        )
        run_repo.revive(conn, ref.pk)  # a failed or killed run resumed (a CI retry)
        run_repo.add_writer(conn, ref.pk)
        run_repo.touch_heartbeat(conn, ref.pk, now_ms())
        return run_id

    def get_run(self, run_id: str) -> Run:
        self.allow(Action.READ, run_id=run_id)
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        with self.db.read() as conn:
            return run_repo.get_run(conn, run_id)

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        self.allow(Action.WRITE, run_id=run_id)
        change = redact_update(change)  # notes: credentials are never stored
        if change.name is not None:
            check_str("name", change.name, limits.MAX_RUN_NAME)
        if change.notes is not None:
            check_str("notes", change.notes, limits.MAX_NOTES, allow_empty=True)
        if change.end_ms is not None:
            check_timestamp("end_ms", change.end_ms)
        if change.status is RunStatus.RUNNING:
            raise InvalidInputError(
                "status can only move to finished, failed or killed", details={"field": "status"}
            )

        def apply(conn: Connection) -> int | None:
            nonlocal change
            ref = run_repo.get_run_for_write(conn, run_id)
            if ref.sealed:
                self._update_sealed(conn, ref, run_id, change)
                return None
            change = _with_end_time(change, ref)
            audit.record_run(
                conn,
                self.principal,
                "run.update",
                run_id,
                ref.project_id,
                _change_details(change, ref),
            )
            if change.release and change.status is not None:
                if run_repo.release_writer(conn, ref.pk) > 0:  # others still write to it
                    run_repo.update_run(
                        conn, ref.pk, RunUpdate(name=change.name, notes=change.notes)
                    )
                    return None
            run_repo.update_run(conn, ref.pk, change)
            if change.status is RunStatus.FINISHED:
                sealing.begin_seal(conn, ref.pk, now_ms())  # from here writes are refused
                return ref.pk
            return None

        to_seal: int | None = self.db.run_write(apply)
        if to_seal is not None:
            self._complete_seal(to_seal)
        return self.get_run(run_id)

    def _complete_seal(self, run_pk: int) -> None:
        """Hash the record outside the write transaction (a long history takes seconds to
        read, and SQLite would hold its one write lock meanwhile), then store the seal.  The
        run refuses writes since ``begin_seal``, so the read sees the final record."""
        with self.db.read() as conn:
            parts = sealing.record_parts(conn, run_pk)
        self.db.run_write(sealing.store_seal, run_pk, parts)

    def _update_sealed(self, conn: Connection, ref: RunRef, run_id: str, change: RunUpdate) -> None:
        """Notes may change (recorded); the same status again is a retry; nothing else."""
        if change.name is not None or change.status not in (None, ref.status):
            sealing.refuse_if_sealed(ref, run_id, "changing its name or status")
        if change.notes is not None:
            old = run_repo.get_run_by_pk(conn, ref.pk).notes
            if old != change.notes:
                run_repo.update_run(conn, ref.pk, RunUpdate(notes=change.notes))
                prov_repo.record_annotation(conn, ref.pk, "notes", old, change.notes, now_ms())
                audit.record_run(
                    conn,
                    self.principal,
                    "run.annotate",
                    run_id,
                    ref.project_id,
                    {"fields": ["notes"]},
                )

    def seal_run(self, run_id: str) -> Run:
        """Seal an ended run now (a failed or killed run is not sealed on its own, so that
        a retry can resume it).  Sealing a sealed run again changes nothing.  Maintainers."""
        self.allow(Action.MAINTAIN, run_id=run_id)
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})

        def apply(conn: Connection) -> int | None:
            ref = run_repo.get_run_for_write(conn, run_id)
            if ref.sealed and seal_repo.get_seal(conn, ref.pk) is not None:
                return None
            if ref.sealed:  # interrupted, or its hash removed: only over an unchanged record
                sealing.check_resumable(conn, ref.pk, run_id)
                audit.record_run(
                    conn, self.principal, "run.seal", run_id, ref.project_id, {"completed": True}
                )
                return ref.pk
            if not ref.status.is_terminal:
                raise RunStateError(
                    f"run {run_id} is still running; only an ended run can be sealed",
                    details={"run_id": run_id, "status": ref.status.value},
                )
            sealing.begin_seal(conn, ref.pk, now_ms())
            audit.record_run(conn, self.principal, "run.seal", run_id, ref.project_id)
            return ref.pk

        to_seal: int | None = self.db.run_write(apply)
        if to_seal is not None:
            self._complete_seal(to_seal)
        return self.get_run(run_id)

    def log_batch(self, run_id: str, batch: Batch | Mapping[str, Any]) -> BatchResult:
        """Store a batch atomically: all of it or none.  A batch id seen before is a no-op.

        ``batch`` is the wire form (a JSON object: metrics as columns, params, tags,
        environment, datasets), checked here by ``parse_batch``, or a ``Batch`` an SDK built
        with the same checks."""
        self.allow(Action.WRITE, run_id=run_id)
        if not isinstance(batch, Batch):
            if not isinstance(batch, Mapping):
                raise InvalidInputError("the body must be a JSON object", details={"field": "body"})
            batch = parse_batch(batch)
        batch = redact_batch(batch)  # params and tags: credentials are never stored

        def apply(conn: Connection) -> BatchResult:
            ref = run_repo.get_run_for_write(conn, run_id)
            now = now_ms()
            if batch.batch_id is not None and not metric_repo.claim_batch(
                conn, ref.pk, batch.batch_id, now
            ):
                return BatchResult(points=0, duplicate=True)
            if ref.sealed:
                self._annotate(conn, ref, run_id, batch, now)
                return BatchResult(points=0, duplicate=False)
            if ref.status is RunStatus.KILLED:
                run_repo.revive(conn, ref.pk)  # marked killed for silence, yet still writing
            run_repo.log_params(conn, ref.pk, ref.project_id, batch.params)
            run_repo.set_tags(conn, ref.pk, ref.project_id, batch.tags)
            if batch.params or batch.tags or batch.environment is not None or batch.datasets:
                audit.record_run(
                    conn, self.principal, "run.log", run_id, ref.project_id, _batch_details(batch)
                )
            points = metric_repo.insert_points(self.db, conn, ref.pk, ref.project_id, batch.metrics)
            if batch.environment is not None:
                prov_repo.set_environment(conn, ref.pk, batch.environment, now)
            if batch.datasets:
                prov_repo.add_datasets(conn, ref.pk, ref.project_id, batch.datasets, now)
            run_repo.touch_heartbeat(conn, ref.pk, now)
            return BatchResult(points=points, duplicate=False)

        result: BatchResult = self.db.run_write(apply)
        return result

    def _annotate(self, conn: Connection, ref: RunRef, run_id: str, batch: Batch, now: int) -> None:
        """A sealed run takes a batch of annotation tags only; each change is recorded."""
        only_annotations = (
            batch.tags
            and all(sealing.is_annotation(k) for k in batch.tags)
            and not (batch.metrics or batch.params or batch.environment or batch.datasets)
        )
        if not only_annotations:
            sealing.refuse_if_sealed(ref, run_id, "logging to it")
        current = run_repo.get_run_by_pk(conn, ref.pk).tags
        changed = {k: v for k, v in batch.tags.items() if current.get(k) != v}
        run_repo.set_tags(conn, ref.pk, ref.project_id, changed)
        for key, value in changed.items():
            prov_repo.record_annotation(conn, ref.pk, f"tags.{key}", current.get(key), value, now)
        if changed:
            audit.record_run(
                conn,
                self.principal,
                "run.annotate",
                run_id,
                ref.project_id,
                {"tags": sorted(changed)},
            )

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag (a tag the run does not have: nothing to do)."""
        self.allow(Action.WRITE, run_id=run_id)
        check_key("key", key)  # no tag could have another key: refused, not ignored

        def apply(conn: Connection) -> None:
            ref = run_repo.get_run_for_write(conn, run_id)
            if ref.sealed:
                if not sealing.is_annotation(key):
                    sealing.refuse_if_sealed(ref, run_id, f"deleting tag {key!r}")
                old = run_repo.get_run_by_pk(conn, ref.pk).tags.get(key)
                if old is not None:
                    prov_repo.record_annotation(conn, ref.pk, f"tags.{key}", old, None, now_ms())
            if run_repo.delete_tag(conn, ref.pk, key):
                audit.record_run(
                    conn, self.principal, "run.delete_tag", run_id, ref.project_id, {"key": key}
                )

        self.db.run_write(apply)

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        """Delete a run with its metrics, params, tags and artifact manifest, leaving a
        tombstone (id, project, status, seal, time, reason): the id is never used again and
        ``verify`` reports it.  Other runs are not touched (children keep their parent id)."""
        self.allow(Action.DELETE, run_id=run_id)
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        if reason is not None:
            check_str("reason", reason, limits.MAX_DELETE_REASON)
        self.db.run_write(deletion.delete_run, run_id, reason, now_ms(), self.principal)

    def heartbeat(self, run_id: str) -> None:
        """A writer is alive: keeps the run from being marked killed."""
        self.allow(Action.WRITE, run_id=run_id)
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})

        def apply(conn: Connection) -> None:
            ref = run_repo.get_run_for_write(conn, run_id)
            if ref.status is RunStatus.KILLED and not ref.sealed:
                run_repo.revive(conn, ref.pk)  # marked killed for silence, yet alive
            run_repo.touch_heartbeat(conn, ref.pk, now_ms())

        self.db.run_write(apply)

    def mark_silent_runs_killed(self, timeout_ms: int) -> list[str]:
        """Runs with no heartbeat for ``timeout_ms`` become ``killed`` (ended at their last
        heartbeat) instead of staying ``running`` forever."""
        self.allow(Action.ADMIN)

        def apply(conn: Connection) -> list[str]:
            killed = run_repo.mark_silent_runs_killed(conn, now_ms() - timeout_ms)
            for run_id in killed:
                _, project_id = run_repo.get_run_ref(conn, run_id)
                audit.record_run(
                    conn,
                    self.principal,
                    "run.killed",
                    run_id,
                    project_id,
                    {"why": f"no heartbeat for {timeout_ms} ms"},
                )
            return killed

        ids: list[str] = self.db.run_write(apply)
        return ids

    def count_by_status(self) -> dict[str, int]:
        self.allow(Action.ADMIN)
        with self.db.read() as conn:
            return run_repo.count_by_status(conn)
