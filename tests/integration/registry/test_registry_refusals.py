"""Registry requests refused for what is stored or who asks, auth on, on SQLite and
PostgreSQL: things that do not exist, versions in use, approvals, roles and tokens, a foreign
page's cookie request.  Each refusal names what it refused and writes nothing, except a
refused promotion, which is recorded (history and audit log) while its alias stays."""

from __future__ import annotations

from typing import Any

from labledger.core.identity import SYSTEM

from .conftest import World, refused, snapshot


def _second_version(world: World, model: str) -> None:
    run_id = world.system.models.get_version(model, 1).run_id
    world.system.models.register_version(model, run_id, "model")


def _audit(world: World, action: str) -> list[Any]:
    entries = world.tracker.for_principal(SYSTEM).audit.list_entries(limit=1000).entries
    return [e for e in entries if e.action == action]


# -- not found ---------------------------------------------------------------------------------
def test_an_unknown_model_version_alias_or_environment(world: World):
    model = world.model(deploy=True)
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    for method, path, body in [
        ("GET", "/api/v1/models/nope", None),
        ("POST", "/api/v1/models/nope/aliases/champion/promote", {"version": 1}),
        ("DELETE", "/api/v1/models/nope", None),
        ("PUT", "/api/v1/models/nope/policies/champion", {"policy": ""}),
    ]:
        answer = world.call("maintainer", method, path, json=body)
        assert refused(answer, 404, "model_not_found")["details"] == {"model": "nope"}
    for method, path, body in [
        ("GET", f"{base}/versions/7", None),
        ("DELETE", f"{base}/versions/7", None),
        ("POST", f"{base}/aliases/champion/promote", {"version": 7}),
        ("POST", f"{base}/deployments", {"version": 7, "env": "prod"}),
    ]:
        answer = world.call("maintainer", method, path, json=body)
        found = refused(answer, 404, "model_version_not_found")["details"]
        assert found == {"model": model, "version": 7} and "7" in answer.json()["message"]
    answer = world.call("maintainer", "DELETE", f"{base}/aliases/staging")
    assert refused(answer, 404, "alias_not_found")["details"]["alias"] == "staging"
    answer = world.call("maintainer", "GET", f"{base}/deployments/staging")
    assert refused(answer, 404, "deployment_not_found")["details"]["env"] == "staging"
    assert "staging" in answer.json()["message"]
    assert snapshot(world) == before


def test_registering_a_path_the_run_lacks_or_a_run_the_caller_cannot_read(world: World):
    model = world.model()
    run_id = world.system.models.get_version(model, 1).run_id
    theirs = world.run(project="beta")
    before = snapshot(world)
    url = f"/api/v1/models/{model}/versions"
    answer = world.call("editor", "POST", url, json={"run_id": run_id, "path": "model/none.bin"})
    body = refused(answer, 404, "artifact_not_found")
    assert body["details"]["field"] == "path" and "'model/none.bin'" in body["message"]
    answer = world.call(
        "editor", "POST", "/api/v1/models/fresh/versions", json={"run_id": theirs, "path": "x"}
    )
    refused(answer, 404, "run_not_found")
    assert snapshot(world) == before


def test_a_version_number_of_another_model_is_not_found(world: World):
    one, two = world.model(), world.model()
    _second_version(world, two)
    before = snapshot(world)
    answer = world.call(
        "maintainer", "POST", f"/api/v1/models/{one}/aliases/champion/promote", json={"version": 2}
    )
    assert refused(answer, 404, "model_version_not_found")["details"] == {
        "model": one,
        "version": 2,
    }
    assert snapshot(world) == before


# -- in use ------------------------------------------------------------------------------------
def test_a_version_holding_an_alias_or_deployed_is_not_deleted(world: World):
    held, served = world.model(alias=True), world.model(deploy=True)
    before = snapshot(world)
    answer = world.call("maintainer", "DELETE", f"/api/v1/models/{held}/versions/1")
    body = refused(answer, 409, "version_in_use")
    assert body["details"]["aliases"] == ["champion"] and "champion" in body["message"]
    answer = world.call("maintainer", "DELETE", f"/api/v1/models/{served}/versions/1")
    body = refused(answer, 409, "version_in_use")
    assert body["details"]["environments"] == ["prod"] and "prod" in body["message"]
    for model in (held, served):  # nor is the model that holds it
        refused(
            world.call("maintainer", "DELETE", f"/api/v1/models/{model}"), 409, "version_in_use"
        )
    assert snapshot(world) == before


