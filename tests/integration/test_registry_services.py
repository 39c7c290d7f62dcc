"""The registry's promises, on SQLite and PostgreSQL: a version is pinned by its files'
digests (a changed or deleted run does not change it, blob GC keeps its bytes), approvals
count for one policy, history answers "who held the alias at T", a version in use cannot be
deleted, search speaks the run search language, lineage walks both ways, and every change
has its audit entry."""

from __future__ import annotations

import hashlib

import pytest

from labledger.core.entities import RunCreate, RunStatus, RunUpdate
from labledger.core.errors import (
    GateFailedError,
    InvalidInputError,
    InvalidQueryError,
    ModelVersionNotFoundError,
    VersionInUseError,
)
from labledger.core.ids import now_ms
from labledger.services.tracker import Tracker


def make_run(t: Tracker, acc: float, files: dict[str, bytes], *, project: str = "p") -> str:
    run, _ = t.runs.create_run(RunCreate(project=project, name=f"acc{acc}"))
    t.runs.log_batch(
        run.id, {"metrics": {"acc": {"steps": [0], "timestamps": [1], "values": [acc]}}}
    )
    entries = []
    for path, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        t.artifacts.put_blob(digest, [data])
        entries.append({"path": path, "digest": digest, "size": len(data)})
    t.artifacts.declare(run.id, entries)
    return run.id


def audit_actions(t: Tracker) -> list[str]:
    return [e.action for e in t.audit.list_entries(limit=1000).entries]


def test_a_version_is_pinned_by_its_files_whatever_the_run_does_later(tracker: Tracker):
    run_id = make_run(tracker, 0.9, {"model/w.bin": b"one", "model/cfg.json": b"{}"})
    v1 = tracker.models.register_version("m", run_id, "model")
    assert [f["path"] for f in v1.files] == ["model/cfg.json", "model/w.bin"]
    pinned = {f["path"]: f["digest"] for f in v1.files}
    # the run's file is replaced (the run is still open) and GC runs with no grace
    tracker.artifacts.put_blob(hashlib.sha256(b"two").hexdigest(), [b"two"])
    tracker.artifacts.declare(
        run_id,
        [{"path": "model/w.bin", "digest": hashlib.sha256(b"two").hexdigest(), "size": 3}],
    )
    tracker.artifacts.gc(grace_ms=0)
    again = tracker.models.get_version("m", 1)
    assert {f["path"]: f["digest"] for f in again.files} == pinned
    assert again.digest == v1.digest
    assert b"".join(tracker.artifacts.read(pinned["model/w.bin"])) == b"one"  # GC kept it
    v2 = tracker.models.register_version("m", run_id, "model")
    assert v2.version == 2 and v2.digest != v1.digest
    # deleting the source run leaves the version and its bytes
    tracker.runs.update_run(run_id, RunUpdate(status=RunStatus.FINISHED))
    tracker.runs.delete_run(run_id, reason="superseded")
    kept = tracker.models.get_version("m", 1)
    assert kept.files == v1.files and kept.run_id == run_id and kept.run_name is None


