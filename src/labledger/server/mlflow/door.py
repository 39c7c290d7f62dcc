"""The MLflow door: a sub-application mounted at MLflow's prefixes, answering MLflow's REST API
with LabLedger's services (so the same roles, rules and audit apply to what MLflow clients do).

Every endpoint is listed in ``ENDPOINTS`` (method and path below ``/api/2.0/mlflow``); a path
or method not listed is answered ``ENDPOINT_NOT_FOUND`` (404), as MLflow's server answers it.
Every endpoint needs a signed-in caller when the server asks for credentials
(``protocol.principal_for``): there is no public MLflow endpoint.  ``GET /health`` is served
by the main app (``routes/health.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from labledger.core.errors import TrackerError
from labledger.core.settings import Settings
from labledger.server.frontdoor import check_url
from labledger.server.mlflow import (
    artifacts,
    experiments,
    logged_models,
    multipart,
    registry,
    runs,
    version_files,
)
from labledger.server.mlflow.calls import (
    AsyncHandler,
    Call,
    Handler,
    error_response,
    json_response,
)
from labledger.server.mlflow.protocol import (
    ENDPOINT_NOT_FOUND,
    Args,
    MlflowError,
    principal_for,
    translate,
)
from labledger.services.tracker import Tracker

log = logging.getLogger("labledger.server.mlflow")

API_PREFIXES = (
    "/api/2.0/mlflow",
    "/ajax-api/2.0/mlflow",
    "/api/3.0/mlflow",
    "/ajax-api/3.0/mlflow",
)
ARTIFACT_PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")


def _tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.parent.state.tracker
    return tracker.for_principal(principal_for(request, tracker))


async def _guard(request: Request, work: Callable[[], Awaitable[Response]]) -> Response:
    try:
        check_url(request.scope)
        return await work()
    except MlflowError as exc:
        return error_response(exc)
    except TrackerError as exc:
        return error_response(translate(exc))
    except Exception:  # noqa: BLE001 - no request may take the server down or leak a trace
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(MlflowError("INTERNAL_ERROR", "internal server error"))


Pattern = tuple[str, "re.Pattern[str]", Handler]


def build_api(
    endpoints: dict[tuple[str, str], Handler], patterns: list[Pattern], parent: Starlette
) -> Starlette:
    """The JSON API: one catch-all route that looks the endpoint up in ``endpoints``, then
    in ``patterns`` (paths with an id inside)."""

    def find(method: str, path: str) -> Handler | None:
        found = endpoints.get((method, path))
        if found is None:
            found = next((h for m, p, h in patterns if m == method and p.fullmatch(path)), None)
        return found

    async def dispatch(request: Request) -> Response:
        path = "/" + request.path_params.get("rest", "")
        handler = find(request.method, path)

        async def work() -> Response:
            if handler is None:
                known = any(p == path for _, p in endpoints) or any(
                    p.fullmatch(path) for _, p, _ in patterns
                )
                raise MlflowError(
                    ENDPOINT_NOT_FOUND,
                    f"{request.method} {path} is not an endpoint of MLflow's REST API here"
                    + (" (wrong method)" if known else ""),
                )
            tracker = await run_in_threadpool(_tracker, request)
            args = await Args.read(request)
            body = await run_in_threadpool(handler, Call(request, tracker, args))
            return json_response(body)

        return await _guard(request, work)

    methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
    app = Starlette(routes=[Route("/{rest:path}", dispatch, methods=methods)])
    app.state.parent = parent
    return app


OpenHandler = Callable[[Request], Awaitable[Response]]


def build_artifacts(
    routes: list[tuple[str, str, AsyncHandler]],
    open_routes: list[tuple[str, str, OpenHandler]],
    parent: Starlette,
) -> Starlette:
    """The artifact proxy: handlers that stream bodies themselves.  ``open_routes`` take no
    credential because their URL carries one (multipart part uploads)."""

    def wrap(handler: AsyncHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            async def work() -> Response:
                tracker = await run_in_threadpool(_tracker, request)
                return await handler(request, tracker)

            return await _guard(request, work)

        return endpoint

    async def not_found(request: Request) -> Response:
        return error_response(
            MlflowError(ENDPOINT_NOT_FOUND, f"{request.method} {request.url.path} is not served")
        )

    def wrap_open(handler: OpenHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await _guard(request, lambda: handler(request))

        return endpoint

    app = Starlette(
        routes=[Route(path, wrap_open(h), methods=[method]) for method, path, h in open_routes]
        + [Route(path, wrap(handler), methods=[method]) for method, path, handler in routes]
        + [Route("/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])]
    )
    app.state.parent = parent
    return app


def _server_info(call: Call) -> dict[str, Any]:
    """What MLflow 3 clients ask the server can do (``/api/3.0/mlflow/server-info``)."""
    del call
    return {
        "store_type": "SqlStore",
        "artifact_serving_enabled": True,
        "multipart_uploads_enabled": True,
        "multipart_downloads_enabled": False,
    }


def mount(app: Starlette, settings: Settings) -> None:
    """Mount MLflow's API and artifact proxy on ``app`` (before the UI's catch-all)."""
    del settings
    endpoints: dict[tuple[str, str], Handler] = {
        **experiments.ENDPOINTS,
        **runs.ENDPOINTS,
        **artifacts.ENDPOINTS,
        **registry.ENDPOINTS,
        **logged_models.ENDPOINTS,
        ("GET", "/server-info"): _server_info,
    }
    api = build_api(endpoints, logged_models.PATTERNS, app)
    proxy = build_artifacts(
        version_files.PROXY_ROUTES + artifacts.PROXY_ROUTES + multipart.PROXY_ROUTES,
        [("PUT", "/mpu/parts/{upload_id}/{number}", multipart.put_part)],
        app,
    )
    for prefix in API_PREFIXES:
        app.mount(prefix, api)
    for prefix in ARTIFACT_PREFIXES:
        app.mount(prefix, proxy)
