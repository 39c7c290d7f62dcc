"""Search at and beyond its limits, on SQLite and PostgreSQL: grouping with a filter on the
grouped table, numbers beyond 64 bits, filters and orderings exactly at each limit, and
the SQLite crash that MAX_ORDER_KEYS keeps out of reach (docs/search.md, "Limits")."""

from __future__ import annotations

import base64
import json
import math
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter

import pytest
from sqlalchemy import event

from labledger.core.entities import Batch, DatasetRef, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import InvalidQueryError
from labledger.core.query_limits import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_PREDICATES,
    MAX_IN_VALUES,
    MAX_LIKE_PATTERN,
    MAX_ORDER_KEYS,
)
from labledger.store.projects import get_project_id
from labledger.store.search import _fingerprint
from tests.integration import sqlite_order_by_crash

BIG = "99999999999999999999"  # 1e20: beyond a signed 64-bit integer

# name, params, tags, metrics, status, start_ms, duration, user, group, dataset
SPECS = [
    ("a", {"bs": "32", "optimizer": "adam"}, {"team": "vision"}, {"acc": 0.95},
     RunStatus.FINISHED, 1_000_000, 60_000, "ann", "g1", "train"),
    ("b", {"bs": "64", "optimizer": "sgd"}, {"team": "vision", "big": BIG},
     {"acc": 0.8, "loss": math.inf}, RunStatus.FINISHED, 1_001_000, 2, "bob", None, None),
    ("c", {"bs": "64", "optimizer": "adam"}, {"team": "nlp"}, {"acc": math.nan},
     RunStatus.FAILED, 1_002_000, 30_000, "ann", "g1", "holdout"),
    ("d", {"note": "text"}, {}, {}, RunStatus.RUNNING, 1_003_000, None, None, "g2", None),
    ("e", {"bs": "128", "big": "1e20"}, {"team": "nlp"}, {"loss": -math.inf},
     RunStatus.KILLED, 1_004_000, 10_000, "bob", None, None),
]  # fmt: skip


@pytest.fixture
def seeded(tracker):
    for name, params, tags, metrics, status, start, duration, user, group, data in SPECS:
        run, _ = tracker.runs.create_run(
            RunCreate(
                project="p", name=name, params=params, tags=tags, start_ms=start, user=user,
                group=group,
            )
        )  # fmt: skip
        cols = {k: ([1], [1], [v]) for k, v in metrics.items()}
        datasets = ()
        if data:
            digest = (data * 64)[:64].encode().hex()[:64]
            datasets = (DatasetRef(data, "training", f"file:///{data}", digest, 10),)
        tracker.runs.log_batch(run.id, Batch(None, cols, {}, {}, datasets=datasets))
        if status is not RunStatus.RUNNING:
            tracker.runs.update_run(run.id, RunUpdate(status=status, end_ms=start + duration))
    return tracker


def names(tracker, filter=None, order_by=None):
    return [r.name for r in tracker.search.search_runs("p", filter, order_by, 100).runs]


# -- grouping with a filter on the grouped table (was: "no FROM clauses due to auto-correlation")

GROUP_FILTERS = [
    None,
    "params.bs = 64",
    "params.bs != 64",
    "params.bs > 32",
    "params.optimizer = 'adam'",
    "params.optimizer like 'a%'",
    "params.optimizer not like 'a%'",
    "params.optimizer ilike 'ADAM'",
    "params.optimizer not ilike 'ADAM'",
    "params.bs in (32, 64)",
    "params.optimizer not in ('sgd')",
    "params.optimizer is null",
    "params.optimizer is not null",
    "not params.bs = 64",
    "tags.team = 'vision'",
    "tags.team like 'v%'",
    "tags.team in ('nlp')",
    "tags.team not in ('nlp')",
    "tags.team is null",
    "not tags.team is not null",
    "metrics.acc > 0.5",
    "metrics.acc is null",
    "metrics.loss in (1e999)",
    "status = 'finished'",
    "status in ('failed', 'killed')",
    "duration > 1000",
    "user is null",
    "group like 'g%'",
    "datasets.name = 'train'",
    "datasets.name is null",
    "params.bs = 64 or tags.team = 'nlp'",
    "params.bs = 64 and not tags.team is null and (status = 'finished' or metrics.acc is null)",
]


