"""Reading from the embedded store: run search, metric histories and keys, projects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from labledger.core.entities import MetricSeries, Project, RunPage
from labledger.sdk.transport.search import SearchTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


class LocalSearch(SearchTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def search_runs(
        self,
        project: str,
        filter: str | None,
        order_by: list[str] | None,
        limit: int,
        page_token: str | None,
    ) -> RunPage:
        return self.tracker.search.search_runs(project, filter, order_by, limit, page_token)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None,
        start_step: int | None,
        end_step: int | None,
    ) -> MetricSeries:
        return self.tracker.search.get_metric_history(run_id, key, max_points, start_step, end_step)

    def list_metric_keys(self, run_id: str) -> list[str]:
        return self.tracker.search.list_metric_keys(run_id)

    def list_projects(self) -> list[Project]:
        return self.tracker.search.list_projects()
