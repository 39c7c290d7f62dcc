"""/metrics (Prometheus text) and request ids."""

from __future__ import annotations

import hashlib
import re

from prometheus_client.parser import text_string_to_metric_families

BINARY = {"Content-Type": "application/octet-stream"}


def samples(api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = api.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_what_the_tracker_did(api):
    run = api.post("/api/v1/runs", json={"project": "p", "run_key": "k"}).json()
    api.post("/api/v1/runs", json={"project": "p", "run_key": "k"})  # a retried create
    batch = {
        "batch_id": "w-0",
        "metrics": {"x": {"steps": [0, 1, 2], "timestamps": [1, 2, 3], "values": [1, 2, 3]}},
    }
    api.post(f"/api/v1/runs/{run['id']}/batches", json=batch)
    api.post(f"/api/v1/runs/{run['id']}/batches", json=batch)  # lost ack, sent again
    api.patch(f"/api/v1/runs/{run['id']}", json={"status": "finished"})
    data = b"artifact bytes"
    api.put(f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}", content=data, headers=BINARY)
    api.post("/api/v1/runs/search", json={"project": "p"})

    m = samples(api)
    assert m[("labledger_runs_created_total", ())] == 1
    assert m[("labledger_runs_resumed_total", ())] == 1
    assert m[("labledger_ingest_points_total", ())] == 3
    assert m[("labledger_ingest_batches_total", ())] == 1
    assert m[("labledger_ingest_duplicate_batches_total", ())] == 1
    assert m[("labledger_runs_ended_total", (("status", "finished"),))] == 1
    assert m[("labledger_artifact_upload_bytes_total", ())] == len(data)
    assert m[("labledger_runs", (("status", "finished"),))] == 1
    assert m[("labledger_storage_blobs", ())] == 1
    assert m[("labledger_storage_blob_bytes", ())] == len(data)
    batch_route = (
        ("method", "POST"),
        ("route", "/api/v1/runs/{run_id}/batches"),
        ("status", "200"),
    )
    assert m[("labledger_http_request_seconds_count", batch_route)] == 2
    search = (("method", "POST"), ("route", "/api/v1/runs/search"), ("status", "200"))
    assert m[("labledger_http_request_seconds_count", search)] == 1


def test_every_response_carries_a_request_id(api):
    r = api.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = api.get("/api/v1/runs/" + "0" * 32, headers={"X-Request-ID": "trace-123"})
    assert r.status_code == 404 and r.headers["x-request-id"] == "trace-123"


def test_json_log_records_carry_the_request_id():
    import json
    import logging

    from labledger.server.logs import JsonFormatter
    from labledger.server.metrics import RequestIdFilter, request_id

    record = logging.LogRecord("labledger.server", logging.ERROR, "x", 1, "boom %s", ("!",), None)
    token = request_id.set("abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    data = json.loads(JsonFormatter().format(record))
    assert (data["request_id"], data["message"], data["level"]) == ("abc", "boom !", "error")


def test_database_size_grows_with_what_is_stored(api):
    before = samples(api)[("labledger_storage_database_bytes", ())]
    assert before > 0
    run = api.post("/api/v1/runs", json={"project": "p"}).json()
    n = 20_000
    batch = {
        "batch_id": "w-0",
        "metrics": {"x": {"steps": list(range(n)), "timestamps": [1] * n, "values": [0.5] * n}},
    }
    assert api.post(f"/api/v1/runs/{run['id']}/batches", json=batch).status_code == 200
    after = samples(api)[("labledger_storage_database_bytes", ())]
    assert after > before + n * 8  # at least the values themselves


def test_metadata_completeness_is_reported_per_project(api):
    r = api.put("/api/v1/projects/p/requirements", json={"required": ["tags.owner", "git.commit"]})
    assert r.status_code == 200 and r.json() == {"required": ["git.commit", "tags.owner"]}
    bad = api.put("/api/v1/projects/p/requirements", json={"required": ["Not A Field"]})
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "required"
    complete = api.post("/api/v1/runs", json={"project": "p", "tags": {"owner": "ana"}}).json()
    env = {"batch_id": "e", "environment": {"git": {"commit": "c" * 40}}}
    api.post(f"/api/v1/runs/{complete['id']}/batches", json=env)
    lacking = api.post("/api/v1/runs", json={"project": "p"}).json()
    assert api.get(f"/api/v1/runs/{lacking['id']}/completeness").json() == {
        "required": ["git.commit", "tags.owner"],
        "missing": ["git.commit", "tags.owner"],
    }
    report = api.get("/api/v1/projects/p/completeness").json()
    assert (report["runs"], report["complete"], report["percent"]) == (2, 1, 50.0)
    assert report["incomplete"] == {lacking["id"]: ["git.commit", "tags.owner"]}
    m = samples(api)
    assert m[("labledger_metadata_completeness_percent", (("project", "p"),))] == 50.0
