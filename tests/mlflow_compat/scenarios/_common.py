"""What every scenario shares.  The scenarios are run by an MLflow client's own Python
(``.venv-mlflow3``, ``.venv-mlflow2``), never imported by pytest: ``python <scenario>.py
<server url> <args...>``; each prints one JSON object, of everything it observed, as its
last line of output, and the test asserts on every value."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException


def start() -> list[str]:
    """Point MLflow at the server named first on the command line; the other arguments."""
    mlflow.set_tracking_uri(sys.argv[1])
    return sys.argv[2:]


def attempt(call: Callable[[], Any]) -> dict[str, Any]:
    """``{"ok": result}``, or the refusal the client raised (an MlflowException, or the
    HTTPError of its artifact repository): its code and message."""
    import requests

    try:
        return {"ok": call()}
    except MlflowException as exc:
        return {"error_code": exc.error_code, "message": exc.message, "type": type(exc).__name__}
    except requests.HTTPError as exc:  # the artifact repository raises requests' errors
        response = exc.response
        try:
            body = response.json()
        except ValueError:
            body = {}
        return {
            "error_code": body.get("error_code"),
            "message": body.get("message", response.text),
            "type": "HTTPError",
            "status": response.status_code,
        }


def rest(endpoint: str, body: dict[str, Any], method: str = "POST") -> Any:
    """An endpoint the client has no method for (in this version), with the client's own
    HTTP layer and credentials; a refusal raises as the client's methods raise it."""
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request, verify_rest_response

    creds = get_default_host_creds(mlflow.get_tracking_uri())
    kwargs = {"json": body} if method == "POST" else {"params": body}
    response = http_request(creds, f"/api/2.0/mlflow/{endpoint}", method, **kwargs)
    return verify_rest_response(response, endpoint).json()


def emit(observed: dict[str, Any]) -> None:
    """The last line of stdout (NaN and infinities as Python's json writes them)."""
    sys.stdout.write("\n" + json.dumps(observed, default=str) + "\n")
    sys.stdout.flush()


def experiment(e: Any) -> dict[str, Any]:
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "tags": dict(e.tags),
        "creation_time": e.creation_time,
        "last_update_time": e.last_update_time,
    }


def run(r: Any) -> dict[str, Any]:
    info = r.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
        "params": dict(r.data.params),
        "metrics": dict(r.data.metrics),
        "tags": dict(r.data.tags),
    }


def history(points: list[Any]) -> list[list[Any]]:
    """A metric history as [step, timestamp, value] rows, in the order the server sent."""
    return [[m.step, m.timestamp, m.value] for m in points]
