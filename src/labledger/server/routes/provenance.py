"""Provenance routes: a run's environment, datasets and annotations; sealing and
verification; the fields a project requires (completeness)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from labledger.core import limits
from labledger.server import provenance_schemas as ps
from labledger.server import schemas
from labledger.server.deps import RunServiceDep
from labledger.server.encoding import WireJSONResponse, run_to_wire
from labledger.services.provenance import ProvenanceService

router = APIRouter(prefix="/api/v1", tags=["provenance"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorPublic} for code in (400, 404, 409, 422)
}


def get_provenance(request: Request) -> ProvenanceService:
    service: ProvenanceService = request.app.state.tracker.provenance
    return service


ProvenanceDep = Annotated[ProvenanceService, Depends(get_provenance)]


@router.get("/runs/{run_id}/environment", responses=_ERRORS)
def get_environment(run_id: str, service: ProvenanceDep) -> ps.EnvironmentPublic:
    found = service.environment(run_id)
    if found is None:
        return ps.EnvironmentPublic(environment=None, digest=None)
    return ps.EnvironmentPublic(environment=found[0], digest=found[1])


@router.get("/runs/{run_id}/datasets", responses=_ERRORS)
def list_datasets(run_id: str, service: ProvenanceDep) -> ps.DatasetsPublic:
    return ps.DatasetsPublic(
        datasets=[ps.DatasetPublic.model_validate(d.to_dict()) for d in service.datasets(run_id)]
    )


@router.get("/runs/{run_id}/annotations", responses=_ERRORS)
def list_annotations(run_id: str, service: ProvenanceDep) -> ps.AnnotationsPublic:
    return ps.AnnotationsPublic(
        annotations=[ps.AnnotationPublic(**a) for a in service.annotations(run_id)]
    )


@router.post("/runs/{run_id}/seal", response_model=schemas.RunPublic, responses=_ERRORS)
def seal_run(run_id: str, service: RunServiceDep) -> WireJSONResponse:
    """Seal an ended run now (finished runs are sealed when they finish)."""
    return WireJSONResponse(run_to_wire(service.seal_run(run_id)))


@router.post("/runs/{run_id}/verify", responses=_ERRORS)
def verify_run(run_id: str, service: ProvenanceDep, blobs: bool = True) -> ps.VerificationPublic:
    """Recompute a sealed run's record hash and, with ``blobs``, every artifact's digest."""
    return ps.VerificationPublic(**service.verify_run(run_id, blobs=blobs).to_dict())


@router.get("/runs/{run_id}/completeness", responses=_ERRORS)
def run_completeness(
    run_id: str, service: ProvenanceDep, runs: RunServiceDep
) -> ps.RunCompletenessPublic:
    run = runs.get_run(run_id)
    return ps.RunCompletenessPublic(
        required=service.requirements(run.project), missing=service.missing(run)
    )


@router.get("/seals", responses=_ERRORS)
def list_sealed_runs(
    service: ProvenanceDep,
    project: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE)] = 1000,
) -> ps.SealsPublic:
    ids, next_after = service.sealed_run_ids(project, after, limit)
    return ps.SealsPublic(run_ids=ids, next_after=next_after)


@router.post("/blobs/verify", responses=_ERRORS)
def verify_blobs(
    service: ProvenanceDep,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_PAGE_SIZE)] = 200,
) -> ps.BlobCheckPublic:
    """Re-hash a page of stored blobs (ordered by digest)."""
    checked, problems, next_after = service.verify_blob_page(after, limit)
    return ps.BlobCheckPublic(checked=checked, problems=problems, next_after=next_after)


@router.put("/projects/{project}/requirements", responses=_ERRORS)
def set_requirements(
    project: str, body: ps.RequirementsIn, service: ProvenanceDep
) -> ps.RequirementsIn:
    return ps.RequirementsIn(required=service.set_requirements(project, body.required))


@router.get("/projects/{project}/completeness", responses=_ERRORS)
def project_completeness(project: str, service: ProvenanceDep) -> ps.ProjectCompletenessPublic:
    report = service.completeness(project)
    return ps.ProjectCompletenessPublic(
        project=report.project,
        required=report.required,
        runs=report.runs,
        complete=report.complete,
        percent=report.percent,
        incomplete=report.incomplete,
    )
