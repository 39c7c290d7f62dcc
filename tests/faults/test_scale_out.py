"""Scale-out: many client processes, several servers on one PostgreSQL; many processes on
one embedded SQLite store.  Every point of every key of every run stored exactly once, as
logged, and no errors (issue 5's bars)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import labledger as ll
from tests.histories import VALUE_EXPR, check_run_history, expected

pytestmark = pytest.mark.slow

# "x" at every step, "y" at every tenth: a dense key and a sparse one in the same batches
WRITER = f"""
import json, sys, time, labledger as ll
def v(r, k, s):
    return {VALUE_EXPR}
uri, r, points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = ll.init(project="scale", name=f"w{{r}}", tracking_uri=uri, config={{"index": r}})
start = time.time_ns() // 1_000_000
for s in range(points):
    run.log({{"x": v(r, 0, s), "y": v(r, 1, s)}} if s % 10 == 0 else {{"x": v(r, 0, s)}}, step=s)
end = time.time_ns() // 1_000_000
run.finish()
print(json.dumps({{"run_id": run.id, "index": r, "window": [start, end]}}))
"""


def run_writers(uris: list[str], count: int, points: int, tmp_path) -> list[dict]:
    env_spool = {"LABLEDGER_SPOOL_DIR": str(tmp_path / "spool"), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, uris[i % len(uris)], str(i), str(points)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_spool,
        )
        for i in range(count)
    ]
    writers = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
        writers.append(json.loads(out))
    return writers


def check_exact(uri: str, writers: list[dict], points: int) -> None:
    """Every run, every key, every point: the steps, values and timestamps logged."""
    assert writers
    with ll.Client(uri) as client:
        runs = {r.id: r for r in client.iter_runs("scale")}
        assert set(runs) == {w["run_id"] for w in writers}
        assert len(runs) == len(writers)
        for w in writers:
            run = runs[w["run_id"]]
            assert run.status is ll.RunStatus.FINISHED
            assert run.params["index"] == str(w["index"])
            logged = {
                "x": expected(w["index"], 0, range(points)),
                "y": expected(w["index"], 1, range(0, points, 10)),
            }
            check_run_history(client, run.id, logged, window_ms=tuple(w["window"]))


def test_32_processes_to_two_servers_on_one_postgresql(pg_url, tmp_path):
    from tests.conftest import ServerProcess

    servers = []
    shared_blobs = (tmp_path / "blobs").as_uri()
    for name in ("a", "b"):
        data = tmp_path / f"server-{name}"
        data.mkdir()
        server = ServerProcess(data, db_uri=pg_url, env={"LABLEDGER_ARTIFACT_URI": shared_blobs})
        server.start()
        servers.append(server)
    try:
        points = 100_000
        writers = run_writers([s.url for s in servers], 32, points, tmp_path)
        for server in servers:  # both replicas serve the same data
            check_exact(server.url, writers, points)
    finally:
        for server in servers:
            server.stop()


def test_16_processes_to_one_embedded_sqlite_store(tmp_path):
    uri = str(tmp_path / "store")
    points = 100_000
    writers = run_writers([uri], 16, points, tmp_path)
    check_exact(uri, writers, points)


def worker_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` and that run a uvicorn worker."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"multiprocessing.spawn" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


def test_server_workers_share_one_sqlite_store(tmp_path):
    from tests.conftest import ServerProcess

    data = tmp_path / "server"
    data.mkdir()
    server = ServerProcess(data, args=["--workers", "2"])
    server.start()
    try:
        assert server.proc is not None
        assert len(worker_pids(server.proc.pid)) == 2
        points = 50_000
        writers = run_writers([server.url], 8, points, tmp_path)
        check_exact(server.url, writers, points)
    finally:
        server.stop()
