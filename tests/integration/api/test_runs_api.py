"""The REST API in-process: status codes, error bodies, and nothing written on bad input."""

from __future__ import annotations

import json
import time

import pytest

import labledger as ll
from labledger.core import limits
from labledger.core.ids import new_id


def create(api, **body):
    response = api.post("/api/v1/runs", json={"project": "p", **body})
    assert response.status_code in (200, 201), response.text
    return response.json()


def batch(api, run_id, body, **kwargs):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return api.post(
        f"/api/v1/runs/{run_id}/batches",
        content=raw,
        headers={"Content-Type": "application/json"},
        **kwargs,
    )


def history(api, run_id, key, **params):
    return api.get(f"/api/v1/runs/{run_id}/metrics/{key}/history", params=params)


def test_create_then_resume_by_run_key_returns_201_then_200(api):
    first = api.post("/api/v1/runs", json={"project": "p", "run_key": "ci-1"})
    second = api.post("/api/v1/runs", json={"project": "p", "run_key": "ci-1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert (first.json()["created"], second.json()["created"]) == (True, False)


def test_batch_round_trip_with_nan_and_infinity(api):
    run = create(api)
    body = {
        "batch_id": "w-0",
        "params": {"lr": "0.1"},
        "tags": {"t": "x"},
        "metrics": {
            "loss": {
                "steps": [0, 1, 2],
                "timestamps": [10, 11, 12],
                "values": [1.5, "NaN", "-Infinity"],
            }
        },
    }
    assert batch(api, run["id"], body).json() == {"points": 3, "duplicate": False}
    assert batch(api, run["id"], body).json() == {"points": 0, "duplicate": True}
    got = history(api, run["id"], "loss").json()
    assert got["values"] == [1.5, "NaN", "-Infinity"] and got["steps"] == [0, 1, 2]
    assert got["timestamps"] == [10, 11, 12] and got["total_points"] == 3
    stored = api.get(f"/api/v1/runs/{run['id']}").json()
    assert stored["metrics"] == {"loss": "-Infinity"}
    assert stored["params"] == {"lr": "0.1"} and stored["tags"] == {"t": "x"}


def test_history_downsamples_keeping_extremes_and_zoom_range(api):
    run = create(api)
    n = 10_000
    values = [0.0] * n
    values[4321] = 99.0
    body = {"metrics": {"m": {"steps": list(range(n)), "timestamps": [1] * n, "values": values}}}
    batch(api, run["id"], body)
    got = history(api, run["id"], "m", max_points=100).json()
    assert got["downsampled"] and len(got["steps"]) <= 100 and got["total_points"] == n
    assert 99.0 in got["values"] and got["steps"][0] == 0 and got["steps"][-1] == n - 1
    zoom = history(api, run["id"], "m", start_step=4000, end_step=4999).json()
    assert zoom["steps"][0] == 4000 and zoom["steps"][-1] == 4999 and len(zoom["steps"]) == 1000
    # bounds beyond the 64-bit step range bound nothing (Schemathesis sent -1.6e23)
    wide = history(api, run["id"], "m", start_step=-(2**80), end_step=2**80).json()
    assert wide["steps"] == list(range(n)) and wide["values"] == values
    tail = history(api, run["id"], "m", start_step=9990, end_step=10**30).json()
    assert tail["steps"] == list(range(9990, n))
    assert history(api, run["id"], "m", end_step=-(10**30)).json()["steps"] == []


def test_metric_keys_with_slashes_and_spaces_are_addressable(api):
    run = create(api)
    batch(
        api,
        run["id"],
        {"metrics": {"val/loss at 1": {"steps": [0], "timestamps": [1], "values": [2.0]}}},
    )
    assert api.get(f"/api/v1/runs/{run['id']}/metrics").json() == {"keys": ["val/loss at 1"]}
    got = api.get(f"/api/v1/runs/{run['id']}/metrics/val%2Floss%20at%201/history").json()
    assert got["values"] == [2.0]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"{not json", 400, "malformed_json", None),
        (
            {"metrics": {"m": {"steps": ["one"], "timestamps": [1], "values": [1.0]}}},
            400,
            "invalid_input",
            "metrics.m.steps",
        ),
        (
            {"metrics": {"m": {"steps": [1.5], "timestamps": [1], "values": [1.0]}}},
            400,
            "invalid_input",
            "metrics.m.steps",
        ),
        (
            # not JSON: non-finite values travel as the strings "NaN", "Infinity"
            b'{"metrics": {"m": {"steps": [Infinity], "timestamps": [1], "values": [1.0]}}}',
            400,
            "malformed_json",
            "body",
        ),
        (
            {"metrics": {"m": {"steps": [1], "timestamps": [1], "values": [True]}}},
            400,
            "invalid_input",
            "metrics.m.values",
        ),
        (
            {"metrics": {"m": {"steps": [1, 2], "timestamps": [1], "values": [1.0, 2.0]}}},
            400,
            "invalid_input",
            "metrics.m.timestamps",
        ),
        (
            {
                "metrics": {
                    "k" * (limits.MAX_KEY + 1): {"steps": [1], "timestamps": [1], "values": [1.0]}
                }
            },
            400,
            "limit_exceeded",
            "metrics key",
        ),
        ({"params": {"p": "v" * (limits.MAX_PARAM_VALUE + 1)}}, 400, "limit_exceeded", "params.p"),
        ({"tags": {"t": 5}}, 400, "invalid_input", "tags.t"),
        ({"surprise": 1}, 400, "invalid_input", "surprise"),
        ([1, 2], 400, "invalid_input", "body"),
    ],
)
def test_bad_batch_is_rejected_naming_the_field_and_nothing_is_written(
    api, body, status, code, field
):
    run = create(api)
    # one good key in front proves that nothing of a bad batch is written
    if isinstance(body, dict) and "metrics" in body:
        body = {
            "metrics": {
                "good": {"steps": [0], "timestamps": [1], "values": [1.0]},
                **body["metrics"],
            }
        }
    response = batch(api, run["id"], body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["error_code"] == code and error["message"]
    if field is not None:
        assert error["details"]["field"] == field
        assert field.split(".")[0] in error["message"]
    after = api.get(f"/api/v1/runs/{run['id']}").json()
    assert after["metrics"] == {} and after["params"] == {} and after["tags"] == {}


def test_batch_over_the_point_limit_is_refused(api):
    run = create(api)
    n = limits.MAX_POINTS_PER_BATCH + 1
    body = {"metrics": {"m": {"steps": list(range(n)), "timestamps": [1] * n, "values": [0.5] * n}}}
    response = batch(api, run["id"], body)
    assert response.status_code == 400
    assert response.json()["details"] == {"field": "metrics", "limit": limits.MAX_POINTS_PER_BATCH}


def test_param_conflict_is_409_naming_the_key(api):
    run = create(api, params={"lr": "0.1"})
    response = batch(api, run["id"], {"params": {"lr": "0.2"}})
    assert response.status_code == 409
    assert response.json()["error_code"] == "param_conflict"
    assert "lr" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"project": 5}, "project"),
        ({"project": "p", "unknown": 1}, "unknown"),
        ({"project": "p", "params": {"a": 1}}, "params.a"),
        ({"project": "p", "start_ms": "yesterday"}, "start_ms"),
        ({}, "project"),
    ],
)
def test_malformed_create_body_is_422_naming_the_field(api, body, field):
    response = api.post("/api/v1/runs", json=body)
    assert response.status_code == 422
    assert response.json()["error_code"] == "invalid_body"
    assert response.json()["details"]["field"] == field
    assert api.get("/api/v1/projects").json() == {"projects": []}


