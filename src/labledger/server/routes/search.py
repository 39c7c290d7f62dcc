"""/api/v1/runs/search, /count, /groups and /validate-filter: the searches over a project's
runs (tagged "runs", as the web client knows them)."""

from __future__ import annotations

from fastapi import APIRouter

from labledger.core.errors import InvalidQueryError
from labledger.core.query import check_filter
from labledger.server.deps import SearchServiceDep
from labledger.server.encoding import WireJSONResponse, run_to_wire
from labledger.server.routes.common import (
    INPUT_400,
    PROJECT_404,
    SHAPE_422,
    errors,
    refuse_other_methods,
)
from labledger.server.schemas import search
from labledger.server.schemas.common import ErrorPublic

# Registered before runs.py's router: a GET, PATCH or DELETE of /runs/search is no run called
# "search".
router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
_SEARCH_ERRORS = errors(INPUT_400, PROJECT_404, SHAPE_422)


@router.post("/search", response_model=search.RunsPublic, responses=_SEARCH_ERRORS)
def search_runs(body: search.RunSearch, service: SearchServiceDep) -> WireJSONResponse:
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


@router.post("/count", response_model=search.RunCountPublic, responses=_SEARCH_ERRORS)
def count_runs(body: search.RunCount, service: SearchServiceDep) -> search.RunCountPublic:
    """How many runs match a filter (the UI asks beside the first page, not before it)."""
    return search.RunCountPublic(total=service.count_runs(body.project, body.filter))


@router.post(
    "/validate-filter",
    response_model=search.FilterCheckPublic,
    responses=errors((400, "The body is not strict JSON (malformed_json)."), SHAPE_422),
)
def validate_filter(body: search.FilterCheck) -> search.FilterCheckPublic:
    """Check a filter and order without searching: 200 either way, with the error (and its
    position) when invalid.  The UI checks as the user types."""
    try:
        check_filter(body.filter, body.order_by)
    except InvalidQueryError as exc:
        return search.FilterCheckPublic(valid=False, error=ErrorPublic(**exc.to_dict()))
    return search.FilterCheckPublic(valid=True, error=None)


@router.post("/groups", response_model=search.RunGroupsPublic, responses=_SEARCH_ERRORS)
def group_runs(body: search.RunGroupQuery, service: SearchServiceDep) -> WireJSONResponse:
    """Run counts per value of a param, tag or attribute among runs matching a filter."""
    groups = service.group_runs(body.project, body.group_by, body.filter, body.limit)
    return WireJSONResponse({"groups": [{"value": g.value, "count": g.count} for g in groups]})


# Before /{run_id}: a GET, PATCH or DELETE of /runs/search is no run called "search".
for _path in ("/search", "/count", "/validate-filter", "/groups"):
    refuse_other_methods(router, _path, ["POST"])
