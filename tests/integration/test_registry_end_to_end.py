"""The registry's whole chain, as a team runs it: a server with auth on (SQLite and
PostgreSQL), training runs logged with the SDK from a git checkout, and every registry step
through the real ``labledger`` CLI as two users: two versions registered, the worse refused
by the metric gate, an approval by a second user, promotion, rollback, history, the holder at
a past time, a deployment, drifting production data raising an alert, and lineage from the
deployment back to the dataset digest and the commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import labledger as ll
from labledger.core.ids import now_ms
from labledger.sdk.client import Client
from tests.conftest import ServerProcess

pytestmark = pytest.mark.slow

POLICY = """\
require: [git.commit, datasets.training]
metrics:
  - "acc >= 0.9"
  - "acc >= champion.acc - 0.002"
approvals: 1
clean_commit: true
"""


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labledger.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(params=["sqlite", "postgres"])
def team(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    data = tmp_path / "server"
    data.mkdir()
    db_uri = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    store = ["--data-dir", str(data)] + (["--db-uri", db_uri] if db_uri else [])
    proc = ServerProcess(data, db_uri=db_uri, args=["--auth", "on"])
    proc.start()
    for user in ("alice", "bob"):
        ok(cli("users", "add", user, *store))
    ok(cli("projects", "create", "churn-team", "--owner", "alice", *store))
    ok(cli("projects", "members", "add", "churn-team", "bob", "--role", "maintainer", *store))
    tokens = {u: ok(cli("tokens", "create", u, *store)).strip() for u in ("alice", "bob")}
    yield proc, tokens
    proc.stop()


def git_checkout(root: Path) -> str:
    root.mkdir()
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)  # type: ignore[call-overload]
    (root / "train.py").write_text("print('train')\n")
    subprocess.run(["git", "add", "train.py"], **run)  # type: ignore[call-overload]
    subprocess.run(  # type: ignore[call-overload]
        ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "train"], **run
    )
    head = subprocess.run(["git", "rev-parse", "HEAD"], **run)  # type: ignore[call-overload]
    return str(head.stdout.decode().strip())


def train(url: str, acc: float, workdir: Path) -> tuple[str, str]:
    """One training run from the checkout: metric, dataset, model files, reference."""
    (workdir / "train.csv").write_text("x,y\n1,2\n3,4\n")
    model = workdir / "model"
    model.mkdir(exist_ok=True)
    (model / "weights.bin").write_bytes(os.urandom(64))
    run = ll.init(project="churn-team", name=f"acc{acc}", tracking_uri=url)
    run.log({"acc": acc})
    dataset = run.log_dataset(workdir / "train.csv", name="train", role="training")
    run.log_artifact(model, "model", copy=True)
    rng = np.random.default_rng(7)
    run.log_reference("inputs", {"x": rng.normal(0, 1, 4000), "plan": ["a", "b"] * 2000})
    run.finish()
    return run.id, dataset.digest


def test_registry_chain_through_the_cli(team: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    proc, tokens = team
    repo = tmp_path / "repo"
    commit = git_checkout(repo)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("LABLEDGER_CAPTURE", "all")
    monkeypatch.setenv("LABLEDGER_TOKEN", tokens["alice"])
    worse, digest = train(proc.url, 0.85, repo)
    better, _ = train(proc.url, 0.95, repo)
    alice = {"LABLEDGER_TRACKING_URI": proc.url, "LABLEDGER_TOKEN": tokens["alice"]}
    bob = {**alice, "LABLEDGER_TOKEN": tokens["bob"]}

    ok(cli("models", "create", "churn", "--project", "churn-team", env=alice))
    register = ("models", "register", "churn", "--path", "model")
    assert ok(cli(*register, "--run", worse, env=alice)).strip() == "1"
    assert ok(cli(*register, "--run", better, env=alice)).strip() == "2"
    policy = tmp_path / "champion.yaml"
    policy.write_text(POLICY)
    ok(cli("models", "policy", "set", "churn", str(policy), "--alias", "champion", env=alice))
    before_any = now_ms()
    time.sleep(0.01)

    refused = cli("models", "promote", "churn", "1", "--alias", "champion", env=alice)
    assert refused.returncode == 1
    assert "gate_failed" in refused.stderr
    assert "acc >= 0.9: acc is 0.85, needs >= 0.9" in refused.stderr
    assert "approvals: 1: 0 of 1 approvals" in refused.stderr

    waiting = cli("models", "promote", "churn", "2", "--alias", "champion", env=alice)
    assert waiting.returncode == 1 and "0 of 1 approvals" in waiting.stderr
    assert "acc >= 0.9" not in waiting.stderr.split("error [")[1]  # only what failed is named
    own = cli("models", "approve", "churn", "2", "--alias", "champion", env=alice)
    assert own.returncode == 1 and "self_approval" in own.stderr
    ok(cli("models", "approve", "churn", "2", "--alias", "champion", env=bob))
    twice = cli("models", "approve", "churn", "2", "--alias", "champion", env=bob)
    assert twice.returncode == 1 and "already_approved" in twice.stderr
    promoted = ok(cli("models", "promote", "churn", "2", "--alias", "champion", env=alice))
    assert "champion -> v2 (was nothing)" in promoted
    promoted_at = now_ms()

    # rollback: staging has no policy; it goes v1 -> v2, and back
    ok(cli("models", "promote", "churn", "1", "--alias", "staging", env=bob))
    ok(cli("models", "promote", "churn", "2", "--alias", "staging", env=bob))
    assert "staging -> v1 (was v2)" in ok(
        cli("models", "rollback", "churn", "--alias", "staging", env=bob)
    )
    nothing_before = cli("models", "rollback", "churn", "--alias", "champion", env=alice)
    assert nothing_before.returncode == 1 and "no previous version" in nothing_before.stderr

    history = json.loads(
        ok(cli("models", "history", "churn", "--alias", "champion", "--json", env=bob))
    )
    assert [(e["kind"], e["from_version"], e["to_version"], e["actor"]) for e in history] == [
        ("promote", None, 2, "alice"),
        ("refuse", None, 2, "alice"),
        ("refuse", None, 1, "alice"),
    ]
    assert [g["rule"] for g in history[2]["gates"] if not g["passed"]] == [
        "acc >= 0.9",
        "approvals: 1",
    ]
    staging = json.loads(
        ok(cli("models", "history", "churn", "--alias", "staging", "--json", env=bob))
    )
    assert [(e["kind"], e["to_version"]) for e in staging] == [
        ("rollback", 1),
        ("promote", 2),
        ("promote", 1),
    ]
    at = ("models", "history", "churn", "--alias", "champion", "--json", "--at")
    assert json.loads(ok(cli(*at, str(before_any), env=bob)))["version"] is None
    then = json.loads(ok(cli(*at, str(promoted_at), env=bob)))
    assert (then["version"], then["run_id"], then["moved_by"]) == (2, better, "alice")

    assert "champion=v2" in ok(cli("models", "show", "churn", env=bob))
    ok(cli("deploy", "record", "churn", "2", "--env", "prod", "--url", "http://svc", env=alice))
    current = json.loads(ok(cli("deploy", "current", "churn", "--env", "prod", "--json", env=bob)))
    assert (current["version"], current["run_id"]) == (2, better)

    with Client(proc.url) as client:  # the production service posts batches (alice's token)
        rng = np.random.default_rng(11)
        calm = client.log_production(
            "churn", "prod", {"x": rng.normal(0, 1, 2000), "plan": ["a", "b"] * 1000}
        )
        assert calm["alert"] is None
        drifted = client.log_production(
            "churn", "prod", {"x": rng.normal(1.5, 1, 2000), "plan": ["c"] * 2000}
        )
        assert drifted["alert"] is not None
        assert drifted["features"]["x"]["alert"] and drifted["features"]["plan"]["alert"]
    alerts = ok(cli("drift", "alerts", "churn", "--env", "prod", env=bob))
    assert f"prod  churn v2 run {better}" in alerts and "x (psi" in alerts and "plan (psi" in alerts

    graph = json.loads(ok(cli("lineage", "deployment:" + str(current["id"]), "--json", env=bob)))
    ids = {n["id"] for n in graph["nodes"]}
    assert {f"run:{better}", "version:churn/2", f"dataset:{digest}", f"commit:{commit}"} <= ids
    assert {"from": f"commit:{commit}", "to": f"run:{better}", "relation": "code"} in graph["edges"]
    shown = json.loads(ok(cli("models", "show", "churn", "--version", "2", "--json", env=bob)))
    assert shown["aliases"] == ["champion"] and shown["run_id"] == better
