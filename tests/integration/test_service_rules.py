"""The rules a request meets live in the services, called once: a caller of the service (the
embedded SDK, and the next doors: the MLflow API, importers) is refused exactly as an HTTP
client is, with the same error, field and status, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from labledger.core import limits
from labledger.core.entities import ArtifactEntry, Batch, RunCreate
from labledger.core.errors import (
    InvalidArtifactPathError,
    InvalidInputError,
    LimitExceededError,
    TrackerError,
)
from labledger.core.settings import Settings
from labledger.server.app import create_app

DIGEST = hashlib.sha256(b"x").hexdigest()
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def both(tracker, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The service and the HTTP API on the same store."""
    app = create_app(Settings(data_dir=str(tmp_path / "data")), tracker=tracker)
    with TestClient(app) as client:
        yield tracker, client


def new_run(tracker) -> str:
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    return run.id


def refused(call) -> TrackerError:
    with pytest.raises(TrackerError) as err:
        call()
    return err.value


def same_refusal(error: TrackerError, answer) -> None:  # type: ignore[no-untyped-def]
    """The HTTP answer is the service's error, as the one error handler writes it."""
    assert answer.status_code == error.http_status, answer.text
    body = answer.json()
    assert body["error_code"] == error.error_code
    assert body["details"].get("field") == error.details.get("field")


# -- artifact declarations --------------------------------------------------------------------
BAD_ENTRIES = [
    ({"path": "../up", "digest": DIGEST, "size": 1}, InvalidArtifactPathError, "artifacts[0].path"),
    ({"path": "a", "digest": "ABC", "size": 1}, InvalidInputError, "artifacts[0].digest"),
    ({"path": "a", "digest": DIGEST, "size": -1}, InvalidInputError, "artifacts[0].size"),
    (
        {"path": "a", "digest": DIGEST, "size": limits.MAX_ARTIFACT_SIZE + 1},
        LimitExceededError,
        "artifacts[0].size",
    ),
    (
        {"path": "a", "digest": DIGEST, "size": 1, "media_type": "text"},
        InvalidInputError,
        "artifacts[0].media_type",
    ),
    (
        {"path": "a", "digest": DIGEST, "size": 1, "step": 2**63},
        LimitExceededError,
        "artifacts[0].step",
    ),
    (
        {"path": "a", "digest": DIGEST, "size": 1, "mtime_ms": -1},
        InvalidInputError,
        "artifacts[0].mtime_ms",
    ),
]


@pytest.mark.parametrize(("item", "error", "field"), BAD_ENTRIES)
def test_declare_checks_entries_in_either_form_and_over_http(both, item, error, field):
    tracker, client = both
    run_id = new_run(tracker)
    as_dict = refused(lambda: tracker.artifacts.declare(run_id, [item]))
    as_entry = refused(lambda: tracker.artifacts.declare(run_id, [ArtifactEntry(**item)]))
    for err in (as_dict, as_entry):
        assert (type(err), err.details["field"]) == (error, field)
    answer = client.post(f"/api/v1/runs/{run_id}/artifacts", json={"artifacts": [item]})
    same_refusal(as_dict, answer)
    assert tracker.artifacts.list(run_id) == []


def test_declare_keeps_the_last_entry_for_a_path_in_either_form(tracker):
    run_id = new_run(tracker)
    first = ArtifactEntry("a.txt", DIGEST, 1, step=1)
    stored, missing = tracker.artifacts.declare(
        run_id, [first, {"path": "a.txt", "digest": DIGEST, "size": 1, "step": 2}]
    )
    assert [(e.path, e.step) for e in stored] == [("a.txt", 2)]
    assert missing == [DIGEST]
    [listed] = tracker.artifacts.list(run_id)
    assert (listed.step, listed.media_type) == (2, "text/plain")  # guessed from the path


def test_too_many_entries_are_refused_by_the_service(tracker):
    run_id = new_run(tracker)
    many = [
        {"path": f"f{i}", "digest": DIGEST, "size": 1}
        for i in range(limits.MAX_ARTIFACTS_PER_REQUEST + 1)
    ]
    err = refused(lambda: tracker.artifacts.declare(run_id, many))
    assert isinstance(err, LimitExceededError) and err.details["field"] == "artifacts"


def test_a_folder_is_limited_before_its_trailing_slashes_are_dropped(both):
    tracker, client = both
    run_id = new_run(tracker)
    deep = "/".join(["s" * 99] * 10)  # 999 characters
    assert len(deep) == limits.MAX_ARTIFACT_PATH - 1
    folder = deep + "//"
    err = refused(lambda: tracker.artifacts.list(run_id, folder))
    assert isinstance(err, LimitExceededError) and err.details["field"] == "path"
    same_refusal(err, client.get(f"/api/v1/runs/{run_id}/artifacts", params={"path": folder}))
    archive = client.get(f"/api/v1/runs/{run_id}/artifacts/archive", params={"path": folder})
    same_refusal(err, archive)
    assert tracker.artifacts.list(run_id, deep + "/") == []