def test_approvals_count_once_per_policy_and_never_for_the_promoter(tracker: Tracker):
    from labledger.core.identity import Action, Principal, PrincipalKind

    def as_user(name: str, uid: int) -> Tracker:
        who = Principal(name=name, kind=PrincipalKind.USER, scopes=frozenset(Action), user_id=uid)
        return tracker.for_principal(who)

    run_id = make_run(tracker, 0.95, {"m.bin": b"x"})
    tracker.models.register_version("m", run_id, "m.bin")
    alice, bob, carol = as_user("alice", 1), as_user("bob", 2), as_user("carol", 3)
    alice.promotion.set_policy("m", "champion", "approvals: 1")
    alice.promotion.approve("m", 1, "champion")  # alice's own approval will not count for her
    with pytest.raises(GateFailedError, match="0 of 1 approvals from others than alice"):
        alice.promotion.promote("m", 1, "champion")
    bob.promotion.approve("m", 1, "champion")
    # the same policy written again (a default spelled out) keeps the approvals
    alice.promotion.set_policy("m", "champion", '{"approvals": 1, "sealed": false}')
    given = alice.promotion.approvals("m", "champion")
    assert [(a["model"], a["alias"], a["approver"], a["valid"]) for a in given] == [
        ("m", "champion", "alice", True),
        ("m", "champion", "bob", True),
    ]
    # a changed policy voids them
    alice.promotion.set_policy("m", "champion", "approvals: 1\nmetrics: ['acc >= 0.5']")
    assert [a["valid"] for a in alice.promotion.approvals("m", "champion")] == [False, False]
    with pytest.raises(GateFailedError):
        alice.promotion.promote("m", 1, "champion")
    carol.promotion.approve("m", 1, "champion")
    decision = alice.promotion.promote("m", 1, "champion")
    assert decision.moved and decision.from_version is None
    approvals_gate = [g for g in decision.gates if g["gate"] == "approvals"][0]
    assert approvals_gate["actual"] == ["carol"]
    assert audit_actions(tracker).count("model.alias.refuse") == 2


def test_holder_at_any_time_and_rollback(tracker: Tracker):
    for acc in (0.9, 0.91, 0.92):
        tracker.models.register_version("m", make_run(tracker, acc, {"f": b"%f" % acc}), "f")
    times = []
    for version in (1, 2, 3):
        times.append(now_ms())
        tracker.promotion.promote("m", version, "champion")
    assert tracker.promotion.holder_at("m", "champion", times[0] - 1)["version"] is None
    latest = tracker.promotion.holder_at("m", "champion")
    assert latest["version"] == 3
    back = tracker.promotion.rollback("m", "champion")
    assert (back.version, back.from_version) == (2, 3)
    assert tracker.models.get_model("m").aliases == {"champion": 2}
    assert tracker.promotion.holder_at("m", "champion", latest["since_ms"])["version"] == 3
    kinds = [(e["kind"], e["to_version"]) for e in tracker.promotion.history("m", "champion")]
    assert kinds == [("rollback", 2), ("promote", 3), ("promote", 2), ("promote", 1)]


def test_a_version_in_use_cannot_be_deleted_and_the_refusal_changes_nothing(tracker: Tracker):
    for acc in (0.9, 0.91):
        tracker.models.register_version("m", make_run(tracker, acc, {"f": b"%f" % acc}), "f")
    tracker.promotion.promote("m", 1, "champion")
    tracker.deployments.record("m", 2, "prod")
    with pytest.raises(VersionInUseError, match="holds alias 'champion'"):
        tracker.models.delete_version("m", 1)
    with pytest.raises(VersionInUseError, match="deployed in 'prod'"):
        tracker.models.delete_version("m", 2)
    with pytest.raises(VersionInUseError):
        tracker.models.delete_model("m")
    listed = tracker.models.list_versions("m")
    assert [v.version for v in listed] == [1, 2]
    assert [[f["path"] for f in v.files] for v in listed] == [["f"], ["f"]]  # lists hold files
    tracker.deployments.record("m", 1, "prod")  # prod moves on: v2 is free
    tracker.models.delete_version("m", 2)
    with pytest.raises(ModelVersionNotFoundError):
        tracker.models.get_version("m", 2)
    assert tracker.deployments.current("m", "prod").version == 1
    assert "model.version.delete" in audit_actions(tracker)


