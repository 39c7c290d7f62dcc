"""HTTP transport to a LabLedger server (httpx, keep-alive).  Maps error bodies back to the
same ``TrackerError`` classes the server raised."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

import httpx

from labledger.core.entities import (
    Batch,
    MetricSeries,
    Project,
    Run,
    RunCreate,
    RunPage,
    RunStatus,
    RunUpdate,
)
from labledger.core.errors import TrackerError, TransportError, error_from_body
from labledger.sdk._http_artifacts import HttpArtifactsMixin
from labledger.sdk._http_provenance import HttpProvenanceMixin
from labledger.sdk.wire import strict_body

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(value: Any) -> float:
    return _NON_FINITE[value] if isinstance(value, str) else float(value)


def run_from_wire(data: dict[str, Any]) -> Run:
    return Run(
        id=data["id"],
        project=data["project"],
        name=data["name"],
        status=RunStatus(data["status"]),
        start_ms=data["start_ms"],
        end_ms=data.get("end_ms"),
        user=data.get("user"),
        parent_id=data.get("parent_id"),
        group=data.get("group"),
        notes=data.get("notes"),
        run_key=data.get("run_key"),
        heartbeat_ms=data.get("heartbeat_ms"),
        seal_hash=data.get("seal_hash"),
        sealed_ms=data.get("sealed_ms"),
        params=dict(data["params"]),
        tags=dict(data["tags"]),
        metrics={k: _float(v) for k, v in data["metrics"].items()},
    )


class HttpTransport(HttpArtifactsMixin, HttpProvenanceMixin):
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        headers = {"User-Agent": "labledger-sdk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=5.0)
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"cannot reach {self.base_url}: {exc}", details={"url": self.base_url}
            ) from exc
        if response.status_code >= 400:
            self._raise_for(response, path)
        if response.status_code == 204:
            return None
        return response.json()

    def _run_from_wire(self, data: dict[str, Any]) -> Run:
        return run_from_wire(data)

    def _raise_for(self, response: httpx.Response, path: str) -> None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "error_code" in body:
            raise error_from_body(body)
        error = TransportError if response.status_code >= 500 else TrackerError
        raise error(f"HTTP {response.status_code} from {self.base_url}{path}")

    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        body = {
            "project": spec.project,
            "id": spec.id,
            "name": spec.name,
            "run_key": spec.run_key,
            "user": spec.user,
            "parent_id": spec.parent_id,
            "group": spec.group,
            "notes": spec.notes,
            "start_ms": spec.start_ms,
            "params": spec.params,
            "tags": spec.tags,
        }
        data = self._request("POST", "/api/v1/runs", json=body)
        return run_from_wire(data), bool(data.get("created"))

    def get_run(self, run_id: str) -> Run:
        return run_from_wire(self._request("GET", f"/api/v1/runs/{run_id}"))

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        body = {
            "status": change.status.value if change.status else None,
            "end_ms": change.end_ms,
            "name": change.name,
            "notes": change.notes,
            "release": change.release or None,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return run_from_wire(self._request("PATCH", f"/api/v1/runs/{run_id}", json=body))

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        del batch  # the spooled body is the wire body (older spools: re-encoded strictly)
        data = self._request(
            "POST",
            f"/api/v1/runs/{run_id}/batches",
            content=strict_body(body),
            headers={"Content-Type": "application/json"},
        )
        return int(data["points"])

    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage:
        data = self._request(
            "POST",
            "/api/v1/runs/search",
            json={
                "project": project,
                "filter": filter,
                "order_by": order_by or [],
                "limit": limit,
                "page_token": page_token,
            },
        )
        return RunPage([run_from_wire(r) for r in data["runs"]], data["next_page_token"])

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> MetricSeries:
        query = {
            k: v
            for k, v in (
                ("max_points", max_points),
                ("start_step", start_step),
                ("end_step", end_step),
            )
            if v is not None
        }
        path = f"/api/v1/runs/{run_id}/metrics/{quote(key, safe='')}/history"
        data = self._request("GET", path, params=query)
        values = data["values"]
        if any(isinstance(v, str) for v in values):
            values = [_float(v) for v in values]
        return MetricSeries(
            data["key"],
            data["steps"],
            data["timestamps"],
            values,
            total_points=data["total_points"],
            downsampled=data["downsampled"],
        )

    def list_metric_keys(self, run_id: str) -> list[str]:
        return list(self._request("GET", f"/api/v1/runs/{run_id}/metrics")["keys"])

    def heartbeat(self, run_id: str) -> None:
        self._request("POST", f"/api/v1/runs/{run_id}/heartbeat", json={})

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        params = {} if reason is None else {"reason": reason}
        self._request("DELETE", f"/api/v1/runs/{run_id}", params=params)

    def list_projects(self) -> list[Project]:
        data = self._request("GET", "/api/v1/projects")
        return [Project(**p) for p in data["projects"]]

    def close(self) -> None:
        self.client.close()