def test_invalid_values_in_create_are_400_naming_the_field(api):
    response = api.post("/api/v1/runs", json={"project": "p", "name": "x" * 300})
    assert response.status_code == 400
    assert response.json()["details"] == {"field": "name", "limit": 250, "length": 300}


def test_unknown_run_and_project_are_404(api):
    rid = new_id()
    assert api.get(f"/api/v1/runs/{rid}").json()["error_code"] == "run_not_found"
    assert batch(api, rid, {"tags": {"a": "b"}}).status_code == 404
    assert api.get("/api/v1/runs/not-an-id").status_code == 404
    response = api.post("/api/v1/runs/search", json={"project": "nope"})
    assert (response.status_code, response.json()["error_code"]) == (404, "project_not_found")
    run = create(api)
    response = history(api, run["id"], "never")
    assert (response.status_code, response.json()["error_code"]) == (404, "metric_not_found")


def test_bad_filter_is_400_with_position(api):
    create(api)
    response = api.post(
        "/api/v1/runs/search", json={"project": "p", "filter": "metrics.acc > 0.9 and"}
    )
    assert response.status_code == 400
    error = response.json()
    assert error["error_code"] == "invalid_query"
    assert error["details"]["position"] == len("metrics.acc > 0.9 and")


def test_search_limit_is_bounded(api):
    create(api)
    response = api.post("/api/v1/runs/search", json={"project": "p", "limit": 0})
    assert response.status_code == 400 and response.json()["details"]["field"] == "limit"


def test_update_run_status_and_refuse_going_back_to_running(api):
    run = create(api)
    done = api.patch(f"/api/v1/runs/{run['id']}", json={"status": "finished"}).json()
    assert done["status"] == "finished" and done["end_ms"] is not None
    response = api.patch(f"/api/v1/runs/{run['id']}", json={"status": "running"})
    assert response.status_code == 422