# -- promotions: refusals are recorded, approvals are counted once and never the requester's -
def test_a_refused_promotion_is_recorded_and_the_alias_stays(world: World):
    model = world.model(alias=True)  # champion -> v1
    _second_version(world, model)
    world.system.promotion.set_policy(model, "champion", "metrics: ['loss <= 0.5']")
    history = world.system.promotion.history(model)
    answer = world.call(
        "maintainer",
        "POST",
        f"/api/v1/models/{model}/aliases/champion/promote",
        json={"version": 2},
    )
    body = refused(answer, 409, "gate_failed")
    assert [g["rule"] for g in body["details"]["failed"]] == ["loss <= 0.5"]
    assert "loss <= 0.5" in body["message"]
    assert world.system.models.get_model(model).aliases == {"champion": 1}
    holder = world.call("viewer", "GET", f"/api/v1/models/{model}/aliases/champion").json()
    assert holder["version"] == 1
    events = world.call("viewer", "GET", f"/api/v1/models/{model}/history").json()["events"]
    assert len(events) == len(history) + 1
    refusal = events[0]
    assert (refusal["kind"], refusal["from_version"], refusal["to_version"]) == ("refuse", 1, 2)
    assert refusal["actor"] == "maintainer"
    assert [(g["rule"], g["passed"]) for g in refusal["gates"]] == [("loss <= 0.5", False)]
    audited = _audit(world, "model.alias.refuse")
    assert len(audited) == 1 and audited[0].actor == "maintainer"
    assert audited[0].details["failed"] == ["loss <= 0.5"]


def test_approvals_are_counted_once_and_never_the_requesters(world: World):
    model = world.model()
    world.system.promotion.set_policy(model, "champion", "approvals: 1")
    base = f"/api/v1/models/{model}/aliases/champion"
    promote = world.call("maintainer", "POST", f"{base}/promote", json={"version": 1})
    refused(promote, 409, "gate_failed")  # refused for want of an approval: recorded
    before = snapshot(world)
    mine = world.call("maintainer", "POST", f"{base}/approvals", json={"version": 1})
    body = refused(mine, 409, "self_approval")
    assert body["details"] == {"model": model, "version": 1, "alias": "champion"}
    assert snapshot(world) == before
    assert world.call("owner", "POST", f"{base}/approvals", json={"version": 1}).status_code == 201
    before = snapshot(world)
    again = world.call("owner", "POST", f"{base}/approvals", json={"version": 1})
    assert refused(again, 409, "already_approved")["details"]["alias"] == "champion"
    assert snapshot(world) == before
    moved = world.call("maintainer", "POST", f"{base}/promote", json={"version": 1})
    assert moved.status_code == 200 and moved.json()["moved"] is True


# -- who asks ----------------------------------------------------------------------------------
def test_an_outsider_finds_no_model_of_alpha(world: World):
    """Models hide like runs: 404 model_not_found, not 403, whatever the outsider tries."""
    model = world.model(alias=True, deploy=True)
    before = snapshot(world)
    base = f"/api/v1/models/{model}"
    for method, path, body in [
        ("GET", base, None),
        ("GET", f"{base}/versions/1", None),
        ("GET", f"{base}/history", None),
        ("POST", f"{base}/aliases/champion/promote", {"version": 1}),
        ("POST", f"{base}/aliases/champion/approvals", {"version": 1}),
        ("PUT", f"{base}/policies/champion", {"policy": "approvals: 0"}),
        ("DELETE", f"{base}/versions/1", None),
        ("POST", f"{base}/deployments", {"version": 1, "env": "prod"}),
    ]:
        answer = world.call("outsider", method, path, json=body)
        assert refused(answer, 404, "model_not_found")["details"] == {"model": model}, path
    search = world.call("outsider", "POST", "/api/v1/registry/search", json={})
    assert search.json()["versions"] == []
    node = world.call("outsider", "GET", "/api/v1/lineage", params={"node": f"version:{model}/1"})
    refused(node, 404, "lineage_node_not_found")
    assert snapshot(world) == before


def test_a_read_token_and_a_viewer_cannot_promote(world: World):
    model = world.model()
    before = snapshot(world)
    url = f"/api/v1/models/{model}/aliases/champion/promote"
    for caller in ("read_token", "viewer", "editor"):
        refused(world.call(caller, "POST", url, json={"version": 1}), 403, "permission_denied")
    refused(world.call("anonymous", "POST", url, json={"version": 1}), 401, "unauthenticated")
    refused(world.call("expired_token", "POST", url, json={"version": 1}), 401, "unauthenticated")
    assert snapshot(world) == before


def test_a_foreign_page_cannot_use_a_maintainers_session(world: World):
    model = world.model()
    world.system.users.set_password("maintainer", "correct horse battery")
    http = world.http
    login = {"user": "maintainer", "password": "correct horse battery"}
    csrf = http.post("/api/v1/auth/login", json=login).json()["csrf_token"]
    try:
        before = snapshot(world)
        base = f"/api/v1/models/{model}"
        for method, path, body in [
            ("POST", f"{base}/aliases/champion/promote", {"version": 1}),
            ("PUT", f"{base}/policies/champion", {"policy": "approvals: 0"}),
            ("DELETE", f"{base}/versions/1", None),
        ]:
            headers = {"Origin": "https://evil.example", "X-CSRF-Token": csrf}
            answer = http.request(method, path, json=body, headers=headers)
            found = refused(answer, 403, "origin_not_allowed", "Origin")
            assert found["details"]["origin"] == "https://evil.example"
            # without the CSRF token the cookie alone does not do either
            answer = http.request(method, path, json=body)
            assert refused(answer, 403, "permission_denied")["details"]["reason"] == "csrf"
        assert snapshot(world) == before
        ok = http.post(
            f"{base}/aliases/champion/check", json={"version": 1}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200, ok.text
    finally:
        http.cookies.clear()
