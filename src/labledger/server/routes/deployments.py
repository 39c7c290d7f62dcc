"""/api/v1/models/{model}/deployments: which version each environment serves, production
telemetry and the drift it shows; /api/v1/runs/{run_id}/references: reference profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, RUN_404, KeyPath, RunIdPath, errors
from labledger.server.routes.registry_common import (
    MODEL_404,
    ROLE_403,
    VERSION_404,
    EnvPath,
    ModelPath,
)
from labledger.server.schemas import registry as schemas
from labledger.server.schemas.registry import ENV
from labledger.services.deployments import Deployment

router = APIRouter(prefix="/api/v1", tags=["deployments"])
_DEPLOY_404 = (404, "No such model, or nothing deployed there (deployment_not_found).")
_TELEMETRY_404 = (
    404,
    "Nothing deployed there, or the deployed run has no such reference (deployment_not_found, "
    "reference_not_found).",
)


def _deployment(found: Deployment) -> schemas.DeploymentPublic:
    return schemas.DeploymentPublic(**found.to_dict())


@router.post(
    "/models/{model}/deployments",
    status_code=201,
    response_model=schemas.DeploymentPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404),
)
def record_deployment(
    model: ModelPath, body: schemas.DeploymentIn, tracker: TrackerDep
) -> schemas.DeploymentPublic:
    """Record that an environment now serves a version (maintainers; deploy pipelines)."""
    return _deployment(
        tracker.deployments.record(model, body.version, body.env, url=body.url, note=body.note)
    )


@router.get(
    "/models/{model}/deployments",
    response_model=schemas.DeploymentsPublic,
    responses=errors(INPUT_400, MODEL_404),
)
def deployment_history(
    model: ModelPath,
    tracker: TrackerDep,
    env: Annotated[str | None, Query(max_length=64, pattern=ENV)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.DeploymentsPublic:
    """Deployments recorded, newest first."""
    found = tracker.deployments.history(model, env, limit)
    return schemas.DeploymentsPublic(deployments=[_deployment(d) for d in found])


@router.get(
    "/models/{model}/environments",
    response_model=schemas.DeploymentsPublic,
    responses=errors(INPUT_400, MODEL_404),
)
def environments(model: ModelPath, tracker: TrackerDep) -> schemas.DeploymentsPublic:
    """What every environment serves now."""
    found = tracker.deployments.environments(model)
    return schemas.DeploymentsPublic(deployments=[_deployment(d) for d in found])


@router.get(
    "/models/{model}/deployments/{env}",
    response_model=schemas.DeploymentPublic,
    responses=errors(INPUT_400, _DEPLOY_404),
)
def current_deployment(
    model: ModelPath,
    env: EnvPath,
    tracker: TrackerDep,
    at: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="Epoch ms; default now.")
    ] = None,
) -> schemas.DeploymentPublic:
    """Which version and run ``env`` served at ``at``, and since when."""
    return _deployment(tracker.deployments.current(model, env, at))


@router.post(
    "/models/{model}/deployments/{env}/telemetry",
    response_model=schemas.TelemetryPublic,
    responses=errors(INPUT_400, ROLE_403, _TELEMETRY_404),
)
def log_production(
    model: ModelPath, env: EnvPath, body: schemas.TelemetryIn, tracker: TrackerDep
) -> schemas.TelemetryPublic:
    """One batch of production values, compared per feature with the reference of the
    deployed version: PSI and KS stored, an alert raised past the model's thresholds."""
    found = tracker.drift.log_production(
        model, env, body.data, reference=body.reference, time_ms=body.time_ms
    )
    return schemas.TelemetryPublic(**found)


@router.get(
    "/models/{model}/deployments/{env}/drift",
    response_model=schemas.DriftPublic,
    responses=errors(INPUT_400, MODEL_404),
)
def drift_points(
    model: ModelPath,
    env: EnvPath,
    tracker: TrackerDep,
    since: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
) -> schemas.DriftPublic:
    """PSI and KS per feature per batch, oldest first."""
    found = tracker.drift.drift(model, env, since_ms=since, limit=limit)
    return schemas.DriftPublic(points=[schemas.DriftPointPublic(**p) for p in found])


@router.get(
    "/models/{model}/alerts",
    response_model=schemas.AlertsPublic,
    responses=errors(INPUT_400, MODEL_404),
)
def drift_alerts(
    model: ModelPath,
    tracker: TrackerDep,
    env: Annotated[str | None, Query(max_length=64, pattern=ENV)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.AlertsPublic:
    found = tracker.drift.alerts(model, env, limit)
    return schemas.AlertsPublic(alerts=[schemas.AlertPublic(**a) for a in found])


@router.put(
    "/runs/{run_id}/references/{name}",
    response_model=dict[str, object],
    responses=errors(INPUT_400, ROLE_403, RUN_404),
)
def log_reference(
    run_id: RunIdPath,
    name: KeyPath,
    body: schemas.ReferenceIn,
    tracker: TrackerDep,
) -> dict[str, object]:
    """Store the profile of ``data`` (histograms and statistics, never the rows) as the
    run's reference ``name`` (editors)."""
    return tracker.drift.log_reference(run_id, name, body.data)


@router.get(
    "/runs/{run_id}/references", response_model=dict[str, object], responses=errors(RUN_404)
)
def list_references(run_id: RunIdPath, tracker: TrackerDep) -> dict[str, object]:
    """The run's references: name -> feature -> profile."""
    return {"references": tracker.drift.references(run_id)}