def test_openapi_document_lists_versioned_routes_with_operation_ids(api):
    doc = api.get("/openapi.json").json()
    assert all(
        p.startswith(("/api/v1/", "/healthz", "/health", "/readyz", "/metrics"))
        for p in doc["paths"]
    )
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert {
        "runs-create_run",
        "runs-log_batch",
        "runs-search_runs",
        "runs-get_metric_history",
        "projects-list_projects",
    } <= ops
    assert "RunBatch" in doc["components"]["schemas"]


def test_health_and_readiness(api):
    health = api.get("/healthz").json()
    assert (health["status"], health["version"]) == ("ok", ll.__version__)
    assert abs(health["time_ms"] - time.time() * 1000) < 60_000
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_ui_support_endpoints_keys_groups_totals_and_sparkline(api):
    for opt in ("adam", "adam", "sgd"):
        create(api, params={"optimizer": opt}, tags={"team": "x"})
    keys = api.get("/api/v1/projects/p/keys").json()
    assert keys == {"params": ["optimizer"], "metrics": [], "tags": ["team"]}
    groups = api.post(
        "/api/v1/runs/groups", json={"project": "p", "group_by": "params.optimizer"}
    ).json()
    assert groups == {"groups": [{"value": "adam", "count": 2}, {"value": "sgd", "count": 1}]}
    page = api.post(
        "/api/v1/runs/search", json={"project": "p", "limit": 1, "include_total": True}
    ).json()
    assert page["total"] == 3 and len(page["runs"]) == 1
    projects = api.get("/api/v1/projects").json()["projects"]
    assert projects[0]["runs_per_day"][-1] == 3
    assert api.get("/api/v1/projects/nope/keys").status_code == 404
    bad = api.post("/api/v1/runs/groups", json={"project": "p", "group_by": "metrics.x"})
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "group_by"


@pytest.mark.parametrize(
    ("body", "valid", "position"),
    [
        (
            {"filter": "metrics.acc > 0.9 and params.x = 'a'", "order_by": ["metrics.acc desc"]},
            True,
            None,
        ),
        ({"filter": "metrics.acc >"}, False, 13),
        ({"filter": "metrics.acc = 'high'"}, False, None),
        ({"order_by": ["nonsense.x desc"]}, False, None),
    ],
)
def test_validate_filter_answers_200_with_the_error(api, body, valid, position):
    response = api.post("/api/v1/runs/validate-filter", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["valid"] is valid
    if not valid:
        assert data["error"]["error_code"] == "invalid_query"
    if position is not None:
        assert data["error"]["details"]["position"] == position


def test_count_matches_the_filter(api):
    for opt in ("adam", "adam", "sgd"):
        create(api, params={"optimizer": opt})
    body = {"project": "p", "filter": "params.optimizer = 'adam'"}
    assert api.post("/api/v1/runs/count", json=body).json() == {"total": 2}
    bad = api.post("/api/v1/runs/count", json={"project": "p", "filter": "x >"})
    assert bad.status_code == 400


def test_a_deleted_run_leaves_a_tombstone_over_http(api):
    run = api.post("/api/v1/runs", json={"project": "p"}).json()
    api.patch(f"/api/v1/runs/{run['id']}", json={"status": "finished"})
    r = api.delete(f"/api/v1/runs/{run['id']}", params={"reason": "wrong dataset"})
    assert r.status_code == 204
    assert api.get(f"/api/v1/runs/{run['id']}").status_code == 404
    verified = api.post(f"/api/v1/runs/{run['id']}/verify", json={}).json()
    assert verified["deleted"]["reason"] == "wrong dataset" and verified["seal_hash"]
    again = api.post("/api/v1/runs", json={"project": "p", "id": run["id"]})
    assert (again.status_code, again.json()["error_code"]) == (409, "run_deleted")
    assert api.get("/api/v1/seals").json()["run_ids"] == [run["id"]]


@pytest.mark.parametrize("reason", ["x" * 1_001, "", "a%00b", "%ED%A0%80", "%FF"])
def test_a_bad_deletion_reason_is_refused_and_the_run_stays(api, reason):
    run = api.post("/api/v1/runs", json={"project": "p"}).json()
    r = api.delete(f"/api/v1/runs/{run['id']}?reason={reason}")
    assert r.status_code in (400, 422), r.text
    assert r.json()["details"]["field"] == "reason"
    assert api.get(f"/api/v1/runs/{run['id']}").status_code == 200


def test_a_long_reason_is_refused_by_the_service_too(tracker):
    from labledger.core.entities import RunCreate
    from labledger.core.errors import InvalidInputError

    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    with pytest.raises(InvalidInputError) as err:
        tracker.runs.delete_run(run.id, reason="x" * 1_001)
    assert err.value.details["field"] == "reason"
    assert tracker.runs.get_run(run.id).id == run.id
    tracker.runs.delete_run(run.id, reason="x" * 1_000)
