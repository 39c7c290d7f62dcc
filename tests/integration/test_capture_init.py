"""What ll.init() records, end to end in real processes: the environment, secrets kept out
of everything stored, the parts chosen by LABLEDGER_CAPTURE, and CI run keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import labledger as ll

SECRETS = {
    "GITHUB_TOKEN": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "DATABASE_URL": "postgresql://admin:" + "hunter2pw" + "@db.internal/prod",
    "MY_SERVICE_PASSWORD": "correct-horse-battery",
}
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"

SCRIPT = """
import sys, labledger as ll
run = ll.init(project="p", name="cap", config={"db": {"password": "pw-in-config"}, "lr": 0.1},
              tags={"token": "tag-secret"}, tracking_uri=sys.argv[1])
run.log({"x": 1.0}, step=0)
run.finish(sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("-") else "finished")
print(run.id, run.run_key)
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def run_in(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    proc = subprocess.run(
        [sys.executable, "train.py", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LABLEDGER_CAPTURE": "all", **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr
    run_id, key = proc.stdout.split()
    return run_id, key


def repo_with_changes(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    git(
        repo,
        "remote",
        "add",
        "origin",
        "https://deploy:" + "remotepw99" + "@git.example.com/ml.git",
    )
    (repo / "train.py").write_text(SCRIPT)
    (repo / "settings.py").write_text("REGION = 'eu'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    (repo / "settings.py").write_text(f"REGION = 'eu'\nAWS_ACCESS_KEY_ID = '{AWS_KEY}'\n")
    return repo


def test_the_environment_is_recorded_and_no_secret_reaches_the_store(tmp_path):
    repo = repo_with_changes(tmp_path)
    store = str(tmp_path / "store")
    run_id, _ = run_in(repo, store, "finished", "--password", "argv-secret-1", env=SECRETS)
    with ll.Client(store) as client:
        env = client.get_environment(run_id)
        run = client.get_run(run_id)
        with client.open_artifact(run_id, "provenance/git.diff") as f:
            diff = f.read().decode()
    assert env is not None
    assert len(env["git"]["commit"]) == 40 and env["git"]["dirty"] is True
    assert env["git"]["remote_url"] == "https://git.example.com/ml.git"  # userinfo dropped
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["packages"]["packages"]["labledger"] == ll.__version__
    assert env["system"]["cpu_count"] == os.cpu_count()
    assert env["process"]["argv"][-2:] == ["--password", "[REDACTED]"]
    assert env["process"]["cwd"] == str(repo)
    assert env["process"]["environment"]["GITHUB_TOKEN"] == "[REDACTED]"
    assert (
        env["process"]["environment"]["DATABASE_URL"]
        == "postgresql://admin:[REDACTED]@db.internal/prod"
    )
    assert set(env["capture"]["parts"]) == {
        "git",
        "packages",
        "system",
        "container",
        "ci",
        "process",
    }
    assert "REGION" in diff and "[REDACTED]" in diff
    assert run.params == {"db.password": "[REDACTED]", "lr": "0.1"}
    assert run.tags["token"] == "[REDACTED]"
    stored = json.dumps(env) + diff + json.dumps(run.to_dict())
    for secret in [
        *SECRETS.values(),
        "hunter2pw",
        AWS_KEY,
        "remotepw99",
        "argv-secret-1",
        "pw-in-config",
        "tag-secret",
    ]:
        assert secret not in stored, secret
    # and nowhere in the files of the store either
    files = [path for path in Path(store).rglob("*") if path.is_file()]
    assert Path(store) / "labledger.db" in files, files  # the store was searched, not nothing
    for path in files:
        raw = path.read_bytes()
        assert b"hunter2pw" not in raw and AWS_KEY.encode() not in raw, path


def test_capture_parts_are_chosen_by_the_setting(tmp_path):
    repo = repo_with_changes(tmp_path)
    store = str(tmp_path / "store")
    none_id, _ = run_in(repo, store, env={"LABLEDGER_CAPTURE": "none"})
    some_id, _ = run_in(repo, store, env={"LABLEDGER_CAPTURE": "git,system"})
    most_id, _ = run_in(repo, store, env={"LABLEDGER_CAPTURE": "all,-packages,-process"})
    with ll.Client(store) as client:
        assert client.get_environment(none_id) is None
        assert [a.path for a in client.list_artifacts(none_id)] == []  # no diff either
        assert set(client.get_environment(some_id)) == {"git", "system", "capture"}
        most = client.get_environment(most_id)
    assert {"git", "system", "container", "ci"} <= set(most) and "packages" not in most
    bad = subprocess.run(
        [sys.executable, "train.py", store],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "LABLEDGER_CAPTURE": "git,gpu"},
    )
    assert bad.returncode != 0 and "LABLEDGER_CAPTURE has 'gpu'" in bad.stderr


def test_in_ci_a_retried_job_resumes_its_run(tmp_path):
    repo = repo_with_changes(tmp_path)
    store = str(tmp_path / "store")
    ci = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "8123456789",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "train",
        "GITHUB_SHA": "b" * 40,
        "GITHUB_REPOSITORY": "acme/ml",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REF_NAME": "main",
    }
    first, key = run_in(repo, store, "failed", env=ci)
    assert key.startswith("ci:github-actions:") and "8123456789" in key and key.endswith(":cap")
    retried, key2 = run_in(repo, store, env={**ci, "GITHUB_RUN_ATTEMPT": "2"})
    assert (retried, key2) == (first, key)
    other_job, _ = run_in(repo, store, env={**ci, "GITHUB_JOB": "evaluate"})
    no_key, none = run_in(repo, store, env={**ci, "LABLEDGER_CI_RUN_KEY": "false"})
    assert len({first, other_job, no_key}) == 3 and none == "None"
    with ll.Client(store) as client:
        env = client.get_environment(first)
    assert env["ci"]["url"] == "https://github.com/acme/ml/actions/runs/8123456789"
    assert env["ci"]["attempt"] == "1"


def test_an_offline_run_carries_its_environment_through_sync(server, tmp_path, monkeypatch):
    from tests.conftest import run_sync

    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("LABLEDGER_MODE", "offline")
    monkeypatch.setenv("LABLEDGER_CAPTURE", "system,process")
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    with ll.init(project="p", tracking_uri=server.url) as run:
        run.log_dataset(data, name="d")
    assert run_sync(spool).returncode == 0
    with ll.Client(server.url) as client:
        env = client.get_environment(run.id)
        [dataset] = client.list_datasets(run.id)
        stored = client.get_run(run.id)
    assert env is not None and env["system"]["hostname"] and dataset.name == "d"
    assert stored.seal_hash is not None  # sync applied the recorded "finished", then sealed