def _group_value(run, group_by):
    kind, _, key = group_by.partition(".")
    if kind == "params":
        return run.params.get(key)
    if kind == "tags":
        return run.tags.get(key)
    value = {"status": run.status, "user": run.user, "group": run.group}[group_by]
    return value.value if isinstance(value, RunStatus) else value


@pytest.mark.parametrize(
    "group_by", ["params.optimizer", "params.bs", "tags.team", "status", "user", "group"]
)
def test_groups_match_the_runs_the_filter_finds_with_every_predicate_kind(seeded, group_by):
    for filter in GROUP_FILTERS:
        found = seeded.search.search_runs("p", filter, None, 100).runs
        expected = Counter(_group_value(r, group_by) for r in found)
        groups = seeded.search.group_runs("p", group_by, filter)
        got = {g.value: g.count for g in groups}
        assert got == dict(expected), (group_by, filter)
        counts = [g.count for g in groups if g.value is not None]
        assert counts == sorted(counts, reverse=True), (group_by, filter)


# -- numbers beyond 64 bits and beyond the double range -------------------------------------


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (f"metrics.acc < {BIG}", {"a", "b"}),  # NaN (c) never compares
        (f"metrics.acc > -{BIG}", {"a", "b"}),
        (f"metrics.acc > {BIG}", set()),
        (f"metrics.acc in (0.95, {BIG})", {"a"}),
        (f"metrics.loss > {BIG}", {"b"}),  # +Infinity
        (f"metrics.loss < -{BIG}", {"e"}),  # -Infinity
        ("metrics.loss = 1e999", {"b"}),  # a literal beyond the double range is infinity
        ("metrics.loss <= -1e999", {"e"}),
        ("metrics.loss < -1e999", set()),
        ("metrics.acc < " + "9" * 5000, {"a", "b"}),  # more digits than int() reads: inf
        (f"params.bs < {BIG}", {"a", "b", "c", "e"}),
        (f"params.bs = -{BIG}", set()),
        ("params.big = 100000000000000000000", {"e"}),  # 10**20 and the param 1e20
        (f"params.big >= {BIG}", {"e"}),  # compared as doubles: float(BIG) == 1e20
        (f"params.bs in (32, {BIG})", {"a"}),
        (f"start_time < {BIG}", {"a", "b", "c", "d", "e"}),
        (f"start_time > -{BIG}", {"a", "b", "c", "d", "e"}),
        (f"start_time > {BIG}", set()),
        (f"start_time in ({BIG}, 1001000)", {"b"}),
        (f"start_time not in (-{BIG}, 1001000)", {"a", "c", "d", "e"}),
        (f"end_time < {BIG}", {"a", "b", "c", "e"}),
        ("end_time < 1e999", {"a", "b", "c", "e"}),
        (f"duration < -{BIG}", set()),
        ("duration > 1.5", {"a", "b", "c", "e"}),  # a fraction against milliseconds
        ("duration < 2.5", {"b"}),
        ("duration = 2.0", {"b"}),
        ("duration = 2", {"b"}),
        (f"tags.big = {BIG}", {"b"}),  # against text the literal keeps its digits
        ("tags.big = 1e20", set()),
        (f"name = {BIG}", set()),
    ],
)
def test_numbers_beyond_64_bits_compare_the_same_on_both_databases(seeded, filter, expected):
    assert set(names(seeded, filter)) == expected
    assert seeded.search.count_runs("p", filter) == len(expected)


# -- filters exactly at each limit run on both databases ------------------------------------


