"""Hostile input to the registry's routes, auth on, on SQLite and PostgreSQL: every value a
request sends that breaks a rule is a 4xx whose ``error_code`` and ``details.field`` name the
field (and the limit), and nothing is written.  Refusals that depend on what is stored (not
found, in use, approvals, roles) are in test_registry_refusals.py."""

from __future__ import annotations

from typing import Any

import pytest

from labledger.core import drift, registry
from labledger.core.limits import MAX_JSON_DEPTH, MAX_REQUEST_BODY

from .conftest import JSON, World, refused, snapshot

MAINTAINER = "maintainer"


# -- names -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a/b", "invalid_input"),
        ("a b", "invalid_input"),
        (".hidden", "invalid_input"),
        ("", "invalid_input"),
        ("a\x00b", "invalid_input"),
        ("x" * (registry.MAX_MODEL_NAME + 1), "limit_exceeded"),
        ("m\u200bodel", "invalid_input"),
        ("m\u0085", "invalid_input"),
    ],
    ids=["slash", "space", "dot", "empty", "nul", "251", "zero-width", "nel"],
)
def test_model_names_that_break_the_rule_are_refused(world: World, name: str, code: str):
    run = world.run(project="alpha")
    before = snapshot(world)
    body = refused(
        world.call(MAINTAINER, "POST", "/api/v1/models", json={"name": name, "project": "alpha"}),
        400,
        code,
        "name",
    )
    if code == "limit_exceeded":
        assert body["details"]["limit"] == registry.MAX_MODEL_NAME
    # registering under such a name (it names the model in the path) creates nothing either
    if "/" not in name and name and "\x00" not in name:
        answer = world.call(
            MAINTAINER, "POST", f"/api/v1/models/{name}/versions", json={"run_id": run, "path": "x"}
        )
        assert answer.status_code == 400 and answer.json()["error_code"] == code, answer.text
    assert snapshot(world) == before


def test_a_lone_surrogate_in_a_name_is_refused_at_the_front_door(world: World):
    before = snapshot(world)
    raw = b'{"name": "m\\ud800", "project": "alpha"}'
    answer = world.call(MAINTAINER, "POST", "/api/v1/models", content=raw, headers=JSON)
    refused(answer, 400, "malformed_json")
    assert answer.json()["details"]["field"] == "body"
    assert snapshot(world) == before


def test_model_names_in_the_path_that_break_the_rule_are_400(world: World):
    for path in ("a%20b", "a%00b", ".x", "x" * 251):
        answer = world.call("viewer", "GET", f"/api/v1/models/{path}")
        body = refused(answer, 400, answer.json()["error_code"], "model")
        assert body["error_code"] in ("invalid_input", "limit_exceeded")


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12", "-x", "a.b", "x" * 65])
def test_reserved_and_malformed_aliases_are_refused(world: World, alias: str):
    model = world.model()
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    code = "limit_exceeded" if len(alias) > registry.MAX_ALIAS else "invalid_input"
    for method, path, body in [
        ("PUT", f"{base}/policies/{alias}", {"policy": "approvals: 0"}),
        ("POST", f"{base}/aliases/{alias}/promote", {"version": 1}),
        ("POST", f"{base}/aliases/{alias}/approvals", {"version": 1}),
        ("GET", f"{base}/history?alias={alias}", None),
    ]:
        refused(world.call(MAINTAINER, method, path, json=body), 400, code, "alias")
    assert snapshot(world) == before


def test_an_empty_alias_is_refused(world: World):
    model = world.model()
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    refused(world.call("viewer", "GET", f"{base}/history?alias="), 400, "invalid_input", "alias")
    # an empty path segment names no route at all
    answer = world.call(MAINTAINER, "POST", f"{base}/aliases//promote", json={"version": 1})
    assert answer.status_code == 404 and answer.json()["error_code"] == "not_found"
    assert snapshot(world) == before


# -- versions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "status", "code"),
    [
        (0, 400, "invalid_input"),
        (-1, 400, "invalid_input"),
        (registry.MAX_VERSION + 1, 400, "invalid_input"),  # PostgreSQL's INTEGER ends before
        (2**63, 400, "invalid_input"),
        ("1", 422, "invalid_body"),
        (1.0, 422, "invalid_body"),
        (True, 422, "invalid_body"),
        (None, 422, "invalid_body"),
    ],
)
def test_version_numbers_out_of_range_or_of_the_wrong_type(
    world: World, version: Any, status: int, code: str
):
    model = world.model()
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    for path in (
        "aliases/champion/promote",
        "aliases/champion/check",
        "aliases/champion/approvals",
    ):
        answer = world.call(MAINTAINER, "POST", f"{base}/{path}", json={"version": version})
        refused(answer, status, code, "version")
    body = {"version": version, "env": "prod"}
    refused(
        world.call(MAINTAINER, "POST", f"{base}/deployments", json=body), status, code, "version"
    )
    assert snapshot(world) == before


