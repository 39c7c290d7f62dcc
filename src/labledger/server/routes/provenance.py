"""Provenance routes: a run's environment, datasets and annotations; sealing and
verification; the fields a project requires (completeness)."""

from __future__ import annotations

from typing import Annotated, Any

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
from labledger.server.schemas.common import DIGEST, HEX32, PAGE_TOKEN, PROJECT, EmptyBody
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


def _page_token(listing: str) -> Any:
    return Query(
        description=f"next_page_token of the previous page of {listing}.",
        json_schema_extra={"pattern": PAGE_TOKEN},
    )


def _after(position: str, pattern: str) -> Any:
    return Query(
        description=f"Deprecated (one release): use page_token.  next_after of the previous "
        f"page: {position}.  Not with page_token.",
        deprecated=True,
        json_schema_extra={"pattern": pattern},
    )


@router.get(
    "/seals",
    responses=errors(
        (
            400,
            "project is not a project name, page_token is not one this listing returned, "
            "after is not a run id, or both are given (invalid_input).",
        ),
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
    page_token: Annotated[str | None, _page_token("sealed runs")] = None,
    limit: Annotated[int, PageLimit] = 1000,
    after: Annotated[str | None, _after("a run id", HEX32)] = None,
) -> ps.SealsPublic:
    page = service.list_sealed_runs(project, page_token, limit, after=after)
    return ps.SealsPublic(**page.to_dict())


@router.post(
    "/blobs/verify",
    responses=errors(
        (
            400,
            "page_token is not one this listing returned, after is not a SHA-256 digest, or "
            "both are given (invalid_input); or the body is not strict JSON.",
        ),
        SHAPE_422,
    ),
)
def verify_blobs(
    body: EmptyBody,
    service: ProvenanceDep,
    page_token: Annotated[str | None, _page_token("blobs")] = None,
    limit: Annotated[int, PageLimit] = 200,
    after: Annotated[str | None, _after("a digest", DIGEST)] = None,
) -> ps.BlobCheckPublic:
    """Re-hash a page of stored blobs (ordered by digest)."""
    del body
    return ps.BlobCheckPublic(**service.verify_blobs(page_token, limit, after=after).to_dict())


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
