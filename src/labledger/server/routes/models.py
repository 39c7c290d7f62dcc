"""/api/v1/models: registered models and their versions; /api/v1/registry/search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from labledger.core.paging import TOKEN_PATTERN
from labledger.server.deps import TrackerDep
from labledger.server.encoding import WireJSONResponse, wire_float
from labledger.server.routes.common import INPUT_400, KeyPath, errors
from labledger.server.routes.registry_common import (
    IN_USE_409,
    MODEL_404,
    ROLE_403,
    VERSION_404,
    ModelPath,
    VersionPath,
)
from labledger.server.schemas import registry as schemas
from labledger.server.schemas.common import TEXT
from labledger.services.model_views import ModelInfo, VersionInfo

router = APIRouter(prefix="/api/v1", tags=["models"])
_EXISTS_409 = (409, "A model of that name exists (model_exists).")
_REGISTER_4XX = (
    409,
    "The path's artifacts are not uploaded yet (artifact_pending).",
)


def _model(info: ModelInfo) -> schemas.ModelPublic:
    return schemas.ModelPublic(**info.to_dict())


def _wire(info: VersionInfo) -> dict[str, Any]:
    data = info.to_dict()
    data["metrics"] = {k: wire_float(v) for k, v in data["metrics"].items()}
    return data


def _version(info: VersionInfo) -> schemas.VersionPublic:
    return schemas.VersionPublic(**_wire(info))


def _versions(found: list[VersionInfo], token: str | None = None) -> WireJSONResponse:
    """A page of versions, written straight to JSON: the services' values are the wire's
    (searches answer 100 versions at a time; validating each again would double the cost)."""
    return WireJSONResponse({"versions": [_wire(v) for v in found], "next_page_token": token})


@router.post(
    "/models",
    status_code=201,
    response_model=schemas.ModelPublic,
    responses=errors(INPUT_400, ROLE_403, _EXISTS_409),
)
def create_model(body: schemas.ModelIn, tracker: TrackerDep) -> schemas.ModelPublic:
    """Create a model in a project (editors; a new project is created and owned by you)."""
    return _model(tracker.models.create_model(body.name, body.project, body.description, body.tags))


@router.get("/models", response_model=schemas.ModelsPublic, responses=errors(INPUT_400))
def list_models(
    tracker: TrackerDep,
    name_like: Annotated[
        str | None,
        Query(min_length=1, max_length=250, pattern=TEXT, description="SQL LIKE pattern"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    page_token: Annotated[str | None, Query(pattern=TOKEN_PATTERN)] = None,
) -> schemas.ModelsPublic:
    """Models you may read, by name, a page at a time (``next_page_token``)."""
    page = tracker.models.list_models(name_like=name_like, page_token=page_token, limit=limit)
    return schemas.ModelsPublic(
        models=[_model(m) for m in page.models], next_page_token=page.next_page_token
    )


@router.post("/registry/search", response_model=schemas.VersionsPublic, responses=errors(INPUT_400))
def search_versions(body: schemas.VersionSearchIn, tracker: TrackerDep) -> WireJSONResponse:
    """Versions matching a filter in the search language (``run.metrics.acc > 0.9``,
    ``alias = 'champion'``, ``tags.stage = 'candidate'``; docs/registry.md)."""
    page = tracker.registry.search_versions(
        body.filter, body.order_by, limit=body.limit, page_token=body.page_token
    )
    return _versions(page.versions, page.next_page_token)


@router.get(
    "/models/{model}", response_model=schemas.ModelPublic, responses=errors(INPUT_400, MODEL_404)
)
def get_model(model: ModelPath, tracker: TrackerDep) -> schemas.ModelPublic:
    return _model(tracker.models.get_model(model))


@router.patch(
    "/models/{model}",
    response_model=schemas.ModelPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404),
)
def update_model(
    model: ModelPath, body: schemas.ModelPatch, tracker: TrackerDep
) -> schemas.ModelPublic:
    return _model(tracker.models.update_model(model, body.description))


@router.delete(
    "/models/{model}",
    status_code=204,
    response_class=Response,
    responses=errors(INPUT_400, ROLE_403, MODEL_404, IN_USE_409),
)
def delete_model(model: ModelPath, tracker: TrackerDep) -> Response:
    """Delete a model none of whose versions holds an alias or is deployed (maintainers)."""
    tracker.models.delete_model(model)
    return Response(status_code=204)


@router.put(
    "/models/{model}/tags",
    response_model=schemas.ModelPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404),
)
def set_model_tags(
    model: ModelPath, body: schemas.TagsIn, tracker: TrackerDep
) -> schemas.ModelPublic:
    return _model(tracker.models.set_model_tags(model, body.tags))


@router.delete(
    "/models/{model}/tags/{key}",
    response_model=schemas.ModelPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404),
)
def delete_model_tag(model: ModelPath, key: KeyPath, tracker: TrackerDep) -> schemas.ModelPublic:
    return _model(tracker.models.delete_model_tag(model, key))


@router.post(
    "/models/{model}/versions",
    status_code=201,
    response_model=schemas.VersionPublic,
    responses=errors(
        INPUT_400,
        ROLE_403,
        (
            404,
            "No such run, or the run has no artifact at the path (run_not_found, "
            "artifact_not_found).",
        ),
        _REGISTER_4XX,
    ),
)
def register_version(
    model: ModelPath, body: schemas.VersionIn, tracker: TrackerDep
) -> schemas.VersionPublic:
    """Register the run's files at ``path`` as the model's next version (the model is
    created in the run's project if it does not exist; editors)."""
    return _version(
        tracker.models.register_version(
            model, body.run_id, body.path, description=body.description, tags=body.tags
        )
    )


@router.get(
    "/models/{model}/versions",
    response_model=schemas.VersionsPublic,
    responses=errors(INPUT_400, MODEL_404),
)
def list_versions(model: ModelPath, tracker: TrackerDep) -> WireJSONResponse:
    return _versions(tracker.models.list_versions(model))


@router.get(
    "/models/{model}/versions/{version}",
    response_model=schemas.VersionPublic,
    responses=errors(INPUT_400, VERSION_404),
)
def get_version(
    model: ModelPath, version: VersionPath, tracker: TrackerDep
) -> schemas.VersionPublic:
    return _version(tracker.models.get_version(model, version))


@router.patch(
    "/models/{model}/versions/{version}",
    response_model=schemas.VersionPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404),
)
def update_version(
    model: ModelPath, version: VersionPath, body: schemas.ModelPatch, tracker: TrackerDep
) -> schemas.VersionPublic:
    return _version(tracker.models.update_version(model, version, body.description))


@router.delete(
    "/models/{model}/versions/{version}",
    status_code=204,
    response_class=Response,
    responses=errors(INPUT_400, ROLE_403, VERSION_404, IN_USE_409),
)
def delete_version(model: ModelPath, version: VersionPath, tracker: TrackerDep) -> Response:
    """Delete a version that holds no alias and is not deployed (maintainers)."""
    tracker.models.delete_version(model, version)
    return Response(status_code=204)


@router.put(
    "/models/{model}/versions/{version}/tags",
    response_model=schemas.VersionPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404),
)
def set_version_tags(
    model: ModelPath, version: VersionPath, body: schemas.TagsIn, tracker: TrackerDep
) -> schemas.VersionPublic:
    return _version(tracker.models.set_version_tags(model, version, body.tags))


@router.delete(
    "/models/{model}/versions/{version}/tags/{key}",
    response_model=schemas.VersionPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404),
)
def delete_version_tag(
    model: ModelPath, version: VersionPath, key: KeyPath, tracker: TrackerDep
) -> schemas.VersionPublic:
    return _version(tracker.models.delete_version_tag(model, version, key))