def test_version_numbers_in_the_path_out_of_range(world: World):
    model = world.model()
    for number in (0, registry.MAX_VERSION + 1, 10**30):
        answer = world.call("viewer", "GET", f"/api/v1/models/{model}/versions/{number}")
        refused(answer, 422, "invalid_body", "version")
    answer = world.call("viewer", "GET", f"/api/v1/models/{model}/versions/{registry.MAX_VERSION}")
    refused(answer, 404, "model_version_not_found")


# -- policies ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("metrics: [acc >= 0.9", {"line": 1, "column": 21}),
        ("approvals: 1\n  sealed: true", {"line": 2, "column": 9}),
        ("surprise: 1", {"key": "surprise"}),
        ("metrics: ['acc >>= 0.9']", {"key": "metrics", "item": 0}),
        ("metrics: ['acc >= 0.9', 'acc']", {"key": "metrics", "item": 1}),
        ("metrics: ['acc >= 1e999']", {"key": "metrics", "item": 0}),
        ("metrics: ['acc >= latest.acc']", {"key": "metrics"}),
        ('metrics: ["a\\u0000c >= 1"]', {"key": "metrics", "item": 0}),
        ("require: [' git.commit']", {"key": "require", "item": 0}),
        ("approvals: 21", {"key": "approvals", "limit": registry.MAX_APPROVALS}),
        ("approvals: -1", {"key": "approvals", "limit": registry.MAX_APPROVALS}),
        ("approvals: true", {"key": "approvals"}),
        ("approvals: 99999999999999999999999", {"key": "approvals"}),
        ("sealed: 'yes please'", {"key": "sealed"}),
        ("[1, 2]", {}),
        ("a: " + "[" * 3000, {}),
    ],
    ids=lambda v: str(v)[:30],
)
def test_policies_that_do_not_parse_or_break_a_rule(world: World, text: str, details: dict):
    model = world.model()
    world.system.promotion.set_policy(model, "champion", "approvals: 1")
    before = snapshot(world)
    answer = world.call(
        MAINTAINER, "PUT", f"/api/v1/models/{model}/policies/champion", json={"policy": text}
    )
    body = refused(answer, 400, "invalid_input")
    assert body["details"]["field"] == "policy" and details.items() <= body["details"].items()
    if "line" in details:
        assert f"line {details['line']}, column {details['column']}" in body["message"]
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "text", ["drift: {psi: 0}", "drift: {psi: .nan}", "drift: {kl: 1}", "drift: [1]", "metrics: []"]
)
def test_a_models_own_policy_takes_drift_thresholds_only(world: World, text: str):
    model = world.model()
    before = snapshot(world)
    answer = world.call(MAINTAINER, "PUT", f"/api/v1/models/{model}/policy", json={"policy": text})
    body = refused(answer, 400, "invalid_input")
    assert body["details"]["field"] == "policy"
    assert body["details"]["key"] in ("drift", "metrics")
    assert snapshot(world) == before


def test_a_policy_over_its_length_is_refused(world: World):
    model = world.model()
    text = "#" * (registry.MAX_POLICY_CHARS + 1)
    answer = world.call(MAINTAINER, "PUT", f"/api/v1/models/{model}/policy", json={"policy": text})
    body = refused(answer, 400, "limit_exceeded", "policy")
    assert body["details"]["limit"] == registry.MAX_POLICY_CHARS


# -- telemetry -----------------------------------------------------------------------------------
def _telemetry(world: World, model: str, body: Any, env: str = "prod", **kw: Any) -> Any:
    path = f"/api/v1/models/{model}/deployments/{env}/telemetry"
    return world.call("editor", "POST", path, json=body, **kw)


