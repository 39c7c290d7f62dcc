"""One paging style: every listing that pages takes ``page_token`` and answers
``next_page_token`` (opaque).  The sealed-run and blob-check listings keep ``after`` and
``next_after`` for one release, marked deprecated in the OpenAPI document.  On SQLite and
PostgreSQL, through the service and over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labledger.core.entities import RunCreate, RunStatus, RunUpdate
from labledger.core.errors import InvalidInputError
from labledger.core.paging import encode_page_token
from labledger.core.settings import Settings
from labledger.server.app import create_app


@pytest.fixture
def both(tracker, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=str(tmp_path / "data")), tracker=tracker)
    with TestClient(app) as client:
        yield tracker, client


def ended_runs(tracker, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        run, _ = tracker.runs.create_run(RunCreate(project="p"))
        tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED))
        ids.append(run.id)
    return sorted(ids)


def stored_blobs(tracker, n: int) -> list[str]:
    digests = []
    for i in range(n):
        data = f"blob {i}".encode()
        digest = hashlib.sha256(data).hexdigest()
        tracker.artifacts.put_blob(digest, [data])
        digests.append(digest)
    return sorted(digests)


def walk(client, method: str, path: str, key: str, style: str, limit: int):  # type: ignore[no-untyped-def]
    """Every page of a listing, following next_page_token (or the deprecated next_after)."""
    pages, params = [], {"limit": limit}
    while True:
        body = {} if method == "POST" else None
        answer = client.request(method, path, params=params, json=body)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page[key])
        if style == "token":
            assert (page["next_page_token"] is None) == (page["next_after"] is None)
            if page["next_page_token"] is None:
                return pages
            params = {"limit": limit, "page_token": page["next_page_token"]}
        else:
            if page["next_after"] is None:
                return pages
            params = {"limit": limit, "after": page["next_after"]}


@pytest.mark.parametrize("style", ["token", "after"])
def test_sealed_runs_page_by_token_and_by_the_deprecated_after(both, style):
    tracker, client = both
    ids = ended_runs(tracker, 5)
    pages = walk(client, "GET", "/api/v1/seals", "run_ids", style, limit=2)
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]


@pytest.mark.parametrize("style", ["token", "after"])
def test_blob_checks_page_by_token_and_by_the_deprecated_after(both, style):
    tracker, client = both
    digests = stored_blobs(tracker, 5)
    pages = walk(client, "POST", "/api/v1/blobs/verify", "checked", style, limit=2)
    assert pages == [2, 2, 1]
    assert len(digests) == 5


def test_the_service_pages_by_token_as_the_server_does(tracker):
    ids = ended_runs(tracker, 3)
    first = tracker.provenance.list_sealed_runs(None, None, 2)
    assert first.run_ids == ids[:2] and first.next_after == ids[1]
    rest = tracker.provenance.list_sealed_runs(None, first.next_page_token, 2)
    assert (rest.run_ids, rest.next_page_token) == (ids[2:], None)
    # the deprecated position still answers, for one release
    assert tracker.provenance.list_sealed_runs(None, None, 2, after=ids[0]).run_ids == ids[1:3]
    digests = stored_blobs(tracker, 3)
    page = tracker.provenance.verify_blobs(None, 2)
    assert (page.checked, page.problems, page.next_after) == (2, [], digests[1])
    last = tracker.provenance.verify_blobs(page.next_page_token, 2)
    assert (last.checked, last.next_page_token) == (1, None)
    assert tracker.provenance.verify_blobs(None, 2, after=digests[0]).checked == 2


BAD_TOKENS = [
    "",
    "x",
    "not a token",
    "A" * 200,
    encode_page_token("seals", "not-an-id"),
    encode_page_token("blobs", "0" * 32),  # a token of the other listing
    encode_page_token("seals", "0" * 64),
]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_token_no_listing_returned_is_refused(both, token):
    tracker, client = both
    ended_runs(tracker, 1)
    with pytest.raises(InvalidInputError) as err:
        tracker.provenance.list_sealed_runs(None, token, 10)
    assert err.value.details["field"] == "page_token"
    answer = client.get("/api/v1/seals", params={"page_token": token})
    assert (answer.status_code, answer.json()["details"]["field"]) == (400, "page_token")
    blobs = client.post("/api/v1/blobs/verify", params={"page_token": token}, json={})
    assert blobs.status_code == 400, blobs.text
    assert blobs.json()["details"]["field"] == "page_token"


def test_page_token_and_after_together_are_refused(both):
    tracker, client = both
    ids = ended_runs(tracker, 3)
    token = tracker.provenance.list_sealed_runs(None, None, 1).next_page_token
    answer = client.get("/api/v1/seals", params={"page_token": token, "after": ids[0]})
    assert (answer.status_code, answer.json()["details"]["field"]) == (400, "after")
    digests = stored_blobs(tracker, 2)
    token = tracker.provenance.verify_blobs(None, 1).next_page_token
    params = {"page_token": token, "after": digests[0]}
    answer = client.post("/api/v1/blobs/verify", params=params, json={})
    assert (answer.status_code, answer.json()["details"]["field"]) == (400, "after")


def test_the_openapi_document_marks_after_and_next_after_deprecated(api):
    document = api.get("/openapi.json").json()
    for path, method, page in (
        ("/api/v1/seals", "get", "SealsPublic"),
        ("/api/v1/blobs/verify", "post", "BlobCheckPublic"),
    ):
        params = {p["name"]: p for p in document["paths"][path][method]["parameters"]}
        assert params["after"].get("deprecated") is True
        assert not params["page_token"].get("deprecated")
        props = document["components"]["schemas"][page]["properties"]
        assert props["next_after"].get("deprecated") is True
        assert "next_page_token" in document["components"]["schemas"][page]["required"]
    # every listing route that pages takes page_token
    for path, item in document["paths"].items():
        for operation in item.values():
            names = {p["name"] for p in operation.get("parameters", [])}
            if "after" in names:
                assert "page_token" in names, path
