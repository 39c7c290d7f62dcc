"""Artifacts through the SDK, on the embedded store and over HTTP: to the app in this
process, and to a real server process where outages and restarts are the subject."""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import labledger as ll
from labledger.core.errors import (
    ArtifactChangedError,
    ArtifactCorruptedError,
    InvalidArtifactPathError,
)
from labledger.sdk.downloads import PIPELINE_MIN
from tests.conftest import EmbeddedTarget, InProcessServer, run_sync
from tests.histories import Expected, check_run_history


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "http"])
def target(request, tmp_path, monkeypatch) -> EmbeddedTarget | InProcessServer:
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    if request.param == "local":
        return EmbeddedTarget(tmp_path / "store")
    return request.getfixturevalue("inprocess_http")


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "metrics.csv": b"step,loss\n0,1.0\n1,0.5\n",
        "plots/loss.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "plots/deep/x.json": b'{"a": 1}',
        "big.bin": os.urandom(20 * 2**20),  # over one part: multipart over HTTP
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def test_log_list_download_and_stream(target, tmp_path):
    out = tmp_path / "outputs"
    files = make_tree(out)
    (tmp_path / "model.pt").write_bytes(b"model v1")
    with target.init(project="p") as run:
        assert run.log_artifact(tmp_path / "model.pt") == ["model.pt"]
        paths = run.log_artifact(out, path="eval")
        assert sorted(paths) == sorted(f"eval/{p}" for p in files)
        run.log({"loss": 0.1})  # logging goes on while uploads run
    with target.client() as client:
        entries = {e.path: e for e in client.list_artifacts(run.id)}
        assert set(entries) == {"model.pt", *(f"eval/{p}" for p in files)}
        assert all(e.state is ll.ArtifactState.STORED for e in entries.values())
        assert entries["eval/big.bin"].digest == sha(files["big.bin"])
        assert entries["eval/metrics.csv"].media_type == "text/csv"
        assert [e.path for e in client.list_artifacts(run.id, "eval/plots")] == [
            "eval/plots/deep/x.json",
            "eval/plots/loss.svg",
        ]

        dest = client.download_artifacts(run.id, "eval", tmp_path / "dl")
        for rel, data in files.items():
            assert (dest / rel).read_bytes() == data
        one = client.download_artifacts(run.id, "eval/plots/deep/x.json", tmp_path / "one")
        assert one == tmp_path / "one" / "x.json" and one.read_bytes() == files["plots/deep/x.json"]
        assert not list((tmp_path / "dl").rglob("*.part"))

        with client.open_artifact(run.id, "eval/big.bin") as f:
            assert f.read(10) == files["big.bin"][:10]
            assert f.read() == files["big.bin"][10:]


