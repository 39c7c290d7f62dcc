"""/api/v1/runs: create (idempotent), read, update, delete, batches, metric history (the
searches over runs are in search.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from labledger.core import entities, limits
from labledger.core.errors import MalformedBodyError
from labledger.server.deps import MetricsDep, RunServiceDep, SearchServiceDep
from labledger.server.encoding import WireJSONResponse, run_to_wire, series_to_wire
from labledger.server.frontdoor import PARSED_JSON
from labledger.server.routes.common import (
    INPUT_400,
    RUN_404,
    SHAPE_422,
    KeyPath,
    RunIdPath,
    errors,
)
from labledger.server.schemas import runs as schemas
from labledger.server.schemas.common import TEXT_OR_EMPTY, EmptyBody, Rule

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])

# Where a created (or resumed) run's id leads: every operation on one run.
RUN_OPERATIONS = (
    "runs-get_run",
    "runs-update_run",
    "runs-delete_run",
    "runs-heartbeat",
    "runs-log_batch",
    "runs-delete_tag",
    "runs-list_metric_keys",
    "runs-get_metric_history",
    "artifacts-list_artifacts",
    "artifacts-declare_artifacts",
    "artifacts-latest_checkpoint",
    "artifacts-download_archive",
    "artifacts-download_artifact",
    "provenance-get_environment",
    "provenance-list_datasets",
    "provenance-list_annotations",
    "provenance-run_completeness",
    "provenance-seal_run",
    "provenance-verify_run",
)
RUN_LINKS: dict[str, Any] = {
    **{
        op.split("-", 1)[1]: {
            "operationId": op,
            "parameters": {"path.run_id": "$response.body#/id"},
        }
        for op in RUN_OPERATIONS
    },
    **{
        op.split("-", 1)[1]: {
            "operationId": op,
            "parameters": {"path.project": "$response.body#/project"},
        }
        for op in (
            "projects-list_project_keys",
            "provenance-project_completeness",
            "provenance-set_requirements",
        )
    },
}


@router.post(
    "",
    response_model=schemas.RunCreated,
    status_code=201,
    responses={
        201: {"description": "A new run.", "links": RUN_LINKS},
        200: {
            "model": schemas.RunCreated,
            "description": "The run that already had this id or run_key (resumed).",
            "links": RUN_LINKS,
        },
        **errors(
            INPUT_400,
            (404, "parent_id names no run (run_not_found)."),
            (
                409,
                "The id exists in another project (run_key_conflict), or a param was set "
                "again with another value on resume (param_conflict).",
            ),
            SHAPE_422,
        ),
    },
)
def create_run(
    body: schemas.RunCreate, service: RunServiceDep, metrics: MetricsDep
) -> WireJSONResponse:
    spec = entities.RunCreate(**body.model_dump())
    run, created = service.create_run(spec)
    (metrics.runs_created if created else metrics.runs_resumed).inc()
    return WireJSONResponse(
        {**run_to_wire(run), "created": created}, status_code=201 if created else 200
    )


@router.get("/{run_id}", response_model=schemas.RunPublic, responses=errors(RUN_404))
def get_run(run_id: RunIdPath, service: RunServiceDep) -> WireJSONResponse:
    return WireJSONResponse(run_to_wire(service.get_run(run_id)))


@router.patch(
    "/{run_id}",
    response_model=schemas.RunPublic,
    responses=errors(
        INPUT_400,
        RUN_404,
        (409, "The run is sealed: only notes change (run_sealed)."),
        SHAPE_422,
    ),
)
def update_run(
    run_id: RunIdPath, body: schemas.RunUpdate, service: RunServiceDep, metrics: MetricsDep
) -> WireJSONResponse:
    change = entities.RunUpdate(
        status=entities.RunStatus(body.status) if body.status else None,
        end_ms=body.end_ms,
        name=body.name,
        notes=body.notes,
        release=body.release,
    )
    run = service.update_run(run_id, change)
    if change.status is not None:
        metrics.runs_ended.labels(change.status.value).inc()
    return WireJSONResponse(run_to_wire(run))


# checked by the service (400), not by FastAPI (422)
DeleteReason = Annotated[
    str,
    Rule({"minLength": 1, "maxLength": limits.MAX_DELETE_REASON, "pattern": TEXT_OR_EMPTY}),
]


@router.delete("/{run_id}", status_code=204, responses=errors(RUN_404, INPUT_400))
def delete_run(
    run_id: RunIdPath,
    service: RunServiceDep,
    reason: Annotated[DeleteReason | None, Query(description="Why, kept in the tombstone.")] = None,
) -> None:
    """Delete a run with its metrics, params, tags and artifact manifest (blobs stay until
    ``labledger artifacts gc`` finds nothing refers to them).  A tombstone stays: the id,
    project, status, seal, time and ``reason``; the id is never used again and ``verify``
    lists it.  No other run is changed (children keep their ``parent_id``)."""
    service.delete_run(run_id, reason)


@router.post(
    "/{run_id}/heartbeat",
    status_code=204,
    responses=errors((400, "The body is not strict JSON (malformed_json)."), RUN_404, SHAPE_422),
)
def heartbeat(run_id: RunIdPath, body: EmptyBody, service: RunServiceDep) -> None:
    """A writer is alive (the SDK sends one every 30 s while a run is open and quiet)."""
    del body
    service.heartbeat(run_id)


@router.post(
    "/{run_id}/batches",
    response_model=schemas.BatchResultPublic,
    responses=errors(
        INPUT_400,
        RUN_404,
        (
            409,
            "A param set again with another value (param_conflict), a second environment "
            "(environment_conflict), a dataset's content changed (dataset_changed), or the run "
            "is sealed (run_sealed).",
        ),
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunBatch"}}},
        }
    },
)
async def log_batch(
    run_id: RunIdPath, request: Request, service: RunServiceDep, metrics: MetricsDep
) -> WireJSONResponse:
    """Store metrics (columnar per key), params and tags atomically; idempotent by batch_id.

    Parsed without pydantic: this is the hot ingest path.
    """
    if PARSED_JSON not in request.scope:  # the front door parsed any body there was
        raise MalformedBodyError("the request body is empty", details={"field": "body"})
    result = await run_in_threadpool(service.log_batch, run_id, request.scope[PARSED_JSON])
    if result.duplicate:
        metrics.duplicate_batches.inc()
    else:
        metrics.batches.inc()
        metrics.points.inc(result.points)
    return WireJSONResponse({"points": result.points, "duplicate": result.duplicate})


@router.delete(
    "/{run_id}/tags/{key:path}",
    status_code=204,
    responses=errors(
        (400, "No tag key could be that (invalid_input, limit_exceeded)."),
        RUN_404,
        (409, "The run is sealed: only annotation.* tags change (run_sealed)."),
    ),
)
def delete_tag(run_id: RunIdPath, key: KeyPath, service: RunServiceDep) -> None:
    """Remove a tag (a tag the run does not have: nothing to do)."""
    service.delete_tag(run_id, key)


@router.get("/{run_id}/metrics", response_model=schemas.MetricKeysPublic, responses=errors(RUN_404))
def list_metric_keys(run_id: RunIdPath, service: SearchServiceDep) -> WireJSONResponse:
    return WireJSONResponse({"keys": service.list_metric_keys(run_id)})


# A bound of a step range: any integer, one beyond the 64-bit step range bounds nothing.
StepQuery = Query(description="A bound of the step range (inclusive); any integer.")


@router.get(
    "/{run_id}/metrics/{key:path}/history",
    response_model=schemas.MetricHistoryPublic,
    responses=errors(
        INPUT_400,
        (404, "No such run (run_not_found), or the run never logged this key (metric_not_found)."),
        SHAPE_422,
    ),
)
def get_metric_history(
    run_id: RunIdPath,
    key: KeyPath,
    service: SearchServiceDep,
    max_points: Annotated[
        int | None,
        Query(
            description="Downsample to at most this many points, keeping min/max per bucket.",
            json_schema_extra={"minimum": 1, "maximum": limits.MAX_HISTORY_POINTS},
        ),
    ] = None,
    start_step: Annotated[int | None, StepQuery] = None,
    end_step: Annotated[int | None, StepQuery] = None,
) -> WireJSONResponse:
    series = service.get_metric_history(run_id, key, max_points, start_step, end_step)
    return WireJSONResponse(series_to_wire(series))
