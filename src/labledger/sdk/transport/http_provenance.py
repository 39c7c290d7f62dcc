"""Provenance over HTTP: environment, datasets, annotations, seals, verification and
required fields, as the wire dicts the routes answer with."""

from __future__ import annotations

from typing import Any

from labledger.core.entities import Run
from labledger.sdk.transport.http import HttpConnection, run_from_wire
from labledger.sdk.transport.provenance import ProvenanceTransport


class HttpProvenance(ProvenanceTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def environment(self, run_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request("GET", f"/api/v1/runs/{run_id}/environment")
        return data

    def datasets(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.http.request("GET", f"/api/v1/runs/{run_id}/datasets")["datasets"])

    def annotations(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.http.request("GET", f"/api/v1/runs/{run_id}/annotations")["annotations"])

    def seal_run(self, run_id: str) -> Run:
        return run_from_wire(self.http.request("POST", f"/api/v1/runs/{run_id}/seal", json={}))

    def verify_run(self, run_id: str, blobs: bool) -> dict[str, Any]:
        path = f"/api/v1/runs/{run_id}/verify"
        data: dict[str, Any] = self.http.request(
            "POST", path, params={"blobs": str(blobs).lower()}, json={}, timeout=None
        )
        return data

    def sealed_runs(
        self, project: str | None, page_token: str | None, limit: int
    ) -> dict[str, Any]:
        params = {"project": project, "page_token": page_token, "limit": limit}
        data: dict[str, Any] = self.http.request(
            "GET", "/api/v1/seals", params={k: v for k, v in params.items() if v is not None}
        )
        return data

    def verify_blobs(self, page_token: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if page_token is not None:
            params["page_token"] = page_token
        data: dict[str, Any] = self.http.request(
            "POST", "/api/v1/blobs/verify", params=params, json={}, timeout=None
        )
        return data

    def set_requirements(self, project: str, fields: list[str]) -> list[str]:
        path = f"/api/v1/projects/{project}/requirements"
        return list(self.http.request("PUT", path, json={"required": fields})["required"])

    def project_completeness(self, project: str) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request("GET", f"/api/v1/projects/{project}/completeness")
        return data

    def run_completeness(self, run_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.http.request("GET", f"/api/v1/runs/{run_id}/completeness")
        return data
