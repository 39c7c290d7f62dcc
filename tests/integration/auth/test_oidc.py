"""Signing in through OpenID Connect against a real provider process (oidc-provider-mock,
started here on loopback): the code flow with PKCE, users created on first login, the
state and the ID token checked, nothing reaching the internet."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from labledger.core.identity import SYSTEM
from labledger.core.settings import Settings
from labledger.server.app import create_app
from labledger.services.tracker import Tracker
from tests.conftest import free_port


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "oidc_provider_mock",
            "--port",
            str(port),
            "--require-nonce",
            "true",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("the OpenID Connect provider did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def app(provider: str, tmp_path: Path) -> Iterator[tuple[TestClient, Tracker]]:
    tracker = Tracker.open(
        f"sqlite:///{tmp_path / 'db.sqlite'}", artifact_uri=(tmp_path / "a").as_uri(), auth=True
    )
    settings = Settings(
        data_dir=str(tmp_path),
        oidc_issuer=provider,
        oidc_client_id="labledger",
        oidc_client_secret="s3cret",
    )
    with TestClient(create_app(settings, tracker=tracker)) as http:
        yield http, tracker
    tracker.close()


def sign_in(http: TestClient, sub: str) -> httpx.Response:
    start = http.get("/api/v1/auth/oidc/start", follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = httpx.post(authorize, data={"sub": sub})
    assert back.status_code in (302, 303), back.text
    callback = back.headers["location"]
    assert callback.startswith("http://testserver/api/v1/auth/oidc/callback")
    return http.get(callback[len("http://testserver") :], follow_redirects=False)


def test_a_first_login_creates_the_user_and_opens_a_session(app):
    http, tracker = app
    assert http.get("/api/v1/auth/session").json()["methods"] == ["password", "oidc"]
    done = sign_in(http, "alice@example.org")
    assert done.status_code == 303 and done.headers["location"] == "/"
    session = http.get("/api/v1/auth/session").json()
    assert session["user"] == "alice@example.org" and session["admin"] is False
    users = {u.name: u for u in tracker.for_principal(SYSTEM).users.list_users()}
    assert users["alice@example.org"].sso is True
    # the same person again is the same user, not a second one
    http.cookies.clear()
    sign_in(http, "alice@example.org")
    assert len(tracker.for_principal(SYSTEM).users.list_users()) == 1
    actions = [e.action for e in tracker.for_principal(SYSTEM).audit.list_entries().entries]
    assert actions.count("user.add") == 1 and actions.count("login") == 2


def test_a_name_taken_by_a_local_user_gets_another(app):
    http, tracker = app
    tracker.for_principal(SYSTEM).users.add_user("bob", admin=True)
    sign_in(http, "bob")
    session = http.get("/api/v1/auth/session").json()
    assert session["user"] == "bob-2" and session["admin"] is False  # never the local admin


def test_a_forged_or_missing_state_is_refused(app, provider: str):
    http, tracker = app
    start = http.get("/api/v1/auth/oidc/start", follow_redirects=False)
    back = httpx.post(start.headers["location"], data={"sub": "mallory"})
    callback = back.headers["location"][len("http://testserver") :]
    http.cookies.clear()  # another browser: no flow cookie
    refused = http.get(callback, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/login?error=oidc"
    assert http.get("/api/v1/auth/session").json()["user"] is None
    tampered = http.get("/api/v1/auth/oidc/callback?code=abc&state=zzz", follow_redirects=False)
    assert tampered.headers["location"] == "/login?error=oidc"
    assert tracker.for_principal(SYSTEM).users.list_users() == []


def test_a_disabled_user_cannot_sign_in_through_the_provider(app):
    http, tracker = app
    sign_in(http, "carol")
    http.cookies.clear()
    tracker.for_principal(SYSTEM).users.disable_user("carol")
    again = sign_in(http, "carol")
    assert again.headers["location"] == "/login?error=oidc"


def test_without_a_provider_the_routes_say_so(tmp_path: Path):
    tracker = Tracker.open(f"sqlite:///{tmp_path / 'db.sqlite'}", auth=True)
    with TestClient(create_app(Settings(data_dir=str(tmp_path)), tracker=tracker)) as http:
        answer = http.get("/api/v1/auth/oidc/start", follow_redirects=False)
        assert answer.status_code == 404 and "not configured" in answer.json()["message"]
    tracker.close()
