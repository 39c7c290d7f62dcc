"""Hostile searches against the real app in-process, on SQLite and PostgreSQL.

Every answer from /runs/search, /runs/count, /runs/groups and /runs/validate-filter must be
a 200 or a 4xx carrying an ``error_code`` (never a 5xx, never a dead process); a request
over a search limit must be refused naming it (docs/search.md, "Limits")."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labledger.core.query_limits import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_PREDICATES,
    MAX_IN_VALUES,
    MAX_LIKE_PATTERN,
    MAX_ORDER_KEYS,
    QUERY_LIMITS,
)
from tests.conftest import PG_URL, _pg_admin

BIG = "99999999999999999999"
D, P, N, L = MAX_FILTER_DEPTH, MAX_FILTER_PREDICATES, MAX_IN_VALUES, MAX_LIKE_PATTERN


def _deep(levels: int) -> str:
    text = "metrics.acc > 0.5"
    for i in range(levels):
        text = f"params.bs = {i} {'and' if i % 2 else 'or'} ({text})"
    return text


# (filter, the limit it must be refused by, or None when any 200/4xx will do)
FILTERS: list[tuple[Any, str | None]] = [
    # numbers
    (f"metrics.acc > {BIG}", None),
    (f"metrics.acc > -{BIG}", None),
    (f"metrics.acc in (1, {BIG}, -{BIG})", None),
    (f"params.bs > {BIG}", None),
    (f"params.bs = -{BIG}", None),
    (f"params.bs not in ({BIG})", None),
    (f"start_time > {BIG}", None),
    (f"end_time < -{BIG}", None),
    (f"duration >= {BIG}", None),
    (f"start_time in ({BIG}, -{BIG}, 1.5)", None),
    (f"tags.team = {BIG}", None),
    (f"name = -{BIG}", None),
    (f"status in ({BIG})", None),
    (f"datasets.name = {BIG}", None),
    ("metrics.acc > 1e400", None),
    ("metrics.acc < -1e400", None),
    ("start_time > 1e-400", None),
    ("metrics.acc > " + "9" * 5000, None),
    ("metrics.acc > -" + "9" * 4000, None),
    ("duration > 9223372036854775807", None),
    ("duration > 9223372036854775808", None),
    ("start_time < -9223372036854775809", None),
    ("metrics.acc > 0x10", None),
    ("metrics.acc > 1_000", None),
    ("metrics.acc > NaN", None),
    ("metrics.acc > inf", None),
    ("metrics.acc > --1", None),
    ("metrics.acc > 1e", None),
    ("metrics.acc > +.5", None),
    ("metrics.acc > .", None),
    # nesting
    ("not " * 50 + "metrics.acc > 1", "MAX_FILTER_DEPTH"),
    ("NOT " * (D + 1) + "tags.team = 'a'", "MAX_FILTER_DEPTH"),
    ("not " * 2400 + "name = 'x'", "MAX_FILTER_DEPTH"),
    ("not " * D + "tags.team = 'a'", None),
    (_deep(D), None),
    (_deep(D + 1), "MAX_FILTER_DEPTH"),
    ("not (" * D + "name = 'x'" + ")" * D, None),
    ("not (" * (D + 1) + "name = 'x'" + ")" * (D + 1), "MAX_FILTER_DEPTH"),
    ("(" * 10_000 + "metrics.acc > 1" + ")" * 10_000, "MAX_QUERY_LENGTH"),
    ("(" * 4_990 + "metrics.acc > 1" + ")" * 4_990, None),
    ("(" * 4_990 + "metrics.acc > 1" + ")" * 4_989, None),
    ("(" * 3 + "metrics.acc > 1" + ")" * 5, None),
    ("((((((((((", None),
    (")))))", None),
    # size
    (" or ".join(f"params.bs = {i}" for i in range(P)), None),
    (" or ".join(f"params.bs = {i}" for i in range(P + 1)), "MAX_FILTER_PREDICATES"),
    (" and ".join(["tags.team is not null"] * (P + 1)), "MAX_FILTER_PREDICATES"),
    (" or ".join(["metrics.acc > 1"] * 600), "MAX_QUERY_LENGTH"),
    (f"params.bs in ({','.join(str(i) for i in range(N))})", None),
    (f"params.bs in ({','.join(str(i) for i in range(N + 1))})", "MAX_IN_VALUES"),
    (f"tags.team not in ({','.join(['null'] * (N + 1))})", "MAX_IN_VALUES"),
    (f"metrics.acc in ({','.join(['1'] * 4000)})", "MAX_IN_VALUES"),
    (f"id in ({','.join(repr(uuid.uuid4().hex) for _ in range(280))})", None),
    ("name like '" + "%" * L + "'", None),
    ("name like '" + "%a" * L + "'", "MAX_LIKE_PATTERN"),
    ("tags.team not ilike '" + "_" * 9_000 + "'", "MAX_LIKE_PATTERN"),
    ("params.optimizer ilike '" + "%" * (L - 1) + "M'", None),
    ("name = '" + "x" * 9_980 + "'", None),
    ("params.`" + "k" * 9_000 + "` = 1", None),
    # text no database can bind, control and exotic characters
    ("params.x = 'a\x00b'", None),
    ("tags.`a\x00` is null", None),
    ("\x00", None),
    ("name = '\x01\x1f\x7f'", None),
    ("name = '\u202e\u2028\ufeff'", None),
    ("name = '🧪' or tags.team = 'ß'", None),
    ("name ＝ 'x'", None),
    ("metrics.acc > 1 ＡＮＤ name = 'x'", None),
    ("tags.`` = 'x'", None),
    ("tags.\"\" = 'x'", None),
    ("params.` = 1", None),
    ("name = 'unterminated", None),
    ("name = 'ends with backslash\\", None),
    ("name = ''''", None),
    ('name = """"', None),
    ("name like '\\%\\_'", None),
    # grammar edge cases
    ("", None),
    ("   \n\t ", None),
    ("and", None),
    ("or or", None),
    ("not", None),
    ("metrics.acc", None),
    ("'just a string'", None),
    ("42", None),
    ("null", None),
    ("metrics. > 1", None),
    (".x > 1", None),
    ("foo.bar = 1", None),
    ("attributes.nope = 1", None),
    ("datasets.size > 3", None),
    ("datasets.name > 5", None),
    ("metrics.acc like 'x'", None),
    ("metrics.acc = 'x'", None),
    ("metrics.acc in ('a')", None),
    ("metrics.acc = null", None),
    ("start_time = 'yesterday'", None),
    ("start_time like '1%'", None),
    ("status = 5", None),
    ("name like 5", None),
    ("name in (1, 'a', null)", None),
    ("params.x in (1, 'a')", None),
    ("tags.team != null", None),
    ("metrics.acc is null or datasets.digest is not null", None),
    ("metrics.acc = 1 = 2", None),
    ("metrics.acc >< 1", None),
    ("id in ()", None),
    ("run_id = 'x' or run_key like '%' or parent_id is null", None),
    # injection attempts are just text
    ("name = 'x'; DROP TABLE runs; --", None),
    ("name = 'x'' OR 1=1 --'", None),
    ("params.`x' OR '1'='1` = 'y'", None),
    ('tags."team"" OR 1=1 --" = 1', None),
    ("name = 'x' union select * from runs", None),
    # not strings at all (pydantic answers 422)
    (5, None),
    (["metrics.acc > 1"], None),
    ({"filter": "x"}, None),
]

