"""Projects and their owners: the first run makes its creator the owner, exactly one owner
when several race, members and default roles change what others see."""

from __future__ import annotations

import threading

from labledger.core.entities import RunCreate

from .conftest import World


def test_the_first_run_makes_its_creator_the_owner_and_others_see_nothing(world: World):
    made = world.call("editor", "POST", "/api/v1/runs", json={"project": "mine"})
    assert made.status_code == 201
    members = world.system.members.list_members("mine").to_dict()["members"]
    assert [(m["user"], m["role"]) for m in members] == [("editor", "owner")]
    for caller in ("viewer", "outsider", "maintainer"):
        assert (
            world.call(caller, "POST", "/api/v1/runs/search", json={"project": "mine"}).status_code
            == 404
        )
        listed = world.call(caller, "GET", "/api/v1/projects").json()["projects"]
        assert "mine" not in {p["name"] for p in listed}
        assert (
            world.call(caller, "POST", "/api/v1/runs", json={"project": "mine"}).status_code == 403
        )
    assert "mine" in {
        p["name"] for p in world.call("admin", "GET", "/api/v1/projects").json()["projects"]
    }


def test_racing_first_runs_make_exactly_one_owner(world: World):
    callers = ["editor", "viewer", "outsider", "maintainer"]
    principals = {c: world.tracker.tokens.authenticate(world.tokens[c]) for c in callers}
    barrier = threading.Barrier(len(callers))
    outcomes: dict[str, str] = {}

    def first_run(caller: str) -> None:
        barrier.wait()
        try:
            world.tracker.for_principal(principals[caller]).runs.create_run(
                RunCreate(project="contested")
            )
            outcomes[caller] = "created"
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome
            outcomes[caller] = type(exc).__name__

    threads = [threading.Thread(target=first_run, args=(c,)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owners = [
        m.user for m in world.system.members.list_members("contested").members if m.role == "owner"
    ]
    assert len(owners) == 1, (owners, outcomes)
    assert outcomes[owners[0]] == "created"
    others = [c for c in callers if c != owners[0]]
    assert all(outcomes[c] == "PermissionDeniedError" for c in others), outcomes


def test_a_default_role_lets_every_signed_in_user_read(world: World):
    assert (
        world.call("outsider", "POST", "/api/v1/runs/search", json={"project": "alpha"}).status_code
        == 404
    )
    answer = world.call(
        "owner", "PUT", "/api/v1/projects/alpha/default-role", json={"role": "viewer"}
    )
    assert answer.status_code == 200 and answer.json()["default_role"] == "viewer"
    assert (
        world.call("outsider", "POST", "/api/v1/runs/search", json={"project": "alpha"}).status_code
        == 200
    )
    assert (
        world.call("outsider", "POST", "/api/v1/runs", json={"project": "alpha"}).status_code == 403
    )
    too_high = world.call(
        "owner", "PUT", "/api/v1/projects/alpha/default-role", json={"role": "owner"}
    )
    assert too_high.status_code == 422
    assert (
        world.call(
            "anonymous", "POST", "/api/v1/runs/search", json={"project": "alpha"}
        ).status_code
        == 401
    )


def test_members_bad_input_changes_nothing(world: World):
    before = world.system.members.list_members("alpha").to_dict()
    for path, body, status, code in [
        ("/api/v1/projects/alpha/members/nobody", {"role": "viewer"}, 404, "user_not_found"),
        ("/api/v1/projects/nothere/members/viewer", {"role": "viewer"}, 404, "project_not_found"),
        ("/api/v1/projects/alpha/members/owner", {"role": "viewer"}, 409, "last_owner"),
        ("/api/v1/projects/alpha/members/viewer", {"role": "emperor"}, 422, "invalid_body"),
        ("/api/v1/projects/alpha/members/viewer", {"role": "viewer", "x": 1}, 422, "invalid_body"),
    ]:
        answer = world.call("admin", "PUT", path, json=body)
        assert (answer.status_code, answer.json()["error_code"]) == (status, code), answer.text
    removed = world.call("admin", "DELETE", "/api/v1/projects/alpha/members/owner")
    assert removed.status_code == 409 and removed.json()["error_code"] == "last_owner"
    assert world.system.members.list_members("alpha").to_dict() == before


def test_the_projects_page_says_each_callers_role(world: World):
    def roles(caller: str) -> dict[str, object]:
        listed = world.call(caller, "GET", "/api/v1/projects").json()["projects"]
        return {p["name"]: p["role"] for p in listed}

    assert roles("viewer") == {"alpha": "viewer"}
    assert roles("maintainer") == {"alpha": "maintainer"}
    assert roles("outsider") == {"beta": "owner"}
    assert roles("admin") == {"alpha": None, "beta": None}  # sees all, holds no role
    world.system.members.set_default_role("beta", "editor")
    assert roles("viewer") == {"alpha": "viewer", "beta": "editor"}
