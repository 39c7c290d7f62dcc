"""Runs repository: run rows, params and tags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, and_, case, delete, func, select, update

from labledger.core.entities import Run, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import ParamConflictError, RunNotFoundError
from labledger.store import _dialect
from labledger.store.tables import (
    artifacts,
    ingested_batches,
    latest_metrics,
    metric_keys,
    metric_points,
    params,
    projects,
    run_annotations,
    run_datasets,
    run_environments,
    run_seals,
    runs,
    tags,
)

_RUN_COLUMNS = (
    runs.c.pk,
    runs.c.id,
    projects.c.name.label("project"),
    runs.c.name,
    runs.c.status,
    runs.c.start_ms,
    runs.c.end_ms,
    runs.c.user_name,
    runs.c.parent_id,
    runs.c.group_name,
    runs.c.notes,
    runs.c.run_key,
    runs.c.heartbeat_ms,
    runs.c.seal_hash,
    runs.c.sealed_ms,
)


class RunRef(NamedTuple):
    """What a write needs to know about its run before it writes."""

    pk: int
    project_id: int
    status: RunStatus
    sealed: bool
    start_ms: int = 0


def insert_run(
    conn: Connection, project_id: int, run_id: str, spec: RunCreate, name: str, start_ms: int
) -> bool:
    """Insert unless the id or (project, run_key) exists.  Returns True if inserted."""
    stmt = _dialect.insert(conn, runs).values(
        id=run_id,
        project_id=project_id,
        name=name,
        status=RunStatus.RUNNING.value,
        start_ms=start_ms,
        user_name=spec.user,
        parent_id=spec.parent_id,
        group_name=spec.group,
        notes=spec.notes,
        run_key=spec.run_key,
        heartbeat_ms=start_ms,
        writers=1,
    )
    result = conn.execute(stmt.on_conflict_do_nothing().returning(runs.c.pk))
    return result.first() is not None


def find_run_id_by_key(conn: Connection, project_id: int, run_key: str) -> str | None:
    stmt = select(runs.c.id).where(runs.c.project_id == project_id, runs.c.run_key == run_key)
    return conn.execute(stmt).scalar()


def find_run_pk(conn: Connection, run_id: str) -> int | None:
    pk: int | None = conn.scalar(select(runs.c.pk).where(runs.c.id == run_id))
    return pk


def get_run_ref(conn: Connection, run_id: str) -> tuple[int, int]:
    """(run pk, project id) for a run id, or RunNotFoundError."""
    row = conn.execute(select(runs.c.pk, runs.c.project_id).where(runs.c.id == run_id)).first()
    if row is None:
        raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
    return row.pk, row.project_id


def get_run_for_write(conn: Connection, run_id: str) -> RunRef:
    """The run's pk, project, status and whether it is sealed, or RunNotFoundError."""
    row = conn.execute(
        select(
            runs.c.pk, runs.c.project_id, runs.c.status, runs.c.sealed_ms, runs.c.start_ms
        ).where(runs.c.id == run_id)
    ).first()
    if row is None:
        raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
    # sealed_ms is set first (writes stop), seal_hash once the record is hashed
    return RunRef(
        row.pk, row.project_id, RunStatus(row.status), row.sealed_ms is not None, row.start_ms
    )


def revive(conn: Connection, run_pk: int) -> None:
    """A run marked killed for silence (never sealed) whose writer turns out to be alive."""
    conn.execute(
        update(runs)
        .where(runs.c.pk == run_pk, runs.c.sealed_ms.is_(None))
        .values(status=RunStatus.RUNNING.value, end_ms=None)
    )


def add_writer(conn: Connection, run_pk: int) -> None:
    conn.execute(update(runs).where(runs.c.pk == run_pk).values(writers=runs.c.writers + 1))


def release_writer(conn: Connection, run_pk: int) -> int:
    """One writer is done; returns how many are still writing (never below zero)."""
    left: int = conn.execute(
        update(runs)
        .where(runs.c.pk == run_pk)
        .values(writers=case((runs.c.writers > 0, runs.c.writers - 1), else_=0))
        .returning(runs.c.writers)
    ).scalar_one()
    return left


