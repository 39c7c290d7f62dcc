"""The OpenAPI document is true: its rules are the validators' rules, it lists what every
operation answers, and the server answers what it lists.

Patterns are judged as Schemathesis and JSON Schema judge them (ECMA-262, through
jsonschema_rs), against the validators the server runs.  tests/integration/test_schemathesis.py
holds the running server to the whole document.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labledger.core import limits
from labledger.core.artifact_validation import (
    check_artifact_path,
    check_digest,
    check_media_type,
)
from labledger.core.batches import parse_batch
from labledger.core.errors import InvalidInputError
from labledger.core.ids import is_valid_id
from labledger.core.provenance import check_dataset, check_role
from labledger.core.validation import check_key, check_project_name, check_str
from labledger.server.schemas import common as schemas
from labledger.services.completeness import check_field

HEX = "0123456789abcdef"
EXAMPLES = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# characters that sit on the edges of the rules: controls, the spaces str.strip() removes,
# separators, quotes, non-ASCII letters and a character outside the BMP
EDGES = (
    'aZ09._-+/;=" \t\n\r\\\x00\x1f\x7f\x80\x85\x9f\xa0\u1680\u2000\u200a\u2028\u202f'
    "\u3000\ufeff\u00e9\U0001f600"
)
CHARS = st.characters(codec="utf-8")  # JSON carries no lone surrogate (the front door's 400)
text_near_edges = st.text(alphabet=st.sampled_from(EDGES) | CHARS, max_size=12)


def accepts(check: Callable[[str], object]) -> Callable[[str], bool]:
    def run(value: str) -> bool:
        try:
            check(value)
        except InvalidInputError:  # limit_exceeded and invalid_artifact_path are kinds of it
            return False
        return True

    return run


def published(rule: dict[str, Any]) -> Callable[[str], bool]:
    validator = jsonschema_rs.validator_for({"type": "string", **rule})
    return validator.is_valid  # type: ignore[no-any-return]


def same_verdicts(rule: dict[str, Any], check: Callable[[str], object], value: str) -> None:
    assert published(rule)(value) == accepts(check)(value), repr(value)


# -- the published rules are the validators' rules ---------------------------------------------
@EXAMPLES
@given(st.one_of(text_near_edges, st.text(CHARS, max_size=3).map(lambda s: f" {s}"), st.just("")))
def test_key_rule_is_check_key(value: str) -> None:
    same_verdicts(schemas.KEY_RULE, lambda v: check_key("k", v), value)


def test_key_rule_at_its_length_limit() -> None:
    for n in (limits.MAX_KEY, limits.MAX_KEY + 1):
        same_verdicts(schemas.KEY_RULE, lambda v: check_key("k", v), "k" * n)


def test_key_rule_spaces_are_the_ones_strip_removes() -> None:
    import sys

    control = re.compile(r"[\x00-\x1f\x7f-\x9f]")
    spaces = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
    for c in spaces + ["\u180e", "\u200b", "\ufeff"]:
        for value in (f"{c}a", f"a{c}", f"a{c}a"):
            same_verdicts(schemas.KEY_RULE, lambda v: check_key("k", v), value)
        assert c.isspace() or not control.match(c)


project_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,5}", fullmatch=True)


@EXAMPLES
@given(st.one_of(project_names, text_near_edges))
def test_project_rule_is_check_project_name(value: str) -> None:
    rule = {"minLength": 1, "maxLength": limits.MAX_PROJECT_NAME, "pattern": schemas.PROJECT}
    same_verdicts(rule, check_project_name, value)
    same_verdicts(rule, check_project_name, value * (limits.MAX_PROJECT_NAME // 2 + 1))


segments = st.one_of(
    st.sampled_from(["", ".", "..", "...", ".a", "a.", "a b", "é", "a\\b", "a\x00", "\x7f"]),
    st.text(alphabet=st.sampled_from("ab.-_ é\t\x01\\"), min_size=1, max_size=4),
    st.just("s" * limits.MAX_ARTIFACT_SEGMENT),
    st.just("s" * (limits.MAX_ARTIFACT_SEGMENT + 1)),
)
artifact_paths = st.builds(
    lambda parts, lead, trail: lead + "/".join(parts) + trail,
    st.lists(segments, min_size=1, max_size=5),
    st.sampled_from(["", "/"]),
    st.sampled_from(["", "/", "//"]),
)
PATH_RULE = {
    "minLength": 1,
    "maxLength": limits.MAX_ARTIFACT_PATH,
    "pattern": schemas.ARTIFACT_PATH,
}


@EXAMPLES
@given(artifact_paths)
def test_artifact_path_rule_is_check_artifact_path(value: str) -> None:
    same_verdicts(PATH_RULE, lambda v: check_artifact_path("path", v), value)


@EXAMPLES
@given(artifact_paths)
def test_artifact_folder_rule_is_what_listing_takes(value: str) -> None:
    rule = {"maxLength": limits.MAX_ARTIFACT_PATH, "pattern": schemas.ARTIFACT_FOLDER}
    same_verdicts(rule, lambda v: check_artifact_path("path", v, allow_empty=True), value)


def test_artifact_path_rules_at_the_length_limit() -> None:
    path = "/".join(["s" * 99] * 10)  # 999 characters
    for value in (path, path + "x", path + "/", path + "x/"):
        same_verdicts(PATH_RULE, lambda v: check_artifact_path("path", v), value)


media_types = st.builds(
    lambda t, s, params: f"{t}/{s}{params}",
    st.text(alphabet="ab0_.+-é ", min_size=0, max_size=4),
    st.text(alphabet="ab0_.+-é ", min_size=0, max_size=4),
    st.sampled_from(
        ["", ";", "; a=b", ";a=b", " ; charset=utf-8", '; x="q r"', '; x="a\x01"', "; x", "\n"]
    ),
)


@EXAMPLES
@given(st.one_of(media_types, text_near_edges))
def test_media_type_rule_is_check_media_type(value: str) -> None:
    rule = {"maxLength": limits.MAX_MEDIA_TYPE, "pattern": schemas.MEDIA_TYPE}
    same_verdicts(rule, lambda v: check_media_type("media_type", v), value)


@EXAMPLES
@given(st.one_of(text_near_edges, st.from_regex(r"[a-z_][a-z0-9_.\-]{0,6}", fullmatch=True)))
def test_required_field_rule_is_check_field(value: str) -> None:
    rule = {"minLength": 1, "maxLength": limits.MAX_KEY, "pattern": schemas.REQUIRED_FIELD}
    for candidate in (value, f"params.{value}", f"datasets.{value}", f"git.{value}"):
        same_verdicts(rule, lambda v: check_field(check_key("required", v)), candidate)


@EXAMPLES
@given(
    st.one_of(
        text_near_edges,
        st.text(alphabet=HEX + "A", min_size=31, max_size=33),
        st.text(alphabet=HEX + "F", min_size=63, max_size=65),
    )
)
def test_ids_digests_roles_and_text_rules(value: str) -> None:
    same_verdicts({"pattern": schemas.HEX32}, lambda v: is_valid_id(v) or _refuse(), value)
    same_verdicts({"pattern": schemas.DIGEST}, lambda v: check_digest("d", v), value)
    role = {"maxLength": limits.MAX_DATASET_ROLE, "pattern": schemas.ROLE}
    same_verdicts(role, lambda v: check_role("role", v), value)
    same_verdicts(schemas.text(5).keywords, lambda v: check_str("t", v, 5), value)
    rule = schemas.text(5, empty=True).keywords
    same_verdicts(rule, lambda v: check_str("t", v, 5, allow_empty=True), value)


def _refuse() -> bool:
    raise InvalidInputError("no")


def test_patterns_mean_the_same_to_python() -> None:
    """Schemathesis generates from Python's reading of a pattern: the syntax must be common."""
    for name in ("HEX32", "DIGEST", "PROJECT", "MEDIA_TYPE", "ROLE", "KEY", "REQUIRED_FIELD"):
        pattern = getattr(schemas, name)
        assr = re.compile(pattern, re.ASCII)  # \w is ASCII in ECMA-262
        for probe in ("a", "a/b", "params.x", "0" * 32, "0" * 64, "A-b_c", "x/y; a=b", " a"):
            assert bool(assr.search(probe)) == published({"pattern": pattern})(probe), (name, probe)


