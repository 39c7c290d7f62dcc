"""The front door: every write operation of the OpenAPI document meets the same rules —
foreign origins, wrong media types, oversized, malformed, surrogate-bearing, overflowing and
deeply nested bodies are refused with a 4xx naming the problem, and nothing is written.

Runs on SQLite and PostgreSQL through the real app in-process; the size limit is also
checked against a real server process over a socket (refused before the body is sent).
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from labledger.core.limits import MAX_JSON_DEPTH, MAX_REQUEST_BODY
from labledger.store.tables import metadata

JSON = {"Content-Type": "application/json"}
BINARY = {"Content-Type": "application/octet-stream"}
DIGEST = "a" * 64
WRITE_METHODS = ("post", "put", "patch", "delete")


@pytest.fixture
def client(store_uri: str, tmp_path: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from labledger.core.settings import Settings
    from labledger.server.app import create_app

    settings = Settings(
        db_uri=store_uri,
        data_dir=str(tmp_path / "data"),
        allowed_origins="https://notebooks.example.org",
        auth=False,  # the door's refusals come before any credential is looked at
    )
    with TestClient(create_app(settings)) as c:
        yield c


def snapshot(client: Any) -> str:
    """A digest of every row of every table: equal before and after means nothing written."""
    h = hashlib.sha256()
    with client.app.state.tracker.db.read() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            for row in sorted(repr(tuple(r)) for r in rows):
                h.update(row.encode())
    return h.hexdigest()


def seeded(client: Any) -> dict[str, str]:
    """A project with a running run, a finished run and an upload in progress."""
    running = client.post("/api/v1/runs", json={"project": "p", "params": {"lr": "0.1"}}).json()
    done = client.post("/api/v1/runs", json={"project": "p"}).json()
    client.patch(f"/api/v1/runs/{done['id']}", json={"status": "finished"})
    upload = client.post("/api/v1/uploads", json={"digest": DIGEST, "size": 20 * 2**20}).json()
    return {"run_id": running["id"], "done_id": done["id"], "upload_id": upload["upload_id"]}


def write_operations(client: Any, ids: dict[str, str]) -> list[tuple[str, str, frozenset[str]]]:
    """(method, concrete path, media types) for every documented write operation."""
    values = {
        "run_id": ids["run_id"],
        "upload_id": ids["upload_id"],
        "digest": DIGEST,
        "part_number": "1",
        "project": "p",
        "key": "some.tag",
        "path": "a/b.txt",
        "name": "someone",
        "token_id": "0123456789abcdef",
        "model": "m",
        "version": "1",
        "alias": "champion",
        "env": "prod",
        "webhook_id": "0" * 32,
        "delivery_id": "1",
    }
    ops = []
    for template, item in client.get("/openapi.json").json()["paths"].items():
        path = template
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a parameter of {template}"
        for method, operation in item.items():
            if method in WRITE_METHODS:
                content = operation.get("requestBody", {}).get("content", {})
                ops.append(
                    (method.upper(), path, frozenset(content) or frozenset({"application/json"}))
                )
    assert len(ops) >= 15, ops  # every write route of the API is listed
    return ops


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code and body["message"], body
    return body


def test_every_write_refuses_a_foreign_origin_and_writes_nothing(client):
    ids = seeded(client)
    before = snapshot(client)
    for method, path, media in write_operations(client, ids):
        headers = {"Origin": "https://evil.example", "Content-Type": sorted(media)[0]}
        r = client.request(method, path, content=b"{}", headers=headers)
        body = refused(r, 403, "origin_not_allowed")
        assert body["details"] == {"field": "Origin", "origin": "https://evil.example"}
    # a look-alike of the server's host on another scheme or port is foreign too
    for origin in ("http://testserver.evil.example", "http://testserver:81", "null"):
        r = client.post(f"/api/v1/runs/{ids['done_id']}/seal", json={}, headers={"Origin": origin})
        refused(r, 403, "origin_not_allowed")
    assert snapshot(client) == before


def test_same_origin_and_allowed_origins_may_write(client):
    for origin in (
        "http://testserver",
        "https://notebooks.example.org",
        "https://Notebooks.example.org/",
    ):
        r = client.post("/api/v1/runs", json={"project": "p"}, headers={"Origin": origin})
        assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/jsonx",
        "text/json",
    ],
)
def test_every_post_without_its_media_type_is_415_and_writes_nothing(client, content_type):
    """The content types a cross-site form or a preflight-free fetch can send are refused,
    on body-less POSTs too (seal, heartbeat, verify, complete)."""
    ids = seeded(client)
    before = snapshot(client)
    for method, path, media in write_operations(client, ids):
        headers = {} if content_type is None else {"Content-Type": content_type}
        if method == "POST" or content_type is not None:
            r = client.request(method, path, content=b"{}", headers=headers)
            body = refused(r, 415, "unsupported_media_type")
            assert body["details"]["expected"] == sorted(media)
    assert snapshot(client) == before


def test_binary_routes_refuse_json_and_json_routes_refuse_binary(client):
    ids = seeded(client)
    r = client.put(f"/api/v1/blobs/{DIGEST}", content=b"{}", headers=JSON)
    refused(r, 415, "unsupported_media_type")
    r = client.post("/api/v1/runs", content=b'{"project": "p"}', headers=BINARY)
    refused(r, 415, "unsupported_media_type")
    r = client.put(f"/api/v1/uploads/{ids['upload_id']}/parts/1", content=b"x", headers=JSON)
    refused(r, 415, "unsupported_media_type")


def test_bodies_over_the_limit_are_413_on_every_write(client):
    ids = seeded(client)
    before = snapshot(client)
    big = b" " * (MAX_REQUEST_BODY + 1)
    for method, path, media in write_operations(client, ids):
        r = client.request(method, path, content=big, headers={"Content-Type": sorted(media)[0]})
        body = refused(r, 413, "body_too_large")
        assert body["details"] == {"field": "body", "limit": MAX_REQUEST_BODY}
    assert snapshot(client) == before


def test_a_chunked_body_is_cut_off_at_the_limit(client):
    ids = seeded(client)
    before = snapshot(client)

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_REQUEST_BODY // 2**20 + 2):
            yield b" " * 2**20

    r = client.post(f"/api/v1/runs/{ids['run_id']}/batches", content=chunks(), headers=JSON)
    refused(r, 413, "body_too_large")
    r = client.put(f"/api/v1/blobs/{DIGEST}", content=chunks(), headers=BINARY)
    refused(r, 413, "body_too_large")
    assert snapshot(client) == before


SURROGATES = ['"\\ud800"', '"\\udfff"', '"a\\ud83dz"', '"\\udc00\\ud800"']


def json_bodies_with(value: str, ids: dict[str, str]) -> list[tuple[str, str, str]]:
    """(method, path, raw JSON body) putting ``value`` (raw JSON text) into every string
    field a client can send: names, params, tags, notes, filters, paths, requirements."""
    run = ids["run_id"]
    return [
        ("POST", "/api/v1/runs", f'{{"project": "p", "name": {value}}}'),
        ("POST", "/api/v1/runs", f'{{"project": {value}}}'),
        ("POST", "/api/v1/runs", f'{{"project": "p", "params": {{"k": {value}}}}}'),
        ("POST", "/api/v1/runs", f'{{"project": "p", "params": {{{value}: "v"}}}}'),
        ("POST", "/api/v1/runs", f'{{"project": "p", "tags": {{"k": {value}}}}}'),
        ("POST", "/api/v1/runs", f'{{"project": "p", "notes": {value}}}'),
        ("POST", "/api/v1/runs", f'{{"project": "p", "run_key": {value}}}'),
        ("PATCH", f"/api/v1/runs/{run}", f'{{"notes": {value}}}'),
        ("PATCH", f"/api/v1/runs/{run}", f'{{"name": {value}}}'),
        ("POST", f"/api/v1/runs/{run}/batches", f'{{"params": {{"k": {value}}}}}'),
        ("POST", f"/api/v1/runs/{run}/batches", f'{{"tags": {{"k": {value}}}}}'),
        ("POST", f"/api/v1/runs/{run}/batches", f'{{"batch_id": {value}}}'),
        (
            "POST",
            f"/api/v1/runs/{run}/batches",
            f'{{"metrics": {{{value}: {{"steps": [0], "timestamps": [1], "values": [1]}}}}}}',
        ),
        ("POST", "/api/v1/runs/search", f'{{"project": "p", "filter": "name = {value[1:-1]}"}}'),
        ("POST", "/api/v1/runs/search", f'{{"project": "p", "filter": {value}}}'),
        ("POST", "/api/v1/runs/search", f'{{"project": "p", "order_by": [{value}]}}'),
        ("POST", "/api/v1/runs/count", f'{{"project": "p", "filter": {value}}}'),
        ("POST", "/api/v1/runs/groups", f'{{"project": "p", "group_by": {value}}}'),
        ("POST", "/api/v1/runs/validate-filter", f'{{"filter": {value}}}'),
        (
            "POST",
            f"/api/v1/runs/{run}/artifacts",
            f'{{"artifacts": [{{"path": {value}, "digest": "{DIGEST}", "size": 1}}]}}',
        ),
        (
            "POST",
            f"/api/v1/runs/{run}/artifacts",
            f'{{"artifacts": [{{"path": "a", "digest": "{DIGEST}", "size": 1, '
            f'"media_type": {value}}}]}}',
        ),
        ("PUT", "/api/v1/projects/p/requirements", f'{{"required": [{value}]}}'),
        ("POST", "/api/v1/models", f'{{"name": {value}, "project": "p"}}'),
        ("POST", "/api/v1/models", f'{{"name": "m", "project": "p", "description": {value}}}'),
        ("POST", "/api/v1/models/m/versions", f'{{"run_id": "{run}", "path": {value}}}'),
        ("PUT", "/api/v1/models/m/policies/champion", f'{{"policy": {value}}}'),
        ("POST", "/api/v1/registry/search", f'{{"filter": {value}}}'),
        ("POST", "/api/v1/models/m/deployments/prod/telemetry", f'{{"data": {{{value}: [1]}}}}'),
        ("PUT", f"/api/v1/runs/{run}/references/inputs", f'{{"data": {{"x": [{value}]}}}}'),
        ("POST", "/api/v1/projects/p/webhooks", f'{{"url": {value}}}'),
    ]


@pytest.mark.parametrize("surrogate", SURROGATES)
def test_lone_surrogates_are_refused_in_every_string_field(client, surrogate):
    ids = seeded(client)
    before = snapshot(client)
    for method, path, body in json_bodies_with(surrogate, ids):
        r = client.request(method, path, content=body.encode(), headers=JSON)
        refused(r, 400, "malformed_json")
    assert snapshot(client) == before


def test_a_valid_surrogate_pair_is_an_ordinary_character(client):
    r = client.post(
        "/api/v1/runs", content=b'{"project": "p", "name": "\\ud83d\\ude00"}', headers=JSON
    )
    assert r.status_code == 201 and r.json()["name"] == "\U0001f600"


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{}", b'{"project": "\xed\xa0\x80"}', b'{"project": "p\xc3"}', b"\xef\xbb\xbf{}"],
)
def test_bodies_that_are_not_utf8_are_refused(client, raw):
    before = snapshot(client)
    refused(client.post("/api/v1/runs", content=raw, headers=JSON), 400, "malformed_json")
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "number",
    [
        "1" * 401,
        "1e400",
        "-1e400",
        "9" * 20,
        "-" + "9" * 20,
        "2e19",
        "1" * 30 + ".5",
        "NaN",
        "Infinity",
    ],
)
def test_numbers_out_of_range_are_refused_wherever_a_number_goes(client, number):
    ids = seeded(client)
    run = ids["run_id"]
    before = snapshot(client)
    bodies = [
        ("POST", "/api/v1/runs", f'{{"project": "p", "start_ms": {number}}}'),
        ("PATCH", f"/api/v1/runs/{run}", f'{{"end_ms": {number}}}'),
        (
            "POST",
            f"/api/v1/runs/{run}/batches",
            f'{{"metrics": {{"m": {{"steps": [{number}], "timestamps": [1], "values": [1]}}}}}}',
        ),
        (
            "POST",
            f"/api/v1/runs/{run}/batches",
            f'{{"metrics": {{"m": {{"steps": [1], "timestamps": [{number}], "values": [1]}}}}}}',
        ),
        ("POST", "/api/v1/runs/search", f'{{"project": "p", "limit": {number}}}'),
        ("POST", "/api/v1/uploads", f'{{"digest": "{DIGEST[:-1]}b", "size": {number}}}'),
        (
            "POST",
            f"/api/v1/runs/{run}/artifacts",
            f'{{"artifacts": [{{"path": "a", "digest": "{DIGEST}", "size": {number}}}]}}',
        ),
        (
            "POST",
            f"/api/v1/runs/{run}/artifacts",
            f'{{"artifacts": [{{"path": "a", "digest": "{DIGEST}", "size": 1, '
            f'"step": {number}}}]}}',
        ),
    ]
    for method, path, body in bodies:
        r = client.request(method, path, content=body.encode(), headers=JSON)
        assert 400 <= r.status_code < 500, (path, body[:80], r.status_code, r.text)
        assert r.json()["error_code"], r.text
    assert snapshot(client) == before
    # a metric value is a double: a long integer is an ordinary large value; one beyond a
    # double's range (or a NaN literal, which JSON does not have) is refused
    value = f'{{"metrics": {{"m": {{"steps": [1], "timestamps": [1], "values": [{number}]}}}}}}'
    r = client.post(f"/api/v1/runs/{run}/batches", content=value.encode(), headers=JSON)
    if number in ("1" * 401, "1e400", "-1e400", "NaN", "Infinity"):
        refused(r, 400, "malformed_json")
        assert snapshot(client) == before
    else:
        assert r.status_code == 200, r.text
        history = client.get(f"/api/v1/runs/{run}/metrics/m/history").json()
        assert history["values"] == [float(number)]


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_nesting_is_bounded_before_any_route_parses(client):
    ids = seeded(client)
    before = snapshot(client)
    for depth in (MAX_JSON_DEPTH + 1, 1_000, 100_000):
        for method, path, _ in write_operations(client, ids):
            if path.startswith("/api/v1/blobs") or "/parts/" in path:
                continue
            r = client.request(method, path, content=nested(depth), headers=JSON)
            body = refused(r, 400, "limit_exceeded")
            assert body["details"] == {"field": "body", "limit": MAX_JSON_DEPTH}
        deep_object = b'{"a":' * depth + b"1" + b"}" * depth
        r = client.post("/api/v1/runs", content=deep_object, headers=JSON)
        refused(r, 400, "limit_exceeded")
    # inside the limit the document reaches the route, which refuses it by its schema
    r = client.post("/api/v1/runs", content=nested(MAX_JSON_DEPTH), headers=JSON)
    assert r.status_code == 422 and r.json()["error_code"] == "invalid_body"
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "raw", [b"null", b"[]", b'"text"', b"0", b"true", b"[1, 2]", b"{", b"", b"{} {}", b"{'a': 1}"]
)
def test_bodies_of_the_wrong_shape_never_reach_a_store(client, raw):
    ids = seeded(client)
    before = snapshot(client)
    for method, path, media in write_operations(client, ids):
        if "application/json" not in media or method == "DELETE":
            continue
        r = client.request(method, path, content=raw, headers=JSON)
        assert 400 <= r.status_code < 500, (method, path, raw, r.status_code, r.text)
        assert r.json()["error_code"], r.text
    assert snapshot(client) == before


def test_a_server_process_refuses_a_large_body_before_reading_it(tmp_path):
    """20 MiB announced, nothing sent: the 413 arrives at once, so the server never waited
    for (or buffered) the body."""
    from tests.conftest import ServerProcess

    data = tmp_path / "srv"
    data.mkdir()
    server = ServerProcess(data)
    server.start()
    try:
        run = httpx.post(f"{server.url}/api/v1/runs", json={"project": "p"}).json()
        for path, ctype in (
            (f"/api/v1/runs/{run['id']}/batches", "application/json"),
            (f"/api/v1/blobs/{DIGEST}", "application/octet-stream"),
        ):
            method = "PUT" if "blobs" in path else "POST"
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(
                    f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                    f"Content-Type: {ctype}\r\nContent-Length: {20 * 2**20}\r\n\r\n".encode()
                )
                started = time.monotonic()
                answer = b""
                while b"body_too_large" not in answer and (chunk := sock.recv(65536)):
                    answer += chunk
                assert time.monotonic() - started < 5
            answer = answer.decode("latin-1")
            assert answer.startswith("HTTP/1.1 413"), answer
            assert '"error_code":"body_too_large"' in answer
        # the server is still there, and nothing was logged to the run
        assert httpx.get(f"{server.url}/api/v1/runs/{run['id']}").json()["metrics"] == {}
    finally:
        server.stop()


@pytest.mark.parametrize("field", ["size", "rows", "files"])
def test_dataset_counts_beyond_64_bits_are_refused(client, field):
    """Found by Schemathesis: 2**63 in a dataset count answered 500 on both databases."""
    ids = seeded(client)
    before = snapshot(client)
    dataset = {"name": "d", "uri": "u", "digest": "0" * 64, "size": 1, field: 2**63}
    r = client.post(f"/api/v1/runs/{ids['run_id']}/batches", json={"datasets": [dataset]})
    body = refused(r, 400, "limit_exceeded")
    assert body["details"]["field"].endswith(field)
    assert snapshot(client) == before


@pytest.mark.parametrize("bad", ["%FF", "%ED%A0%80", "p%C3", "%C0%AF"])
def test_urls_that_are_not_utf8_are_refused_on_every_operation(client, bad):
    """Percent-decoding would turn such bytes into U+FFFD silently (a tombstone's reason, a
    search filter, a path): every operation, read or write, refuses them first, naming the
    parameter, and writes nothing."""
    ids = seeded(client)
    before = snapshot(client)
    ops = [(m, p) for m, p, _ in write_operations(client, ids)]
    ops += [("GET", f"/api/v1/runs/{ids['run_id']}"), ("GET", "/api/v1/projects")]
    for method, path in ops:
        r = client.request(method, f"{path}?reason={bad}&x=1", json={}, headers=JSON)
        assert refused(r, 400, "invalid_input")["details"]["field"] == "reason", (method, path)
        r = client.request(method, f"{path}?{bad}=1", json={}, headers=JSON)
        assert refused(r, 400, "invalid_input")["details"]["field"], (method, path)
    r = client.get(f"/api/v1/runs/{bad}")
    assert refused(r, 400, "invalid_input")["details"]["field"] == "path"
    assert snapshot(client) == before


def test_percent_encoded_utf8_in_urls_is_read_as_written(client):
    ids = seeded(client)
    r = client.delete(f"/api/v1/runs/{ids['done_id']}?reason=%C3%A9t%C3%A9+%F0%9F%98%80")
    assert r.status_code == 204, r.text
    verified = client.post(f"/api/v1/runs/{ids['done_id']}/verify", json={}).json()
    assert verified["deleted"]["reason"] == "été 😀"