def test_registry_search_speaks_the_run_search_language(tracker: Tracker):
    for i, acc in enumerate((0.8, 0.9, 0.95)):
        run_id = make_run(tracker, acc, {"f": b"%d" % i})
        tracker.models.register_version("a" if i < 2 else "b", run_id, "f", tags={"i": str(i)})
    tracker.models.set_model_tags("b", {"team": "growth"})
    tracker.promotion.promote("a", 2, "champion")

    def found(text: str, order: list[str] | None = None) -> list[tuple[str, int]]:
        page = tracker.registry.search_versions(text, order)
        return [(v.model, v.version) for v in page.versions]

    assert found("run.metrics.acc > 0.85", ["name", "version"]) == [("a", 2), ("b", 1)]
    assert found("alias = 'champion'") == [("a", 2)]
    assert found("model.tags.team = 'growth'") == [("b", 1)]
    assert found("tags.i IN ('0', '2')", ["version desc", "name"]) == [("a", 1), ("b", 1)]
    assert found("name LIKE 'a%' and not run.metrics.acc >= 0.9") == [("a", 1)]
    assert found("alias IS NULL", ["name", "version"]) == [("a", 1), ("b", 1)]
    first = tracker.registry.search_versions(None, ["name", "version"], limit=2)
    rest = tracker.registry.search_versions(
        None, ["name", "version"], limit=2, page_token=first.next_page_token
    )
    assert [(v.model, v.version) for v in first.versions + rest.versions] == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
    ]
    assert rest.next_page_token is None
    for bad in ("run.metrics.acc > 'x'", "colour = 1", "version = 'two'", "name >"):
        with pytest.raises(InvalidQueryError):
            tracker.registry.search_versions(bad)


def test_lineage_from_a_blob_reaches_versions_and_deployments(tracker: Tracker):
    run_id = make_run(tracker, 0.9, {"model/w.bin": b"weights"})
    tracker.models.register_version("m", run_id, "model")
    deployment = tracker.deployments.record("m", 1, "prod")
    digest = hashlib.sha256(b"weights").hexdigest()
    graph = tracker.lineage.lineage(digest, depth=3).to_dict()
    ids = {n["id"] for n in graph["nodes"]}
    assert {f"blob:{digest}", "version:m/1", f"run:{run_id}", f"deployment:{deployment.id}"} <= ids
    back = tracker.lineage.lineage(f"deployment:{deployment.id}", depth=2).to_dict()
    root = next(n for n in back["nodes"] if n["id"] == back["root"])
    assert (root["env"], root["model"], root["version"]) == ("prod", "m", 1)  # the start too
    assert {"from": f"run:{run_id}", "to": "version:m/1", "relation": "registered as"} in back[
        "edges"
    ]
    assert tracker.lineage.lineage("m/1", 1).root == "version:m/1"


def test_every_registry_change_is_audited(tracker: Tracker):
    run_id = make_run(tracker, 0.9, {"f": b"x"})
    tracker.models.create_model("m", "p", description="d")
    tracker.models.register_version("m", run_id, "f")
    tracker.models.set_version_tags("m", 1, {"k": "v"})
    tracker.promotion.set_policy("m", None, "drift: {psi: 0.3}")
    tracker.promotion.promote("m", 1, "champion")
    tracker.promotion.unset("m", "champion")
    tracker.deployments.record("m", 1, "prod")
    tracker.drift.log_reference(run_id, "inputs", {"x": [1.0, 2.0, 3.0]})
    tracker.drift.log_production("m", "prod", {"x": [1.0, 2.0, 3.0]})
    actions = set(audit_actions(tracker))
    assert {
        "model.create",
        "model.version.register",
        "model.version.tags.set",
        "model.policy.set",
        "model.alias.promote",
        "model.alias.unset",
        "deployment.record",
        "run.reference",
        "deployment.telemetry",
    } <= actions
    assert tracker.audit.verify().ok


def test_models_are_listed_a_page_at_a_time(tracker: Tracker):
    for name in ("c", "a", "b"):
        tracker.models.create_model(name, "p")
    first = tracker.models.list_models(limit=2)
    assert [m.name for m in first.models] == ["a", "b"] and first.next_page_token
    rest = tracker.models.list_models(limit=2, page_token=first.next_page_token)
    assert [m.name for m in rest.models] == ["c"] and rest.next_page_token is None
    with pytest.raises(InvalidInputError):
        tracker.models.list_models(page_token="not-a-token")