@pytest.mark.parametrize(
    ("data", "field", "extra"),
    [
        ({"y": [1.0]}, "data.y", {"known": ["x"]}),  # a feature the reference lacks
        ({"x": ["NaN"]}, "data.x", {}),  # a text among numbers: not a NaN
        ({"x": [1.0, 2.0], "y": [1.0]}, "data.y", {"length": 1, "expected": 2}),
        ({"x": []}, "data.x", {}),
        ({}, "data", {"limit": drift.MAX_FEATURES}),
        ({f"f{i}": [1.0] for i in range(drift.MAX_FEATURES + 1)}, "data", {}),
        ({"x\x07": [1.0]}, "data.x\x07", {}),
        ({"x": ["a" * (drift.MAX_CATEGORY + 1)]}, "data.x", {"limit": drift.MAX_CATEGORY}),
    ],
    ids=["unknown", "nan-text", "lengths", "empty-column", "no-data", "201", "bell", "long-text"],
)
def test_telemetry_that_does_not_check_changes_nothing(
    world: World, data: dict, field: str, extra: dict
):
    model = world.model(deploy=True, reference=True)
    before = snapshot(world)
    body = refused(_telemetry(world, model, {"data": data}), 400, "invalid_input")
    assert body["details"]["field"] == field and extra.items() <= body["details"].items(), body
    assert snapshot(world) == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400", "-1e400", "1" * 400])
def test_telemetry_numbers_json_cannot_carry_are_refused_at_the_front_door(
    world: World, number: str
):
    model = world.model(deploy=True, reference=True)
    before = snapshot(world)
    raw = f'{{"data": {{"x": [1.0, {number}]}}}}'.encode()
    answer = _telemetry(world, model, None, content=raw, headers=JSON)
    assert refused(answer, 400, "malformed_json")["details"]["field"] == "body"
    assert snapshot(world) == before


def test_telemetry_naming_an_unknown_reference_or_environment(world: World):
    model = world.model(deploy=True, reference=True)
    before = snapshot(world)
    answer = _telemetry(world, model, {"data": {"x": [1.0]}, "reference": "nope"})
    assert refused(answer, 404, "reference_not_found", "reference")["details"]["known"] == [
        "inputs"
    ]
    refused(_telemetry(world, model, {"data": {"x": [1.0]}, "reference": ""}), 400, "invalid_input")
    answer = _telemetry(world, model, {"data": {"x": [1.0]}}, env="staging")
    assert refused(answer, 404, "deployment_not_found")["details"]["env"] == "staging"
    assert snapshot(world) == before


# -- search and lineage ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"filter": "name = "}, "invalid_query", None),
        ({"filter": "name = 'a' and"}, "invalid_query", None),
        ({"filter": "metrics.acc > 0.9"}, "invalid_query", "metrics.acc"),
        ({"filter": "model.params.x = 1"}, "invalid_query", "model.params.x"),
        ({"filter": "tags. = 'x'"}, "invalid_query", None),
        ({"order_by": ["size desc"]}, "invalid_query", "order_by"),
        ({"order_by": ["name sideways"]}, "invalid_query", "order_by"),
        ({"order_by": ["name"] * 4}, "limit_exceeded", "order_by"),
        ({"limit": 0}, "invalid_input", "limit"),
        ({"page_token": "x"}, None, None),
    ],
    ids=lambda v: str(v)[:30],
)
def test_registry_search_refuses_what_does_not_parse(
    world: World, body: dict, code: str | None, field: str | None
):
    world.model()
    answer = world.call("viewer", "POST", "/api/v1/registry/search", json=body)
    assert answer.status_code == 400, answer.text
    found = answer.json()
    assert code is None or found["error_code"] == code, found
    if field is not None:
        assert found["details"]["field"] == field and field in found["message"], found


@pytest.mark.parametrize("depth", [0, 11, -1])
def test_lineage_depth_is_from_1_to_10(world: World, depth: int):
    model = world.model()
    answer = world.call("viewer", "GET", f"/api/v1/lineage?node=version:{model}/1&depth={depth}")
    refused(answer, 422, "invalid_body", "depth")


@pytest.mark.parametrize(
    "node",
    [
        "version:{m}/2147483648",
        "{m}/99999999999999999999",
        "deployment:99999999999999999999",
        "deployment:\u00b2",
        "deployment:\u0661",
        "run:" + "0" * 32,
        "blob:" + "0" * 64,
        "a\x00b",
    ],
)
def test_lineage_nodes_no_row_can_hold_are_not_found(world: World, node: str):
    model = world.model(deploy=True)
    answer = world.call("viewer", "GET", "/api/v1/lineage", params={"node": node.format(m=model)})
    refused(answer, 404, "lineage_node_not_found")


