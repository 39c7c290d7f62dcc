"""SearchService: run search with the filter language, metric history with downsampling."""

from __future__ import annotations

import dataclasses

from labledger.core import limits
from labledger.core.entities import MetricSeries, Project, ProjectKeys, RunGroup, RunPage
from labledger.core.errors import InvalidInputError, RunNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id
from labledger.core.query import parse_field, parse_filter, parse_order_by
from labledger.core.query_limits import check_text
from labledger.core.validation import check_key, check_page_size, check_project_name
from labledger.services.access import Guarded
from labledger.services.downsample import downsample_indices
from labledger.services.roles import held_role
from labledger.store import history as history_repo
from labledger.store import members as member_repo
from labledger.store import metrics as metric_repo
from labledger.store import projects as project_repo
from labledger.store import runs as run_repo
from labledger.store import search as search_repo


def _check_page(project: str, limit: int) -> None:
    check_project_name(project)
    check_page_size(limit)


class SearchService(Guarded):
    def list_projects(self) -> list[Project]:
        """The projects the caller may read, with their activity and the caller's role in
        each (a signed-in caller's; ``None`` for a server admin without one)."""
        self.allow(Action.READ)
        visible = self.visible_projects()
        with self.db.read() as conn:
            found = project_repo.list_projects(conn)
            user_id = self.principal.user_id
            roles = {} if user_id is None else member_repo.roles_of_user(conn, user_id)
        out = []
        for project in found:
            if visible is not None and project.name not in visible:
                continue
            held = held_role(*roles.get(project.name, (None, None)))
            out.append(dataclasses.replace(project, role=held.label if held else None))
        return out

    def search_runs(
        self,
        project: str,
        filter: str | None = None,
        order_by: list[str] | None = None,
        limit: int = 100,
        page_token: str | None = None,
        *,
        include_total: bool = False,
    ) -> RunPage:
        """A page of runs; ``include_total`` also counts every run matching the filter."""
        self.allow(Action.READ, project=project)
        _check_page(project, limit)
        node = parse_filter(filter)
        order = parse_order_by(order_by)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            runs, token = search_repo.search_runs(
                conn, project_id, node, filter, order, limit, page_token
            )
            total = search_repo.count_runs(conn, project_id, node) if include_total else None
        return RunPage(runs=runs, next_page_token=token, total=total)

    def count_runs(self, project: str, filter: str | None = None) -> int:
        self.allow(Action.READ, project=project)
        check_project_name(project)
        node = parse_filter(filter)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            return search_repo.count_runs(conn, project_id, node)

    def list_project_keys(self, project: str) -> ProjectKeys:
        self.allow(Action.READ, project=project)
        check_project_name(project)
        with self.db.read() as conn:
            keys = project_repo.list_keys(conn, project_repo.get_project_id(conn, project))
        return ProjectKeys(**keys)

    def group_runs(
        self, project: str, group_by: str, filter: str | None = None, limit: int = 200
    ) -> list[RunGroup]:
        """Run counts per value of ``group_by`` (a param, tag or attribute)."""
        self.allow(Action.READ, project=project)
        _check_page(project, limit)
        node = parse_filter(filter)
        check_text(group_by, "group_by")
        field = parse_field(group_by)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            return search_repo.group_runs(conn, project_id, node, field, limit)

    def list_metric_keys(self, run_id: str) -> list[str]:
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            run_pk, _ = self._ref(conn, run_id)
            return metric_repo.list_metric_keys(conn, run_pk)

    def latest_points(
        self, project: str, run_ids: list[str]
    ) -> dict[str, dict[str, tuple[int, int]]]:
        """The latest metric points of runs of ``project``: run id -> key -> (step,
        timestamp).  Ids of runs elsewhere, or of none, are left out."""
        self.allow(Action.READ, project=project)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, project)
            pks = run_repo.pks_in_project(conn, project_id, [r for r in run_ids if is_valid_id(r)])
            found = metric_repo.latest_points(conn, pks)
        return {pks[pk]: points for pk, points in found.items()}

    def _ref(self, conn: object, run_id: str) -> tuple[int, int]:
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        return run_repo.get_run_ref(conn, run_id)  # type: ignore[arg-type]

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> MetricSeries:
        self.allow(Action.READ, run_id=run_id)
        check_key("key", key)
        if max_points is not None and not 1 <= max_points <= limits.MAX_HISTORY_POINTS:
            raise InvalidInputError(
                f"max_points must be between 1 and {limits.MAX_HISTORY_POINTS}",
                details={"field": "max_points", "limit": limits.MAX_HISTORY_POINTS},
            )
        # a bound beyond the 64-bit step range bounds nothing: the history from/to its end
        start_step, end_step = (
            None if s is None else min(max(s, limits.MIN_STEP), limits.MAX_STEP)
            for s in (start_step, end_step)
        )
        with self.db.read() as conn:
            run_pk, _ = self._ref(conn, run_id)
            ext = history_repo.extent(conn, run_pk, key, start_step, end_step)
            if max_points is not None and max_points >= 4 and ext.step_span > 4 * max_points:
                (steps, stamps, values), total = history_repo.read_bucket_extremes(
                    conn, run_pk, ext, (max_points - 2) // 2
                )
                if total > max_points:
                    return MetricSeries(
                        key, steps, stamps, values, total_points=total, downsampled=True
                    )
            steps, stamps, values = history_repo.read_all(conn, run_pk, ext, start_step, end_step)
        total = len(steps)
        if max_points is None or total <= max_points:
            return MetricSeries(key, steps, stamps, values, total_points=total)
        idx = downsample_indices(values, max_points).tolist()
        return MetricSeries(
            key,
            [steps[i] for i in idx],
            [stamps[i] for i in idx],
            [values[i] for i in idx],
            total_points=total,
            downsampled=True,
        )
