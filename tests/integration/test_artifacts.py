"""Artifact services on each database (SQLite, PostgreSQL) x each blob store (folder, S3)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from labledger.core.artifact_validation import parse_artifact_entries
from labledger.core.entities import ArtifactEntry, ArtifactState, RunCreate
from labledger.core.errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ChecksumMismatchError,
    ConflictError,
    InvalidArtifactPathError,
    InvalidInputError,
    UploadIncompleteError,
    UploadNotFoundError,
)
from labledger.core.limits import ARTIFACT_PART_SIZE


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_run(tracker) -> str:
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    return run.id


def entry(path: str, data: bytes, **kw) -> ArtifactEntry:
    return ArtifactEntry(path=path, digest=sha(data), size=len(data), **kw)


def blob_count(tracker) -> int:
    return sum(1 for _ in tracker.blob_store.iter_digests())


def read_all(tracker, digest: str) -> bytes:
    return b"".join(tracker.artifacts.read(digest))


def test_declare_then_upload_confirms_the_entry(artifact_tracker):
    t = artifact_tracker
    run_id = new_run(t)
    data = b"weights" * 100
    entries, missing = t.artifacts.declare(run_id, [entry("model.bin", data)])
    assert entries[0].state is ArtifactState.PENDING
    assert missing == [sha(data)]
    assert t.artifacts.list(run_id)[0].state is ArtifactState.PENDING
    with pytest.raises(ConflictError, match="pending"):
        t.artifacts.stored(run_id, "model.bin")

    t.artifacts.put_blob(sha(data), [data])

    [listed] = t.artifacts.list(run_id)
    assert (listed.path, listed.size, listed.state) == (
        "model.bin",
        len(data),
        ArtifactState.STORED,
    )
    assert read_all(t, sha(data)) == data
    assert b"".join(t.artifacts.read(sha(data), 7, 14)) == data[7:14]


def test_the_same_content_in_many_runs_is_stored_once(artifact_tracker):
    t = artifact_tracker
    data = os.urandom(5000)
    first = new_run(t)
    t.artifacts.declare(first, [entry("a.bin", data)])
    t.artifacts.put_blob(sha(data), [data])
    for i in range(5):
        run_id = new_run(t)
        entries, missing = t.artifacts.declare(run_id, [entry(f"copy{i}/a.bin", data)])
        assert missing == []  # nothing to send: the store has it
        assert entries[0].state is ArtifactState.STORED
    assert blob_count(t) == 1


def test_a_blob_whose_bytes_do_not_match_its_digest_is_refused(artifact_tracker):
    t = artifact_tracker
    run_id = new_run(t)
    good = b"the real bytes"
    t.artifacts.declare(run_id, [entry("x.txt", good)])
    with pytest.raises(ArtifactCorruptedError, match=sha(good)):
        t.artifacts.put_blob(sha(good), [b"other bytes"])
    assert blob_count(t) == 0
    assert t.artifacts.list(run_id)[0].state is ArtifactState.PENDING


def test_multipart_upload_resumes_with_the_parts_already_received(artifact_tracker):
    t = artifact_tracker
    data = os.urandom(2 * ARTIFACT_PART_SIZE + 1234)
    digest = sha(data)
    run_id = new_run(t)
    t.artifacts.declare(run_id, [entry("ckpt/model.pt", data, step=10)])

    def part(n: int) -> memoryview:
        return memoryview(data)[(n - 1) * ARTIFACT_PART_SIZE : n * ARTIFACT_PART_SIZE]

    session = t.artifacts.start_upload(digest, len(data))
    assert (session.part_count, session.parts, session.stored) == (3, [], False)
    t.artifacts.put_part(session.upload_id, 3, part(3), sha(part(3)))
    t.artifacts.put_part(session.upload_id, 1, part(1), sha(part(1)))
    with pytest.raises(UploadIncompleteError, match="lacks parts 2"):
        t.artifacts.complete_upload(session.upload_id)

    # a client that reconnects (or another process) finds the same session
    again = t.artifacts.start_upload(digest, len(data))
    assert again.upload_id == session.upload_id
    assert again.parts == [1, 3]
    assert again.missing_parts() == [2]
    t.artifacts.put_part(session.upload_id, 2, part(2), sha(part(2)))
    done = t.artifacts.complete_upload(session.upload_id)
    assert done.stored
    assert t.artifacts.get(run_id, "ckpt/model.pt").state is ArtifactState.STORED
    assert sha(read_all(t, digest)) == digest
    assert t.artifacts.start_upload(digest, len(data)).stored


def test_a_part_with_a_wrong_checksum_is_not_recorded(artifact_tracker):
    t = artifact_tracker
    data = os.urandom(ARTIFACT_PART_SIZE + 10)
    session = t.artifacts.start_upload(sha(data), len(data))
    tail = memoryview(data)[ARTIFACT_PART_SIZE:]
    with pytest.raises(ChecksumMismatchError, match="part 2"):
        t.artifacts.put_part(session.upload_id, 2, tail, sha(b"something else"))
    with pytest.raises(InvalidInputError, match="must be 10 bytes"):
        t.artifacts.put_part(session.upload_id, 2, tail[:5], sha(tail[:5]))
    with pytest.raises(InvalidInputError, match="part_number 3 is outside 1..2"):
        t.artifacts.put_part(session.upload_id, 3, tail, sha(tail))
    assert t.artifacts.get_upload(session.upload_id).parts == []


def test_an_upload_that_assembles_to_other_bytes_is_discarded_naming_the_path(artifact_tracker):
    t = artifact_tracker
    real = os.urandom(ARTIFACT_PART_SIZE + 100)
    fake = os.urandom(len(real))
    run_id = new_run(t)
    t.artifacts.declare(run_id, [entry("model.pt", real)])
    session = t.artifacts.start_upload(sha(real), len(real))
    for n in (1, 2):  # every part self-consistent, but they are not the declared content
        chunk = memoryview(fake)[(n - 1) * ARTIFACT_PART_SIZE : n * ARTIFACT_PART_SIZE]
        t.artifacts.put_part(session.upload_id, n, chunk, sha(chunk))
    with pytest.raises(ArtifactCorruptedError, match="model.pt") as info:
        t.artifacts.complete_upload(session.upload_id)
    assert info.value.details["paths"] == ["model.pt"]
    assert blob_count(t) == 0
    assert t.artifacts.get(run_id, "model.pt").state is ArtifactState.PENDING
    fresh = t.artifacts.start_upload(sha(real), len(real))  # a new session, from scratch
    assert fresh.upload_id != session.upload_id and fresh.parts == []


def test_listing_by_folder_and_latest_checkpoint(artifact_tracker):
    t = artifact_tracker
    run_id = new_run(t)
    d = b"x"
    t.artifacts.declare(
        run_id,
        [
            entry("eval/a.csv", d),
            entry("eval/sub/b.png", d),
            entry("evaluation.txt", d),  # shares the prefix "eval" but is not inside eval/
            entry("eval_%/c.txt", d),  # LIKE wildcards in a path are plain characters
            entry("checkpoints/step-100/m.pt", d, step=100),
            entry("checkpoints/step-300/m.pt", d, step=300),
            entry("checkpoints/step-200/m.pt", d, step=200),
        ],
    )
    assert [e.path for e in t.artifacts.list(run_id, "eval")] == ["eval/a.csv", "eval/sub/b.png"]
    assert [e.path for e in t.artifacts.list(run_id, "eval_%")] == ["eval_%/c.txt"]
    assert [e.path for e in t.artifacts.list(run_id, "eval/a.csv")] == ["eval/a.csv"]
    assert len(t.artifacts.list(run_id)) == 7
    t.artifacts.put_blob(sha(d), [d])
    latest = t.artifacts.latest_checkpoint(run_id)
    assert latest is not None and (latest.path, latest.step) == ("checkpoints/step-300/m.pt", 300)
    with pytest.raises(ArtifactNotFoundError, match="nope"):
        t.artifacts.get(run_id, "nope")


def test_logging_a_path_again_replaces_its_entry(artifact_tracker):
    t = artifact_tracker
    run_id = new_run(t)
    t.artifacts.declare(run_id, [entry("log.txt", b"v1")])
    t.artifacts.declare(run_id, [entry("log.txt", b"v2 longer")])
    [e] = t.artifacts.list(run_id)
    assert (e.digest, e.size) == (sha(b"v2 longer"), 9)


@pytest.mark.parametrize(
    "bad",
    [
        "/etc/passwd",
        "../up",
        "a/../../b",
        "a//b",
        "./a",
        "a/.",
        "nul\x00x",
        "c:\\w",
        "tab\there",
        "",
    ],
)
def test_bad_paths_are_refused_naming_them(bad):
    with pytest.raises(InvalidArtifactPathError) as info:
        parse_artifact_entries([{"path": bad, "digest": sha(b"x"), "size": 1}])
    assert info.value.details["path"] == bad
    assert info.value.details["field"] == "artifacts[0].path"


def test_deleting_a_run_drops_its_manifest_and_gc_frees_only_unreferenced_blobs(
    artifact_tracker,
):
    t = artifact_tracker
    shared, own = b"shared bytes", b"only in the deleted run"
    keep, drop = new_run(t), new_run(t)
    t.artifacts.declare(keep, [entry("s.bin", shared)])
    t.artifacts.declare(drop, [entry("s.bin", shared), entry("o.bin", own)])
    for data in (shared, own):
        t.artifacts.put_blob(sha(data), [data])
    assert blob_count(t) == 2

    t.runs.delete_run(drop)
    assert t.artifacts.gc(grace_ms=3_600_000).blobs_deleted == 0  # within the grace period
    dry = t.artifacts.gc(grace_ms=0, dry_run=True)
    assert (dry.blobs_deleted, dry.bytes_freed) == (1, len(own))
    assert blob_count(t) == 2

    report = t.artifacts.gc(grace_ms=0)
    assert report.digests == [sha(own)]
    assert blob_count(t) == 1
    assert read_all(t, sha(shared)) == shared  # still referenced by the kept run
    _, missing = t.artifacts.declare(keep, [entry("again.bin", own)])
    assert missing == [sha(own)]  # freed: it has to be uploaded again


def test_put_file_hashes_while_storing(artifact_tracker, tmp_path: Path):
    t = artifact_tracker
    path = tmp_path / "f.bin"
    data = os.urandom(ARTIFACT_PART_SIZE + 77)  # over one part: S3 goes multipart
    path.write_bytes(data)
    digest, size = t.artifacts.put_file(path)
    assert (digest, size) == (sha(data), len(data))
    assert t.artifacts.has_blob(digest)
    assert read_all(t, digest) == data


@pytest.mark.parametrize(
    "sizes",
    [[], [5], [ARTIFACT_PART_SIZE], [ARTIFACT_PART_SIZE, 1], [3, ARTIFACT_PART_SIZE * 2 + 5, 7]],
    ids=["empty", "small", "one-part", "one-part-and-a-byte", "several-parts-odd-chunks"],
)
def test_put_stream_hashes_content_of_unknown_digest_in_one_pass(artifact_tracker, sizes):
    t = artifact_tracker
    chunks = [os.urandom(n) for n in sizes]
    data = b"".join(chunks)
    digest, size = t.artifacts.put_stream(iter(chunks))
    assert (digest, size) == (sha(data), len(data))
    assert read_all(t, digest) == data
    assert t.artifacts.put_stream(iter(chunks)) == (digest, size)  # the same content again


def test_put_stream_publishes_nothing_when_the_stream_breaks(artifact_tracker):
    t = artifact_tracker
    head = os.urandom(ARTIFACT_PART_SIZE + 10)  # S3 has begun a multipart upload by then

    def broken():
        yield head
        raise ConnectionError("the client went away")

    before = blob_count(t)
    with pytest.raises(ConnectionError):
        t.artifacts.put_stream(broken())
    assert blob_count(t) == before
    assert not t.artifacts.has_blob(sha(head))


def test_gc_and_a_concurrent_upload_of_the_same_content_exclude_each_other(artifact_tracker):
    """GC deletes bytes only under its lease on the content; publishing takes (or respects)
    the same lease, so a re-upload racing a collection can never lose its bytes."""
    from labledger.core.errors import BlobStoreError
    from labledger.store import artifacts as repo

    t = artifact_tracker
    data = b"collected, then wanted again"
    run_id = new_run(t)
    t.artifacts.declare(run_id, [entry("x.bin", data)])
    t.artifacts.put_blob(sha(data), [data])
    t.runs.delete_run(run_id)  # unreferenced now

    # GC's first half: it holds the content and has forgotten the blob; until it has deleted
    # the bytes and let go, publishing waits (503, the SDK retries), and uploads too
    far_future = 2**62
    assert t.db.run_write(repo.lease_for_gc, sha(data), far_future, "g" * 32, 0)
    assert not t.artifacts.has_blob(sha(data))
    with pytest.raises(BlobStoreError, match="garbage-collected"):
        t.artifacts.put_blob(sha(data), [data])
    with pytest.raises(BlobStoreError, match="garbage-collected"):
        t.artifacts.put_blobs([(sha(data), memoryview(data))])
    with pytest.raises(BlobStoreError):
        t.artifacts.start_upload(sha(data), len(data))
    t.blob_store.delete(sha(data))  # GC's second half
    t.db.run_write(repo.release_leases, ["g" * 32])
    t.artifacts.put_blob(sha(data), [data])  # wanted again: stored again
    assert t.artifacts.has_blob(sha(data)) and blob_count(t) == 1

    # a publisher holds it: GC leaves it alone, however old and unreferenced it is
    t.db.run_write(repo.take_lease, "p" * 32, sha(data), repo.LEASE_PUT, 0)
    assert t.artifacts.gc(grace_ms=0).blobs_deleted == 0
    assert t.artifacts.has_blob(sha(data)) and blob_count(t) == 1
    t.db.run_write(repo.release_leases, ["p" * 32])
    assert t.artifacts.gc(grace_ms=0).digests == [sha(data)]
    assert blob_count(t) == 0
    with pytest.raises(UploadNotFoundError):  # leases are not upload sessions
        t.artifacts.get_upload("p" * 32)


def test_leases_left_by_a_crashed_server_are_cleared_by_gc(artifact_tracker):
    from labledger.store import artifacts as repo

    t = artifact_tracker
    t.db.run_write(repo.take_lease, "c" * 32, sha(b"orphan"), repo.LEASE_PUT, 0)  # long ago
    assert t.artifacts.gc(grace_ms=0).uploads_aborted == 1
    session = t.artifacts.start_upload(sha(b"orphan"), 6)  # the content is free again
    assert session.upload_id is not None