def get_run_by_pk(conn: Connection, run_pk: int) -> Run:
    return load_runs(conn, _base_query().where(runs.c.pk == run_pk))[0]


def _base_query() -> Any:
    return select(*_RUN_COLUMNS).select_from(
        runs.join(projects, projects.c.id == runs.c.project_id)
    )


def _to_entity(row: Row[Any]) -> Run:
    return Run(
        id=row.id,
        project=row.project,
        name=row.name,
        status=RunStatus(row.status),
        start_ms=row.start_ms,
        end_ms=row.end_ms,
        user=row.user_name,
        parent_id=row.parent_id,
        group=row.group_name,
        notes=row.notes,
        run_key=row.run_key,
        heartbeat_ms=row.heartbeat_ms,
        seal_hash=row.seal_hash,
        sealed_ms=row.sealed_ms,
    )


def get_run(conn: Connection, run_id: str) -> Run:
    runs_by_pk = load_runs(conn, _base_query().where(runs.c.id == run_id))
    if not runs_by_pk:
        raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
    return runs_by_pk[0]


def load_runs(conn: Connection, query: Any) -> list[Run]:
    """Run entities (with params, tags, latest metrics) for a query over _RUN_COLUMNS."""
    return list(load_runs_by_pk(conn, query).values())


def load_runs_by_pk(conn: Connection, query: Any) -> dict[int, Run]:
    rows = conn.execute(query).all()
    by_pk = {row.pk: _to_entity(row) for row in rows}
    if not by_pk:
        return by_pk
    pks = list(by_pk)
    for chunk in _chunks(pks, 900):
        for r in conn.execute(
            select(params.c.run_pk, params.c.key, params.c.value).where(params.c.run_pk.in_(chunk))
        ):
            by_pk[r.run_pk].params[r.key] = r.value
        for r in conn.execute(
            select(tags.c.run_pk, tags.c.key, tags.c.value).where(tags.c.run_pk.in_(chunk))
        ):
            by_pk[r.run_pk].tags[r.key] = r.value
        q = (
            select(latest_metrics.c.run_pk, metric_keys.c.name, latest_metrics.c.value)
            .select_from(
                latest_metrics.join(metric_keys, metric_keys.c.id == latest_metrics.c.key_id)
            )
            .where(latest_metrics.c.run_pk.in_(chunk))
        )
        for r in conn.execute(q):
            by_pk[r.run_pk].metrics[r.name] = float("nan") if r.value is None else r.value
    return by_pk


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def update_run(conn: Connection, run_pk: int, change: RunUpdate) -> None:
    values: dict[str, Any] = {}
    if change.status is not None:
        values["status"] = change.status.value
        values["writers"] = 0  # ended: whoever still writes has to resume it
    if change.end_ms is not None:
        values["end_ms"] = change.end_ms
    if change.name is not None:
        values["name"] = change.name
    if change.notes is not None:
        values["notes"] = change.notes
    if values:
        conn.execute(update(runs).where(runs.c.pk == run_pk).values(**values))


def touch_heartbeat(conn: Connection, run_pk: int, now_ms: int) -> None:
    conn.execute(update(runs).where(runs.c.pk == run_pk).values(heartbeat_ms=now_ms))


def _as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def log_params(conn: Connection, run_pk: int, project_id: int, new: Mapping[str, str]) -> None:
    """Write-once params: same value again is fine, a different value raises (nothing written
    by this call survives, the caller's transaction rolls back)."""
    if not new:
        return
    keys = list(new)
    existing: dict[str, str] = {}
    for i in range(0, len(keys), 900):
        rows = conn.execute(
            select(params.c.key, params.c.value).where(
                params.c.run_pk == run_pk, params.c.key.in_(keys[i : i + 900])
            )
        )
        existing.update({r.key: r.value for r in rows})
    for key, value in new.items():
        old = existing.get(key)
        if old is not None and old != value:
            raise ParamConflictError(
                f"param {key!r} is already {old!r}; params are write-once, cannot set {value!r}",
                details={"key": key, "old_value": old, "new_value": value},
            )
    rows_to_add = [
        {
            "run_pk": run_pk,
            "key": k,
            "value": v,
            "value_num": _as_number(v),
            "project_id": project_id,
        }
        for k, v in new.items()
        if k not in existing
    ]
    if rows_to_add:
        stmt = _dialect.insert(conn, params).on_conflict_do_nothing()
        conn.execute(stmt, rows_to_add)