# -- the batch schema is what parse_batch takes -------------------------------------------------
FULL_BATCH: dict[str, Any] = {
    "batch_id": "b-1",
    "metrics": {"loss": {"steps": [0, 1], "timestamps": [1, 2], "values": [0.5, "NaN"]}},
    "params": {"lr": "0.1"},
    "tags": {"stage": "dev"},
    "environment": {"python": {"version": "3.11"}},
    "datasets": [
        {
            "name": "train",
            "role": "training",
            "uri": "s3://b/train.csv",
            "digest": "0" * 64,
            "size": 10,
            "files": 1,
            "rows": 3,
            "format": "csv",
            "schema": [["a", "int"], ["b", "str"]],
        }
    ],
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from labledger.core.settings import Settings
    from labledger.server.app import create_app

    return create_app(Settings()).openapi()


@pytest.fixture(scope="module")
def batch_validator(document: dict[str, Any]) -> Any:
    schema = {"$ref": "#/components/schemas/RunBatch", "components": document["components"]}
    return jsonschema_rs.validator_for(schema)


def test_the_batch_schema_describes_what_parse_batch_takes(batch_validator: Any) -> None:
    assert batch_validator.is_valid(FULL_BATCH)
    parse_batch(FULL_BATCH)
    nulls = dict.fromkeys(FULL_BATCH)
    assert batch_validator.is_valid(nulls)
    parse_batch(nulls)
    assert batch_validator.is_valid({})
    parse_batch({})


@pytest.mark.parametrize(
    "change",
    [
        {"surprise": 1},
        {"batch_id": ""},
        {"batch_id": "x" * (limits.MAX_BATCH_ID + 1)},
        {"params": {" lr": "1"}},
        {"tags": {"t": "a\x00"}},
        {"metrics": {"m": {"steps": [0], "timestamps": [-1], "values": [1]}}},
        {"metrics": {"m": {"steps": [0], "timestamps": [1], "values": [True]}}},
        {"metrics": {"m": {"steps": [0], "timestamps": [1], "values": ["Inf"]}}},
        {"metrics": {"m": {"steps": [0], "timestamps": [1]}}},
        {"metrics": {"m": None}},
        {"environment": []},
        {"datasets": [{}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "extra": 1}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "role": None}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "role": "a b"}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "files": None}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "size": -1}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "format": "x" * 33}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "schema": [["a"]]}]},
        {"datasets": [{**FULL_BATCH["datasets"][0], "digest": "A" * 64}]},
        {"datasets": [FULL_BATCH["datasets"][0]] * (limits.MAX_DATASETS_PER_BATCH + 1)},
    ],
    ids=lambda change: str(change)[:60],
)
def test_what_the_batch_schema_refuses_parse_batch_refuses(
    batch_validator: Any, change: dict[str, Any]
) -> None:
    body = {**FULL_BATCH, **change}
    assert not batch_validator.is_valid(body)
    with pytest.raises(InvalidInputError):
        parse_batch(body)


