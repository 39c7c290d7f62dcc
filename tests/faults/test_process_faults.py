"""Training processes that die: sync marks them killed; a server notices silent runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import labledger as ll
from labledger.sdk import sender as sender_mod
from tests.conftest import run_script, run_sync
from tests.histories import VALUE_EXPR, check_run_history, expected

SIGKILLED = textwrap.dedent(
    f"""
    import json, os, signal, sys, time
    import labledger as ll
    def v(r, k, s):
        return {VALUE_EXPR}
    run = ll.init(project="p", tracking_uri=sys.argv[1])
    print(run.id, flush=True)
    start = time.time_ns() // 1_000_000
    for s in range(10_000):
        run.log({{"loss": v(0, 0, s)}}, step=s)
    end = time.time_ns() // 1_000_000
    run.flush()
    print(json.dumps({{"window": [start, end]}}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def killed_output(stdout: str) -> tuple[str, tuple[int, int]]:
    """The run id and the logging window printed by a script killed after it logged."""
    run_id, window = stdout.splitlines()
    start, end = json.loads(window)["window"]
    return run_id, (start, end)


def test_sync_marks_a_run_whose_process_was_killed(server, tmp_path):
    spool = tmp_path / "spool"
    died = run_script(SIGKILLED, server.url, spool=spool)
    assert died.returncode == -signal.SIGKILL
    run_id, window = killed_output(died.stdout)
    with ll.Client(server.url) as client:
        before = client.get_run(run_id)
    assert before.status is ll.RunStatus.RUNNING  # nobody has noticed yet
    result = run_sync(spool, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"run {run_id}: its process is gone" in result.stdout
    with ll.Client(server.url) as client:
        after = client.get_run(run_id)
        check_run_history(client, run_id, {"loss": expected(0, 0, range(10_000))}, window)
    assert after.status is ll.RunStatus.KILLED
    assert after.end_ms == before.heartbeat_ms  # ended at its last sign of life


def test_a_server_marks_silent_runs_killed_but_not_quiet_live_ones(tmp_path, monkeypatch):
    from tests.conftest import ServerProcess

    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setattr(sender_mod, "HEARTBEAT_S", 0.3)
    data = tmp_path / "server-data"
    data.mkdir()
    server = ServerProcess(data, env={"LABLEDGER_HEARTBEAT_TIMEOUT_S": "2"})
    server.start()
    try:
        env = {**os.environ, "LABLEDGER_SPOOL_DIR": str(tmp_path / "spool2")}
        died = subprocess.run(
            [sys.executable, "-c", SIGKILLED, server.url],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert died.returncode == -signal.SIGKILL, died.stderr
        dead_id, _ = killed_output(died.stdout)
        quiet = ll.init(project="p", tracking_uri=server.url)  # alive, logs nothing
        deadline = time.monotonic() + 30
        with ll.Client(server.url) as client:
            while client.get_run(dead_id).status is ll.RunStatus.RUNNING:
                assert time.monotonic() < deadline, "the silent run was never marked"
                time.sleep(0.2)
            dead = client.get_run(dead_id)
            assert dead.status is ll.RunStatus.KILLED
            assert dead.end_ms == dead.heartbeat_ms
            time.sleep(3)  # longer than the timeout: heartbeats keep the quiet run alive
            assert client.get_run(quiet.id).status is ll.RunStatus.RUNNING
        quiet.finish()
    finally:
        server.stop()


KILLED_MID_LOOP = textwrap.dedent(
    f"""
    import json, os, signal, sys, time
    import labledger as ll
    def v(r, k, s):
        return {VALUE_EXPR}
    run = ll.init(project="p", tracking_uri=sys.argv[1], config={{"lr": 0.1}})
    print(run.id, flush=True)
    start = time.time_ns() // 1_000_000
    for s in range(500_000):
        run.log({{"x": v(0, 0, s), "y": v(0, 1, s)}} if s % 7 == 0 else {{"x": v(0, 0, s)}}, step=s)
    end = time.time_ns() // 1_000_000
    run.set_tag("last", "seen")
    print(json.dumps({{"window": [start, end]}}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no flush, no finish: most points are still queued
    """
)


def test_every_point_log_accepted_before_a_kill_is_stored_after_sync(server, tmp_path):
    spool = tmp_path / "spool"
    died = run_script(KILLED_MID_LOOP, server.url, spool=spool)
    assert died.returncode == -signal.SIGKILL, died.stderr
    run_id, window = killed_output(died.stdout)
    with ll.Client(server.url) as client:
        keys = client.list_metric_keys(run_id)
        arrived = client.get_metric_history(run_id, "x", max_points=2).total_points if keys else 0
    assert arrived < 500_000  # the kill did cut the stream: the rest is only on disk
    for _ in range(2):  # a second sync changes nothing
        result = run_sync(spool, timeout=300)
        assert result.returncode == 0, result.stderr
    logged = {"x": expected(0, 0, range(500_000)), "y": expected(0, 1, range(0, 500_000, 7))}
    with ll.Client(server.url) as client:
        check_run_history(client, run_id, logged, window)
        run = client.get_run(run_id)
        environment = client.get_environment(run_id)
    assert environment is not None and environment["process"]["pid"]  # journaled at init
    assert run.tags["last"] == "seen" and run.params["lr"] == "0.1"
    assert run.status is ll.RunStatus.KILLED
    assert not any(spool.rglob("*.journal.*"))  # all sent: the spool is cleaned up
