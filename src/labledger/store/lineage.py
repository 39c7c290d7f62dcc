"""SQL for walking lineage: who used a dataset or a blob, which versions came from a run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from labledger.store.registry_tables import model_versions, registered_models, version_files
from labledger.store.tables import artifacts, projects, run_datasets, runs

_RUN = select(
    runs.c.pk, runs.c.id, runs.c.name, runs.c.status, projects.c.name.label("project")
).join(projects, projects.c.id == runs.c.project_id)


def run_row(conn: Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(_RUN.where(runs.c.id == run_id)).first()
    return None if row is None else dict(row._mapping)


def runs_using_dataset(conn: Connection, digest: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        _RUN.add_columns(run_datasets.c.name.label("dataset"), run_datasets.c.role)
        .join(run_datasets, run_datasets.c.run_pk == runs.c.pk)
        .where(run_datasets.c.digest == digest)
        .order_by(runs.c.pk)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def runs_with_blob(conn: Connection, digest: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        _RUN.add_columns(artifacts.c.path)
        .join(artifacts, artifacts.c.run_pk == runs.c.pk)
        .where(artifacts.c.digest == digest)
        .order_by(runs.c.pk)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


_VERSION = (
    select(
        model_versions.c.id,
        model_versions.c.version,
        model_versions.c.run_id,
        model_versions.c.path,
        model_versions.c.digest,
        registered_models.c.name.label("model"),
        projects.c.name.label("project"),
    )
    .join(registered_models, registered_models.c.id == model_versions.c.model_id)
    .join(projects, projects.c.id == registered_models.c.project_id)
)


def versions_of_run(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        _VERSION.where(model_versions.c.run_id == run_id).order_by(model_versions.c.id)
    )
    return [dict(r._mapping) for r in rows]


def versions_with_blob(conn: Connection, digest: str, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        _VERSION.join(version_files, version_files.c.version_id == model_versions.c.id)
        .where(version_files.c.digest == digest)
        .order_by(model_versions.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def version_row(conn: Connection, model: str, version: int) -> dict[str, Any] | None:
    row = conn.execute(
        _VERSION.where(registered_models.c.name == model, model_versions.c.version == version)
    ).first()
    return None if row is None else dict(row._mapping)


def version_by_id(conn: Connection, version_id: int) -> dict[str, Any] | None:
    row = conn.execute(_VERSION.where(model_versions.c.id == version_id)).first()
    return None if row is None else dict(row._mapping)