ORDERS: list[tuple[Any, str | None]] = [
    ([], None),
    (["metrics.acc"] * MAX_ORDER_KEYS, None),
    (["metrics.acc"] * (MAX_ORDER_KEYS + 1), "MAX_ORDER_KEYS"),
    (["metrics.acc"] * 31, "MAX_ORDER_KEYS"),
    (["metrics.acc"] * 32, "MAX_ORDER_KEYS"),
    (["params.bs desc"] * 64, "MAX_ORDER_KEYS"),
    (["tags.team"] * 70, "MAX_ORDER_KEYS"),
    ([f"metrics.m{i} desc" for i in range(MAX_ORDER_KEYS)], None),
    ([f"params.p{i}" for i in range(MAX_ORDER_KEYS + 1)], "MAX_ORDER_KEYS"),
    (
        [
            "metrics.acc desc",
            "metrics.loss",
            "params.bs desc",
            "params.optimizer",
            "tags.team",
            "name",
            "start_time",
            "duration desc",
        ],
        None,
    ),
    (["metrics.acc desc", "metric.acc asc", "attributes.run_name", "name desc"], None),
    ([""] * 100, None),
    (["datasets.name"], None),
    (["metrics."], None),
    (["nope.x"], None),
    (["name sideways"], None),
    (["metrics.acc desc desc"], None),
    (["metrics.`a b` desc"], None),
    (["name\x00"], None),
    (["params." + "k" * 10_000], None),
    ([f"metrics.{BIG}"], None),
    ("metrics.acc", None),
    ([1, 2], None),
    (None, None),
]

