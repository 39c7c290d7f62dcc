"""Search language semantics, ordering and paging on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from labledger.core.entities import Batch, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import InvalidQueryError, ProjectNotFoundError


@pytest.fixture
def runs(tracker):
    """Five runs with known params, tags and metrics; returns name -> id."""
    specs = [
        (
            "a",
            {"lr": "0.001", "optimizer.name": "adam", "bs": "32"},
            {"team": "vision"},
            {"acc": 0.95, "loss": 0.1},
            RunStatus.FINISHED,
            60_000,
        ),
        (
            "b",
            {"lr": "0.01", "optimizer.name": "sgd", "bs": "64"},
            {"team": "vision"},
            {"acc": 0.80, "loss": 0.4},
            RunStatus.FINISHED,
            120_000,
        ),
        (
            "c",
            {"lr": "0.1", "optimizer.name": "adam", "bs": "128"},
            {"team": "nlp"},
            {"acc": 0.91},
            RunStatus.FAILED,
            30_000,
        ),
        (
            "d-debug",
            {"lr": "1e-4", "optimizer.name": "Adam"},
            {},
            {"acc": math.nan, "loss": 0.2},
            RunStatus.RUNNING,
            None,
        ),
        ("e", {"note": "text"}, {"team": "nlp"}, {}, RunStatus.KILLED, 10_000),
    ]
    ids = {}
    for i, (name, params, tags, metrics, status, duration) in enumerate(specs):
        run, _ = tracker.runs.create_run(
            RunCreate(
                project="p", name=name, params=params, tags=tags, start_ms=1_000_000 + i * 1000
            )
        )
        cols = {k: ([10], [1], [v]) for k, v in metrics.items()}
        tracker.runs.log_batch(run.id, Batch(None, cols, {}, {}))
        if status is not RunStatus.RUNNING:
            tracker.runs.update_run(
                run.id, RunUpdate(status=status, end_ms=1_000_000 + i * 1000 + duration)
            )
        ids[name] = run.id
    tracker.runs.create_run(RunCreate(project="elsewhere", name="z", params={"lr": "0.001"}))
    return ids


def names(tracker, filter=None, order_by=None, limit=100):
    page = tracker.search.search_runs("p", filter, order_by, limit)
    return [r.name for r in page.runs]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("metrics.acc > 0.9", {"a", "c"}),
        ("metrics.acc >= 0.91", {"a", "c"}),
        ("metrics.acc < 0.9", {"b"}),  # NaN compares false; runs without acc never match
        ("metrics.acc != 0.8", {"a", "c"}),
        ("metrics.loss <= 0.2", {"a", "d-debug"}),
        ("params.optimizer.name = 'adam'", {"a", "c"}),
        ("params.optimizer.name ILIKE 'adam'", {"a", "c", "d-debug"}),
        ("params.optimizer.name LIKE 'A%'", {"d-debug"}),
        ("params.lr = 0.001", {"a"}),  # numeric comparison of a numeric param
        ("params.lr < 0.01", {"a", "d-debug"}),
        ("params.lr = '1e-4'", {"d-debug"}),  # string comparison keeps the text
        ("params.bs IN (32, 64)", {"a", "b"}),
        ("params.bs NOT IN ('32')", {"b", "c"}),
        ("tags.team = 'vision'", {"a", "b"}),
        ("tags.team IS NULL", {"d-debug"}),
        ("tags.team IS NOT NULL", {"a", "b", "c", "e"}),
        ("status = 'finished'", {"a", "b"}),
        ("attributes.status IN ('failed', 'killed')", {"c", "e"}),
        ("name LIKE '%debug'", {"d-debug"}),
        ("NOT name LIKE '%debug'", {"a", "b", "c", "e"}),
        ("duration > 50000", {"a", "b"}),
        ("start_time >= 1003000", {"d-debug", "e"}),
        (
            "metrics.acc > 0.9 and (params.optimizer.name = 'adam' or tags.team = 'vision')",
            {"a", "c"},
        ),
        ("metrics.acc > 0.9 and params.optimizer.name = 'sgd' or tags.team = 'nlp'", {"c", "e"}),
        ("metrics.missing > 0", set()),
        ("params.nope = 'x'", set()),
    ],
)
def test_filter_selects_matching_runs(tracker, runs, query, expected):
    assert set(names(tracker, query)) == expected


def test_default_order_is_newest_first(tracker, runs):
    assert names(tracker) == ["e", "d-debug", "c", "b", "a"]


def test_order_by_metric_puts_runs_without_value_last(tracker, runs):
    assert names(tracker, order_by=["metrics.acc desc"]) == ["a", "c", "b", "d-debug", "e"]
    assert names(tracker, order_by=["metrics.acc asc"]) == ["b", "c", "a", "d-debug", "e"]


def test_order_by_numeric_param_sorts_numerically(tracker, runs):
    assert names(tracker, "params.bs IS NOT NULL", ["params.bs asc"]) == ["a", "b", "c"]


def test_order_by_attribute_and_secondary_key(tracker, runs):
    assert names(tracker, order_by=["status", "metrics.loss desc"]) == [
        "c",
        "b",
        "a",
        "e",
        "d-debug",
    ]
    assert names(tracker, order_by=["duration desc"])[:3] == ["b", "a", "c"]


@pytest.mark.parametrize("order", [["metrics.acc desc"], [], ["name"], ["params.bs desc"]])
def test_paging_visits_every_run_once_in_order(tracker, runs, order):
    full = names(tracker, order_by=order)
    seen: list[str] = []
    token = None
    while True:
        page = tracker.search.search_runs("p", None, order, 2, token)
        seen.extend(r.name for r in page.runs)
        token = page.next_page_token
        if token is None:
            break
    assert seen == full
    assert sorted(seen) == ["a", "b", "c", "d-debug", "e"]  # every run, none twice


def test_page_token_from_another_search_is_refused(tracker, runs):
    page = tracker.search.search_runs("p", None, ["metrics.acc desc"], 2)
    with pytest.raises(InvalidQueryError):
        tracker.search.search_runs(
            "p", "metrics.acc > 0", ["metrics.acc desc"], 2, page.next_page_token
        )
    with pytest.raises(InvalidQueryError):
        tracker.search.search_runs("p", None, None, 2, "garbage!")


def test_search_uses_bound_parameters_not_string_building(tracker, runs):
    hostile = "x' OR '1'='1"
    assert names(tracker, f"name = '{hostile.replace(chr(39), chr(39) * 2)}'") == []
    assert len(names(tracker)) == 5  # nothing was dropped or altered


@pytest.mark.parametrize(
    "query",
    ["metrics.acc >", "metrics.acc = 'high'", "bogus = 1", "name LIKE 3", "(status = 'finished'"],
)
def test_bad_filter_is_an_invalid_query_error(tracker, runs, query):
    with pytest.raises(InvalidQueryError):
        names(tracker, query)


def test_unknown_project_is_not_found(tracker):
    with pytest.raises(ProjectNotFoundError):
        tracker.search.search_runs("nope")


def test_projects_list_counts_runs(tracker, runs):
    projects = {p.name: p for p in tracker.search.list_projects()}
    assert projects["p"].run_count == 5 and projects["elsewhere"].run_count == 1


def test_total_counts_every_matching_run(tracker, runs):
    page = tracker.search.search_runs("p", "tags.team IS NOT NULL", None, 2, include_total=True)
    assert len(page.runs) == 2 and page.total == 4
    assert tracker.search.search_runs("p", None, None, 2).total is None


@pytest.mark.parametrize(
    ("group_by", "filter", "expected"),
    [
        ("params.optimizer.name", None, [("adam", 2), ("Adam", 1), ("sgd", 1), (None, 1)]),
        ("tags.team", "status != 'running'", [("nlp", 2), ("vision", 2)]),
        ("status", None, [("finished", 2), ("failed", 1), ("killed", 1), ("running", 1)]),
    ],
)
def test_group_counts_runs_per_value(tracker, runs, group_by, filter, expected):
    groups = tracker.search.group_runs("p", group_by, filter)
    assert [(g.value, g.count) for g in groups] == expected


def test_grouping_by_a_metric_is_refused(tracker, runs):
    with pytest.raises(InvalidQueryError):
        tracker.search.group_runs("p", "metrics.acc")


def test_project_keys_list_params_metrics_and_tags(tracker, runs):
    keys = tracker.search.list_project_keys("p")
    assert keys.params == ["bs", "lr", "note", "optimizer.name"]
    assert keys.metrics == ["acc", "loss"]
    assert keys.tags == ["team"]
    assert tracker.search.list_project_keys("elsewhere").params == ["lr"]


def test_projects_report_runs_per_day_for_a_sparkline(tracker):
    from labledger.core.ids import now_ms

    day = 86_400_000
    for age_days in (0, 0, 1, 5, 40):
        tracker.runs.create_run(RunCreate(project="spark", start_ms=now_ms() - age_days * day))
    spark = next(p for p in tracker.search.list_projects() if p.name == "spark")
    assert len(spark.runs_per_day) == 30
    assert spark.runs_per_day[-1] == 2 and spark.runs_per_day[-2] == 1
    assert spark.runs_per_day[-6] == 1 and sum(spark.runs_per_day) == 4


def test_order_by_start_time_ascending_gives_oldest_first(tracker, runs):
    assert names(tracker, order_by=["start_time asc"]) == ["a", "b", "c", "d-debug", "e"]
