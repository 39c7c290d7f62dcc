"""The artifact half of the spool: records survive the process, done ones are not resent."""

from __future__ import annotations

from pathlib import Path

from labledger.sdk.artifact_files import expand
from labledger.sdk.artifact_spool import ArtifactRecord, ArtifactSpool, pending_records
from labledger.sdk.spool import SpoolWriter, remove_writer_if_done


def record(n: int, source: str = "/x", copied: bool = False) -> ArtifactRecord:
    return ArtifactRecord(n, source, f"f{n}", 1, 0, "text/plain", None, copied)


def test_pending_records_are_those_not_marked_done(tmp_path: Path):
    spool = ArtifactSpool(tmp_path, "w1")
    first = spool.reserve(3)
    spool.append([record(first + i) for i in range(3)])
    spool.mark_done([record(1)])
    assert [r.n for r in pending_records(spool.records_path)] == [0, 2]
    again = ArtifactSpool(tmp_path, "w1")  # a new process on the same writer files
    assert again.reserve(1) == 3


def test_a_torn_last_record_is_ignored(tmp_path: Path):
    spool = ArtifactSpool(tmp_path, "w1")
    spool.append([record(0)])
    with open(spool.records_path, "a") as f:
        f.write('{"n": 1, "sou')  # the process died mid-write: that call never returned
    assert [r.n for r in pending_records(spool.records_path)] == [0]


def test_snapshots_are_removed_once_done(tmp_path: Path):
    src = tmp_path / "ckpt.pt"
    src.write_bytes(b"v1")
    spool = ArtifactSpool(tmp_path / "run", "w1")
    copy = spool.snapshot(0, src)
    src.write_bytes(b"v2")
    assert copy.read_bytes() == b"v1"
    spool.mark_done([record(0, str(copy), copied=True)])
    assert not copy.exists()


def test_writer_files_stay_while_artifacts_are_pending(tmp_path: Path):
    run_dir = tmp_path / "run"
    writer = SpoolWriter(run_dir, "w1", {"run_id": "r", "project": "p", "tracking_uri": "x"})
    spool = ArtifactSpool(run_dir, "w1")
    spool.append([record(0)])
    writer.close()  # no frames pending, but a file is
    assert (run_dir / "w1.json").exists()
    spool.mark_done([record(0)])
    assert remove_writer_if_done(run_dir / "w1.log")
    assert not run_dir.exists()


def test_expand_maps_files_and_folders_to_artifact_paths(tmp_path: Path):
    (tmp_path / "out" / "sub").mkdir(parents=True)
    (tmp_path / "out" / "b.txt").write_text("b")
    (tmp_path / "out" / "sub" / "a.txt").write_text("a")
    (tmp_path / "m.pt").write_text("m")
    assert [p for _, p in expand(tmp_path / "m.pt", None)] == ["m.pt"]
    assert [p for _, p in expand(tmp_path / "m.pt", "models/v1")] == ["models/v1/m.pt"]
    assert [p for _, p in expand(tmp_path / "out", None)] == ["b.txt", "sub/a.txt"]
    assert [p for _, p in expand(tmp_path / "out", "eval")] == ["eval/b.txt", "eval/sub/a.txt"]
