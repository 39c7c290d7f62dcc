"""/api/v1/runs: create (idempotent), read, update, search, batches, metric history."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from labledger.core import entities
from labledger.core.errors import InvalidQueryError, MalformedBodyError
from labledger.core.query import check_filter
from labledger.core.validation import parse_batch
from labledger.server import schemas
from labledger.server.deps import MetricsDep, RunServiceDep, SearchServiceDep
from labledger.server.encoding import WireJSONResponse, run_to_wire, series_to_wire

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorPublic} for code in (400, 404, 409, 422)
}


@router.post("", response_model=schemas.RunCreated, responses=_ERRORS, status_code=200)
def create_run(
    body: schemas.RunCreate, service: RunServiceDep, metrics: MetricsDep
) -> WireJSONResponse:
    spec = entities.RunCreate(**body.model_dump())
    run, created = service.create_run(spec)
    (metrics.runs_created if created else metrics.runs_resumed).inc()
    return WireJSONResponse(
        {**run_to_wire(run), "created": created}, status_code=201 if created else 200
    )


@router.post("/search", response_model=schemas.RunsPublic, responses=_ERRORS)
def search_runs(body: schemas.RunSearch, service: SearchServiceDep) -> WireJSONResponse:
    page = service.search_runs(
        body.project,
        body.filter,
        body.order_by,
        body.limit,
        body.page_token,
        include_total=body.include_total,
    )
    return WireJSONResponse(
        {
            "runs": [run_to_wire(r) for r in page.runs],
            "next_page_token": page.next_page_token,
            "total": page.total,
        }
    )


@router.post("/count", response_model=schemas.RunCountPublic, responses=_ERRORS)
def count_runs(body: schemas.RunCount, service: SearchServiceDep) -> schemas.RunCountPublic:
    """How many runs match a filter (the UI asks beside the first page, not before it)."""
    return schemas.RunCountPublic(total=service.count_runs(body.project, body.filter))


@router.post("/validate-filter", response_model=schemas.FilterCheckPublic)
def validate_filter(body: schemas.FilterCheck) -> schemas.FilterCheckPublic:
    """Check a filter and order without searching: 200 either way, with the error (and its
    position) when invalid.  The UI checks as the user types."""
    try:
        check_filter(body.filter, body.order_by)
    except InvalidQueryError as exc:
        return schemas.FilterCheckPublic(valid=False, error=schemas.ErrorPublic(**exc.to_dict()))
    return schemas.FilterCheckPublic(valid=True, error=None)


@router.post("/groups", response_model=schemas.RunGroupsPublic, responses=_ERRORS)
def group_runs(body: schemas.RunGroupQuery, service: SearchServiceDep) -> WireJSONResponse:
    """Run counts per value of a param, tag or attribute among runs matching a filter."""
    groups = service.group_runs(body.project, body.group_by, body.filter, body.limit)
    return WireJSONResponse({"groups": [{"value": g.value, "count": g.count} for g in groups]})


@router.get("/{run_id}", response_model=schemas.RunPublic, responses=_ERRORS)
def get_run(run_id: str, service: RunServiceDep) -> WireJSONResponse:
    return WireJSONResponse(run_to_wire(service.get_run(run_id)))


@router.patch("/{run_id}", response_model=schemas.RunPublic, responses=_ERRORS)
def update_run(
    run_id: str, body: schemas.RunUpdate, service: RunServiceDep, metrics: MetricsDep
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


@router.delete("/{run_id}", status_code=204, responses=_ERRORS)
def delete_run(run_id: str, service: RunServiceDep) -> None:
    """Delete a run with its metrics, params, tags and artifact manifest (blobs stay until
    ``labledger artifacts gc`` finds nothing refers to them)."""
    service.delete_run(run_id)


@router.post("/{run_id}/heartbeat", status_code=204, responses=_ERRORS)
def heartbeat(run_id: str, service: RunServiceDep) -> None:
    """A writer is alive (the SDK sends one every 30 s while a run is open and quiet)."""
    service.heartbeat(run_id)


@router.post(
    "/{run_id}/batches",
    response_model=schemas.BatchResultPublic,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunBatch"}}},
        }
    },
)
async def log_batch(
    run_id: str, request: Request, service: RunServiceDep, metrics: MetricsDep
) -> WireJSONResponse:
    """Store metrics (columnar per key), params and tags atomically; idempotent by batch_id.

    Parsed without pydantic: this is the hot ingest path.
    """
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBodyError(f"request body is not valid JSON: {exc}") from None
    batch = await run_in_threadpool(parse_batch, data)
    result = await run_in_threadpool(service.log_batch, run_id, batch)
    if result.duplicate:
        metrics.duplicate_batches.inc()
    else:
        metrics.batches.inc()
        metrics.points.inc(result.points)
    return WireJSONResponse({"points": result.points, "duplicate": result.duplicate})


@router.delete("/{run_id}/tags/{key}", status_code=204, responses=_ERRORS)
def delete_tag(run_id: str, key: str, service: RunServiceDep) -> None:
    service.delete_tag(run_id, key)


@router.get("/{run_id}/metrics", response_model=schemas.MetricKeysPublic, responses=_ERRORS)
def list_metric_keys(run_id: str, service: SearchServiceDep) -> WireJSONResponse:
    return WireJSONResponse({"keys": service.list_metric_keys(run_id)})


@router.get(
    "/{run_id}/metrics/{key:path}/history",
    response_model=schemas.MetricHistoryPublic,
    responses=_ERRORS,
)
def get_metric_history(
    run_id: str,
    key: str,
    service: SearchServiceDep,
    max_points: Annotated[
        int | None,
        Query(description="Downsample to at most this many points, keeping min/max per bucket."),
    ] = None,
    start_step: int | None = None,
    end_step: int | None = None,
) -> WireJSONResponse:
    series = service.get_metric_history(run_id, key, max_points, start_step, end_step)
    return WireJSONResponse(series_to_wire(series))
