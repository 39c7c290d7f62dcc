"""SQL for provenance: a run's environment document, the datasets it used, the fields a
project requires, and the changes a sealed run took (annotations)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select

from labledger.core.entities import DatasetRef
from labledger.core.errors import DatasetChangedError, EnvironmentConflictError
from labledger.core.provenance import canonical_json, sha256_hex
from labledger.store._dialect import insert
from labledger.store.tables import (
    dataset_versions,
    project_requirements,
    run_annotations,
    run_datasets,
    run_environments,
)


def set_environment(conn: Connection, run_pk: int, document: dict[str, Any], now_ms: int) -> None:
    """Write-once: the same document again is fine, a different one is a conflict."""
    digest = sha256_hex(canonical_json(document))
    old = conn.execute(
        select(run_environments.c.digest).where(run_environments.c.run_pk == run_pk)
    ).scalar()
    if old is not None:
        if old != digest:
            raise EnvironmentConflictError(
                "this run's environment was already recorded; it is write-once",
                details={"field": "environment", "digest": old},
            )
        return
    conn.execute(
        insert(conn, run_environments)
        .values(
            run_pk=run_pk,
            digest=digest,
            document=json.dumps(document, sort_keys=True, ensure_ascii=False),
            created_ms=now_ms,
        )
        .on_conflict_do_nothing()
    )


def get_environment(conn: Connection, run_pk: int) -> tuple[dict[str, Any], str] | None:
    """(document, digest of its canonical form), or None when nothing was captured."""
    row = conn.execute(
        select(run_environments.c.document, run_environments.c.digest).where(
            run_environments.c.run_pk == run_pk
        )
    ).first()
    if row is None:
        return None
    document: dict[str, Any] = json.loads(row.document)
    return document, row.digest


def environment_digest(conn: Connection, run_pk: int) -> str | None:
    """The digest of the document as it is stored now (recomputed, not the recorded one)."""
    text = conn.execute(
        select(run_environments.c.document).where(run_environments.c.run_pk == run_pk)
    ).scalar()
    return None if text is None else sha256_hex(canonical_json(json.loads(text)))


def add_datasets(
    conn: Connection, run_pk: int, project_id: int, refs: tuple[DatasetRef, ...], now_ms: int
) -> None:
    """Record each dataset version once (by digest) and the run's use of it.  The same name
    and role again with other content in one run is refused."""
    for ref in refs:
        conn.execute(
            insert(conn, dataset_versions)
            .values(
                digest=ref.digest,
                size=ref.size,
                files=ref.files,
                rows=ref.rows,
                format=ref.format,
                schema=None if ref.schema is None else json.dumps([list(c) for c in ref.schema]),
                first_seen_ms=now_ms,
            )
            .on_conflict_do_nothing()
        )
        old = conn.execute(
            select(run_datasets.c.digest).where(
                run_datasets.c.run_pk == run_pk,
                run_datasets.c.name == ref.name,
                run_datasets.c.role == ref.role,
            )
        ).scalar()
        if old is not None and old != ref.digest:
            raise DatasetChangedError(
                f"dataset {ref.name!r} ({ref.role}) was already logged in this run with "
                f"digest {old}; now it is {ref.digest}",
                details={"name": ref.name, "role": ref.role, "expected": old, "actual": ref.digest},
            )
        if old is None:
            conn.execute(
                insert(conn, run_datasets)
                .values(
                    run_pk=run_pk,
                    name=ref.name,
                    role=ref.role,
                    uri=ref.uri,
                    digest=ref.digest,
                    project_id=project_id,
                    created_ms=now_ms,
                )
                .on_conflict_do_nothing()
            )


def list_datasets(conn: Connection, run_pk: int) -> list[DatasetRef]:
    rows = conn.execute(
        select(run_datasets, dataset_versions)
        .select_from(
            run_datasets.join(dataset_versions, dataset_versions.c.digest == run_datasets.c.digest)
        )
        .where(run_datasets.c.run_pk == run_pk)
        .order_by(run_datasets.c.name, run_datasets.c.role)
    ).mappings()
    return [
        DatasetRef(
            name=r["name"],
            role=r["role"],
            uri=r["uri"],
            digest=r["digest"],
            size=r["size"],
            files=r["files"],
            rows=r["rows"],
            format=r["format"],
            schema=None if r["schema"] is None else [tuple(c) for c in json.loads(r["schema"])],
        )
        for r in rows
    ]


def record_annotation(
    conn: Connection, run_pk: int, field: str, old: str | None, new: str | None, now_ms: int
) -> None:
    conn.execute(
        run_annotations.insert().values(
            run_pk=run_pk, field=field, old_value=old, new_value=new, changed_ms=now_ms
        )
    )


def list_annotations(conn: Connection, run_pk: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            run_annotations.c.field,
            run_annotations.c.old_value,
            run_annotations.c.new_value,
            run_annotations.c.changed_ms,
        )
        .where(run_annotations.c.run_pk == run_pk)
        .order_by(run_annotations.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def set_requirements(conn: Connection, project_id: int, fields: list[str]) -> None:
    conn.execute(
        delete(project_requirements).where(project_requirements.c.project_id == project_id)
    )
    if fields:
        conn.execute(
            project_requirements.insert(),
            [{"project_id": project_id, "field": f} for f in fields],
        )


def projects_with_requirements(conn: Connection) -> list[str]:
    from labledger.store.tables import projects

    query = (
        select(projects.c.name)
        .where(projects.c.id.in_(select(project_requirements.c.project_id)))
        .order_by(projects.c.name)
    )
    return list(conn.scalars(query))


def get_requirements(conn: Connection, project_id: int) -> list[str]:
    return list(
        conn.scalars(
            select(project_requirements.c.field)
            .where(project_requirements.c.project_id == project_id)
            .order_by(project_requirements.c.field)
        )
    )
