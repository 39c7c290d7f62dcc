"""``labledger doctor`` against real deployments: each problem found and explained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labledger.store.database import Database, sqlite_uri_for_dir
from labledger.store.schema import upgrade
from tests.conftest import free_port, run_script, run_sync


def doctor(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> tuple[int, dict[str, dict[str, str]]]:
    """Run ``labledger doctor --json`` in its own process; (exit code, checks by name)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LABLEDGER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "labledger.cli", "doctor", "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean, **(env or {})},
    )
    assert proc.stdout, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is (proc.returncode == 0)
    return proc.returncode, {c["name"]: c for c in report["checks"]}


def statuses(checks: dict[str, dict[str, str]]) -> dict[str, str]:
    return {name: c["status"] for name, c in checks.items()}


def test_a_healthy_embedded_store_passes_every_check_including_a_real_write(tmp_path):
    code, checks = doctor("--write", cwd=tmp_path)
    assert code == 0, checks
    assert set(statuses(checks).values()) == {"ok"}
    assert {"database", "artifact store", "data folder", "write", "spool", "disk"} <= set(checks)
    assert "read both back" in checks["write"]["summary"]


def test_a_healthy_server_passes_and_the_probe_run_is_removed(server, tmp_path):
    import labledger as ll

    code, checks = doctor("--write", cwd=tmp_path, env={"LABLEDGER_TRACKING_URI": server.url})
    assert code == 0, checks
    assert {"server", "version", "clock", "latency", "ready", "access", "write"} <= set(checks)
    assert set(statuses(checks).values()) == {"ok"}
    with ll.Client(server.url) as client:
        assert list(client.search_runs("labledger-doctor")) == []


def test_a_server_that_is_down_fails_and_says_how_to_start_it(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_TRACKING_URI": url})
    assert code == 1
    assert checks["server"]["status"] == "fail" and url in checks["server"]["summary"]
    assert "labledger server" in checks["server"]["explanation"]
    assert "LABLEDGER_MODE=fallback" in checks["server"]["explanation"]


def test_something_else_at_the_address_is_not_taken_for_a_server(tmp_path):
    port = free_port()
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        env = {"LABLEDGER_TRACKING_URI": f"http://127.0.0.1:{port}"}
        for _ in range(50):
            code, checks = doctor(cwd=tmp_path, env=env)
            if "Connection refused" not in checks["server"]["summary"]:
                break
        assert code == 1
        assert "not a LabLedger server" in checks["server"]["summary"]
    finally:
        other.kill()
        other.wait()


def test_a_database_behind_this_version_fails_with_the_upgrade_command(tmp_path):
    data = tmp_path / ".labledger"
    data.mkdir()
    db = Database(sqlite_uri_for_dir(data))
    upgrade(db, "0003")
    db.dispose()
    code, checks = doctor(cwd=tmp_path)
    assert code == 1
    assert checks["database"]["status"] == "fail" and "0003" in checks["database"]["summary"]
    assert "labledger db upgrade" in checks["database"]["explanation"]


def test_a_database_from_a_newer_labledger_says_to_upgrade_labledger(tmp_path):
    from sqlalchemy import text

    data = tmp_path / ".labledger"
    data.mkdir()
    db = Database(sqlite_uri_for_dir(data))
    upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    db.dispose()
    code, checks = doctor(cwd=tmp_path)
    assert code == 1
    assert "from a newer LabLedger" in checks["database"]["summary"]


def test_an_unusable_artifact_store_fails_naming_it(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the store should be")
    uri = (tmp_path / "not-a-folder" / "artifacts").as_uri()
    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_ARTIFACT_URI": uri})
    assert code == 1
    assert checks["artifact store"]["status"] == "fail"
    assert "not-a-folder" in checks["artifact store"]["summary"]


def test_misspelt_and_invalid_settings_are_named(tmp_path):
    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_TRACKNG_URI": "http://x"})
    assert code == 0  # a warning, not a failure
    assert checks["variables"]["status"] == "warn"
    assert "did you mean LABLEDGER_TRACKING_URI?" in checks["variables"]["summary"]

    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_UPLOAD_THREADS": "many"})
    assert code == 1
    assert checks["settings"]["status"] == "fail"
    assert "LABLEDGER_UPLOAD_THREADS must be an integer" in checks["settings"]["summary"]

    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_MODE": "sometimes"})
    assert code == 1 and "'sometimes'" in checks["mode"]["summary"]

    code, checks = doctor(cwd=tmp_path, env={"LABLEDGER_HEARTBEAT_TIMEOUT_S": "20"})
    assert checks["heartbeat timeout"]["status"] == "warn"
    assert "killed" in checks["heartbeat timeout"]["explanation"]


@pytest.mark.timeout(180)
def test_runs_stranded_in_the_spool_are_named_until_synced(server, tmp_path):
    spool = tmp_path / "spool"
    script = (
        "import os, labledger as ll\n"
        f"run = ll.init(project='p', tracking_uri={server.url!r})\n"
        "print(run.id, flush=True)\n"
        "for i in range(50_000): run.log({'x': float(i)}, step=i)\n"
        "os._exit(0)\n"  # dies before sending everything: no finish()
    )
    proc = run_script(script, spool=spool)
    run_id = proc.stdout.strip()
    env = {"LABLEDGER_TRACKING_URI": server.url, "LABLEDGER_SPOOL_DIR": str(spool)}
    code, checks = doctor(cwd=tmp_path, env=env)
    assert code == 0 and checks["spool"]["status"] == "warn"
    assert run_id in checks["spool"]["summary"]
    assert f"labledger sync {spool}" in checks["spool"]["explanation"]
    assert run_sync(spool).returncode == 0
    code, checks = doctor(cwd=tmp_path, env=env)
    assert checks["spool"]["status"] == "ok"
