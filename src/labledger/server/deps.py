"""Dependency providers: routes receive services through these, never via globals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from labledger.core.identity import Principal
from labledger.server.auth import resolve_principal
from labledger.server.metrics import ServerMetrics
from labledger.services.artifacts import ArtifactService
from labledger.services.runs import RunService
from labledger.services.search import SearchService
from labledger.services.tracker import Tracker


def get_principal(request: Request) -> Principal:
    """The caller, from the request's credential (never from its body): server/auth.py."""
    return resolve_principal(request)


def get_tracker(request: Request) -> Tracker:
    """The services, bound to the request's principal."""
    tracker: Tracker = request.app.state.tracker
    return tracker.for_principal(get_principal(request))


def get_run_service(request: Request) -> RunService:
    return get_tracker(request).runs


def get_search_service(request: Request) -> SearchService:
    return get_tracker(request).search


def get_metrics(request: Request) -> ServerMetrics:
    metrics: ServerMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[ServerMetrics, Depends(get_metrics)]


def get_artifact_service(request: Request) -> ArtifactService:
    return get_tracker(request).artifacts


ArtifactServiceDep = Annotated[ArtifactService, Depends(get_artifact_service)]
RunServiceDep = Annotated[RunService, Depends(get_run_service)]
SearchServiceDep = Annotated[SearchService, Depends(get_search_service)]
TrackerDep = Annotated[Tracker, Depends(get_tracker)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
