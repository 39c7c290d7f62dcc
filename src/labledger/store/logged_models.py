"""MLflow 3's logged models (``tables.logged_models``): rows by id, run or project."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update

from labledger.store.database import Connection
from labledger.store.tables import logged_models, projects


def _row(r: Any) -> dict[str, Any]:
    row = dict(r._mapping)
    row["params"] = json.loads(row["params"])
    row["tags"] = json.loads(row["tags"])
    return row


def _select() -> Any:
    return select(logged_models, projects.c.name.label("project")).join(
        projects, projects.c.id == logged_models.c.project_id
    )


def insert_model(conn: Connection, row: dict[str, Any]) -> None:
    values = {**row, "params": _dump(row["params"]), "tags": _dump(row["tags"])}
    conn.execute(insert(logged_models).values(values))


def find(conn: Connection, model_id: str) -> dict[str, Any] | None:
    found = conn.execute(_select().where(logged_models.c.id == model_id)).first()
    return None if found is None else _row(found)


def of_projects(conn: Connection, project_ids: Sequence[int], limit: int) -> list[dict[str, Any]]:
    stmt = (
        _select()
        .where(logged_models.c.project_id.in_(list(project_ids)))
        .order_by(logged_models.c.created_ms.desc(), logged_models.c.id)
        .limit(limit)
    )
    return [_row(r) for r in conn.execute(stmt)]


def change(conn: Connection, model_id: str, now_ms: int, **values: Any) -> None:
    for key in ("params", "tags"):
        if key in values:
            values[key] = _dump(values[key])
    conn.execute(
        update(logged_models)
        .where(logged_models.c.id == model_id)
        .values(updated_ms=now_ms, **values)
    )


def remove(conn: Connection, model_id: str) -> None:
    conn.execute(delete(logged_models).where(logged_models.c.id == model_id))


def _dump(value: dict[str, str]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
