"""What the API routes share: id-only path segments, documented path parameters, and the
error answers each operation lists in the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from labledger.core import limits
from labledger.core.errors import RunNotFoundError, UploadNotFoundError
from labledger.core.ids import is_valid_id
from labledger.server.routing import flat_routes
from labledger.server.schemas.common import DIGEST, HEX32, KEY_RULE, PROJECT, ErrorPublic

# Path parameters whose routes do not serve other text: such a route does not count in Allow
# (/runs/search is no run, /blobs/verify no digest).
_STRICT_PARAMS: dict[str, re.Pattern[str]] = {
    "run_id": re.compile(HEX32),
    "upload_id": re.compile(HEX32),
    "digest": re.compile(DIGEST),
}


async def _run_id(
    run_id: Annotated[
        str,
        Path(
            description="A run id: 32 lowercase hex characters.",
            json_schema_extra={"pattern": HEX32},
        ),
    ],
) -> str:
    """A malformed run id names no run: 404 ``run_not_found`` (async: no thread hop)."""
    if not is_valid_id(run_id):
        raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
    return run_id


async def _upload_id(
    upload_id: Annotated[
        str,
        Path(
            description="An upload id (from POST /api/v1/uploads).",
            json_schema_extra={"pattern": HEX32},
        ),
    ],
) -> str:
    if not is_valid_id(upload_id):
        raise UploadNotFoundError(
            f"upload {upload_id!r} does not exist (completed or never started)",
            details={"upload_id": upload_id},
        )
    return upload_id


RunIdPath = Annotated[str, Depends(_run_id)]
UploadIdPath = Annotated[str, Depends(_upload_id)]


# -- 405 ---------------------------------------------------------------------------------------
REFUSAL = "method_not_allowed"  # name of the routes that only answer 405


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> list[str]:
    """The methods some route takes at ``path``, sorted; a route matched through a run id,
    upload id or digest that is not one does not count."""
    methods: set[str] = set()
    for route in flat_routes(routes):
        regex: re.Pattern[str] | None = getattr(route, "path_regex", None)
        route_methods = getattr(route, "methods", None)
        if regex is None or not route_methods or getattr(route, "name", "") == REFUSAL:
            continue
        match = regex.match(path)
        if match is None:
            continue
        params = match.groupdict().items()
        if all(_STRICT_PARAMS[k].match(v) for k, v in params if k in _STRICT_PARAMS):
            methods |= set(route_methods)
    return sorted(methods)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY")


def refuse_other_methods(router: APIRouter, path: str, allowed: list[str]) -> None:
    """Answer the other methods at the literal ``path`` with 405.  Register it before a
    template that would take the path as a parameter: /runs/search is no run, /blobs/verify
    no digest.  (Other methods still reach spa.py's fallback, which answers the same.)"""

    async def refuse(request: Request) -> Response:
        return method_not_allowed(request.method, request.url.path, allowed)

    others = [m for m in _METHODS if m not in allowed]
    router.add_api_route(path, refuse, methods=others, name=REFUSAL, include_in_schema=False)


def method_not_allowed(method: str, path: str, allowed: list[str]) -> JSONResponse:
    """405 with ``Allow``, in the API's error shape."""
    body = {
        "error_code": "method_not_allowed",
        "message": f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
        "details": {"allowed": allowed},
    }
    return JSONResponse(body, status_code=405, headers={"Allow": ", ".join(allowed)})


ProjectPath = Annotated[
    str,
    Path(
        description="A project name.",
        json_schema_extra={"maxLength": limits.MAX_PROJECT_NAME, "pattern": PROJECT},
    ),
]
DigestPath = Annotated[
    str,
    Path(
        description="SHA-256 of the content (64 lowercase hex).",
        json_schema_extra={"pattern": DIGEST},
    ),
]
KeyPath = Annotated[
    str,
    Path(description="A metric, param or tag key (URL-encoded).", json_schema_extra=KEY_RULE),
]


# -- documented error answers ------------------------------------------------------------------
INPUT_400 = (
    400,
    "A value breaks a documented rule (invalid_input, limit_exceeded, invalid_query, "
    "invalid_artifact_path, ...), or the body is not strict JSON (malformed_json).",
)
SHAPE_422 = (422, "The body or a parameter does not match the schema (invalid_body).")
RUN_404 = (404, "No such run (run_not_found).")
PROJECT_404 = (404, "No such project (project_not_found).")
SEALED_409 = (409, "The run is sealed and takes no more writes (run_sealed).")
STORE_503 = (503, "The artifact store cannot be used right now (blob_store_unavailable).")


def errors(*answers: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation: each status with its ErrorPublic body.  422 is
    always among them: FastAPI lists it for every operation with parameters, and its body
    is an ErrorPublic here too."""
    out: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorPublic, "description": why} for code, why in (SHAPE_422, *answers)
    }
    return out
