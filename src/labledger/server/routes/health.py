"""Liveness and readiness."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from labledger._version import __version__
from labledger.server.deps import TrackerDep
from labledger.server.schemas.health import HealthPublic, ReadinessPublic

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> HealthPublic:
    return HealthPublic(status="ok", version=__version__, time_ms=time.time_ns() // 1_000_000)


@router.get("/health", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def health() -> Response:
    """MLflow's health check, as ``mlflow server`` answers it (``OK``), for MLflow tooling."""
    return Response("OK", media_type="text/plain")


@router.get(
    "/readyz",
    response_model=ReadinessPublic,
    responses={
        200: {"description": "Ready: database reachable, schema current, artifact store usable."},
        503: {"model": ReadinessPublic, "description": "Not ready, and why."},
    },
)
def readyz(tracker: TrackerDep) -> JSONResponse:
    try:
        current, head = tracker.schema_status()
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    try:
        tracker.blob_store.check()
        store = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        store = str(exc)
    ok = current == head and store == "ok"
    status = "ok" if ok else ("schema_outdated" if current != head else "blob_store_unavailable")
    return JSONResponse(
        {"status": status, "schema": current, "head": head, "artifact_store": store},
        status_code=200 if ok else 503,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this server process (run and storage totals from the database)."""
    registry = request.app.state.metrics.registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