def test_steps_and_timestamps_are_int64(document: dict[str, Any]) -> None:
    """Written as format int64 (its bounds have no exact double): JSON Schema validators take
    the format as a note, so the range is checked here."""
    columns = document["components"]["schemas"]["MetricColumns"]["properties"]
    assert columns["steps"]["items"] == {"format": "int64", "type": "integer"}
    assert columns["timestamps"]["items"] == {"format": "int64", "minimum": 0, "type": "integer"}
    for step, ok in [(2**63 - 1, True), (-(2**63), True), (2**63, False), (-(2**63) - 1, False)]:
        body = {"metrics": {"m": {"steps": [step], "timestamps": [1], "values": [1]}}}
        if ok:
            parse_batch(body)
        else:
            with pytest.raises(InvalidInputError):
                parse_batch(body)


def test_the_dataset_schema_lists_every_field_check_dataset_takes(document: dict[str, Any]) -> None:
    fields = set(document["components"]["schemas"]["DatasetIn"]["properties"])
    check_dataset("d", dict.fromkeys(fields, None) | FULL_BATCH["datasets"][0])
    with pytest.raises(InvalidInputError, match="unknown field"):
        check_dataset("d", {**FULL_BATCH["datasets"][0], "more": 1})


# -- the document lists what every operation answers --------------------------------------------
def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def test_every_error_answer_has_the_error_body(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in operations(document):
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")) and path != "/readyz":
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorPublic"), (method, path, status)


def test_run_and_upload_operations_list_their_not_found(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        if "{run_id}" in path or "{upload_id}" in path:
            assert "404" in op["responses"], (method, path)
            params = {p["name"]: p for p in op["parameters"]}
            name = "run_id" if "{run_id}" in path else "upload_id"
            assert params[name]["schema"]["pattern"] == schemas.HEX32


def test_statuses_that_are_not_errors_are_listed(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert {"200", "201"} <= set(paths["/api/v1/runs"]["post"]["responses"])
    files = paths["/api/v1/runs/{run_id}/artifacts/files/{path}"]["get"]["responses"]
    assert {"200", "206"} <= set(files)
    for path, method in [
        ("/api/v1/runs/{run_id}", "delete"),
        ("/api/v1/runs/{run_id}/tags/{key}", "delete"),
        ("/api/v1/runs/{run_id}/heartbeat", "post"),
        ("/api/v1/uploads/{upload_id}/parts/{part_number}", "put"),
    ]:
        assert "204" in paths[path][method]["responses"], (method, path)
    assert {"200", "503"} <= set(paths["/readyz"]["get"]["responses"])


def test_every_post_takes_a_body(document: dict[str, Any]) -> None:
    """A browser cannot send a JSON POST to another site without a CORS preflight: actions
    that take no input take {} (EmptyBody), and say so."""
    actions = set()
    for method, path, op in operations(document):
        if method == "POST":
            body = op["requestBody"]
            assert body["required"] is True, path
            schema = next(iter(body["content"].values()))["schema"]
            if schema.get("$ref", "").endswith("/EmptyBody"):
                actions.add(path)
    assert actions == {
        "/api/v1/runs/{run_id}/heartbeat",
        "/api/v1/runs/{run_id}/seal",
        "/api/v1/runs/{run_id}/verify",
        "/api/v1/uploads/{upload_id}/complete",
        "/api/v1/blobs/verify",
        "/api/v1/auth/logout",
        "/api/v1/users/{name}/disable",
        "/api/v1/users/{name}/enable",
        "/api/v1/users/{name}/login-link",
        "/api/v1/audit/verify",
        "/api/v1/models/{model}/aliases/{alias}/rollback",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    }
    empty = document["components"]["schemas"]["EmptyBody"]
    assert (empty["properties"], empty["additionalProperties"]) == ({}, False)


def test_limits_come_from_core_limits(document: dict[str, Any]) -> None:
    comps = document["components"]["schemas"]
    create = comps["RunCreate"]["properties"]
    assert create["project"]["maxLength"] == limits.MAX_PROJECT_NAME
    assert create["params"]["maxProperties"] == limits.MAX_PARAMS_PER_BATCH
    assert create["params"]["propertyNames"]["maxLength"] == limits.MAX_KEY
    assert create["start_ms"]["anyOf"][0] == {"format": "int64", "minimum": 0, "type": "integer"}
    artifact = comps["ArtifactIn"]["properties"]
    assert artifact["size"]["maximum"] == limits.MAX_ARTIFACT_SIZE
    assert comps["ArtifactsDeclare"]["properties"]["artifacts"]["maxItems"] == (
        limits.MAX_ARTIFACTS_PER_REQUEST
    )
    search = comps["RunSearch"]["properties"]["limit"]
    assert (search["minimum"], search["maximum"]) == (1, limits.MAX_PAGE_SIZE)


# -- the server answers what the document lists -------------------------------------------------
def concrete(path: str) -> str:
    values = {
        "run_id": "0" * 32,
        "upload_id": "0" * 32,
        "digest": "0" * 64,
        "project": "p",
        "key": "k",
        "path": "f.txt",
        "part_number": "1",
        "name": "someone",
        "token_id": "0123456789abcdef",
        "model": "m",
        "alias": "champion",
        "env": "prod",
        "version": "1",
        "webhook_id": "0" * 32,
        "delivery_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]


# The front door (server/frontdoor.py) takes PUT /blobs/verify for PUT /blobs/{digest} and
# refuses its JSON body with 415 before the router answers 405 (reported to its owner).
def test_every_method_a_path_does_not_take_is_405_with_allow(api, document) -> None:
    for path, item in document["paths"].items():
        documented = sorted(m.upper() for m in item)
        for method in ALL_METHODS:
            if method in documented:
                continue
            headers = {"content-type": "application/json"}
            response = api.request(method, concrete(path), content=b"{}", headers=headers)
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == ", ".join(documented), (method, path)
            if method != "HEAD":
                assert response.json()["error_code"] == "method_not_allowed"


def test_a_literal_path_is_not_taken_for_a_template_by_the_front_door(api) -> None:
    """PUT /blobs/verify: the literal path takes only POST, so the front door must not apply
    PUT /blobs/{digest}'s binary media type to it (it answered 415 instead of 405)."""
    response = api.request("PUT", "/api/v1/blobs/verify", json={})
    assert (response.status_code, response.headers.get("allow")) == (405, "POST")


def test_unknown_paths_and_malformed_ids_are_404(api) -> None:
    assert api.get("/api/v1/nothing").json()["error_code"] == "not_found"
    for method, url in [
        ("GET", "/api/v1/runs/not-a-run"),
        ("PATCH", "/api/v1/runs/ABCDEF00000000000000000000000000"),
        ("GET", "/api/v1/runs/x/artifacts"),
    ]:
        response = api.request(method, url, json={})
        assert (response.status_code, response.json()["error_code"]) == (404, "run_not_found")
    response = api.get("/api/v1/uploads/nope")
    assert (response.status_code, response.json()["error_code"]) == (404, "upload_not_found")


def json_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path, op in operations(document)
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]


def test_a_null_body_is_refused_everywhere(api, document) -> None:
    run = api.post("/api/v1/runs", json={"project": "p"}).json()["id"]
    for method, path in json_operations(document):
        url = concrete(path).replace("0" * 32, run)
        response = api.request(
            method, url, content=b"null", headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 422), (method, path, response.text)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/runs", {"project": "p", "start_ms": 5.0}),
        ("/api/v1/runs/search", {"project": "p", "limit": 5.0}),
        ("/api/v1/runs/search", {"project": "p", "include_total": 1}),
        ("/api/v1/uploads", {"digest": "0" * 64, "size": 5.0}),
        ("/api/v1/uploads", {"digest": "0" * 64, "size": True}),
        (
            "/api/v1/runs/{run}/artifacts",
            {"artifacts": [{"path": "a", "digest": "0" * 64, "size": 5.0}]},
        ),
        ("/api/v1/runs/{run}/heartbeat", {"extra": 1}),
    ],
)
def test_integers_and_booleans_are_strict(api, url: str, body: dict[str, Any]) -> None:
    run = api.post("/api/v1/runs", json={"project": "p"}).json()["id"]
    response = api.post(url.replace("{run}", run), json=body)
    assert (response.status_code, response.json()["error_code"]) == (422, "invalid_body")


def test_a_run_created_is_201_and_found_again_is_200(api) -> None:
    first = api.post("/api/v1/runs", json={"project": "p", "run_key": "k"})
    again = api.post("/api/v1/runs", json={"project": "p", "run_key": "k"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False


def test_a_tag_key_with_a_slash_can_be_deleted(api) -> None:
    run = api.post("/api/v1/runs", json={"project": "p", "tags": {"a/b": "1"}}).json()["id"]
    assert api.delete(f"/api/v1/runs/{run}/tags/a%2Fb").status_code == 204
    assert api.get(f"/api/v1/runs/{run}").json()["tags"] == {}


def test_ranges_are_answered_the_same_by_every_store(api) -> None:
    import hashlib

    data = string.ascii_letters.encode()
    digest = hashlib.sha256(data).hexdigest()
    run = api.post("/api/v1/runs", json={"project": "p"}).json()["id"]
    entry = {"path": "f.bin", "digest": digest, "size": len(data)}
    api.post(f"/api/v1/runs/{run}/artifacts", json={"artifacts": [entry]})
    binary = {"content-type": "application/octet-stream"}
    assert api.put(f"/api/v1/blobs/{digest}", content=data, headers=binary).status_code == 200
    url = f"/api/v1/runs/{run}/artifacts/files/f.bin"
    for header, status, body in [
        (None, 200, data),
        ("bytes=0-3", 206, data[:4]),
        ("bytes=-2", 206, data[-2:]),
        ("bytes=0-1,4-5", 200, data),  # several ranges: the whole artifact
        ("items=0-1", 200, data),  # another unit: the whole artifact
    ]:
        response = api.get(url, headers={"Range": header} if header else {})
        assert (response.status_code, response.content) == (status, body), header
    for header in ("bytes=x-1", f"bytes={len(data)}-"):
        response = api.get(url, headers={"Range": header})
        assert (response.status_code, response.json()["details"]) == (400, {"field": "Range"})
