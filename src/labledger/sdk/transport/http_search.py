"""Reading over HTTP: run search, metric histories and keys, projects."""

from __future__ import annotations

from urllib.parse import quote

from labledger.core.entities import MetricSeries, Project, RunPage
from labledger.sdk.transport.http import HttpConnection, run_from_wire, wire_float
from labledger.sdk.transport.search import SearchTransport


class HttpSearch(SearchTransport):
    def __init__(self, connection: HttpConnection) -> None:
        self.http = connection

    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage:
        data = self.http.request(
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
        data = self.http.request("GET", path, params=query)
        values = data["values"]
        if any(isinstance(v, str) for v in values):
            values = [wire_float(v) for v in values]
        return MetricSeries(
            data["key"],
            data["steps"],
            data["timestamps"],
            values,
            total_points=data["total_points"],
            downsampled=data["downsampled"],
        )

    def list_metric_keys(self, run_id: str) -> list[str]:
        return list(self.http.request("GET", f"/api/v1/runs/{run_id}/metrics")["keys"])

    def list_projects(self) -> list[Project]:
        data = self.http.request("GET", "/api/v1/projects")
        return [Project(**p) for p in data["projects"]]
