"""A real ``labledger server`` process with auth on, as a team would run it: the first
start's login link, ``--auth off`` only on loopback, the operator commands on its store,
``labledger login`` and the SDK with a token (and what happens to a run whose token stops
working: nothing logged is lost)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import labledger as ll
from labledger.cli.main import cli
from labledger.core.errors import AuthenticationError, PermissionDeniedError
from labledger.sdk.client import Client
from tests.conftest import ServerProcess

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/api/v1/auth/link\?token=ll_[A-Za-z0-9_-]{43})")


def labledger(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labledger.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.fixture
def guarded(tmp_path: Path):
    data = tmp_path / "server-data"
    data.mkdir()
    proc = ServerProcess(data, args=["--auth", "on"])
    proc.start()
    yield proc
    proc.stop()


def server_output(proc: ServerProcess) -> str:
    proc.log.flush()
    return Path(proc.log.name).read_text()


def test_off_loopback_auth_off_is_refused_and_says_why(tmp_path: Path):
    result = labledger("server", "--host", "0.0.0.0", "--auth", "off", "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert "--auth off is refused with --host 0.0.0.0" in result.stderr
    env_off = subprocess.run(
        [
            sys.executable,
            "-m",
            "labledger.cli",
            "server",
            "--host",
            "10.1.2.3",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LABLEDGER_AUTH": "false"},
    )
    assert env_off.returncode != 0 and "refused" in env_off.stderr


def test_the_first_start_creates_admin_and_prints_a_one_time_link(guarded: ServerProcess):
    links = LINK.findall(server_output(guarded))
    assert len(links) == 1
    link = links[0].replace("127.0.0.1:" + str(guarded.port), f"127.0.0.1:{guarded.port}")
    assert httpx.get(f"{guarded.url}/api/v1/projects").status_code == 401
    with httpx.Client(base_url=guarded.url) as browser:
        opened = browser.get(link, follow_redirects=False)
        assert opened.status_code == 303
        session = browser.get("/api/v1/auth/session").json()
        assert session["user"] == "admin" and session["admin"] is True
    assert httpx.get(link, follow_redirects=False).headers["location"].startswith("/login")
    # a restart prints no new link: the store has users now
    guarded.stop()
    guarded.start()
    assert len(LINK.findall(server_output(guarded))) == 0
    # the store holds no secret of it: only hashes
    db = (guarded.data_dir / "labledger.db").read_bytes()
    assert link.split("token=")[1].encode() not in db


def test_operators_tokens_the_sdk_and_roles_end_to_end(
    guarded: ServerProcess, tmp_path: Path, monkeypatch
):
    store = ["--data-dir", str(guarded.data_dir)]
    assert labledger("users", "add", "ana", *store).returncode == 0
    assert labledger("users", "add", "ci", "--service", *store).returncode == 0
    assert labledger("projects", "create", "vision", "--owner", "ana", *store).returncode == 0
    added = labledger("projects", "members", "add", "vision", "ci", "--role", "editor", *store)
    assert added.returncode == 0, added.stderr
    made = labledger("tokens", "create", "ci", "--label", "nightly", *store)
    token = made.stdout.strip()
    assert made.returncode == 0 and re.fullmatch(r"ll_[A-Za-z0-9_-]{43}", token), made.stdout
    listed = labledger("tokens", "ls", "ci", *store)
    assert "nightly" in listed.stdout and token not in listed.stdout

    # labledger login checks the token and saves it, readable by its owner only
    creds = tmp_path / "credentials.json"
    monkeypatch.setenv("LABLEDGER_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("LABLEDGER_TOKEN", raising=False)
    env = {**os.environ}
    bad = subprocess.run(
        [sys.executable, "-m", "labledger.cli", "login", guarded.url, "--token-stdin"],
        input="ll_" + "n" * 43 + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1 and "does not accept this token" in bad.stderr
    assert not creds.exists()
    good = subprocess.run(
        [sys.executable, "-m", "labledger.cli", "login", guarded.url, "--token-stdin"],
        input=token + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert good.returncode == 0 and "as ci" in good.stdout, good.stderr
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600

    # the SDK finds the token in the credentials file
    run = ll.init(project="vision", name="nightly", tracking_uri=guarded.url, config={"lr": 0.1})
    for step in range(50):
        run.log({"loss": 1 / (step + 1)}, step=step)
    run.finish()
    with Client(guarded.url) as client:
        assert client.get_run(run.id).status.value == "finished"
        with pytest.raises(PermissionDeniedError) as denied:
            client.delete_run(run.id, reason="editors cannot")  # maintainers delete
        assert "maintainer" in denied.value.message
    # another project is not ci's: creating a run there is its own project (ci owns it)
    mine = ll.init(project="ci-scratch", tracking_uri=guarded.url)
    mine.finish()
    listing = labledger("projects", "members", "ls", "ci-scratch", *store)
    assert re.search(r"ci\s+service\s+owner", listing.stdout), listing.stdout
    # the audit log names the actors, through the store and through the server
    log = labledger("audit", "ls", "--project", "vision", *store)
    assert "ci" in log.stdout and "run.create" in log.stdout
    assert labledger("audit", "verify", *store).returncode == 0


def test_a_run_whose_token_is_revoked_keeps_everything_in_the_spool(
    guarded: ServerProcess, tmp_path: Path, monkeypatch
):
    store = ["--data-dir", str(guarded.data_dir)]
    labledger("users", "add", "bo", *store)
    token = labledger("tokens", "create", "bo", *store).stdout.strip()
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_TOKEN", token)
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    run = ll.init(project="bo-project", tracking_uri=guarded.url)
    run.log({"loss": 0.0}, step=0)
    run.flush()
    token_id = labledger("tokens", "ls", "bo", "--json", *store).stdout
    import json

    labledger("tokens", "revoke", json.loads(token_id)[0]["id"], *store)
    for step in range(1, 200):
        try:
            run.log({"loss": float(step)}, step=step)
        except AuthenticationError as exc:
            assert "revoked" in exc.message
    with pytest.raises(AuthenticationError) as err:
        run.finish()
    assert "labledger sync" in err.value.message
    # a valid token later: sync sends what the server refused, nothing is lost
    fresh = labledger("tokens", "create", "bo", *store).stdout.strip()
    monkeypatch.setenv("LABLEDGER_TOKEN", fresh)
    synced = subprocess.run(
        [sys.executable, "-m", "labledger.cli", "sync", str(spool)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert synced.returncode == 0, synced.stderr + synced.stdout
    deadline = time.monotonic() + 10
    with Client(guarded.url) as client:
        while time.monotonic() < deadline:
            history = client.get_metric_history(run.id, "loss")
            if len(history.steps) == 200:
                break
            time.sleep(0.2)
        assert list(history.steps) == list(range(200))
        assert list(history.values) == [float(s) for s in range(200)]
        assert client.get_run(run.id).status.value == "finished"


def test_without_a_token_the_sdk_says_how_to_get_one(
    guarded: ServerProcess, monkeypatch, tmp_path: Path
):
    monkeypatch.delenv("LABLEDGER_TOKEN", raising=False)
    monkeypatch.setenv("LABLEDGER_CREDENTIALS_FILE", str(tmp_path / "none.json"))
    with pytest.raises(AuthenticationError) as err:
        ll.init(project="x", tracking_uri=guarded.url)
    assert f"labledger login {guarded.url}" in err.value.message
    assert "LABLEDGER_TOKEN" in err.value.message


def test_operator_commands_refuse_bad_input_and_change_nothing(tmp_path: Path):
    data = ["--data-dir", str(tmp_path / "store")]
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, [*args, *data])
        return result.exit_code, result.output

    assert run("users", "add", "ana")[0] == 0
    assert run("users", "add", "ana")[1].startswith("error [user_exists]")
    assert "error [invalid_input]" in run("users", "add", "bad name")[1]
    assert "error [user_not_found]" in run("projects", "create", "p", "--owner", "nobody")[1]
    assert run("projects", "create", "p", "--owner", "ana")[0] == 0
    code, out = run("projects", "members", "add", "missing", "ana", "--role", "viewer")
    assert code == 1 and "project_not_found" in out
    code, out = run("projects", "members", "add", "p", "ana", "--role", "emperor")
    assert code == 2 and "emperor" in out
    code, out = run("projects", "members", "rm", "p", "ana")
    assert code == 1 and "last_owner" in out
    code, out = run("projects", "members", "add", "p", "ana", "--role", "viewer")
    assert code == 1 and "last_owner" in out
    assert "error [invalid_input]" in run("tokens", "create", "ana", "--expires-in", "soon")[1]
    assert "error [token_not_found]" in run("tokens", "revoke", "0123456789abcdef")[1]
    code, out = run("projects", "members", "ls", "p")
    assert "owner" in out
    code, out = run("audit", "ls")
    assert out.count("\n") == 2  # user.add, project.create: the refusals left no entry


def test_make_run_prints_a_working_link_at_every_start(tmp_path: Path):
    """`make run` starts the demo server with --login-link: one click opens it, every time."""
    data = tmp_path / "demo"
    data.mkdir()
    proc = ServerProcess(data, args=["--auth", "on", "--login-link"])
    seen = []
    for _ in range(2):
        proc.start()
        try:
            links = LINK.findall(server_output(proc))
            assert len(links) == 1
            seen.append(links[0])
            with httpx.Client() as browser:
                assert browser.get(links[0], follow_redirects=False).status_code == 303
                assert browser.get(f"{proc.url}/api/v1/auth/session").json()["user"] == "admin"
        finally:
            proc.stop()
    assert seen[0] != seen[1]
    run_sh = (Path(__file__).resolve().parents[3] / "scripts" / "run.sh").read_text()
    assert "--login-link" in run_sh


def test_doctor_says_how_to_get_access_and_uses_the_saved_token(
    guarded: ServerProcess, tmp_path: Path
):
    env = {**os.environ, "LABLEDGER_CREDENTIALS_FILE": str(tmp_path / "creds.json")}
    env.pop("LABLEDGER_TOKEN", None)
    doctor = [sys.executable, "-m", "labledger.cli", "doctor", "--tracking-uri", guarded.url]
    refused = subprocess.run(doctor, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 1
    assert "labledger login" in refused.stdout and "! variables" not in refused.stdout
    store = ["--data-dir", str(guarded.data_dir)]
    labledger("users", "add", "dee", *store)
    token = labledger("tokens", "create", "dee", *store).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "labledger.cli", "login", guarded.url, "--token-stdin"],
        input=token + "\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ok = subprocess.run(doctor, capture_output=True, text=True, env=env, timeout=120)
    assert "✗ access" not in ok.stdout, ok.stdout