def set_tags(conn: Connection, run_pk: int, project_id: int, new: Mapping[str, str]) -> None:
    if not new:
        return
    stmt = _dialect.insert(conn, tags)
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_pk", "key"], set_={"value": stmt.excluded.value}
    )
    conn.execute(
        stmt,
        [
            {"run_pk": run_pk, "key": k, "value": v, "project_id": project_id}
            for k, v in new.items()
        ],
    )


def delete_tag(conn: Connection, run_pk: int, key: str) -> bool:
    result = conn.execute(delete(tags).where(tags.c.run_pk == run_pk, tags.c.key == key))
    return bool(result.rowcount)


def delete_run(conn: Connection, run_pk: int) -> None:
    """Remove a run and everything recorded for it (its manifest too; blobs stay for GC).
    Other runs are never rewritten: children keep their ``parent_id``."""
    for table in (
        metric_points,
        latest_metrics,
        params,
        tags,
        ingested_batches,
        artifacts,
        run_environments,
        run_datasets,
        run_seals,
        run_annotations,
    ):
        conn.execute(delete(table).where(table.c.run_pk == run_pk))
    conn.execute(delete(runs).where(runs.c.pk == run_pk))


def mark_silent_runs_killed(conn: Connection, cutoff_ms: int) -> list[str]:
    """Runs still ``running`` whose last heartbeat is before ``cutoff_ms`` become ``killed``,
    ended at that heartbeat.  Returns their ids."""
    silent = and_(runs.c.status == RunStatus.RUNNING.value, runs.c.heartbeat_ms < cutoff_ms)
    ids = list(conn.scalars(select(runs.c.id).where(silent)))
    if ids:
        conn.execute(
            update(runs)
            .where(silent, runs.c.id.in_(ids))
            .values(
                status=RunStatus.KILLED.value,
                # ended at the last sign of life, never before it started
                end_ms=case(
                    (runs.c.heartbeat_ms < runs.c.start_ms, runs.c.start_ms),
                    else_=runs.c.heartbeat_ms,
                ),
                writers=0,
            )
        )
    return ids


def count_by_status(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(runs.c.status, func.count()).group_by(runs.c.status))
    return {status: int(count) for status, count in rows}


def project_run_pks(conn: Connection, project_id: int, recent: int | None = None) -> list[int]:
    """The project's runs, newest first (only the ``recent`` latest if given)."""
    query = (
        select(runs.c.pk).where(runs.c.project_id == project_id).order_by(runs.c.start_ms.desc())
    )
    return list(conn.scalars(query if recent is None else query.limit(recent)))


def load_by_pks(conn: Connection, pks: Sequence[int]) -> dict[int, Run]:
    """Run entities (params, tags, latest metrics) by primary key; deleted ones are absent."""
    if not pks:
        return {}
    return load_runs_by_pk(conn, _base_query().where(runs.c.pk.in_(list(pks))))


def pks_in_project(conn: Connection, project_id: int, run_ids: list[str]) -> dict[int, str]:
    """pk -> id of those of ``run_ids`` that are runs of the project."""
    out: dict[int, str] = {}
    for start in range(0, len(run_ids), 500):
        rows = conn.execute(
            select(runs.c.pk, runs.c.id).where(
                runs.c.project_id == project_id, runs.c.id.in_(run_ids[start : start + 500])
            )
        )
        out.update({int(pk): run_id for pk, run_id in rows})
    return out
