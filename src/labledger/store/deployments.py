"""SQL for deployments (which version an environment serves, since when), reference
profiles, and the drift measured on production batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from labledger.store.registry_tables import (
    deployments,
    drift_alerts,
    drift_points,
    reference_profiles,
)


def record(conn: Connection, row: dict[str, Any]) -> int:
    return int(
        conn.execute(deployments.insert().values(row).returning(deployments.c.id)).scalar_one()
    )


def current(
    conn: Connection, model_id: int, env: str, at_ms: int | None = None
) -> dict[str, Any] | None:
    """The last deployment recorded in ``env`` at or before ``at_ms`` (default: now)."""
    query = select(deployments).where(deployments.c.model_id == model_id, deployments.c.env == env)
    if at_ms is not None:
        query = query.where(deployments.c.time_ms <= at_ms)
    row = conn.execute(
        query.order_by(deployments.c.time_ms.desc(), deployments.c.id.desc()).limit(1)
    ).first()
    return None if row is None else dict(row._mapping)


def history(conn: Connection, model_id: int, env: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(deployments).where(deployments.c.model_id == model_id)
    if env is not None:
        query = query.where(deployments.c.env == env)
    rows = conn.execute(query.order_by(deployments.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def envs(conn: Connection, model_id: int) -> list[str]:
    rows = conn.execute(
        select(deployments.c.env)
        .where(deployments.c.model_id == model_id)
        .distinct()
        .order_by(deployments.c.env)
    )
    return [r.env for r in rows]


def serving_envs(conn: Connection, model_id: int, version: int) -> list[str]:
    """The environments whose latest deployment is ``version``."""
    return [
        env
        for env in envs(conn, model_id)
        if (now := current(conn, model_id, env)) is not None and now["version"] == version
    ]


def by_version_ids(conn: Connection, version_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not version_ids:
        return []
    rows = conn.execute(
        select(deployments)
        .where(deployments.c.version_id.in_(list(version_ids)))
        .order_by(deployments.c.id)
    )
    return [dict(r._mapping) for r in rows]


def get(conn: Connection, deployment_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(deployments).where(deployments.c.id == deployment_id)).first()
    return None if row is None else dict(row._mapping)


# -- reference profiles ---------------------------------------------------------------------


def save_reference(
    conn: Connection, run_pk: int, name: str, profiles: dict[str, dict[str, Any]], now_ms: int
) -> None:
    conn.execute(
        reference_profiles.delete().where(
            reference_profiles.c.run_pk == run_pk, reference_profiles.c.name == name
        )
    )
    conn.execute(
        reference_profiles.insert(),
        [
            {
                "run_pk": run_pk,
                "name": name,
                "feature": feature,
                "profile": orjson.dumps(profile).decode(),
                "created_ms": now_ms,
            }
            for feature, profile in profiles.items()
        ],
    )


def reference_names(conn: Connection, run_pk: int) -> list[str]:
    rows = conn.execute(
        select(reference_profiles.c.name)
        .where(reference_profiles.c.run_pk == run_pk)
        .distinct()
        .order_by(reference_profiles.c.name)
    )
    return [r.name for r in rows]


def reference(conn: Connection, run_pk: int, name: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        select(reference_profiles.c.feature, reference_profiles.c.profile)
        .where(reference_profiles.c.run_pk == run_pk, reference_profiles.c.name == name)
        .order_by(reference_profiles.c.feature)
    )
    return {r.feature: orjson.loads(r.profile) for r in rows}


# -- drift ----------------------------------------------------------------------------------


def add_points(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(drift_points.insert(), rows)


def points(
    conn: Connection, model_id: int, env: str, since_ms: int | None, limit: int
) -> list[dict[str, Any]]:
    query = select(drift_points).where(
        drift_points.c.model_id == model_id, drift_points.c.env == env
    )
    if since_ms is not None:
        query = query.where(drift_points.c.time_ms >= since_ms)
    rows = conn.execute(query.order_by(drift_points.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in reversed(rows.all())]


def add_alert(conn: Connection, row: dict[str, Any]) -> int:
    values = {
        **row,
        "features": orjson.dumps(row["features"]).decode(),
        "thresholds": orjson.dumps(row["thresholds"]).decode(),
    }
    return int(
        conn.execute(drift_alerts.insert().values(values).returning(drift_alerts.c.id)).scalar_one()
    )


def alerts(conn: Connection, model_id: int, env: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(drift_alerts).where(drift_alerts.c.model_id == model_id)
    if env is not None:
        query = query.where(drift_alerts.c.env == env)
    rows = conn.execute(query.order_by(drift_alerts.c.id.desc()).limit(limit))
    out = []
    for r in rows:
        row = dict(r._mapping)
        row["features"] = orjson.loads(row["features"])
        row["thresholds"] = orjson.loads(row["thresholds"])
        out.append(row)
    return out


def count_points(conn: Connection, model_id: int) -> int:
    return int(
        conn.execute(select(func.count()).where(drift_points.c.model_id == model_id)).scalar_one()
    )