# -- batches ----------------------------------------------------------------------------------
def test_log_batch_takes_the_wire_form_and_checks_it(both):
    tracker, client = both
    run_id = new_run(tracker)
    wire = {
        "batch_id": "w-1",
        "metrics": {"loss": {"steps": [0, 1], "timestamps": [5, 6], "values": [1.0, "NaN"]}},
        "params": {"lr": "0.1"},
    }
    assert tracker.runs.log_batch(run_id, wire).points == 2
    assert tracker.runs.log_batch(run_id, wire).duplicate  # the same delivery again
    assert tracker.runs.log_batch(run_id, Batch(None, {}, {}, {"t": "v"})).points == 0
    run = tracker.runs.get_run(run_id)
    assert (run.params, run.tags) == ({"lr": "0.1"}, {"t": "v"})
    for bad in (
        [1, 2],
        None,
        {"metrics": {"loss": {"steps": [0], "timestamps": [1, 2], "values": [1.0]}}},
        {"metrics": {" loss": {"steps": [0], "timestamps": [1], "values": [1.0]}}},
        {"metrics": {"loss": {"steps": [2**63], "timestamps": [1], "values": [1.0]}}},
        {"unknown": 1},
    ):
        err = refused(lambda bad=bad: tracker.runs.log_batch(run_id, bad))
        assert isinstance(err, InvalidInputError), bad
        sent = json.dumps(bad).encode()
        answer = client.post(f"/api/v1/runs/{run_id}/batches", content=sent, headers=JSON)
        same_refusal(err, answer)
    series = tracker.search.get_metric_history(run_id, "loss")
    assert series.steps == [0, 1]  # nothing refused was stored


# -- keys, reasons, pages -----------------------------------------------------------------------
@pytest.mark.parametrize("key", [" lead", "trail ", "a\x01b", "k" * (limits.MAX_KEY + 1)])
def test_a_key_no_tag_or_metric_could_have_is_refused_by_the_service(both, key):
    tracker, client = both
    run_id = new_run(tracker)
    tracker.runs.log_batch(run_id, Batch(None, {}, {}, {"keep": "1"}))
    err = refused(lambda: tracker.runs.delete_tag(run_id, key))
    assert err.details["field"] == "key"
    same_refusal(err, client.delete(f"/api/v1/runs/{run_id}/tags/{quote(key)}"))
    err = refused(lambda: tracker.search.get_metric_history(run_id, key))
    assert err.details["field"] == "key"
    same_refusal(err, client.get(f"/api/v1/runs/{run_id}/metrics/{quote(key)}/history"))
    assert tracker.runs.get_run(run_id).tags == {"keep": "1"}


@pytest.mark.parametrize("reason", ["", "x" * (limits.MAX_DELETE_REASON + 1), "a\x00b"])
def test_a_deletion_reason_is_checked_by_the_service(both, reason):
    tracker, client = both
    run_id = new_run(tracker)
    err = refused(lambda: tracker.runs.delete_run(run_id, reason))
    assert err.details["field"] == "reason"
    same_refusal(err, client.delete(f"/api/v1/runs/{run_id}", params={"reason": reason}))
    assert tracker.runs.get_run(run_id).id == run_id


@pytest.mark.parametrize("limit", [0, -1, limits.MAX_PAGE_SIZE + 1])
def test_a_page_size_out_of_range_is_refused_by_the_service(both, limit):
    tracker, client = both
    for call, path, method in (
        (lambda: tracker.provenance.list_sealed_runs(None, None, limit), "/api/v1/seals", "GET"),
        (lambda: tracker.provenance.verify_blobs(None, limit), "/api/v1/blobs/verify", "POST"),
    ):
        err = refused(call)
        assert err.details["field"] == "limit"
        body = {} if method == "POST" else None
        same_refusal(err, client.request(method, path, params={"limit": limit}, json=body))


def test_a_page_position_that_names_nothing_is_refused_by_the_service(both):
    tracker, client = both
    err = refused(lambda: tracker.provenance.list_sealed_runs(None, None, 10, after="not-a-run"))
    assert err.details["field"] == "after"
    same_refusal(err, client.get("/api/v1/seals", params={"after": "not-a-run"}))
    err = refused(lambda: tracker.provenance.verify_blobs(None, 10, after="A" * 64))
    assert err.details["field"] == "after"
    same_refusal(err, client.post("/api/v1/blobs/verify", params={"after": "A" * 64}, json={}))


# -- completeness -------------------------------------------------------------------------------
def test_both_doors_answer_the_same_completeness_reports(both):
    tracker, client = both
    tracker.provenance.set_requirements("p", ["params.lr", "notes"])
    done, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "1"}, notes="n"))
    lacking = new_run(tracker)
    project = tracker.provenance.completeness("p").to_dict()
    assert project == client.get("/api/v1/projects/p/completeness").json()
    assert project["incomplete"] == {lacking: ["notes", "params.lr"]}
    assert (project["runs"], project["complete"], project["percent"]) == (2, 1, 50.0)
    for run_id, missing in ((done.id, []), (lacking, ["notes", "params.lr"])):
        report = tracker.provenance.run_completeness(run_id).to_dict()
        assert report == client.get(f"/api/v1/runs/{run_id}/completeness").json()
        assert report == {"required": ["notes", "params.lr"], "missing": missing}
