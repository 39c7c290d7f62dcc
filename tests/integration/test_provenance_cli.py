"""The ledger's commands end to end, as a user runs them: a training script in a git repo,
then ``labledger verify``, ``runs diff``, ``runs env``, ``projects require|completeness``."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import labledger as ll

TRAIN = """
import sys, labledger as ll
lr = float(sys.argv[1])
run = ll.init(project="p", name=f"lr{lr}", config={"lr": lr, "api_key": "sk-live-123"},
              tracking_uri="store")
run.log_dataset("data.csv", name="train")
for step in range(50):
    run.log({"loss": 1.0 / (step + 1) * lr}, step=step)
open("weights.bin", "wb").write(b"w" * 10_000 + str(lr).encode())
run.log_artifact("weights.bin")
run.finish()
print(run.id)
"""


def sh(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LABLEDGER_CAPTURE": "all"}  # these repositories are the test's own
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)


def ll_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return sh(sys.executable, "-m", "labledger.cli", *args, "--tracking-uri", "store", cwd=cwd)


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    sh("git", "init", "-q", cwd=repo)
    sh("git", "config", "user.email", "t@example.com", cwd=repo)
    sh("git", "config", "user.name", "t", cwd=repo)
    (repo / "train.py").write_text(TRAIN)
    (repo / "data.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    sh("git", "add", ".", cwd=repo)
    sh("git", "commit", "-qm", "first", cwd=repo)
    return repo


def train(repo: Path, lr: str) -> str:
    proc = sh(sys.executable, "train.py", lr, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_verify_names_what_was_edited_in_storage_and_exits_non_zero(tmp_path):
    repo = make_repo(tmp_path)
    run_id = train(repo, "0.1")
    ok = ll_cli("verify", "--all", cwd=repo)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"ok      {run_id}" in ok.stdout

    db = sqlite3.connect(repo / "store" / "labledger.db")
    with db:
        pk = db.execute("SELECT pk FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        db.execute("UPDATE metric_points SET value = 42.0 WHERE run_pk = ? AND step = 7", (pk,))
        db.execute("UPDATE params SET value = '0.5' WHERE run_pk = ? AND key = 'lr'", (pk,))
    db.close()
    [entry] = list(ll.Client(str(repo / "store")).list_artifacts(run_id))
    blob = next((repo / "store" / "artifacts").rglob(entry.digest))
    blob.write_bytes(b"tampered")

    bad = ll_cli("verify", run_id, cwd=repo)
    assert bad.returncode == 1
    assert f"FAILED  {run_id}" in bad.stdout
    assert "- history changed since the run was sealed" in bad.stdout
    assert "- params changed since the run was sealed" in bad.stdout
    assert f"- artifact weights.bin: blob {entry.digest} now hashes to" in bad.stdout
    assert ll_cli("verify", run_id, "--no-blobs", cwd=repo).stdout.count("- ") == 2
    as_json = json.loads(ll_cli("verify", run_id, "--json", cwd=repo).stdout)
    assert as_json["ok"] is False and len(as_json["problems"]) == 3


def test_runs_diff_env_and_completeness(tmp_path):
    repo = make_repo(tmp_path)
    first = train(repo, "0.1")
    (repo / "data.csv").write_text("x,y\n1,2\n")  # the data changed, and the code too
    (repo / "train.py").write_text(TRAIN + "# tuned\n")
    second = train(repo, "0.2")

    env = json.loads(ll_cli("runs", "env", second, cwd=repo).stdout)
    assert env["git"]["dirty"] is True and len(env["git"]["commit"]) == 40
    assert "labledger" in env["packages"]["packages"]
    assert env["process"]["argv"][-1] == "0.2"
    with ll.Client(str(repo / "store")) as client:
        stored = client.get_run(second)
        diff_files = [e.path for e in client.list_artifacts(second)]
    assert stored.params["api_key"] == "[REDACTED]"  # a secret-looking config value
    assert "provenance/git.diff" in diff_files

    diff = json.loads(ll_cli("runs", "diff", first, second, "--json", cwd=repo).stdout)
    assert diff["same"] is False
    assert diff["config"]["lr"] == ["0.1", "0.2"]
    assert diff["code"]["dirty"] == [False, True]
    assert diff["datasets"]["train (training)"][0] != diff["datasets"]["train (training)"][1]
    assert diff["command"]["argv"][0][-1] == "0.1"
    text = ll_cli("runs", "diff", first, second, cwd=repo).stdout
    assert "config    ~ lr: 0.1 -> 0.2" in text

    required = ll_cli("projects", "require", "p", "git.commit", "params.seed", cwd=repo)
    assert required.returncode == 0 and "params.seed" in required.stdout
    report = json.loads(ll_cli("projects", "completeness", "p", "--json", cwd=repo).stdout)
    assert (report["runs"], report["complete"], report["percent"]) == (2, 0, 0.0)
    assert report["incomplete"][first] == ["params.seed"]
    shown = ll_cli("runs", "show", first, cwd=repo).stdout
    assert "incomplete: lacks params.seed" in shown and "sha256" in shown
