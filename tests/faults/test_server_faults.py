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
from tests.histories import VALUE_EXPR, check_run_history, expected

pytestmark = pytest.mark.slow

# "x" at every step, "y" at every 13th: two keys, one of them sparse, in the same batches
CLIENT = textwrap.dedent(
    f"""
    import json, os, sys, time
    import labledger as ll
    def v(r, k, s):
        return {VALUE_EXPR}
    url, total = sys.argv[1], int(sys.argv[2])
    run = ll.init(project="faults", tracking_uri=url)
    print(json.dumps({{"run_id": run.id}}), flush=True)
    start = time.time_ns() // 1_000_000
    for s in range(total):
        point = {{"x": v(0, 0, s), "y": v(0, 1, s)}} if s % 13 == 0 else {{"x": v(0, 0, s)}}
        run.log(point, step=s)
        if s % 20_000 == 0:
            time.sleep(0.02)  # a training loop does other work: spread points over time
    end = time.time_ns() // 1_000_000
    run.finish()
    print(json.dumps({{"done": True, "window": [start, end]}}), flush=True)
    """
)


@pytest.fixture
def clients():  # type: ignore[no-untyped-def]
    """Training processes started by a test; one a failed test leaves running is killed
    (it would otherwise retry against a server that is gone, and load later tests)."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def start_client(
    url: str, total: int, spool, clients: list[subprocess.Popen[str]]
) -> tuple[subprocess.Popen[str], str]:
    env = {"LABLEDGER_SPOOL_DIR": str(spool), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, url, str(total)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    clients.append(proc)
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


def check_exact(url: str, run_id: str, total: int, window: tuple[int, int]) -> None:
    """Every point of both keys once, with the value and a timestamp from the loop."""
    logged = {"x": expected(0, 0, range(total)), "y": expected(0, 1, range(0, total, 13))}
    with ll.Client(url) as client:
        check_run_history(client, run_id, logged, window)
        run = client.get_run(run_id)
    assert run.status is ll.RunStatus.FINISHED


def finish_client(proc: subprocess.Popen[str]) -> tuple[int, int]:
    """Waits for the training process; returns the window in which it logged."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err  # the training process never raised
    done = json.loads(out.strip().splitlines()[-1])
    assert done["done"] is True
    start, end = done["window"]
    return start, end


def test_server_killed_mid_run_and_restarted_after_5s_loses_nothing(server, tmp_path, clients):
    total = 1_000_000
    proc, run_id = start_client(server.url, total, tmp_path / "spool", clients)
    wait_for_points(server.url, run_id, 200_000)
    server.stop(kill=True)  # kill -9
    time.sleep(5)
    server.start()
    window = finish_client(proc)
    check_exact(server.url, run_id, total, window)


def test_server_unreachable_for_30s_loses_nothing(server, tmp_path, clients):
    total = 1_000_000
    proc, run_id = start_client(server.url, total, tmp_path / "spool", clients)
    wait_for_points(server.url, run_id, 100_000)
    server.stop()
    time.sleep(30)
    assert proc.poll() is None  # still training, not crashed
    server.start()
    window = finish_client(proc)
    check_exact(server.url, run_id, total, window)
