"""What every endpoint of the MLflow door is given and gives back: the call (request, the
caller's services, the arguments), the handler types, MLflow's JSON and error responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from labledger.server.mlflow.protocol import Args, MlflowError
from labledger.services.tracker import Tracker


@dataclass
class Call:
    request: Request
    tracker: Tracker  # bound to the caller
    args: Args


Handler = Callable[[Call], dict[str, Any]]
AsyncHandler = Callable[[Request, Tracker], Awaitable[Response]]


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error_response(exc: MlflowError) -> Response:
    return json_response(exc.body(), exc.status)
