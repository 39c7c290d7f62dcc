"""labledger reproduce, end to end: a small deterministic training script in a temporary git
repository with uncommitted changes, rebuilt from its record and compared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import labledger as ll

TRAIN = """
import argparse, csv, random, labledger as ll
SCALE = 1.0
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--noise", action="store_true")
args = parser.parse_args()
rows = [float(r["x"]) for r in csv.DictReader(open("data/train.csv"))]
run = ll.init(project="repro", config={"lr": args.lr, "noise": args.noise})
run.log_dataset("data/train.csv", name="train")
w = 0.0
for step in range(200):
    grad = sum((w - x) for x in rows) / len(rows)
    w -= args.lr * grad * SCALE
    loss = sum((w - x) ** 2 for x in rows) / len(rows)
    if args.noise:
        loss += random.random()
    run.log({"loss": loss, "w": w}, step=step)
run.finish()
print(run.id)
"""


def sh(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LABLEDGER_CAPTURE": "all", **(env or {})},
    )


@pytest.fixture
def project(tmp_path):
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "train.py").write_text(TRAIN)
    (repo / "data" / "train.csv").write_text("x\n" + "\n".join(str(i / 10) for i in range(50)))
    for args in (
        ["init", "-q"],
        ["config", "user.email", "t@example.com"],
        ["config", "user.name", "t"],
        ["add", "."],
        ["commit", "-qm", "model"],
    ):
        assert sh("git", *args, cwd=repo).returncode == 0
    # uncommitted: the recorded diff is needed to get the same numbers
    (repo / "train.py").write_text(TRAIN.replace("SCALE = 1.0", "SCALE = 0.5"))
    return repo, tmp_path / "store"


def train(repo: Path, store: Path, *args: str) -> str:
    proc = sh(
        sys.executable, "train.py", *args, cwd=repo, env={"LABLEDGER_TRACKING_URI": str(store)}
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def reproduce(
    store: Path, run_id: str, workdir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    return sh(
        sys.executable,
        "-m",
        "labledger.cli",
        "reproduce",
        run_id,
        "--dir",
        str(workdir),
        "--tracking-uri",
        str(store),
        *args,
        cwd=workdir.parent,
    )


def test_a_deterministic_run_is_reproduced_from_its_record(project, tmp_path):
    repo, store = project
    run_id = train(repo, store, "--lr", "0.3")
    result = reproduce(store, run_id, tmp_path / "again", "--env", "current")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "applied the recorded diff" in result.stderr
    assert "reproduced within tolerance" in result.stdout
    assert "ok  loss" in result.stdout and "ok  w" in result.stdout
    with ll.Client(str(store)) as client:
        original = client.get_run(run_id)
        [copy] = client.search_runs("repro", f"tags.`labledger.reproduction_of` = '{run_id}'")
        assert copy.id != run_id and copy.params == original.params
        assert copy.metrics == pytest.approx(original.metrics, rel=1e-9)
        assert client.list_datasets(copy.id)[0].digest == client.list_datasets(run_id)[0].digest
    # the checkout is the recorded commit plus the recorded diff, not today's tree
    assert "SCALE = 0.5" in (tmp_path / "again" / "src" / "train.py").read_text()


def test_a_run_that_does_not_reproduce_exits_non_zero(project, tmp_path):
    repo, store = project
    run_id = train(repo, store, "--noise")
    result = reproduce(store, run_id, tmp_path / "again", "--env", "current")
    assert result.returncode == 1
    assert "NOT reproduced" in result.stdout and "OFF loss" in result.stdout


def test_reproduce_says_why_it_cannot_start(project, tmp_path):
    repo, store = project
    with ll.init(project="repro", tracking_uri=str(store)) as run:  # python -c-like: pytest
        run.log({"x": 1.0})
    result = reproduce(store, run.id, tmp_path / "x", "--env", "current")
    assert result.returncode == 1 and "error [reproduce_failed]" in result.stderr


@pytest.mark.slow
def test_a_new_virtualenv_gets_the_recorded_package_versions(project, tmp_path):
    """--env new: pip installs every recorded distribution at its version (about 100 here,
    mostly from pip's cache), then the rerun matches."""
    repo, store = project
    run_id = train(repo, store, "--lr", "0.2")
    result = reproduce(store, run_id, tmp_path / "fresh")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "reproduced within tolerance" in result.stdout
    python = tmp_path / "fresh" / "venv" / "bin" / "python"
    listed = sh(str(python), "-m", "pip", "list", "--format=freeze", cwd=tmp_path).stdout
    with ll.Client(str(store)) as client:
        recorded = client.get_environment(run_id)["packages"]["packages"]
    assert f"numpy=={recorded['numpy']}" in listed and f"httpx=={recorded['httpx']}" in listed
    assert "distributions differ" not in result.stderr
