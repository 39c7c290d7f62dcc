"""Reading runs back: search, metric histories and keys, projects."""

from __future__ import annotations

from typing import Protocol

from labledger.core.entities import MetricSeries, Project, RunPage


class SearchTransport(Protocol):
    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage: ...

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> MetricSeries: ...

    def list_metric_keys(self, run_id: str) -> list[str]: ...

    def list_projects(self) -> list[Project]: ...
