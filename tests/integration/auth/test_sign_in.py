"""Signing in: tokens (scope, expiry, revocation, a disabled user), passwords with a
throttle, one-time login links, UI sessions with their CSRF token, and signing out."""

from __future__ import annotations

import time

import pytest

from labledger.core.accounts import secret_hash
from labledger.core.errors import AuthenticationError, InvalidInputError
from labledger.services.logins import FailedLogins

from .conftest import World


def test_a_token_is_256_random_bits_with_a_prefix_and_only_its_hash_is_kept(world: World):
    answer = world.call(
        "owner",
        "POST",
        "/api/v1/users/owner/tokens",
        json={"scope": "read", "label": "ci", "expires_in": "12h"},
    )
    assert answer.status_code == 201
    body = answer.json()
    secret = body["token"]
    assert secret.startswith("ll_") and len(secret) == 3 + 43  # 32 bytes, base64url
    assert body["label"] == "ci" and body["scope"] == "read"
    assert 12 * 3_600_000 - 5000 < body["expires_ms"] - body["created_ms"] <= 12 * 3_600_000
    from sqlalchemy import select

    from labledger.store.tables import tokens

    with world.tracker.db.read() as conn:
        stored = conn.execute(select(tokens).where(tokens.c.id == body["id"])).one()
    assert stored.secret_hash == secret_hash(secret) and secret not in repr(tuple(stored))
    listed = world.call("owner", "GET", "/api/v1/users/owner/tokens").json()["tokens"]
    assert all("token" not in t for t in listed)  # shown once
    used = world.http.get("/api/v1/projects", headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 200
    again = [
        t
        for t in world.call("owner", "GET", "/api/v1/users/owner/tokens").json()["tokens"]
        if t["id"] == body["id"]
    ][0]
    assert again["last_used_ms"] is not None


def test_a_revoked_token_and_a_disabled_users_tokens_stop_at_once(world: World):
    secret = world.system.tokens.create_token("editor", scope="write")
    auth = {"Authorization": f"Bearer {secret.secret}"}
    assert world.http.get("/api/v1/projects", headers=auth).status_code == 200
    assert world.call("editor", "DELETE", f"/api/v1/tokens/{secret.token.id}").status_code == 200
    refused = world.http.get("/api/v1/projects", headers=auth)
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    assert world.call("editor", "GET", "/api/v1/projects").status_code == 200
    assert world.call("admin", "POST", "/api/v1/users/editor/disable", json={}).status_code == 200
    gone = world.call("editor", "GET", "/api/v1/projects")
    assert gone.status_code == 401 and "disabled" in gone.json()["message"]
    world.call("admin", "POST", "/api/v1/users/editor/enable", json={})
    assert world.call("editor", "GET", "/api/v1/projects").status_code == 200


def test_another_users_token_cannot_be_revoked_or_listed(world: World):
    mine = world.system.tokens.create_token("owner", scope="read").token.id
    assert world.call("editor", "DELETE", f"/api/v1/tokens/{mine}").status_code == 403
    assert world.call("editor", "GET", "/api/v1/users/owner/tokens").status_code == 403
    assert world.call("editor", "POST", "/api/v1/users/owner/tokens", json={}).status_code == 403
    # an unknown id answers the same as another's: ids are not probed
    assert world.call("editor", "DELETE", "/api/v1/tokens/ffffffffffffffff").status_code == 403
    assert world.call("admin", "DELETE", "/api/v1/tokens/ffffffffffffffff").status_code == 404


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer ll_short",
        "Bearer " + "ll_" + "a" * 43,
        ("Bearer ll_ü" + "a" * 40).encode("latin-1"),
        "bearer  " + "x" * 5000,
    ],
)
def test_malformed_and_unknown_credentials_are_401_naming_the_problem(world: World, header):
    answer = world.http.get("/api/v1/projects", headers={"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert answer.json()["error_code"] == "unauthenticated"


def test_a_token_cannot_be_wider_than_the_credential_creating_it(world: World):
    read = {"Authorization": f"Bearer {world.tokens['read_token']}"}
    wider = world.http.post("/api/v1/users/owner/tokens", json={"scope": "admin"}, headers=read)
    assert wider.status_code == 403  # a read token cannot create tokens at all
    write = world.system.tokens.create_token("owner", scope="write").secret
    answer = world.http.post(
        "/api/v1/users/owner/tokens",
        json={"scope": "admin"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert answer.status_code == 400 and answer.json()["details"]["field"] == "scope"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "root"}, "scope"),
        ({"expires_in": "forever"}, "expires_in"),
        ({"expires_in": "0d"}, "expires_in"),
        ({"expires_in": "99999w"}, "expires_in"),
        ({"label": "x" * 201}, "label"),
    ],
)
def test_bad_token_requests_name_the_field(world: World, body, field):
    answer = world.call("owner", "POST", "/api/v1/users/owner/tokens", json=body)
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text
    assert world.system.tokens.list_tokens("owner")[-1].scope != body.get("scope", "-")


