"""Deleting runs: a tombstone stays behind, so an id is never reused and a sealed run's
seal outlives the run (``labledger verify`` reports deleted runs)."""

from __future__ import annotations

from labledger.core.errors import InvalidInputError, RunDeletedError
from labledger.core.identity import Principal
from labledger.core.ids import format_ms
from labledger.services import audit
from labledger.store import runs as run_repo
from labledger.store import seals as seal_repo
from labledger.store import tombstones
from labledger.store.database import Connection


def refuse_buried_id(conn: Connection, run_id: str) -> None:
    stone = tombstones.find(conn, run_id)
    if stone is not None:
        raise RunDeletedError(
            f"run id {run_id} belonged to a run deleted at {format_ms(stone['deleted_ms'])}; "
            "ids are never reused",
            details={"field": "id", "run_id": run_id, "deleted_ms": stone["deleted_ms"]},
        )


def delete_run(
    conn: Connection, run_id: str, reason: str | None, now_ms: int, principal: Principal
) -> None:
    """In one transaction: the tombstone (naming who deleted it), the audit entry, then the
    run and everything recorded for it (``RunService.delete_run`` has checked the reason's
    length).  A sealed run needs a reason."""
    ref = run_repo.get_run_for_write(conn, run_id)
    run = run_repo.get_run_by_pk(conn, ref.pk)
    if run.seal_hash is not None and not (reason or "").strip():
        raise InvalidInputError(
            f"run {run_id} is sealed: deleting it needs a reason (it is kept in its tombstone "
            "and the audit log)",
            details={"field": "reason", "run_id": run_id},
        )
    record = seal_repo.seal_record(conn, ref.pk)
    parts = record[1] if record is not None else None
    tombstones.bury(
        conn,
        run_id,
        run.project,
        run.status.value,
        (run.seal_hash, None if parts is None else seal_repo.dump_parts(parts)),
        now_ms,
        reason,
        principal.name,
    )
    audit.record_run(
        conn,
        principal,
        "run.delete",
        run_id,
        ref.project_id,
        {"reason": reason, "sealed": run.seal_hash is not None, "status": run.status.value},
    )
    run_repo.delete_run(conn, ref.pk)
