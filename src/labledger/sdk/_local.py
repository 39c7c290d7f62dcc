"""In-process transport to the embedded store: the same services a server runs."""

from __future__ import annotations

import json

from labledger.core.entities import (
    Batch,
    MetricSeries,
    Project,
    Run,
    RunCreate,
    RunPage,
    RunUpdate,
)
from labledger.core.settings import Settings
from labledger.core.validation import parse_batch


class LocalTransport:
    def __init__(self, settings: Settings) -> None:
        from labledger.services.tracker import Tracker

        self.tracker = Tracker.from_settings(settings)

    def create_run(self, spec: RunCreate) -> tuple[Run, bool]:
        return self.tracker.runs.create_run(spec)

    def get_run(self, run_id: str) -> Run:
        return self.tracker.runs.get_run(run_id)

    def update_run(self, run_id: str, change: RunUpdate) -> Run:
        return self.tracker.runs.update_run(run_id, change)

    def log_batch(self, run_id: str, batch: Batch | None, body: bytes) -> int:
        if batch is None:
            batch = parse_batch(json.loads(body))
        return self.tracker.runs.log_batch(run_id, batch).points

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

    def close(self) -> None:
        self.tracker.close()
