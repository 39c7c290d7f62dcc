"""Security headers on every answer, a policy on the UI's pages, and CORS only for the
origins an operator lists (never with cookies)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from labledger.core.settings import Settings
from labledger.server.app import create_app


def client(tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(data_dir=str(tmp_path), auth=False, **settings)))


def test_every_answer_forbids_framing_and_sniffing(tmp_path: Path):
    with client(tmp_path) as http:
        for path in ("/healthz", "/api/v1/projects", "/api/v1/runs/" + "0" * 32, "/", "/runs/x"):
            answer = http.get(path)
            assert answer.headers["x-frame-options"] == "DENY", path
            assert answer.headers["x-content-type-options"] == "nosniff", path
            assert answer.headers["referrer-policy"] == "same-origin", path
        page = http.get("/")
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "content-security-policy" not in http.get("/api/v1/projects").headers


def test_an_artifact_keeps_its_sandbox(tmp_path: Path):
    import hashlib

    body = b"<script>alert(1)</script>"
    digest = hashlib.sha256(body).hexdigest()
    with client(tmp_path) as http:
        run = http.post("/api/v1/runs", json={"project": "p"}).json()["id"]
        http.post(
            f"/api/v1/runs/{run}/artifacts",
            json={
                "artifacts": [
                    {
                        "path": "x.html",
                        "digest": digest,
                        "size": len(body),
                        "media_type": "text/html",
                    }
                ]
            },
        )
        http.put(
            f"/api/v1/blobs/{digest}",
            content=body,
            headers={"Content-Type": "application/octet-stream"},
        )
        answer = http.get(f"/api/v1/runs/{run}/artifacts/files/x.html")
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == "sandbox"


def test_no_cors_unless_origins_are_listed(tmp_path: Path):
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    with client(tmp_path) as http:
        answer = http.options("/api/v1/runs", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
        got = http.get("/api/v1/projects", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in got.headers


def test_listed_origins_may_call_with_a_token_but_not_with_cookies(tmp_path: Path):
    listed = "https://notebooks.example.org"
    with client(tmp_path / "b", allowed_origins=listed) as http:
        ok = http.options(
            "/api/v1/runs",
            headers={
                "Origin": listed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == listed
        assert "access-control-allow-credentials" not in ok.headers
        other = http.options(
            "/api/v1/runs",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"
        write = http.post("/api/v1/runs", json={"project": "p"}, headers={"Origin": listed})
        assert write.status_code == 201
        assert write.headers["access-control-allow-origin"] == listed
        refused = http.post(
            "/api/v1/runs", json={"project": "p"}, headers={"Origin": "https://evil.example"}
        )
        assert refused.status_code == 403