def _nested(inner: str, levels: int) -> str:
    """``inner`` under ``levels`` AND/OR levels that keep its meaning."""
    text = inner
    for _ in range(levels // 2):
        text = f"({text} or metrics.acc > 99) and start_time > 0"
    return text


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (_nested("tags.team = 'vision'", MAX_FILTER_DEPTH), {"a", "b"}),
        (
            "not " * MAX_FILTER_DEPTH + "tags.team = 'nlp'",
            {"c", "e"} if MAX_FILTER_DEPTH % 2 == 0 else {"a", "b", "d"},
        ),
        (
            "not (" * (MAX_FILTER_DEPTH - 1)
            + "not params.optimizer is null"
            + ")" * (MAX_FILTER_DEPTH - 1),
            {"d", "e"} if MAX_FILTER_DEPTH % 2 == 0 else {"a", "b", "c"},
        ),
        (" or ".join(f"params.bs = {i}" for i in range(MAX_FILTER_PREDICATES)), {"a"}),
        (f"params.bs in ({', '.join(str(i) for i in range(MAX_IN_VALUES))})", {"a", "b", "c", "e"}),
        ("name like '" + "%" * (MAX_LIKE_PATTERN - 1) + "a'", {"a"}),
        ("name not ilike '" + "%" * (MAX_LIKE_PATTERN - 1) + "A'", {"b", "c", "d", "e"}),
    ],
)
def test_filters_at_each_limit_run(seeded, filter, expected):
    assert set(names(seeded, filter)) == expected
    assert seeded.search.count_runs("p", filter) == len(expected)
    groups = seeded.search.group_runs("p", "params.optimizer", filter)
    assert sum(g.count for g in groups) == len(expected)


@pytest.mark.parametrize(
    ("filter", "limit"),
    [
        (_nested("tags.team = 'vision'", MAX_FILTER_DEPTH + 2), "MAX_FILTER_DEPTH"),
        ("not " * (MAX_FILTER_DEPTH + 1) + "tags.team = 'nlp'", "MAX_FILTER_DEPTH"),
        (
            " or ".join(f"params.bs = {i}" for i in range(MAX_FILTER_PREDICATES + 1)),
            "MAX_FILTER_PREDICATES",
        ),
        (f"params.bs in ({', '.join('1' * (MAX_IN_VALUES + 1))})", "MAX_IN_VALUES"),
        ("name like '" + "%" * MAX_LIKE_PATTERN + "a'", "MAX_LIKE_PATTERN"),
    ],
)
def test_filters_over_a_limit_are_refused_by_search_count_and_groups(seeded, filter, limit):
    calls = [
        lambda: seeded.search.search_runs("p", filter),
        lambda: seeded.search.count_runs("p", filter),
        lambda: seeded.search.group_runs("p", "tags.team", filter),
    ]
    for call in calls:
        with pytest.raises(InvalidQueryError, match=limit) as info:
            call()
        assert info.value.details["field"] == "filter"


# -- ordering ---------------------------------------------------------------------------------

MIXED_ORDER = [
    "metrics.acc desc",
    "metrics.loss",
    "params.bs desc",
    "params.optimizer",
    "tags.team",
    "name desc",
    "start_time",
    "status",
]


def test_ordering_by_the_most_keys_allowed_runs_and_sorts_by_the_first(seeded):
    assert len(MIXED_ORDER) == MAX_ORDER_KEYS
    assert names(seeded, None, MIXED_ORDER) == ["a", "b", "c", "e", "d"]
    assert names(seeded, None, MIXED_ORDER[2:] + MIXED_ORDER[:2]) == ["e", "c", "b", "a", "d"]


def test_a_repeated_order_key_is_dropped_and_paging_still_works(seeded):
    once = names(seeded, None, ["params.bs desc", "name"])
    repeated = ["params.bs desc", "param.bs asc", "name", "attributes.run_name desc"]
    assert names(seeded, None, repeated) == once == ["e", "b", "c", "a", "d"]
    page = seeded.search.search_runs("p", None, repeated, 2)
    seen = [r.name for r in page.runs]
    while page.next_page_token:
        page = seeded.search.search_runs("p", None, repeated, 2, page.next_page_token)
        seen += [r.name for r in page.runs]
    assert seen == once


