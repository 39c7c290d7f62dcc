"""Every endpoint of the MLflow door, from its own table, against hostile input: wrong types,
huge and deeply nested bodies, odd Unicode, other users' ids, foreign origins.  Nothing may
answer 5xx, and every refusal has MLflow's error shape."""

from __future__ import annotations

import contextlib
import re
import uuid

import httpx
import pytest

import labledger as ll
from labledger.server.mlflow import (
    artifacts,
    experiments,
    logged_models,
    multipart,
    registry,
    runs,
    version_files,
)

TABLE = {
    **experiments.ENDPOINTS,
    **runs.ENDPOINTS,
    **artifacts.ENDPOINTS,
    **registry.ENDPOINTS,
    **logged_models.ENDPOINTS,
}
ODD = ["\ud800"[:0] + "ü\u202e\u0000x", "💥" * 300, "a" * 100_000, "../../etc/passwd", "%00", " "]
VALUES = [None, True, -1, 2**70, 1.5e308, "NaN", [], {}, [{"key": 1}], {"a": {"b": []}}, *ODD]


def bodies(run_id: str, exp_id: str) -> list[dict[str, object]]:
    fields = [
        "experiment_id",
        "run_id",
        "run_uuid",
        "name",
        "new_name",
        "key",
        "value",
        "step",
        "timestamp",
        "status",
        "end_time",
        "filter",
        "max_results",
        "page_token",
        "order_by",
        "experiment_ids",
        "metrics",
        "params",
        "tags",
        "version",
        "alias",
        "source",
        "stage",
        "datasets",
        "metric_key",
        "path",
        "num_parts",
        "upload_id",
        "parts",
        "model_id",
        "run_view_type",
        "experiment_name",
        "description",
        "stages",
    ]
    out: list[dict[str, object]] = [{}]
    for value in VALUES:
        out.append(dict.fromkeys(fields, value))
    out.append({"run_id": run_id, "experiment_id": exp_id, "key": "k", "value": "v" * 9000})
    out.append({"run_id": run_id, "metrics": [{"key": "m", "value": "x", "step": "y"}] * 3})
    out.append(
        {"run_id": run_id, "params": [{"key": "p", "value": "1"}, {"key": "p", "value": "2"}]}
    )
    out.append({"experiment_ids": [exp_id], "filter": "metrics.a > 'x' and (((("})
    out.append({"experiment_ids": [exp_id] * 500, "max_results": 50_000})
    out.append({"name": "m", "source": "runs:/" + run_id + "/../../x", "run_id": run_id})
    return out


def deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.fixture
def world(mlflow_server):
    """A fresh experiment and run per test: the hostile bodies name them, and some endpoints
    (runs/delete, experiments/delete) do what they are asked."""
    url = mlflow_server.url
    run = ll.init(project=f"hostile-{uuid.uuid4().hex[:6]}", tracking_uri=url)
    run.log_metric("m", 1.0)
    run.flush()
    exp = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": run.project}
    ).json()["experiment"]["experiment_id"]
    yield url, run.id, exp
    with contextlib.suppress(ll.TrackerError):
        run.finish()


def check(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("error_code"), str) and isinstance(body.get("message"), str)


@pytest.mark.parametrize(("method", "path"), sorted(TABLE), ids=lambda v: str(v))
def test_no_endpoint_answers_5xx_to_hostile_input(world, method, path):
    url, run_id, exp = world
    with httpx.Client(base_url=f"{url}/api/2.0/mlflow", timeout=60) as http:
        for body in bodies(run_id, exp):
            if method in ("GET", "DELETE"):
                params = {k: (v if isinstance(v, str) else str(v))[:150] for k, v in body.items()}
                check(http.request(method, path, params=params), f"{method} {path} {params}")
            else:
                check(http.request(method, path, json=body), f"{method} {path} {body}"[:300])
        if method in ("POST", "PATCH"):
            for raw in (b"{", deep(5000).encode(), b'{"a": NaN}', b"\xff\xfe", b"[1,2]"):
                r = http.request(
                    method, path, content=raw, headers={"content-type": "application/json"}
                )
                check(r, f"{method} {path} raw {raw[:20]!r}")
            foreign = http.request(
                method, path, json={}, headers={"origin": "https://evil.example"}
            )
            assert foreign.status_code == 403
            assert foreign.json()["error_code"] in ("origin_not_allowed", "PERMISSION_DENIED")


def test_patterned_and_proxy_routes_refuse_hostile_input(world):
    url, run_id, exp = world
    with httpx.Client(base_url=url, timeout=60) as http:
        ids = ["m-" + "0" * 32, "m-" + "f" * 32, "m-zz", "m-" + "0" * 32 + "/tags/" + "x" * 5000]
        for method, pattern, _ in logged_models.PATTERNS:
            for model_id in ids:
                path = re.sub(r"m-\[0-9a-f\]\{32\}", model_id, pattern.pattern).replace(".+", "k")
                for body in ({}, {"status": 99}, {"tags": [{"key": "\u0000"}]}, {"params": "x"}):
                    check(http.request(method, f"/api/2.0/mlflow{path}", json=body), path)
        locations = [
            f"{exp}/{run_id}/artifacts/a.txt",
            f"{exp}/{'0' * 32}/artifacts/a.txt",
            f"999999/{run_id}/artifacts/a.txt",
            f"{exp}/{run_id}/notartifacts/a.txt",
            f"{exp}/{run_id}/artifacts/../../x",
            "models/nope/1/x",
            "models/x/99999999999/y",
            "%2e%2e/%2e%2e",
        ]
        for location in locations:
            check(http.get(f"/api/2.0/mlflow-artifacts/artifacts/{location}"), location)
            check(
                http.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": location}), location
            )
            check(
                http.put(f"/api/2.0/mlflow-artifacts/artifacts/{location}", content=b"x"), location
            )
            for route in ("create", "complete", "abort"):
                for body in (
                    {},
                    {"path": "a", "num_parts": 2, "upload_id": "x" * 43, "parts": [{}]},
                ):
                    r = http.post(f"/api/2.0/mlflow-artifacts/mpu/{route}/{location}", json=body)
                    check(r, f"{route} {location}")
        r = http.put(
            f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/a.txt",
            content=b"x",
            headers={"origin": "https://evil.example"},
        )
        assert r.status_code == 403
        assert {m for m, _, _ in multipart.PROXY_ROUTES} == {"POST"}
        assert version_files.PROXY_ROUTES
        unknown = http.get("/api/2.0/mlflow/no/such/endpoint")
        assert (unknown.status_code, unknown.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
        wrong_method = http.delete("/api/2.0/mlflow/runs/create")
        assert wrong_method.status_code == 404
        assert "wrong method" in wrong_method.json()["message"]


def test_a_search_names_each_experiment_once_and_at_most_a_thousand(world):
    url, run_id, exp = world
    search = f"{url}/api/2.0/mlflow/runs/search"
    repeated = httpx.post(search, json={"experiment_ids": [exp] * 500, "max_results": 10})
    assert [r["info"]["run_id"] for r in repeated.json()["runs"]] == [run_id]
    too_many = httpx.post(search, json={"experiment_ids": [exp] * 1001})
    assert too_many.status_code == 400
    assert too_many.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "1000" in too_many.json()["message"]
