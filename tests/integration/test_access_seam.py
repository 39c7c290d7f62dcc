"""The identity seam: every public service method asks the policy first, for the principal
the route bound from the request (never from the body); a refusal is 403 with nothing
written, over HTTP and in-process.  Today's policy allows everyone (ANONYMOUS); users and
roles replace the policy, not the services."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from labledger.core.entities import RunCreate
from labledger.core.errors import PermissionDeniedError
from labledger.core.identity import ANONYMOUS, SYSTEM, Action, Principal, PrincipalKind
from labledger.core.settings import Settings
from labledger.server.app import create_app
from labledger.services.access import DenyEveryone, Guarded
from labledger.services.tracker import Tracker


class Recording:
    """Allows everything, writing down who asked for what."""

    def __init__(self) -> None:
        self.calls: list[tuple[Principal, Action, str | None, str | None]] = []
        self.deny: set[Action] = set()

    def check(
        self,
        principal: Principal,
        action: Action,
        *,
        project: str | None = None,
        run_id: str | None = None,
    ) -> None:
        # who, without where from: a request's address and id are noted for the audit log
        who = dataclasses.replace(principal, address=None, request_id=None)
        self.calls.append((who, action, project, run_id))
        if action in self.deny:
            raise PermissionDeniedError(
                f"{principal.name} may not {action.value}", details={"action": action.value}
            )

    def visible_projects(self, principal: Principal) -> frozenset[str] | None:  # noqa: ARG002
        return None


def public_methods(service: Guarded) -> list[tuple[str, Any]]:
    base = {"as_principal", "allow", "visible_projects"}
    unguarded = type(service).UNGUARDED
    names = {name for name, _ in inspect.getmembers(service, inspect.ismethod)}
    assert unguarded <= names, f"{type(service).__name__}.UNGUARDED names no method"
    return [
        (name, member)
        for name, member in inspect.getmembers(service, inspect.ismethod)
        if not name.startswith("_") and name not in base | unguarded
    ]


def dummy_args(method: Any) -> list[Any]:
    """Arguments of the right number and of no meaning: a method that looked at them before
    asking the policy would fail on them with another error than PermissionDeniedError."""
    params = [
        p
        for p in inspect.signature(method).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    # where the policy needs a field of an argument (the project of a new run), one that
    # would fail every check
    special = {"spec": RunCreate(project="\x00 no such name"), "run": SimpleNamespace(id="-")}
    return [special.get(p.name, object()) for p in params]


@pytest.fixture
def denied(store_uri: str, tmp_path: Path) -> Tracker:
    t = Tracker.open(
        store_uri, artifact_uri=(tmp_path / "artifacts").as_uri(), policy=DenyEveryone()
    )
    yield t
    t.close()


def test_every_public_service_method_asks_the_policy_first(denied):
    services = denied.services()
    assert len(services) >= 4
    checked = []
    for service in services:
        methods = public_methods(service)
        assert methods, type(service).__name__
        for name, method in methods:
            with pytest.raises(PermissionDeniedError) as err:
                result = method(*dummy_args(method))
                if inspect.isgenerator(result):
                    next(result)
            assert err.value.details["action"] in {a.value for a in Action}, name
            checked.append(f"{type(service).__name__}.{name}")
    assert len(checked) >= 60, checked


def test_only_the_ways_in_go_unguarded(tracker):
    """The methods that make a caller known are the only ones the policy is not asked
    about; anything else added to a service is asked (the test above)."""
    unguarded = {
        f"{type(s).__name__}.{name}" for s in tracker.services() for name in type(s).UNGUARDED
    }
    assert unguarded == {
        "TokenService.authenticate",
        "LoginService.redeem_login_link",
        "LoginService.login_password",
        "LoginService.login_sso",
        "LoginService.logout",
    }


def test_a_bound_service_acts_for_its_principal_and_the_original_is_untouched(tracker):
    alice = Principal("alice", PrincipalKind.USER, frozenset({Action.READ}))
    policy = Recording()
    for service in tracker.services():
        service.policy = policy
    bound = tracker.for_principal(alice)
    bound.search.list_projects()
    tracker.search.list_projects()
    assert [c[0] for c in policy.calls] == [alice, ANONYMOUS]
    assert bound.runs.db is tracker.runs.db and tracker.runs.principal == ANONYMOUS


@pytest.fixture
def recorded(store_uri: str, tmp_path: Path) -> tuple[TestClient, Recording]:
    policy = Recording()
    tracker = Tracker.open(store_uri, artifact_uri=(tmp_path / "artifacts").as_uri(), policy=policy)
    app = create_app(Settings(data_dir=str(tmp_path / "data"), db_uri=store_uri), tracker=tracker)
    with TestClient(app) as client:
        yield client, policy
    tracker.close()


def test_routes_call_the_services_for_the_requests_principal(recorded):
    client, policy = recorded
    run = client.post("/api/v1/runs", json={"project": "p"}).json()
    client.get(f"/api/v1/runs/{run['id']}")
    client.delete(f"/api/v1/runs/{run['id']}")
    asked = [(c[0], c[1], c[2], c[3]) for c in policy.calls]
    assert (ANONYMOUS, Action.WRITE, "p", None) in asked
    assert (ANONYMOUS, Action.READ, None, run["id"]) in asked
    assert (ANONYMOUS, Action.DELETE, None, run["id"]) in asked
    # the server's own work (metrics) runs as SYSTEM, never as a caller
    policy.calls.clear()
    assert client.get("/metrics").status_code == 200
    assert {c[0] for c in policy.calls} == {SYSTEM}


def test_a_body_cannot_name_its_principal(recorded):
    client, policy = recorded
    headers = {"X-User": "admin"}
    body = {"project": "p", "user": "admin", "principal": "admin"}
    r = client.post("/api/v1/runs", json=body, headers=headers)
    assert r.status_code == 422  # an unknown field, refused: nothing is taken from it
    r = client.post("/api/v1/runs", json={"project": "p", "user": "admin"}, headers=headers)
    assert r.status_code == 201
    assert {c[0] for c in policy.calls if c[0] != SYSTEM} == {ANONYMOUS}  # SYSTEM: the reaper


def test_a_refusal_is_403_and_writes_nothing(recorded):
    client, policy = recorded
    run = client.post("/api/v1/runs", json={"project": "p"}).json()
    policy.deny = {Action.WRITE, Action.DELETE}
    batch = {"metrics": {"m": {"steps": [0], "timestamps": [1], "values": [1.0]}}}
    for r in (
        client.post("/api/v1/runs", json={"project": "q"}),
        client.post(f"/api/v1/runs/{run['id']}/batches", json=batch),
        client.patch(f"/api/v1/runs/{run['id']}", json={"status": "finished"}),
        client.delete(f"/api/v1/runs/{run['id']}"),
    ):
        assert r.status_code == 403, r.text
        assert r.json()["error_code"] == "permission_denied"
    got = client.get(f"/api/v1/runs/{run['id']}").json()
    assert got["status"] == "running" and got["metrics"] == {}
    assert [p["name"] for p in client.get("/api/v1/projects").json()["projects"]] == ["p"]