GROUP_BYS: list[Any] = [
    "params.optimizer",
    "params.bs",
    "tags.team",
    "status",
    "user",
    "group",
    "parent_id",
    "name",
    "duration",
    "metrics.acc",
    "datasets.name",
    "",
    "nope",
    "params.",
    "params.\x00",
    "tags." + "k" * 10_000,
    5,
    None,
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from fastapi.testclient import TestClient

    from labledger.core.settings import Settings
    from labledger.server.app import create_app

    data: Path = tmp_path_factory.mktemp("hostile")
    db_uri = None
    admin = None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "postgres":
        admin = _pg_admin()
        admin.execute(f'CREATE SCHEMA "{schema}"')
        db_uri = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        app = create_app(Settings(data_dir=str(data), db_uri=db_uri, auth=False))
        with TestClient(app, raise_server_exceptions=False) as api:
            _seed(api)
            yield api
    finally:
        if admin is not None:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
            admin.close()


def _seed(api: Any) -> None:
    runs = [
        ({"bs": "32", "optimizer": "adam"}, {"team": "vision"}, {"acc": 0.9, "loss": "NaN"}),
        ({"bs": "64", "optimizer": "sgd"}, {"team": "nlp", "big": BIG}, {"acc": "Infinity"}),
        ({"note": "x"}, {}, {"m0": -1.0}),
    ]
    for params, tags, metrics in runs:
        created = api.post("/api/v1/runs", json={"project": "p", "params": params, "tags": tags})
        assert created.status_code == 201, created.text
        cols = {k: {"steps": [1], "timestamps": [1], "values": [v]} for k, v in metrics.items()}
        done = api.post(f"/api/v1/runs/{created.json()['id']}/batches", json={"metrics": cols})
        assert done.status_code == 200, done.text


def _post(api: Any, path: str, body: dict[str, Any]) -> Any:
    # bodies are sent as raw JSON text so that lone surrogates and NULs go over the wire as
    # the \\u escapes a hostile client would send
    raw = json.dumps(body, ensure_ascii=True)
    return api.post(path, content=raw, headers={"Content-Type": "application/json"})


def _check(response: Any, limit: str | None, field: str) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code != 200:
        assert 400 <= response.status_code < 500
        assert isinstance(body.get("error_code"), str) and body["error_code"], body
        assert isinstance(body.get("message"), str)
    if limit is not None:
        assert response.status_code == 400, body
        _names(body, limit, field)


def _names(error: dict[str, Any], limit: str, field: str) -> None:
    assert error["error_code"] == "invalid_query"
    assert limit in error["message"] and str(QUERY_LIMITS[limit]) in error["message"]
    assert error["details"]["field"] == field
    assert error["details"]["limit"] == QUERY_LIMITS[limit]


@pytest.mark.parametrize(("filter", "limit"), FILTERS, ids=range(len(FILTERS)))
def test_hostile_filters_answer_200_or_4xx_naming_the_limit(client, filter, limit):
    _check(
        _post(client, "/api/v1/runs/search", {"project": "p", "filter": filter}), limit, "filter"
    )
    _check(_post(client, "/api/v1/runs/count", {"project": "p", "filter": filter}), limit, "filter")
    for group_by in ("params.optimizer", "tags.team", "status"):
        body = {"project": "p", "filter": filter, "group_by": group_by}
        _check(_post(client, "/api/v1/runs/groups", body), limit, "filter")
    body = {"project": "p", "filter": filter, "order_by": ["metrics.acc desc", "params.bs"]}
    _check(_post(client, "/api/v1/runs/search", body), limit, "filter")
    checked = _post(client, "/api/v1/runs/validate-filter", {"filter": filter})
    _check(checked, None, "filter")
    if limit is not None:
        assert checked.status_code == 200 and checked.json()["valid"] is False
        _names(checked.json()["error"], limit, "filter")


@pytest.mark.parametrize(("order_by", "limit"), ORDERS, ids=range(len(ORDERS)))
def test_hostile_orderings_answer_200_or_4xx_naming_the_limit(client, order_by, limit):
    for filter in (None, "params.bs > 0", "metrics.acc > 0 or tags.team is null"):
        body = {"project": "p", "filter": filter, "order_by": order_by, "limit": 1}
        response = _post(client, "/api/v1/runs/search", body)
        _check(response, limit, "order_by")
        token = response.json().get("next_page_token") if response.status_code == 200 else None
        while token:  # every page of a valid ordering answers too
            page = _post(client, "/api/v1/runs/search", {**body, "page_token": token})
            _check(page, None, "order_by")
            token = page.json()["next_page_token"]
    checked = _post(client, "/api/v1/runs/validate-filter", {"order_by": order_by})
    _check(checked, None, "order_by")
    if limit is not None:
        assert checked.json()["valid"] is False
        _names(checked.json()["error"], limit, "order_by")


@pytest.mark.parametrize("group_by", GROUP_BYS, ids=range(len(GROUP_BYS)))
def test_hostile_group_bys_answer_200_or_4xx(client, group_by):
    for filter in (None, "params.bs = 64", "tags.team = 'nlp'", "params.optimizer is null"):
        body = {"project": "p", "group_by": group_by, "filter": filter}
        _check(_post(client, "/api/v1/runs/groups", body), None, "group_by")


def _token(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "not base64!",
        "=" * 100,
        "A" * 50_000,
        _token({"p": 1, "o": 10**30, "f": "0" * 16}),
        _token({"p": 2, "o": -5, "f": "0" * 16}),
        _token({"p": 1, "o": 1e308, "f": "0" * 16}),
        _token({"p": "1", "o": "0", "f": None}),
        _token(None),
        _token("string"),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        5,
    ],
    ids=range(13),
)
def test_hostile_page_tokens_answer_4xx(client, token):
    body = {"project": "p", "order_by": ["metrics.acc"], "page_token": token, "limit": 1}
    _check(_post(client, "/api/v1/runs/search", body), None, "page_token")


