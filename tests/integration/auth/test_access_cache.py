"""What a server process remembers of credentials and roles: a change is seen at once by
the process that made it and within a second by every other process on the store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from labledger.core.errors import AuthenticationError, PermissionDeniedError
from labledger.core.identity import SYSTEM, Action
from labledger.services.access_cache import RECHECK_S
from labledger.services.tracker import Tracker


def test_another_process_stops_a_revoked_token_within_a_second(store_uri: str, tmp_path: Path):
    one = Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True)
    two = Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True)
    try:
        admin = one.for_principal(SYSTEM)
        admin.users.add_user("ana")
        admin.members.create_project("p", "ana")
        new = admin.tokens.create_token("ana")
        ana = two.tokens.authenticate(new.secret)  # process two remembers it
        two.policy.check(ana, Action.WRITE, project="p")
        admin.tokens.revoke_token(new.token.id)
        with pytest.raises(AuthenticationError):  # at once where it was revoked
            one.tokens.authenticate(new.secret)
        deadline = time.monotonic() + RECHECK_S + 0.5
        while time.monotonic() < deadline:
            try:
                two.tokens.authenticate(new.secret)
            except AuthenticationError:
                break
            time.sleep(0.05)
        else:
            pytest.fail("process two still accepted the revoked token after a second")
    finally:
        one.close()
        two.close()


def test_another_process_sees_a_role_taken_away_within_a_second(store_uri: str, tmp_path: Path):
    one = Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True)
    two = Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True)
    try:
        admin = one.for_principal(SYSTEM)
        for name in ("owner", "bo"):
            admin.users.add_user(name)
        admin.members.create_project("p", "owner")
        admin.members.set_member("p", "bo", "editor")
        bo = two.tokens.authenticate(admin.tokens.create_token("bo").secret)
        two.policy.check(bo, Action.WRITE, project="p")  # remembered: editor
        admin.members.set_member("p", "bo", "viewer")
        started = time.monotonic()
        while True:
            try:
                two.policy.check(bo, Action.WRITE, project="p")
            except PermissionDeniedError:
                break
            assert time.monotonic() - started < RECHECK_S + 0.5, "still an editor"
            time.sleep(0.05)
        with pytest.raises(PermissionDeniedError):  # and at once where it was changed
            one.policy.check(
                one.tokens.authenticate(admin.tokens.create_token("bo").secret),
                Action.WRITE,
                project="p",
            )
    finally:
        one.close()
        two.close()


def test_an_expired_token_is_refused_from_memory_too(store_uri: str, tmp_path: Path, monkeypatch):
    tracker = Tracker.open(store_uri, artifact_uri=(tmp_path / "a").as_uri(), auth=True)
    try:
        admin = tracker.for_principal(SYSTEM)
        admin.users.add_user("cy")
        secret = admin.tokens.create_token("cy", expires_in="1m").secret
        tracker.tokens.authenticate(secret)  # remembered
        from labledger.services import tokens

        later = tokens.now_ms() + 61_000
        monkeypatch.setattr(tokens, "now_ms", lambda: later)
        with pytest.raises(AuthenticationError) as err:
            tracker.tokens.authenticate(secret)
        assert "expired" in err.value.message
    finally:
        tracker.close()
