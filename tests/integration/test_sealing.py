"""Sealed runs on SQLite and PostgreSQL: the seal, what it refuses, annotations, writers,
and verification that names each part (or blob) changed behind the ledger's back."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from labledger.core.entities import (
    ArtifactEntry,
    Batch,
    DatasetRef,
    RunCreate,
    RunStatus,
    RunUpdate,
)
from labledger.core.errors import RunSealedError, RunStateError

DATA = b"model weights " * 1000


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def finished_run(tracker, **spec) -> str:
    run, _ = tracker.runs.create_run(RunCreate(project="p", **spec))
    metrics = {
        "loss": ([0, 1, 2], [10, 11, 12], [0.9, 0.5, float("nan")]),
        "acc": ([2], [12], [0.7]),
    }
    dataset = DatasetRef("train", "training", "file:///d/train.csv", sha(b"rows"), 4, rows=1)
    tracker.runs.log_batch(
        run.id,
        Batch(
            "w-0",
            metrics,
            {"lr": "0.1"},
            {"team": "vision"},
            environment={"git": {"commit": "a" * 40}, "python": {"version": "3.11.7"}},
            datasets=(dataset,),
        ),
    )
    entry = ArtifactEntry(path="model.bin", digest=sha(DATA), size=len(DATA))
    tracker.artifacts.declare(run.id, [entry])
    tracker.artifacts.put_blob(sha(DATA), [DATA])
    tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED, release=True))
    return run.id


def test_finishing_seals_the_run_and_verify_passes(tracker):
    run_id = finished_run(tracker)
    run = tracker.runs.get_run(run_id)
    assert run.status is RunStatus.FINISHED
    assert run.seal_hash is not None and len(run.seal_hash) == 64 and run.sealed_ms is not None
    result = tracker.provenance.verify_run(run_id)
    assert result.ok, result.problems
    assert result.blobs_checked == 1


def test_a_sealed_run_refuses_every_write_but_annotations(tracker):
    run_id = finished_run(tracker)
    refused = [
        lambda: tracker.runs.log_batch(run_id, Batch("w-1", {"x": ([5], [5], [1.0])}, {}, {})),
        lambda: tracker.runs.log_batch(run_id, Batch("w-2", {}, {"new": "1"}, {})),
        lambda: tracker.runs.log_batch(run_id, Batch("w-3", {}, {}, {"team": "nlp"})),
        lambda: tracker.runs.log_batch(run_id, Batch("w-4", {}, {}, {}, environment={"a": 1})),
        lambda: tracker.runs.update_run(run_id, RunUpdate(name="renamed")),
        lambda: tracker.runs.update_run(run_id, RunUpdate(status=RunStatus.FAILED)),
        lambda: tracker.runs.delete_tag(run_id, "team"),
        lambda: tracker.artifacts.declare(
            run_id, [ArtifactEntry(path="late.txt", digest=sha(b"late"), size=4)]
        ),
    ]
    for write in refused:
        with pytest.raises(RunSealedError) as info:
            write()
        assert info.value.error_code == "run_sealed" and info.value.http_status == 409
    # retries of what was already accepted are not errors
    assert tracker.runs.log_batch(run_id, Batch("w-0", {}, {}, {})).duplicate
    tracker.runs.update_run(run_id, RunUpdate(status=RunStatus.FINISHED))
    tracker.artifacts.declare(
        run_id, [ArtifactEntry(path="model.bin", digest=sha(DATA), size=len(DATA))]
    )
    # annotations and notes may change, and each change is recorded
    tracker.runs.log_batch(run_id, Batch("a-1", {}, {}, {"annotation.reviewed": "yes"}))
    tracker.runs.update_run(run_id, RunUpdate(notes="looked fine"))
    tracker.runs.delete_tag(run_id, "annotation.reviewed")
    run = tracker.runs.get_run(run_id)
    assert run.notes == "looked fine" and "annotation.reviewed" not in run.tags
    assert run.tags["team"] == "vision"
    changes = [
        (a["field"], a["old_value"], a["new_value"]) for a in tracker.provenance.annotations(run_id)
    ]
    assert changes == [
        ("tags.annotation.reviewed", None, "yes"),
        ("notes", None, "looked fine"),
        ("tags.annotation.reviewed", "yes", None),
    ]
    assert tracker.provenance.verify_run(run_id).ok  # annotations are outside the seal


def test_verify_names_a_changed_metric_row_param_row_and_blob(tracker):
    run_id = finished_run(tracker)
    other = finished_run(tracker, name="untouched")
    with tracker.db.engine.begin() as conn:
        pk = conn.execute(text("SELECT pk FROM runs WHERE id = :id"), {"id": run_id}).scalar()
        conn.execute(
            text("UPDATE metric_points SET value = 0.4 WHERE run_pk = :pk AND step = 1"),
            {"pk": pk},
        )
        conn.execute(
            text("UPDATE params SET value = '0.2' WHERE run_pk = :pk AND key = 'lr'"), {"pk": pk}
        )
    blob = tracker.blob_store.local_path(sha(DATA))
    assert blob is not None
    blob.write_bytes(DATA.replace(b"weights", b"WEIGHTS"))

    result = tracker.provenance.verify_run(run_id)
    assert not result.ok
    assert "history changed since the run was sealed" in result.problems
    assert "params changed since the run was sealed" in result.problems
    assert any(
        p.startswith("artifact model.bin: blob ") and "now hashes to" in p for p in result.problems
    )
    assert "metrics changed since the run was sealed" not in result.problems  # latest unchanged
    assert len(result.problems) == 3
    # the blob is shared: the other run's record is intact, its artifact is not
    [problem] = tracker.provenance.verify_run(other).problems  # the blob, and nothing else
    assert problem.startswith(f"artifact model.bin: blob {sha(DATA)} now hashes to"), problem
    assert tracker.provenance.verify_run(other, blobs=False).ok


def test_verify_finds_an_edited_seal_and_a_missing_blob(tracker):
    run_id = finished_run(tracker)
    with tracker.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE runs SET seal_hash = :h WHERE id = :id"), {"h": "0" * 64, "id": run_id}
        )
    tracker.blob_store.delete(sha(DATA))
    problems = tracker.provenance.verify_run(run_id).problems
    assert "the seal record itself was altered (its parts do not hash to it)" in problems
    assert any("is missing from the artifact store" in p for p in problems)


def test_failed_runs_stay_open_for_a_retry_and_can_be_sealed_explicitly(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", run_key="ci:abc:1:train"))
    tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FAILED, release=True))
    assert tracker.runs.get_run(run.id).seal_hash is None
    again, created = tracker.runs.create_run(RunCreate(project="p", run_key="ci:abc:1:train"))
    assert again.id == run.id and not created and again.status is RunStatus.RUNNING
    tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FAILED, release=True))
    sealed = tracker.runs.seal_run(run.id)
    assert sealed.seal_hash is not None and sealed.status is RunStatus.FAILED
    assert tracker.runs.seal_run(run.id).seal_hash == sealed.seal_hash  # idempotent
    running, _ = tracker.runs.create_run(RunCreate(project="p"))
    with pytest.raises(RunStateError):
        tracker.runs.seal_run(running.id)


def test_a_shared_run_ends_with_its_last_writer(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", run_key="shared"))
    tracker.runs.create_run(RunCreate(project="p", run_key="shared"))  # a second process
    done = tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED, release=True))
    assert done.status is RunStatus.RUNNING and done.seal_hash is None  # the other still writes
    tracker.runs.log_batch(run.id, Batch("b-0", {"x": ([0], [1], [1.0])}, {}, {}))
    last = tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED, release=True))
    assert last.status is RunStatus.FINISHED and last.seal_hash is not None


def test_a_run_killed_for_silence_comes_back_when_its_writer_speaks(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    assert tracker.runs.mark_silent_runs_killed(-60_000) == [run.id]  # every run is "silent"
    assert tracker.runs.get_run(run.id).status is RunStatus.KILLED
    tracker.runs.log_batch(run.id, Batch("late-0", {"x": ([0], [1], [1.0])}, {}, {}))
    back = tracker.runs.get_run(run.id)
    assert back.status is RunStatus.RUNNING and back.end_ms is None
    tracker.runs.mark_silent_runs_killed(-60_000)
    tracker.runs.heartbeat(run.id)
    assert tracker.runs.get_run(run.id).status is RunStatus.RUNNING


def test_the_seal_does_not_depend_on_the_database(tmp_path, pg_url):
    """The same record gives the same seal on SQLite and PostgreSQL."""
    from labledger.services.tracker import Tracker

    seals = []
    for uri in (f"sqlite:///{tmp_path / 'a.db'}", pg_url):
        t = Tracker.open(uri, artifact_uri=(tmp_path / "blobs").as_uri())
        try:
            fixed = "0" * 31 + "1"
            run, _ = t.runs.create_run(
                RunCreate(project="p", id=fixed, name="same", start_ms=1000, user="u")
            )
            t.runs.log_batch(
                fixed,
                Batch(
                    "w",
                    {"b": ([2, 1], [5, 4], [float("nan"), 2.5]), "a": ([0], [1], [1.0])},
                    {"k": "v"},
                    {},
                ),
            )
            t.runs.update_run(fixed, RunUpdate(status=RunStatus.FINISHED, end_ms=2000))
            seals.append(t.runs.get_run(fixed).seal_hash)
        finally:
            t.close()
    assert seals[0] is not None and seals[0] == seals[1]


def test_a_seal_interrupted_between_its_two_steps_refuses_writes_and_can_be_completed(tracker):
    """The end of a run stops writes first, then hashes the record outside the write
    transaction; a crash in between leaves a run that refuses writes and says so."""
    from labledger.services import sealing

    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    tracker.runs.log_batch(run.id, Batch("w", {"x": ([0], [1], [1.0])}, {}, {}))
    with tracker.db.engine.begin() as conn:  # what update_run does before it hashes
        pk = conn.execute(text("SELECT pk FROM runs WHERE id = :id"), {"id": run.id}).scalar()
        conn.execute(text("UPDATE runs SET status = 'finished' WHERE pk = :pk"), {"pk": pk})
        sealing.begin_seal(conn, pk, 1)
    with pytest.raises(RunSealedError):
        tracker.runs.log_batch(run.id, Batch("late", {"x": ([1], [2], [2.0])}, {}, {}))
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "sealing was interrupted" in problem and "labledger runs seal" in problem
    sealed = tracker.runs.seal_run(run.id)
    assert sealed.seal_hash is not None and tracker.provenance.verify_run(run.id).ok
