"""The model registry over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from labledger.sdk.transport.http import HttpConnection
from labledger.sdk.transport.registry import RegistryTransport


def _m(name: str) -> str:
    return f"/api/v1/models/{quote(name, safe='')}"


def _drop_none(query: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in query.items() if v is not None}


class HttpRegistry(RegistryTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request(method, path, **kwargs)
        return data

    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/v1/models", json=body)

    def get_model(self, name: str) -> dict[str, Any]:
        return self._call("GET", _m(name))

    def list_models(self, query: dict[str, Any]) -> dict[str, Any]:
        return self._call("GET", "/api/v1/models", params=_drop_none(query))

    def register_version(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"{_m(name)}/versions", json=body)

    def get_version(self, name: str, version: int) -> dict[str, Any]:
        return self._call("GET", f"{_m(name)}/versions/{int(version)}")

    def list_versions(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"{_m(name)}/versions")

    def delete_version(self, name: str, version: int) -> None:
        self.http.request("DELETE", f"{_m(name)}/versions/{int(version)}")

    def search_versions(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/v1/registry/search", json=_drop_none(body))

    def set_policy(self, name: str, alias: str | None, text: str) -> dict[str, Any]:
        path = f"{_m(name)}/policies/{quote(alias, safe='')}" if alias else f"{_m(name)}/policy"
        return self._call("PUT", path, json={"policy": text})

    def policies(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"{_m(name)}/policies")

    def decide(self, name: str, alias: str, action: str, version: int | None) -> dict[str, Any]:
        path = f"{_m(name)}/aliases/{quote(alias, safe='')}"
        endpoint = {"approve": "approvals"}.get(action, action)
        body = {} if version is None else {"version": version}
        return self._call("POST", f"{path}/{endpoint}", json=body)

    def history(self, name: str, query: dict[str, Any]) -> dict[str, Any]:
        return self._call("GET", f"{_m(name)}/history", params=_drop_none(query))

    def holder_at(self, name: str, alias: str, at_ms: int | None) -> dict[str, Any]:
        return self._call(
            "GET", f"{_m(name)}/aliases/{quote(alias, safe='')}", params=_drop_none({"at": at_ms})
        )

    def record_deployment(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"{_m(name)}/deployments", json=_drop_none(body))

    def current_deployment(self, name: str, env: str, at_ms: int | None) -> dict[str, Any]:
        return self._call(
            "GET", f"{_m(name)}/deployments/{quote(env, safe='')}", params=_drop_none({"at": at_ms})
        )

    def log_production(self, name: str, env: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "POST", f"{_m(name)}/deployments/{quote(env, safe='')}/telemetry", json=_drop_none(body)
        )

    def alerts(self, name: str, query: dict[str, Any]) -> dict[str, Any]:
        return self._call("GET", f"{_m(name)}/alerts", params=_drop_none(query))

    def drift(self, name: str, env: str, query: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "GET", f"{_m(name)}/deployments/{quote(env, safe='')}/drift", params=_drop_none(query)
        )

    def log_reference(self, run_id: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PUT", f"/api/v1/runs/{run_id}/references/{quote(name, safe='')}", json={"data": data}
        )

    def lineage(self, node: str, depth: int) -> dict[str, Any]:
        return self._call("GET", "/api/v1/lineage", params={"node": node, "depth": depth})
