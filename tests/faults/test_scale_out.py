"""Scale-out: many client processes, several servers on one PostgreSQL; many processes on
one embedded SQLite store.  Exact counts, nothing twice, no errors (issue 5's bars)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import labledger as ll

pytestmark = pytest.mark.slow

WRITER = """
import sys, labledger as ll
uri, index, points = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = ll.init(project="scale", name=f"w{index}", tracking_uri=uri, config={"index": index})
for step in range(points):
    run.log({"x": float(step)}, step=step)
run.finish()
print(run.id)
"""


def run_writers(uris: list[str], count: int, points: int, tmp_path) -> list[str]:
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
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
        ids.append(out.strip())
    return ids


def check_exact(uri: str, ids: list[str], points: int) -> None:
    with ll.Client(uri) as client:
        runs = {r.id: r for r in client.iter_runs("scale")}
        assert set(runs) == set(ids)
        for run_id in ids:
            assert runs[run_id].status is ll.RunStatus.FINISHED
            history = client.get_metric_history(run_id, "x", max_points=2)
            assert history.total_points == points
        # the steps of one run, read in full: each exactly once
        full = client.get_metric_history(ids[-1], "x")
        assert full.steps.tolist() == list(range(points))


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
        ids = run_writers([s.url for s in servers], 32, points, tmp_path)
        for server in servers:  # both replicas serve the same data
            check_exact(server.url, ids, points)
    finally:
        for server in servers:
            server.stop()


def test_16_processes_to_one_embedded_sqlite_store(tmp_path):
    uri = str(tmp_path / "store")
    points = 100_000
    ids = run_writers([uri], 16, points, tmp_path)
    check_exact(uri, ids, points)


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
        ids = run_writers([server.url], 8, points, tmp_path)
        check_exact(server.url, ids, points)
    finally:
        server.stop()
