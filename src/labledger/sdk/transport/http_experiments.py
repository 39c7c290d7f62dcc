"""Projects as experiments over HTTP: a LabLedger server answers them on its MLflow door
(``/api/2.0/mlflow/experiments/…``, server/mlflow/experiments.py), the only routes that
carry a project's tags.  That door answers errors in MLflow's shape
(``{"error_code": "RESOURCE_DOES_NOT_EXIST", "message"}``): mapped here to LabLedger's."""

from __future__ import annotations

from typing import Any

import httpx

from labledger.core.errors import (
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    ProjectExistsError,
    ProjectNotFoundError,
    TrackerError,
    TransportError,
)
from labledger.sdk.transport.experiments import ExperimentsTransport
from labledger.sdk.transport.http import HttpConnection

DOOR = "/api/2.0/mlflow/experiments"
_BY_STATUS: dict[int, type[TrackerError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: ProjectNotFoundError,
    409: ProjectExistsError,
}


def _experiment(data: dict[str, Any]) -> dict[str, Any]:
    tags = {t["key"]: t.get("value", "") for t in data.get("tags") or []}
    return {
        "id": data.get("experiment_id"),
        "name": data.get("name"),
        "tags": tags,
        "deleted": data.get("lifecycle_stage") == "deleted",
    }


class HttpExperiments(ExperimentsTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.client.request(method, f"{DOOR}/{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"cannot reach {self.http.base_url}: {exc}", details={"url": self.http.base_url}
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            code = body.get("error_code") if isinstance(body, dict) else None
            if code == "RESOURCE_ALREADY_EXISTS":
                raise ProjectExistsError(str(message), details={"field": "name"})
            error = _BY_STATUS.get(response.status_code)
            if error is None:
                error = TransportError if response.status_code >= 500 else TrackerError
            text = message or f"HTTP {response.status_code} from {self.http.base_url}"
            if error is AuthenticationError:  # the door speaks to MLflow clients: say it ours
                text = (
                    f"{self.http.base_url} needs a credential: set LABLEDGER_TOKEN, or run "
                    f"`labledger login {self.http.base_url}`"
                )
            raise error(text)
        return body if isinstance(body, dict) else {}

    def find_experiment(self, name: str) -> dict[str, Any] | None:
        # searched, not got by name: the door makes "Default" when it is got by name
        quoted = "'" + name.replace("'", "''") + "'"
        body = {"filter": f"name = {quoted}", "view_type": "ALL", "max_results": 10}
        for found in self._call("POST", "search", json=body).get("experiments") or []:
            if found.get("name") == name:
                return _experiment(found)
        return None

    def create_experiment(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        pairs = [{"key": k, "value": v} for k, v in tags.items()]
        self._call("POST", "create", json={"name": name, "tags": pairs})
        found = self.find_experiment(name)
        if found is None:  # deleted again between the two calls
            raise ProjectNotFoundError(f"project {name!r} does not exist", details={"name": name})
        return found

    def set_experiment_tags(self, name: str, tags: dict[str, str]) -> None:
        found = self.find_experiment(name)
        if found is None:
            raise ProjectNotFoundError(f"project {name!r} does not exist", details={"name": name})
        for key, value in tags.items():
            body = {"experiment_id": str(found["id"]), "key": key, "value": value}
            self._call("POST", "set-experiment-tag", json=body)