def test_password_login_sets_an_httponly_session_and_csrf_guards_changes(world: World):
    world.system.users.set_password("viewer", "correct horse battery")
    http = world.http
    answer = http.post(
        "/api/v1/auth/login", json={"user": "viewer", "password": "correct horse battery"}
    )
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "labledger_session=ll_" in cookie
    csrf = answer.json()["csrf_token"]
    assert http.get("/api/v1/projects").json()["projects"][0]["name"] == "alpha"
    no_csrf = http.post("/api/v1/runs/search", json={"project": "alpha"})
    assert no_csrf.status_code == 403 and no_csrf.json()["details"]["reason"] == "csrf"
    wrong = http.post(
        "/api/v1/runs/search", json={"project": "alpha"}, headers={"X-CSRF-Token": "0" * 64}
    )
    assert wrong.status_code == 403
    ok = http.post("/api/v1/runs/search", json={"project": "alpha"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    assert http.get("/api/v1/auth/session").json()["user"] == "viewer"
    out = http.post("/api/v1/auth/logout", json={}, headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert http.get("/api/v1/projects").status_code == 401
    http.cookies.clear()


def test_a_stolen_session_cookie_stops_working_after_logout(world: World):
    world.system.users.set_password("viewer", "correct horse battery")
    answer = world.http.post(
        "/api/v1/auth/login", json={"user": "viewer", "password": "correct horse battery"}
    )
    secret = answer.cookies["labledger_session"]
    csrf = answer.json()["csrf_token"]
    world.http.post("/api/v1/auth/logout", json={}, headers={"X-CSRF-Token": csrf})
    world.http.cookies.clear()
    world.http.cookies.set("labledger_session", secret)
    replay = world.http.get("/api/v1/projects")
    assert replay.status_code == 401
    # a session secret is no API token, and an API token is no session
    as_bearer = world.http.get("/api/v1/projects", headers={"Authorization": f"Bearer {secret}"})
    assert as_bearer.status_code == 401
    world.http.cookies.clear()
    world.http.cookies.set("labledger_session", world.tokens["viewer"])
    as_cookie = world.http.get("/api/v1/projects")
    assert as_cookie.status_code == 401
    world.http.cookies.clear()


def test_wrong_passwords_get_429_before_any_hash_is_computed(world: World, monkeypatch):
    world.system.users.set_password("viewer", "correct horse battery")
    codes = [
        world.http.post(
            "/api/v1/auth/login", json={"user": "viewer", "password": f"guess {n}"}
        ).status_code
        for n in range(8)
    ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3
    from labledger.services import logins

    class Never:
        def verify(self, *_a: object) -> bool:
            raise AssertionError("hashed a password while throttled")

    monkeypatch.setattr(logins, "PASSWORDS", Never())
    right = world.http.post(
        "/api/v1/auth/login", json={"user": "viewer", "password": "correct horse battery"}
    )
    assert right.status_code == 429 and right.json()["details"]["retry_after_s"] > 0
    failed = [
        e for e in world.system.audit.list_entries(limit=100).entries if e.action == "login.failed"
    ]
    assert len(failed) == 5  # every failure audited, refused attempts are not logins at all


def test_the_throttle_counts_per_address_too():
    throttle = FailedLogins(per_user=100, per_address=3, window_s=0.3)
    for n in range(3):
        throttle.check(f"user{n}", "10.0.0.1")
        throttle.failed(f"user{n}", "10.0.0.1")
    with pytest.raises(Exception) as err:
        throttle.check("someone-else", "10.0.0.1")
    assert err.value.__class__.__name__ == "TooManyAttemptsError"
    throttle.check("someone-else", "10.0.0.2")
    time.sleep(0.35)
    throttle.check("someone-else", "10.0.0.1")  # the window passed


def test_unknown_users_and_users_without_passwords_fail_alike(world: World):
    for user in ("nobody", "editor"):  # editor has no password
        answer = world.http.post(
            "/api/v1/auth/login", json={"user": user, "password": "whatever it is"}
        )
        assert answer.status_code == 401
        assert answer.json()["message"] == "wrong user name or password"


def test_a_login_link_works_once(world: World):
    secret = world.system.logins.create_login_link("viewer")
    first = world.http.get(f"/api/v1/auth/link?token={secret}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert world.http.get("/api/v1/auth/session").json()["user"] == "viewer"
    world.http.cookies.clear()
    second = world.http.get(f"/api/v1/auth/link?token={secret}", follow_redirects=False)
    assert second.status_code == 303 and second.headers["location"].startswith("/login")
    assert "labledger_session" not in second.cookies
    api = world.http.post("/api/v1/auth/link", json={"token": secret})
    assert api.status_code == 401
    # an API token is not a login link
    assert (
        world.http.post("/api/v1/auth/link", json={"token": world.tokens["viewer"]}).status_code
        == 401
    )
    world.http.cookies.clear()


def test_passwords_are_argon2id_and_short_ones_are_refused(world: World):
    with pytest.raises(InvalidInputError) as err:
        world.system.users.set_password("viewer", "short")
    assert err.value.details["field"] == "password"
    world.system.users.set_password("viewer", "a reasonably long one")
    from sqlalchemy import select

    from labledger.store.tables import users

    with world.tracker.db.read() as conn:
        stored = conn.execute(
            select(users.c.password_hash).where(users.c.name == "viewer")
        ).scalar()
    assert stored.startswith("$argon2id$")


def test_a_session_probe_never_fails(world: World):
    assert world.http.get("/api/v1/auth/session").json() == {
        "auth": True,
        "user": None,
        "admin": False,
        "csrf_token": None,
        "methods": ["password"],
    }
    world.http.cookies.set("labledger_session", "ll_" + "z" * 43)
    stale = world.http.get("/api/v1/auth/session")
    assert stale.status_code == 200 and stale.json()["user"] is None
    world.http.cookies.clear()


def test_authenticate_refuses_other_kinds_of_credential(world: World):
    link = world.system.logins.create_login_link("viewer")
    with pytest.raises(AuthenticationError):
        world.tracker.tokens.authenticate(link)


def test_logout_with_a_bearer_token_revokes_nothing(world: World):
    """Found by Schemathesis: a logout sent with both an API token and a session cookie
    revoked the API token."""
    world.http.cookies.set("labledger_session", "ll_" + "q" * 43)
    out = world.call("editor", "POST", "/api/v1/auth/logout", json={})
    assert out.status_code == 204
    world.http.cookies.clear()
    assert world.call("editor", "GET", "/api/v1/projects").status_code == 200


def test_replicas_starting_together_create_one_admin(store_uri: str, tmp_path):
    """Two server processes on one empty PostgreSQL store: one admin, one link, no crash."""
    import threading

    from labledger.core.identity import SYSTEM
    from labledger.services.tracker import Tracker

    trackers = [
        Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True) for _ in range(4)
    ]
    links: list[str | None] = []
    barrier = threading.Barrier(len(trackers))

    def start(t: Tracker) -> None:
        barrier.wait()
        links.append(t.for_principal(SYSTEM).logins.ensure_first_admin())

    threads = [threading.Thread(target=start, args=(t,)) for t in trackers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len([link for link in links if link]) == 1, links
        assert [u.name for u in trackers[0].for_principal(SYSTEM).users.list_users()] == ["admin"]
    finally:
        for t in trackers:
            t.close()


def test_changing_your_own_password_needs_the_current_one_and_ends_other_sessions(world: World):
    world.system.users.set_password("viewer", "the first password")
    first = world.http.post(
        "/api/v1/auth/login", json={"user": "viewer", "password": "the first password"}
    )
    other_session = first.cookies["labledger_session"]
    world.http.cookies.clear()
    link = world.system.logins.create_login_link("viewer")
    change = {"password": "the second password"}
    no_current = world.call("viewer", "PUT", "/api/v1/users/viewer/password", json=change)
    assert no_current.status_code == 403 and no_current.json()["details"]["field"] == "current"
    wrong = world.call(
        "viewer",
        "PUT",
        "/api/v1/users/viewer/password",
        json={**change, "current": "not the first one"},
    )
    assert wrong.status_code == 403
    assert (
        world.http.post(
            "/api/v1/auth/login", json={"user": "viewer", "password": "the first password"}
        ).status_code
        == 200
    )  # unchanged
    world.http.cookies.clear()
    ok = world.call(
        "viewer",
        "PUT",
        "/api/v1/users/viewer/password",
        json={**change, "current": "the first password"},
    )
    assert ok.status_code == 204
    world.http.cookies.set("labledger_session", other_session)
    assert world.http.get("/api/v1/projects").status_code == 401  # that session ended
    world.http.cookies.clear()
    assert world.http.post("/api/v1/auth/link", json={"token": link}).status_code == 401
    world.http.cookies.clear()
    assert world.call("viewer", "GET", "/api/v1/projects").status_code == 200  # tokens stay
    # an admin sets another's password without knowing it
    assert (
        world.call(
            "admin", "PUT", "/api/v1/users/viewer/password", json={"password": "set by the admin"}
        ).status_code
        == 204
    )
    assert (
        world.http.post(
            "/api/v1/auth/login", json={"user": "viewer", "password": "set by the admin"}
        ).status_code
        == 200
    )
    world.http.cookies.clear()