# -- the front door ----------------------------------------------------------------------------
def test_deep_and_huge_bodies_are_refused_before_any_route(world: World):
    model = world.model(deploy=True, reference=True)
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    writes = [
        ("PUT", f"{base}/policies/champion"),
        ("POST", f"{base}/aliases/champion/promote"),
        ("POST", f"{base}/deployments/prod/telemetry"),
        ("POST", "/api/v1/registry/search"),
        ("POST", "/api/v1/models"),
    ]
    deep = b'{"data":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    huge = b'{"policy": "' + b"x" * MAX_REQUEST_BODY + b'"}'
    for method, path in writes:
        answer = world.call(MAINTAINER, method, path, content=deep, headers=JSON)
        assert refused(answer, 400, "limit_exceeded")["details"] == {
            "field": "body",
            "limit": MAX_JSON_DEPTH,
        }
        answer = world.call(MAINTAINER, method, path, content=huge, headers=JSON)
        assert refused(answer, 413, "body_too_large")["details"]["limit"] == MAX_REQUEST_BODY
        answer = world.call(MAINTAINER, method, path, content=b"null", headers=JSON)
        assert answer.status_code in (400, 422) and answer.json()["error_code"], answer.text
    assert snapshot(world) == before


# -- every registry operation ------------------------------------------------------------------
PATH_VALUES = {  # the i-th value of every parameter goes together
    "model": ["nope", "a%00b", "%E2%80%8B", "x" * 300, "..", "9" * 30],
    "version": ["1", "0", "99999999999999999999", "-1", "1.5", "abc"],
    "alias": ["champion", "latest", "%00", "x" * 100, "v1", "_"],
    "env": ["prod", "%00", "a b", "x" * 100, "-", "é"],
    "key": ["k", "%00", "%20a", "x" * 300, "a%2Fb", "%7F"],
    "run_id": ["0" * 32, "0" * 31, "Z" * 32, "x", "0" * 33, "%00"],
    "name": ["r", "%00", " r", "x" * 300, "r", "r"],
    "project": ["alpha", "beta", "nope", "%00", "x" * 300, "."],
    "webhook_id": ["0" * 32, "zz", "%00", "x" * 300, "0", "g" * 32],
    "delivery_id": ["1", "0", "99999999999999999999", "-1", "x", "1e3"],
}
BODIES: list[Any] = [
    {},
    {"version": 2**63, "env": "prod", "policy": "[" * 100, "data": {"x": [1e308, -1e308]}},
    {"name": "m", "project": "alpha", "run_id": "0" * 32, "path": "a", "url": "http://h/"},
    {"filter": "not " * 100 + "name = 'm'", "order_by": ["name"], "reference": "x" * 300},
]
MINE = ("/api/v1/models", "/api/v1/registry", "/api/v1/lineage", "/api/v1/webhooks")


def _registry_operations(world: World) -> list[tuple[str, str, list[str]]]:
    document = world.call("admin", "GET", "/openapi.json").json()
    return [
        (method.upper(), path, sorted(m.upper() for m in item))
        for path, item in document["paths"].items()
        if path.startswith(MINE) or path.endswith(("/webhooks", "/references/{name}"))
        for method in item
    ]


def _concrete(path: str, i: int) -> str:
    for name, values in PATH_VALUES.items():
        path = path.replace("{" + name + "}", values[i])
    assert "{" not in path, path
    return path


@pytest.mark.parametrize("caller", ["admin", "maintainer", "outsider"])
def test_no_registry_operation_answers_5xx_to_hostile_input(world: World, caller: str):
    world.model(alias=True, deploy=True, reference=True)
    operations = _registry_operations(world)
    assert len(operations) >= 40, operations
    for method, template, _ in operations:
        for i in range(len(PATH_VALUES["model"])):
            url = _concrete(template, i)
            for body in BODIES if method in ("POST", "PUT", "PATCH") else [None]:
                answer = world.call(caller, method, url, json=body)
                assert answer.status_code < 500, (method, url, body, answer.text)
                if answer.status_code >= 400:
                    assert answer.json()["error_code"], (method, url, answer.text)
            if method in ("POST", "PUT", "PATCH"):
                answer = world.call(caller, method, url, content=b"null", headers=JSON)
                assert 400 <= answer.status_code < 500, (method, url, answer.text)


def test_every_method_a_registry_path_does_not_take_is_405_with_allow(world: World):
    for _, template, documented in _registry_operations(world):
        url = _concrete(template, 0)
        for other in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if other in documented:
                continue
            answer = world.call("admin", other, url, content=b"{}", headers=JSON)
            assert answer.status_code == 405, (other, url, answer.text)
            assert answer.headers["allow"] == ", ".join(documented), (other, url)