def test_more_order_keys_than_the_limit_are_refused_even_when_repeated(seeded):
    for order in (["metrics.acc"] * (MAX_ORDER_KEYS + 1), ["name"] * 64):
        with pytest.raises(InvalidQueryError, match="MAX_ORDER_KEYS") as info:
            seeded.search.search_runs("p", None, order)
        assert info.value.details == {"field": "order_by", "limit": MAX_ORDER_KEYS}


def _order_terms(sql: str) -> int:
    order = sql.rsplit(" ORDER BY ", 1)[1]
    order = re.split(r"\s+LIMIT\s", order)[0]
    return order.count(",") + 1


def test_the_largest_search_stays_far_from_sqlites_join_and_order_by_ceilings(seeded):
    """Every order key a metric or param: the most joined tables and ORDER BY terms a search
    can emit (SQLite crashed at 64 terms, refuses more than 64 tables)."""
    statements: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if " ORDER BY " in statement and "runs.pk" in statement.split("FROM")[0]:
            statements.append(statement)

    engine = seeded.db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        keys = [f"metrics.m{i}" for i in range(4)] + [f"params.p{i}" for i in range(4)]
        seeded.search.search_runs("p", "params.bs > 0", keys, 2)
        seeded.search.search_runs("p", None, [f"{k} desc" for k in reversed(keys)], 2)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert statements
    terms = max(_order_terms(s) for s in statements)
    joins = max(s.count(" JOIN ") for s in statements)
    assert terms <= 2 * MAX_ORDER_KEYS + 2 < 64
    assert joins <= MAX_ORDER_KEYS + 1 < 63


def test_sqlite_survives_the_largest_order_by_a_search_emits(tmp_path):
    """In a child process (a crash would take this one with it): the pure-SQL trigger of the
    SQLite 3.40-3.46.0 crash at the most ORDER BY terms a search may now emit, and a real
    search on SQLite ordered by MAX_ORDER_KEYS metric and param keys."""
    worst = 2 * MAX_ORDER_KEYS + 2
    done = sqlite_order_by_crash.run(worst)
    assert done.returncode == 0, (sqlite3.sqlite_version, done.stderr)
    code = textwrap.dedent(
        f"""
        from labledger.core.entities import Batch, RunCreate
        from labledger.services.tracker import Tracker
        t = Tracker.open({f"sqlite:///{tmp_path / 'x.db'}"!r},
                         artifact_uri={(tmp_path / "a").as_uri()!r})
        keys = ["m%d" % i for i in range(4)]
        for n in range(3):
            run, _ = t.runs.create_run(
                RunCreate(project="p", params={{"p%d" % i: str(n) for i in range(4)}}))
            t.runs.log_batch(run.id, Batch(None, {{k: ([1], [1], [n]) for k in keys}}, {{}}, {{}}))
        order = ["metrics." + k for k in keys] + ["params.p%d desc" % i for i in range(4)]
        print(len(t.search.search_runs("p", None, order, 2).runs))
        print(len(t.search.search_runs("p", None, order[::-1], 10).runs))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["2", "3"]


# -- page tokens ------------------------------------------------------------------------------


def _token(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def test_forged_page_tokens_are_refused_not_passed_to_the_database(seeded):
    with seeded.db.read() as conn:
        project_id = get_project_id(conn, "p")
    fp = _fingerprint(project_id, None, [])
    for forged in (
        _token({"p": 1, "o": 10**30, "f": fp}),
        _token({"p": 1, "o": -1, "f": fp}),
        _token({"p": 1, "o": 1e400, "f": fp}),
        _token({"p": 3, "o": 0, "f": fp}),
        _token([1, 2, 3]),
        "not base64 at all!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ):
        with pytest.raises(InvalidQueryError) as info:
            seeded.search.search_runs("p", None, None, 2, forged)
        assert info.value.details == {"field": "page_token"}
    assert (
        len(seeded.search.search_runs("p", None, None, 2, _token({"p": 1, "o": 4, "f": fp})).runs)
        == 1
    )
