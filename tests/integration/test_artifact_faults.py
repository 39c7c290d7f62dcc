"""The artifact bars: a server killed mid-upload, and memory bounded by parts, not files."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import labledger as ll
from labledger.core.limits import ARTIFACT_PART_SIZE

pytestmark = pytest.mark.slow


def random_file(path: Path, size: int) -> str:
    hasher = hashlib.sha256()
    chunk = 8 * 2**20
    with open(path, "wb") as f:
        left = size
        while left:
            data = os.urandom(min(chunk, left))
            hasher.update(data)
            f.write(data)
            left -= len(data)
    return hasher.hexdigest()


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(2**20):
            hasher.update(chunk)
    return hasher.hexdigest()


def test_server_killed_mid_upload_resumes_without_resending_parts(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    size = 500 * 2**20
    source = tmp_path / "checkpoint.bin"
    digest = random_file(source, size)
    part_count = -(-size // ARTIFACT_PART_SIZE)

    run = ll.init(project="p", tracking_uri=server.url)
    accepted_before_kill: set[int] = set()
    sent_after_restart: list[int] = []
    restarted = threading.Event()
    killed = threading.Event()
    part_url = re.compile(r"/uploads/\w+/parts/(\d+)$")

    def on_response(response) -> None:  # httpx event hook, called in the upload thread
        m = part_url.search(response.request.url.path)
        if m is None:
            return
        n = int(m.group(1))
        if restarted.is_set():
            sent_after_restart.append(n)
        elif response.status_code == 204 and not killed.is_set():
            accepted_before_kill.add(n)

    run._transport.connection.client.event_hooks["response"].append(on_response)
    run.log_artifact(source)
    deadline = time.monotonic() + 120
    while len(accepted_before_kill) < part_count // 3:
        assert time.monotonic() < deadline, "the upload did not progress"
        time.sleep(0.01)
    killed.set()
    server.stop(kill=True)  # kill -9 in the middle of the upload
    time.sleep(2)
    restarted.set()
    server.start()
    run.finish(timeout=300)

    assert accepted_before_kill, "no part arrived before the kill"
    assert not accepted_before_kill & set(sent_after_restart), "parts that arrived were resent"
    assert sorted(accepted_before_kill | set(sent_after_restart)) == list(range(1, part_count + 1))
    with ll.Client(server.url) as client:
        [entry] = client.list_artifacts(run.id)
        assert (entry.digest, entry.size, entry.state) == (digest, size, ll.ArtifactState.STORED)
    stored = next(p for p in (server.data_dir / "artifacts" / "sha256").rglob("*") if p.is_file())
    assert file_sha256(stored) == digest


# VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over fork and exec, so a
# child of a big pytest process would report the parent's peak as its own.
CLIENT = textwrap.dedent(
    """
    import json, re, sys
    import labledger as ll
    def peak():
        status = open("/proc/self/status").read()
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
    url, source, dest = sys.argv[1:4]
    run = ll.init(project="p", tracking_uri=url)
    run.log_artifact(source)
    run.finish()
    up = peak()
    with ll.Client(url) as client:
        client.download_artifacts(run.id, "big.bin", dest)
    print(json.dumps({"up_kib": up, "down_kib": peak()}))
    """
)


def peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def test_a_2gb_file_round_trips_in_bounded_memory(server, tmp_path):
    size = 2 * 2**30
    # The server's own footprint (the code it imports) grows with features; the promise is that
    # a transfer adds a few parts' worth, whatever the file's size.
    server_before = rss_kib(server.proc.pid)
    source = tmp_path / "big.bin"
    digest = random_file(source, size)
    env = {**os.environ, "LABLEDGER_SPOOL_DIR": str(tmp_path / "spool")}
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, server.url, str(source), str(tmp_path / "dl")],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    import json

    rss = json.loads(result.stdout.strip().splitlines()[-1])
    server_peak = peak_rss_kib(server.proc.pid)
    source.unlink()
    assert file_sha256(tmp_path / "dl" / "big.bin") == digest
    limit = 150 * 1024
    assert rss["down_kib"] < limit, (
        f"client peak RSS {rss['down_kib'] // 1024} MiB (after upload: {rss['up_kib'] // 1024})"
    )
    growth = server_peak - server_before
    assert growth < 4 * ARTIFACT_PART_SIZE // 1024, (
        f"server peak RSS {server_peak // 1024} MiB, {growth // 1024} MiB over its "
        f"{server_before // 1024} MiB before the transfer"
    )


def test_an_s3_outage_keeps_uploads_queued_until_the_store_is_back(tmp_path, monkeypatch):
    import boto3
    import httpx

    from tests.conftest import S3_ENV, ServerProcess, free_port, start_moto

    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start_moto(port)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="ll-outage")
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    server = ServerProcess(
        data_dir,
        env={"LABLEDGER_ARTIFACT_URI": "s3://ll-outage/a", "LABLEDGER_S3_ENDPOINT_URL": endpoint},
    )
    server.start()
    try:
        run = ll.init(project="p", tracking_uri=server.url)
        moto.kill()  # the object store goes away in the middle of the run
        moto.wait()
        files = {f"f{i}.bin": os.urandom(1000 + i) for i in range(5)}
        files["big.bin"] = os.urandom(ARTIFACT_PART_SIZE + 5)
        for name, data in files.items():
            (tmp_path / name).write_bytes(data)
            run.log_artifact(tmp_path / name)
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["status"] == "blob_store_unavailable"
        time.sleep(2)  # uploads are failing and being retried meanwhile
        assert run.pending_artifacts == len(files)
        with ll.Client(server.url) as client:  # declared: the run shows them as pending
            states = {e.path: e.state for e in client.list_artifacts(run.id)}
        assert states, "no artifact was declared while the store was down"
        assert set(states) <= set(files)
        assert all(s is ll.ArtifactState.PENDING for s in states.values())

        moto = start_moto(port)  # back (empty, as a restarted moto is): recreate the bucket
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="ll-outage")
        run.finish(timeout=120)
        with ll.Client(server.url) as client:
            entries = {e.path: e for e in client.list_artifacts(run.id)}
            assert {p: e.state for p, e in entries.items()} == dict.fromkeys(
                files, ll.ArtifactState.STORED
            )
            dest = client.download_artifacts(run.id, "", tmp_path / "dl")
        for name, data in files.items():
            assert (dest / name).read_bytes() == data
    finally:
        server.stop()
        moto.kill()
        moto.wait()
