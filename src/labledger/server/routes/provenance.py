"""Provenance routes: a run's environment, datasets and annotations; sealing and
verification; the fields a project requires (completeness)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from labledger.core import limits
from labledger.server.deps import RunServiceDep, get_tracker
from labledger.server.encoding import WireJSONResponse, run_to_wire
from labledger.server.routes.common import (
    INPUT_400,
    PROJECT_404,
    RUN_404,
    SHAPE_422,
    ProjectPath,
    RunIdPath,
    errors,
)
from labledger.server.schemas import provenance as ps
from labledger.server.schemas.common import DIGEST, HEX32, PROJECT, EmptyBody
from labledger.server.schemas.runs import RunPublic
from labledger.services.provenance import ProvenanceService

router = APIRouter(prefix="/api/v1", tags=["provenance"])
_JSON_400 = (400, "The body is not strict JSON (malformed_json).")


def get_provenance(request: Request) -> ProvenanceService:
    return get_tracker(request).provenance


ProvenanceDep = Annotated[ProvenanceService, Depends(get_provenance)]


@router.get("/runs/{run_id}/environment", responses=errors(RUN_404))
def get_environment(run_id: RunIdPath, service: ProvenanceDep) -> ps.EnvironmentPublic:
    found = service.environment(run_id)
    if found is None:
        return ps.EnvironmentPublic(environment=None, digest=None)
    return ps.EnvironmentPublic(environment=found[0], digest=found[1])


@router.get("/runs/{run_id}/datasets", responses=errors(RUN_404))
def list_datasets(run_id: RunIdPath, service: ProvenanceDep) -> ps.DatasetsPublic:
    return ps.DatasetsPublic(
        datasets=[ps.DatasetPublic.model_validate(d.to_dict()) for d in service.datasets(run_id)]
    )


@router.get("/runs/{run_id}/annotations", responses=errors(RUN_404))
def list_annotations(run_id: RunIdPath, service: ProvenanceDep) -> ps.AnnotationsPublic:
    return ps.AnnotationsPublic(
        annotations=[ps.AnnotationPublic(**a) for a in service.annotations(run_id)]
    )


@router.post(
    "/runs/{run_id}/seal",
    response_model=RunPublic,
    responses=errors(
        _JSON_400,
        RUN_404,
        (409, "The run is still running: only an ended run can be sealed (run_not_active)."),
        SHAPE_422,
    ),
)
def seal_run(run_id: RunIdPath, body: EmptyBody, service: RunServiceDep) -> WireJSONResponse:
    """Seal an ended run now (finished runs are sealed when they finish)."""
    del body
    return WireJSONResponse(run_to_wire(service.seal_run(run_id)))


@router.post("/runs/{run_id}/verify", responses=errors(_JSON_400, RUN_404, SHAPE_422))
def verify_run(
    run_id: RunIdPath,
    body: EmptyBody,
    service: ProvenanceDep,
    blobs: Annotated[bool, Query(description="Also re-hash every artifact's blob.")] = True,
) -> ps.VerificationPublic:
    """Recompute a sealed run's record hash and, with ``blobs``, every artifact's digest."""
    del body
    return ps.VerificationPublic(**service.verify_run(run_id, blobs=blobs).to_dict())


@router.get("/runs/{run_id}/completeness", responses=errors(RUN_404))
def run_completeness(run_id: RunIdPath, service: ProvenanceDep) -> ps.RunCompletenessPublic:
    return ps.RunCompletenessPublic(**service.run_completeness(run_id).to_dict())


# checked by the service (400 limit_exceeded... invalid_input), documented here
PageLimit = Query(
    description="Page size.", json_schema_extra={"minimum": 1, "maximum": limits.MAX_PAGE_SIZE}
)


@router.get(
    "/seals",
    responses=errors(
        (400, "project is not a project name, or after is not a run id (invalid_input)."),
        PROJECT_404,
        SHAPE_422,
    ),
)
def list_sealed_runs(
    service: ProvenanceDep,
    project: Annotated[
        str | None,
        Query(
            description="Only this project's runs.",
            json_schema_extra={"maxLength": limits.MAX_PROJECT_NAME, "pattern": PROJECT},
        ),
    ] = None,
    after: Annotated[
        str | None,
        Query(
            description="next_after of the previous page: a run id.",
            json_schema_extra={"pattern": HEX32},
        ),
    ] = None,
    limit: Annotated[int, PageLimit] = 1000,
) -> ps.SealsPublic:
    ids, next_after = service.sealed_run_ids(project, after, limit)
    return ps.SealsPublic(run_ids=ids, next_after=next_after)


@router.post(
    "/blobs/verify",
    responses=errors(
        (400, "after is not a SHA-256 digest (invalid_input), or the body is not strict JSON."),
        SHAPE_422,
    ),
)
def verify_blobs(
    body: EmptyBody,
    service: ProvenanceDep,
    after: Annotated[
        str | None,
        Query(
            description="next_after of the previous page: a digest.",
            json_schema_extra={"pattern": DIGEST},
        ),
    ] = None,
    limit: Annotated[int, PageLimit] = 200,
) -> ps.BlobCheckPublic:
    """Re-hash a page of stored blobs (ordered by digest)."""
    del body
    checked, problems, next_after = service.verify_blob_page(after, limit)
    return ps.BlobCheckPublic(checked=checked, problems=problems, next_after=next_after)


@router.put(
    "/projects/{project}/requirements",
    responses=errors(INPUT_400, SHAPE_422),
)
def set_requirements(
    project: ProjectPath, body: ps.RequirementsIn, service: ProvenanceDep
) -> ps.RequirementsIn:
    """Set the fields every run of the project must carry (creates the project)."""
    return ps.RequirementsIn(required=service.set_requirements(project, body.required))


@router.get(
    "/projects/{project}/completeness",
    responses=errors((400, "Not a project name (invalid_input)."), PROJECT_404),
)
def project_completeness(
    project: ProjectPath, service: ProvenanceDep
) -> ps.ProjectCompletenessPublic:
    return ps.ProjectCompletenessPublic(**service.completeness(project).to_dict())
