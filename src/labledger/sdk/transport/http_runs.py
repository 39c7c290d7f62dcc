"""Runs over HTTP: ``/api/v1/runs`` and a run's batches and heartbeats."""

from __future__ import annotations

from labledger.core.entities import Run, RunCreate, RunUpdate
from labledger.sdk.transport.http import HttpConnection, run_from_wire
from labledger.sdk.transport.runs import RunsTransport
from labledger.sdk.wire import strict_body


class HttpRuns(RunsTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

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
        data = self.http.request("POST", "/api/v1/runs", json=body)
        return run_from_wire(data), bool(data.get("created"))

    def get_run(self, run_id: str) -> Run:
        return run_from_wire(self.http.request("GET", f"/api/v1/runs/{run_id}"))

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        body = {
            "status": change.status.value if change.status else None,
            "end_ms": change.end_ms,
            "name": change.name,
            "notes": change.notes,
            "release": change.release or None,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return run_from_wire(self.http.request("PATCH", f"/api/v1/runs/{run_id}", json=body))

    def delete_run(self, run_id: str, reason: str | None = None) -> None:
        params = {} if reason is None else {"reason": reason}
        self.http.request("DELETE", f"/api/v1/runs/{run_id}", params=params)

    def log_batch(self, run_id: str, body: bytes) -> int:
        data = self.http.request(
            "POST",
            f"/api/v1/runs/{run_id}/batches",
            content=strict_body(body),
            headers={"Content-Type": "application/json"},
        )
        return int(data["points"])

    def heartbeat(self, run_id: str) -> None:
        self.http.request("POST", f"/api/v1/runs/{run_id}/heartbeat", json={})