@pytest.mark.parametrize("limit", [0, -1, 5001, 10**30, 1.5, "10", None])
def test_hostile_page_sizes_answer_200_or_4xx(client, limit):
    for path in ("/api/v1/runs/search", "/api/v1/runs/groups"):
        body = {"project": "p", "limit": limit, "group_by": "status"}
        if path.endswith("search"):
            body.pop("group_by")
        _check(_post(client, path, body), None, "limit")


@pytest.mark.parametrize("project", ["nope", "", "p" * 10_000, "p\x00", "../p", 5])
def test_hostile_projects_answer_4xx(client, project):
    for path in ("/api/v1/runs/search", "/api/v1/runs/count"):
        _check(_post(client, path, {"project": project, "filter": "metrics.acc > 0"}), None, "")


def test_lone_surrogates_over_the_wire_answer_4xx(client):
    for text in ("tags.team = '\ud800'", "params.`\udfff` = 1", "name = 'a\udbff\udc00b'"):
        for path in ("/api/v1/runs/search", "/api/v1/runs/count", "/api/v1/runs/validate-filter"):
            _check(_post(client, path, {"project": "p", "filter": text}), None, "filter")
        body = {"project": "p", "order_by": [text.split()[0]]}
        _check(_post(client, "/api/v1/runs/search", body), None, "order_by")