def test_checkpoints_are_snapshotted_and_the_latest_is_findable(target, tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    with target.init(project="p") as run:
        for step in (100, 200, 300):
            ckpt.write_bytes(f"weights at {step}".encode())
            assert run.log_checkpoint(ckpt, step=step) == [f"checkpoints/step-{step}/ckpt.pt"]
            # overwritten in place right away: the snapshot taken at log time is what counts
    with target.client() as client:
        latest = client.latest_checkpoint(run.id)
        assert latest is not None and latest.step == 300
        for step in (100, 200, 300):
            path = f"checkpoints/step-{step}/ckpt.pt"
            with client.open_artifact(run.id, path) as f:
                assert f.read() == f"weights at {step}".encode()


def test_the_same_file_in_many_runs_is_stored_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    store = tmp_path / "store"
    data = tmp_path / "dataset.bin"
    data.write_bytes(os.urandom(3 * 2**20))
    run_ids = []
    for _ in range(10):
        with ll.init(project="p", tracking_uri=str(store)) as run:
            run.log_artifact(data)
        run_ids.append(run.id)
    blobs = [p for p in (store / "artifacts" / "sha256").rglob("*") if p.is_file()]
    assert [b.name for b in blobs] == [sha(data.read_bytes())]
    assert blobs[0].read_bytes() == data.read_bytes()
    with ll.Client(str(store)) as client:  # and every run's manifest points at it
        for run_id in run_ids:
            [entry] = client.list_artifacts(run_id)
            assert (entry.path, entry.digest, entry.state) == (
                "dataset.bin",
                blobs[0].name,
                ll.ArtifactState.STORED,
            )


def test_bad_paths_are_refused_at_the_call(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    with ll.init(project="p", tracking_uri=str(tmp_path / "store")) as run:
        with pytest.raises(InvalidArtifactPathError, match=r"\.\./up"):
            run.log_artifact(tmp_path / "f.txt", path="../up")
        with pytest.raises(ll.InvalidInputError, match="neither a file nor a folder"):
            run.log_artifact(tmp_path / "missing.txt")


def test_a_file_changed_before_its_upload_is_an_error_naming_it(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    f = tmp_path / "results.txt"
    f.write_text("first version")
    run = ll.init(project="p", tracking_uri=server.url)
    server.stop()  # uploads wait for the server
    run.log_artifact(f)
    f.write_text("changed before it could be uploaded")
    server.start()
    with pytest.raises(ArtifactChangedError, match="results.txt"):
        run.flush(timeout=60)
    run.finish()


def rot(server, data: bytes, rotten: bytes) -> None:
    """Bit rot on the server's disk: the blob of ``data`` now holds ``rotten``."""
    blobs = server.data_dir / "artifacts" / "sha256"
    blob = next(p for p in blobs.rglob("*") if p.is_file() and p.name == sha(data))
    blob.write_bytes(rotten)


def watch_destination(client, target: Path) -> list[bool]:  # type: ignore[no-untyped-def]
    """Record, for every chunk the transport hands the downloader, whether ``target``
    already exists: a download must write elsewhere until the digest has matched."""
    seen: list[bool] = []
    read = client.transport.artifacts.read_artifact

    @contextmanager
    def spy(run_id, entry):  # type: ignore[no-untyped-def]
        with read(run_id, entry) as chunks:

            def watched():  # type: ignore[no-untyped-def]
                for chunk in chunks:
                    seen.append(target.exists())
                    yield chunk
                seen.append(target.exists())  # after the last byte arrived, before the check

            yield watched()

    client.transport.artifacts.read_artifact = spy
    return seen


@pytest.mark.parametrize("size", [4000, PIPELINE_MIN + 123], ids=["small", "pipelined"])
def test_a_download_appears_at_its_destination_only_after_its_digest_matched(
    inprocess_http, tmp_path, monkeypatch, size
):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    good = os.urandom(size)
    (tmp_path / "w.bin").write_bytes(good)
    with inprocess_http.init(project="p") as run:
        run.log_artifact(tmp_path / "w.bin")
    with inprocess_http.client() as client:
        seen = watch_destination(client, tmp_path / "dl" / "w.bin")
        assert client.download_artifacts(run.id, "w.bin", tmp_path / "dl").read_bytes() == good
        assert seen and not any(seen)  # never at its name while bytes were still arriving

        rotten = bytearray(good)
        rotten[size // 2] ^= 1  # one bit flipped on the server's disk, same length
        rot(inprocess_http, good, bytes(rotten))
        seen = watch_destination(client, tmp_path / "dl2" / "w.bin")
        with pytest.raises(ArtifactCorruptedError, match="w.bin") as info:
            client.download_artifacts(run.id, "w.bin", tmp_path / "dl2")
        assert info.value.details["actual"] == sha(bytes(rotten))
        assert seen and not any(seen)
        assert list((tmp_path / "dl2").iterdir()) == []  # no file, no temporary file left
        # a good copy already at the destination is left as it was, not replaced
        with pytest.raises(ArtifactCorruptedError, match="w.bin"):
            client.download_artifacts(run.id, "w.bin", tmp_path / "dl")
        assert [p.name for p in (tmp_path / "dl").iterdir()] == ["w.bin"]
        assert (tmp_path / "dl" / "w.bin").read_bytes() == good


def test_a_corrupted_stream_raises_before_it_ends(inprocess_http, tmp_path, monkeypatch):
    """open_artifact verifies at the end: the bytes it returned before are unverified (the
    docs say so), and a consumer never sees a clean end of file, only the error."""
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    good = b"a,b\n" * 1000
    rotten = b"a,b\n" * 999 + b"a,c\n"
    (tmp_path / "table.csv").write_bytes(good)
    with inprocess_http.init(project="p") as run:
        run.log_artifact(tmp_path / "table.csv")
    rot(inprocess_http, good, rotten)
    with inprocess_http.client() as client:
        with client.open_artifact(run.id, "table.csv") as reader:
            handed_out = bytearray()
            ended_cleanly = False
            with pytest.raises(ArtifactCorruptedError, match="table.csv") as info:
                while chunk := reader.read(100):
                    handed_out += chunk
                ended_cleanly = True
            assert not ended_cleanly
            assert info.value.details["actual"] == sha(rotten)
            assert bytes(handed_out) == rotten[: len(handed_out)]
            # the error stays: reading on never turns it into an end of file
            with pytest.raises(ArtifactCorruptedError, match="table.csv"):
                reader.read(100)
        with client.open_artifact(run.id, "table.csv") as reader:
            with pytest.raises(ArtifactCorruptedError, match="table.csv"):
                reader.read()  # read whole: the error, not the bytes
            with pytest.raises(ArtifactCorruptedError, match="table.csv"):
                reader.read()
        with client.open_artifact(run.id, "table.csv") as reader:
            lines = []
            with pytest.raises(ArtifactCorruptedError, match="table.csv"):
                for line in reader:  # iterating ends in the error too
                    lines.append(line)
            assert len(lines) <= 1000


def test_a_corrupted_blob_in_a_folder_download_is_named_and_not_written(
    inprocess_http, tmp_path, monkeypatch
):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "good.txt").write_bytes(b"fine")
    (out / "sub" / "rotten.bin").write_bytes(b"R" * 5000)
    with inprocess_http.init(project="p") as run:
        run.log_artifact(out, path="res")
    blob = inprocess_http.data_dir / "artifacts" / "sha256"
    rotten = next(p for p in blob.rglob("*") if p.is_file() and p.name == sha(b"R" * 5000))
    rotten.write_bytes(b"R" * 4999 + b"r")
    with inprocess_http.client() as client:
        with pytest.raises(ArtifactCorruptedError, match="res/sub/rotten.bin"):
            client.download_artifacts(run.id, "res", tmp_path / "dl")
    assert not (tmp_path / "dl" / "sub" / "rotten.bin").exists()
    assert not list((tmp_path / "dl").rglob("*.part"))


def test_uploads_wait_out_an_outage_and_finish_waits_for_them(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    files = make_tree(tmp_path / "out")
    run = ll.init(project="p", tracking_uri=server.url)
    server.stop()
    run.log_artifact(tmp_path / "out")
    for step in range(100):
        run.log({"x": float(step)}, step=step)
    assert run.pending_artifacts == len(files)  # queued, waiting for the server
    server.start()
    run.finish(timeout=120)
    with ll.Client(server.url) as client:
        entries = {e.path: (e.digest, e.size, e.state) for e in client.list_artifacts(run.id)}
        assert entries == {
            rel: (sha(data), len(data), ll.ArtifactState.STORED) for rel, data in files.items()
        }
        dest = client.download_artifacts(run.id, "", tmp_path / "dl")
        for rel, data in files.items():
            assert (dest / rel).read_bytes() == data
        steps = np.arange(100)  # the points logged during the outage too
        check_run_history(client, run.id, {"x": Expected(steps, steps * 1.0)})
    assert not any((tmp_path / "spool").rglob("*.artifacts"))  # spool cleaned up


def test_uploads_left_by_a_finished_process_are_sent_by_sync(server, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    files = make_tree(tmp_path / "out")
    run = ll.init(project="p", tracking_uri=server.url)
    server.stop()
    run.log_artifact(tmp_path / "out", path="results")
    with pytest.raises((TimeoutError, ll.TransportError)):
        run.finish(timeout=1)
    assert any(spool.rglob("*.artifacts"))
    server.start()
    with ll.Client(server.url) as client:  # the server knows nothing of them yet
        assert client.list_artifacts(run.id) == []
    result = run_sync(spool, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{len(files)} artifact files" in result.stdout
    with ll.Client(server.url) as client:
        dest = client.download_artifacts(run.id, "results", tmp_path / "dl")
        for rel, data in files.items():
            assert (dest / rel).read_bytes() == data
    assert not any(spool.rglob("*.artifacts"))
    again = run_sync(spool, timeout=120)
    assert again.returncode == 0
    assert "0 artifact files" in again.stdout or "nothing to sync" in again.stdout


def test_a_server_on_s3_stores_and_serves_artifacts(
    s3_bucket, moto_endpoint, tmp_path, monkeypatch
):
    import boto3

    from tests.conftest import S3_ENV, ServerProcess

    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    env = {
        **S3_ENV,
        "LABLEDGER_ARTIFACT_URI": f"s3://{s3_bucket}/team-a",
        "LABLEDGER_S3_ENDPOINT_URL": moto_endpoint,
    }
    server = ServerProcess(data_dir, env=env)
    server.start()
    try:
        files = make_tree(tmp_path / "out")
        monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
        with ll.init(project="p", tracking_uri=server.url) as run:
            run.log_artifact(tmp_path / "out")
        with ll.Client(server.url) as client:
            dest = client.download_artifacts(run.id, "", tmp_path / "dl")
        for rel, data in files.items():
            assert (dest / rel).read_bytes() == data
        s3 = boto3.client("s3", endpoint_url=moto_endpoint)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]]
        expected = {f"team-a/sha256/{d[:2]}/{d[2:4]}/{d}" for d in map(sha, files.values())}
        assert set(keys) == expected  # content-addressed; no staging objects left behind
        assert not (data_dir / "artifacts").exists()
    finally:
        server.stop()
