"""SQL for registered models and their versions: rows, files, tags and descriptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from labledger.core.errors import ModelExistsError, ModelNotFoundError, ModelVersionNotFoundError
from labledger.store import _dialect
from labledger.store.registry_tables import (
    model_aliases,
    model_tags,
    model_versions,
    registered_models,
    version_files,
    version_tags,
)
from labledger.store.tables import latest_metrics, metric_keys, projects, runs

_MODEL = select(
    registered_models.c.id,
    registered_models.c.name,
    registered_models.c.description,
    registered_models.c.created_ms,
    registered_models.c.updated_ms,
    registered_models.c.created_by,
    registered_models.c.project_id,
    projects.c.name.label("project"),
).join(projects, projects.c.id == registered_models.c.project_id)


def insert_model(
    conn: Connection, name: str, project_id: int, description: str, now_ms: int, actor: str
) -> int:
    stmt = (
        _dialect.insert(conn, registered_models)
        .values(
            name=name,
            project_id=project_id,
            description=description,
            created_ms=now_ms,
            updated_ms=now_ms,
            created_by=actor,
        )
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(registered_models.c.id)
    )
    model_id = conn.execute(stmt).scalar()
    if model_id is None:
        raise ModelExistsError(
            f"model {name!r} already exists", details={"field": "name", "model": name}
        )
    return int(model_id)


def find_model(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(_MODEL.where(registered_models.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def get_model(conn: Connection, name: str) -> dict[str, Any]:
    found = find_model(conn, name)
    if found is None:
        raise ModelNotFoundError(f"no model named {name!r}", details={"model": name})
    return found


def model_project(conn: Connection, name: str) -> str | None:
    return conn.execute(
        select(projects.c.name)
        .join(registered_models, registered_models.c.project_id == projects.c.id)
        .where(registered_models.c.name == name)
    ).scalar()


def list_models(
    conn: Connection,
    *,
    projects_in: Iterable[str] | None,
    name_like: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    query = _MODEL
    if projects_in is not None:
        query = query.where(projects.c.name.in_(list(projects_in)))
    if name_like:
        query = query.where(registered_models.c.name.like(name_like))
    if after is not None:
        query = query.where(registered_models.c.name > after)
    rows = conn.execute(query.order_by(registered_models.c.name).limit(limit))
    return [dict(r._mapping) for r in rows]


def touch_model(
    conn: Connection, model_id: int, now_ms: int, description: str | None = None
) -> None:
    """Mark the model changed (an UPDATE, so the row is locked until the transaction ends:
    two registrations of one model take version numbers one after the other)."""
    values: dict[str, Any] = {"updated_ms": now_ms}
    if description is not None:
        values["description"] = description
    conn.execute(update(registered_models).where(registered_models.c.id == model_id).values(values))


def rename_model(conn: Connection, model_id: int, name: str, now_ms: int) -> None:
    conn.execute(
        update(registered_models)
        .where(registered_models.c.id == model_id)
        .values(name=name, updated_ms=now_ms)
    )


def delete_model(conn: Connection, model_id: int) -> None:
    version_ids = select(model_versions.c.id).where(model_versions.c.model_id == model_id)
    conn.execute(delete(version_files).where(version_files.c.version_id.in_(version_ids)))
    conn.execute(delete(version_tags).where(version_tags.c.version_id.in_(version_ids)))
    conn.execute(delete(model_versions).where(model_versions.c.model_id == model_id))
    conn.execute(delete(model_tags).where(model_tags.c.model_id == model_id))
    conn.execute(delete(registered_models).where(registered_models.c.id == model_id))


def set_tags(
    conn: Connection, table: Any, owner: str, owner_id: int, new: Mapping[str, str]
) -> None:
    """Upsert tags of a model (``model_tags``, owner column ``model_id``) or a version."""
    for key, value in new.items():
        stmt = _dialect.insert(conn, table).values({owner: owner_id, "key": key, "value": value})
        conn.execute(
            stmt.on_conflict_do_update(index_elements=[owner, "key"], set_={"value": value})
        )


def delete_tag(conn: Connection, table: Any, owner: str, owner_id: int, key: str) -> bool:
    result = conn.execute(delete(table).where(table.c[owner] == owner_id, table.c.key == key))
    return result.rowcount > 0


def tags_of(
    conn: Connection, table: Any, owner: str, ids: Sequence[int]
) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    if not ids:
        return out
    rows = conn.execute(select(table).where(table.c[owner].in_(list(ids))).order_by(table.c.key))
    for row in rows:
        out[row._mapping[owner]][row.key] = row.value
    return out


def model_tags_of(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    return tags_of(conn, model_tags, "model_id", ids)


def version_tags_of(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    return tags_of(conn, version_tags, "version_id", ids)


# -- versions ---------------------------------------------------------------------------------

_VERSION = (
    select(
        model_versions,
        registered_models.c.name.label("model"),
        projects.c.name.label("project"),
    )
    .join(registered_models, registered_models.c.id == model_versions.c.model_id)
    .join(projects, projects.c.id == registered_models.c.project_id)
)


def next_version(conn: Connection, model_id: int) -> int:
    top = conn.execute(
        select(func.max(model_versions.c.version)).where(model_versions.c.model_id == model_id)
    ).scalar()
    return int(top or 0) + 1


def insert_version(
    conn: Connection, row: Mapping[str, Any], files: Sequence[tuple[str, str, int]]
) -> int:
    version_id = conn.execute(
        model_versions.insert().values(dict(row)).returning(model_versions.c.id)
    ).scalar_one()
    if files:
        conn.execute(
            version_files.insert(),
            [{"version_id": version_id, "path": p, "digest": d, "size": s} for p, d, s in files],
        )
    return int(version_id)


def get_version(conn: Connection, model_id: int, version: int, model: str = "") -> dict[str, Any]:
    row = conn.execute(
        _VERSION.where(model_versions.c.model_id == model_id, model_versions.c.version == version)
    ).first()
    if row is None:
        raise ModelVersionNotFoundError(
            f"model {model!r} has no version {version}",
            details={"model": model, "version": version},
        )
    return dict(row._mapping)


def find_version(conn: Connection, model_id: int, version: int) -> dict[str, Any] | None:
    row = conn.execute(
        _VERSION.where(model_versions.c.model_id == model_id, model_versions.c.version == version)
    ).first()
    return None if row is None else dict(row._mapping)


def versions_by_id(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = conn.execute(_VERSION.where(model_versions.c.id.in_(list(ids))))
    by_id = {r.id: dict(r._mapping) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def list_versions(conn: Connection, model_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        _VERSION.where(model_versions.c.model_id == model_id).order_by(model_versions.c.version)
    )
    return [dict(r._mapping) for r in rows]


def files_of(conn: Connection, version_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(version_files.c.path, version_files.c.digest, version_files.c.size)
        .where(version_files.c.version_id == version_id)
        .order_by(version_files.c.path)
    )
    return [dict(r._mapping) for r in rows]


def files_of_many(conn: Connection, version_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in version_ids}
    if not version_ids:
        return out
    rows = conn.execute(
        select(version_files)
        .where(version_files.c.version_id.in_(list(version_ids)))
        .order_by(version_files.c.version_id, version_files.c.path)
    )
    for r in rows:
        out[r.version_id].append({"path": r.path, "digest": r.digest, "size": r.size})
    return out


def update_version(conn: Connection, version_id: int, description: str) -> None:
    conn.execute(
        update(model_versions)
        .where(model_versions.c.id == version_id)
        .values(description=description)
    )


def delete_version(conn: Connection, version_id: int) -> None:
    conn.execute(delete(version_files).where(version_files.c.version_id == version_id))
    conn.execute(delete(version_tags).where(version_tags.c.version_id == version_id))
    conn.execute(delete(model_versions).where(model_versions.c.id == version_id))


def aliases_of(conn: Connection, version_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in version_ids}
    if not version_ids:
        return out
    rows = conn.execute(
        select(model_aliases.c.version_id, model_aliases.c.alias)
        .where(model_aliases.c.version_id.in_(list(version_ids)))
        .order_by(model_aliases.c.alias)
    )
    for row in rows:
        out[row.version_id].append(row.alias)
    return out


def count_versions(conn: Connection, model_ids: Sequence[int]) -> dict[int, int]:
    if not model_ids:
        return {}
    rows = conn.execute(
        select(model_versions.c.model_id, func.count())
        .where(model_versions.c.model_id.in_(list(model_ids)))
        .group_by(model_versions.c.model_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def run_summaries(
    conn: Connection, run_pks: Sequence[int]
) -> dict[int, tuple[str, str, dict[str, float]]]:
    """(name, status, latest metrics) of source runs by primary key (two statements; a
    deleted run is absent)."""
    if not run_pks:
        return {}
    pks = list(run_pks)
    out: dict[int, tuple[str, str, dict[str, float]]] = {
        r.pk: (r.name, r.status, {})
        for r in conn.execute(
            select(runs.c.pk, runs.c.name, runs.c.status).where(runs.c.pk.in_(pks))
        )
    }
    rows = conn.execute(
        select(latest_metrics.c.run_pk, metric_keys.c.name, latest_metrics.c.value)
        .join(metric_keys, metric_keys.c.id == latest_metrics.c.key_id)
        .where(latest_metrics.c.run_pk.in_(pks))
    )
    for r in rows:
        if r.run_pk in out:
            out[r.run_pk][2][r.name] = float("nan") if r.value is None else r.value
    return out
