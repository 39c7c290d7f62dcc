"""Fault injection against the server while a client logs (issue 5's bars).

The client runs in its own process, as a training job would; the test kills (-9) or stops
the server under it and checks that the store ends with exactly what was logged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

import labledger as ll

pytestmark = pytest.mark.slow

CLIENT = textwrap.dedent(
    """
    import json, os, sys, time
    import labledger as ll
    url, total = sys.argv[1], int(sys.argv[2])
    run = ll.init(project="faults", tracking_uri=url)
    print(json.dumps({"run_id": run.id}), flush=True)
    for step in range(total):
        run.log({"x": float(step)}, step=step)
        if step % 20_000 == 0:
            time.sleep(0.02)  # a training loop does other work: spread points over time
    run.finish()
    print(json.dumps({"done": True}), flush=True)
    """
)


def start_client(url: str, total: int, spool) -> tuple[subprocess.Popen[str], str]:
    env = {"LABLEDGER_SPOOL_DIR": str(spool), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, url, str(total)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    run_id = json.loads(proc.stdout.readline())["run_id"]
    return proc, run_id


def stored_points(url: str, run_id: str) -> int:
    try:
        r = httpx.get(
            f"{url}/api/v1/runs/{run_id}/metrics/x/history", params={"max_points": 2}, timeout=5
        )
    except httpx.HTTPError:
        return -1
    return int(r.json()["total_points"]) if r.status_code == 200 else 0


def wait_for_points(url: str, run_id: str, at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while stored_points(url, run_id) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} points arrived"
        time.sleep(0.05)


def check_exact(url: str, run_id: str, total: int) -> None:
    with ll.Client(url) as client:
        history = client.get_metric_history(run_id, "x")
        run = client.get_run(run_id)
    assert history.total_points == total
    assert history.steps.tolist() == list(range(total))  # each once, none lost
    assert history.values.tolist() == [float(s) for s in range(total)]
    assert run.status is ll.RunStatus.FINISHED


def finish_client(proc: subprocess.Popen[str]) -> None:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err  # the training process never raised
    assert '"done": true' in out


def test_server_killed_mid_run_and_restarted_after_5s_loses_nothing(server, tmp_path):
    total = 1_000_000
    proc, run_id = start_client(server.url, total, tmp_path / "spool")
    wait_for_points(server.url, run_id, 200_000)
    server.stop(kill=True)  # kill -9
    time.sleep(5)
    server.start()
    finish_client(proc)
    check_exact(server.url, run_id, total)


def test_server_unreachable_for_30s_loses_nothing(server, tmp_path):
    total = 1_000_000
    proc, run_id = start_client(server.url, total, tmp_path / "spool")
    wait_for_points(server.url, run_id, 100_000)
    server.stop()
    time.sleep(30)
    assert proc.poll() is None  # still training, not crashed
    server.start()
    finish_client(proc)
    check_exact(server.url, run_id, total)
