"""Sealed means sealed, on SQLite and PostgreSQL: a sealed run's manifest cannot change in any
field; deleting a run leaves a tombstone and rewrites no other run; a missing or removed seal
is a finding, never silence; an interrupted seal is completed only over an unchanged record;
a run never ends before it starts."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text

from labledger.core.entities import (
    ArtifactEntry,
    ArtifactState,
    Batch,
    RunCreate,
    RunStatus,
    RunUpdate,
)
from labledger.core.errors import (
    InvalidInputError,
    RecordChangedError,
    RunDeletedError,
    RunNotFoundError,
    RunSealedError,
)

FIN = RunUpdate(status=RunStatus.FINISHED)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry(path: str, data: bytes, **fields) -> ArtifactEntry:  # type: ignore[no-untyped-def]
    values = {"media_type": "application/octet-stream", "mtime_ms": 5, "step": None, **fields}
    return ArtifactEntry(
        path=path,
        digest=values.pop("digest", sha(data)),
        size=values.pop("size", len(data)),
        state=ArtifactState.PENDING,
        created_ms=0,
        **values,
    )


def sealed_run_with_artifact(tracker):  # type: ignore[no-untyped-def]
    run, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "0.1"}))
    tracker.runs.log_batch(run.id, Batch("b1", {"loss": ([0, 1], [10, 11], [1.0, 0.5])}, {}, {}))
    tracker.artifacts.declare(run.id, [entry("ckpt/model.pt", b"weights", step=7)])
    tracker.artifacts.put_blob(sha(b"weights"), [b"weights"])
    tracker.runs.update_run(run.id, FIN)
    assert tracker.runs.get_run(run.id).seal_hash is not None
    return run


def execute(tracker, sql: str, **params):  # type: ignore[no-untyped-def]
    with tracker.db.engine.begin() as conn:
        return conn.execute(text(sql), params)


def pk_of(tracker, run_id: str) -> int:  # type: ignore[no-untyped-def]
    return int(execute(tracker, "SELECT pk FROM runs WHERE id = :id", id=run_id).scalar())


def manifest_rows(tracker, run_id: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    rows = execute(
        tracker,
        "SELECT path, digest, size, media_type, mtime_ms, step, state, created_ms "
        "FROM artifacts WHERE run_pk = :pk ORDER BY path",
        pk=pk_of(tracker, run_id),
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(
    "change",
    [
        {"step": 8},
        {"step": None},
        {"media_type": "text/plain"},
        {"mtime_ms": 6},
        {"size": 99},
        {"digest": "b" * 64},
    ],
)
def test_a_sealed_manifest_cannot_change_in_any_field(tracker, change):
    run = sealed_run_with_artifact(tracker)
    before = manifest_rows(tracker, run.id)
    with pytest.raises(RunSealedError):
        tracker.artifacts.declare(
            run.id, [entry("ckpt/model.pt", b"weights", **{"step": 7, **change})]
        )
    assert manifest_rows(tracker, run.id) == before
    assert tracker.artifacts.latest_checkpoint(run.id).step == 7
    assert tracker.provenance.verify_run(run.id).ok


def test_declaring_exactly_what_a_sealed_run_holds_is_a_retry_that_writes_nothing(tracker):
    run = sealed_run_with_artifact(tracker)
    before = manifest_rows(tracker, run.id)
    held, missing = tracker.artifacts.declare(run.id, [entry("ckpt/model.pt", b"weights", step=7)])
    assert [(e.path, e.step, e.state) for e in held] == [("ckpt/model.pt", 7, ArtifactState.STORED)]
    assert missing == []
    assert manifest_rows(tracker, run.id) == before  # not even created_ms moved


def test_a_manifest_field_edited_in_the_database_is_named_by_verify(tracker):
    run = sealed_run_with_artifact(tracker)
    execute(
        tracker, "UPDATE artifacts SET step = 9000 WHERE run_pk = :pk", pk=pk_of(tracker, run.id)
    )
    assert tracker.provenance.verify_run(run.id).problems == [
        "artifacts changed since the run was sealed"
    ]


def test_a_version_1_seal_still_verifies(tracker):
    """Seals made before every manifest field was covered keep verifying by their rules."""
    from labledger.services import sealing

    run = sealed_run_with_artifact(tracker)
    pk = pk_of(tracker, run.id)
    with tracker.db.engine.begin() as conn:
        parts = sealing.record_parts(conn, pk, version=1)
        digest = sealing.seal_hash_of(1, parts)
        from labledger.store import seals

        seals.save_seal(conn, pk, digest, 1, parts)
    result = tracker.provenance.verify_run(run.id)
    assert result.ok and result.seal_hash == digest
    execute(tracker, "UPDATE artifacts SET size = 1 WHERE run_pk = :pk", pk=pk)
    problems = tracker.provenance.verify_run(run.id).problems
    assert problems[0] == "artifacts changed since the run was sealed"
    assert "has 7 bytes, the manifest says 1" in problems[1]


def test_an_entry_may_not_claim_another_size_than_its_content(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    tracker.artifacts.put_blob(sha(b"12345"), [b"12345"])
    with pytest.raises(InvalidInputError) as err:
        tracker.artifacts.declare(run.id, [entry("a.bin", b"12345", size=4)])
    assert err.value.details["field"] == "artifacts[0].size" and err.value.details["size"] == 5
    # an upload in progress fixes the size too
    big = sha(b"big")
    tracker.artifacts.start_upload(big, 40 * 2**20)
    with pytest.raises(InvalidInputError):
        tracker.artifacts.declare(run.id, [entry("b.bin", b"big", digest=big, size=3)])
    assert tracker.artifacts.list(run.id) == []


def test_a_pending_entry_with_a_wrong_size_never_becomes_stored(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    tracker.artifacts.declare(
        run.id, [entry("right.bin", b"abc"), entry("wrong.bin", b"abc", size=10)]
    )
    tracker.artifacts.put_blob(sha(b"abc"), [b"abc"])
    states = {e.path: e.state for e in tracker.artifacts.list(run.id)}
    assert states == {"right.bin": ArtifactState.STORED, "wrong.bin": ArtifactState.PENDING}


@pytest.mark.parametrize(
    "media_type", ["text/plain\r", "text/plain\r\nX-Evil: 1", "text/plain;", "a/b; c"]
)
def test_media_types_that_could_split_a_header_are_refused(tracker, media_type):
    from labledger.core.artifact_validation import parse_artifact_entries

    with pytest.raises(InvalidInputError) as err:
        parse_artifact_entries(
            [{"path": "a", "digest": "a" * 64, "size": 1, "media_type": media_type}]
        )
    assert err.value.details["field"] == "artifacts[0].media_type"


# -- deletion ----------------------------------------------------------------------------------
def test_deleting_a_sealed_run_leaves_a_tombstone_that_verify_reports(tracker):
    run = sealed_run_with_artifact(tracker)
    seal = tracker.runs.get_run(run.id).seal_hash
    tracker.runs.delete_run(run.id, reason="GDPR request 17")
    with pytest.raises(RunNotFoundError):
        tracker.runs.get_run(run.id)
    ids = tracker.provenance.list_sealed_runs(None, None, 100).run_ids
    assert ids == [run.id]
    result = tracker.provenance.verify_run(run.id).to_dict()
    assert result["ok"] and result["seal_hash"] == seal
    assert result["deleted"]["reason"] == "GDPR request 17"
    assert result["deleted"]["project"] == "p" and result["deleted"]["status"] == "finished"
    # the id is never used again, whoever asks
    with pytest.raises(RunDeletedError) as err:
        tracker.runs.create_run(RunCreate(project="p", id=run.id))
    assert err.value.details["field"] == "id"
    with pytest.raises(RunDeletedError):
        tracker.runs.create_run(RunCreate(project="other", id=run.id))


def test_deleting_a_parent_rewrites_none_of_its_sealed_children(tracker):
    parent, _ = tracker.runs.create_run(RunCreate(project="p"))
    children = [
        tracker.runs.create_run(RunCreate(project="p", parent_id=parent.id))[0] for _ in range(3)
    ]
    for child in children:
        tracker.runs.update_run(child.id, FIN)
    seals = {c.id: tracker.runs.get_run(c.id).seal_hash for c in children}
    tracker.runs.delete_run(parent.id)
    for child in children:
        after = tracker.runs.get_run(child.id)
        assert after.parent_id == parent.id and after.seal_hash == seals[child.id]
        assert tracker.provenance.verify_run(child.id).ok


# -- seals that are missing, removed or interrupted ---------------------------------------------
def test_a_tampered_run_cannot_be_laundered_by_removing_its_seal_hash(tracker):
    run = sealed_run_with_artifact(tracker)
    execute(
        tracker, "UPDATE params SET value = '0.9' WHERE run_pk = :pk", pk=pk_of(tracker, run.id)
    )
    execute(tracker, "UPDATE runs SET seal_hash = NULL WHERE id = :id", id=run.id)
    ids = tracker.provenance.list_sealed_runs(None, None, 100).run_ids
    assert ids == [run.id]  # still visited by verify --all
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "seal hash was removed" in problem and "params changed" in problem
    with pytest.raises(RecordChangedError):
        tracker.runs.seal_run(run.id)
    assert tracker.runs.get_run(run.id).seal_hash is None
    assert not tracker.provenance.verify_run(run.id).ok


def test_a_finished_run_never_sealed_is_a_finding(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    execute(
        tracker, "UPDATE runs SET status = 'finished', end_ms = start_ms WHERE id = :id", id=run.id
    )
    assert tracker.provenance.list_sealed_runs(None, None, 100).run_ids == [run.id]
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "finished but was never sealed" in problem


def test_a_failed_run_never_sealed_is_listed_but_not_a_difference(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FAILED))
    assert tracker.provenance.list_sealed_runs(None, None, 100).run_ids == [run.id]
    result = tracker.provenance.verify_run(run.id)
    assert result.ok and result.seal_hash is None and result.status == "failed"


def interrupt_end(tracker, run_id: str) -> int:  # type: ignore[no-untyped-def]
    """What update_run does before it hashes, then a crash."""
    from labledger.services import sealing

    pk = pk_of(tracker, run_id)
    with tracker.db.engine.begin() as conn:
        conn.execute(text("UPDATE runs SET status = 'finished' WHERE pk = :pk"), {"pk": pk})
        sealing.begin_seal(conn, pk, 1)
    return pk


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE params SET value = '0.9' WHERE run_pk = :pk",
        "UPDATE metric_points SET value = 7.0 WHERE run_pk = :pk AND step = 1",
        "UPDATE metric_points SET step = 5 WHERE run_pk = :pk AND step = 1",
        "DELETE FROM metric_points WHERE run_pk = :pk AND step = 0",
        "UPDATE artifacts SET step = 1 WHERE run_pk = :pk",
        "UPDATE runs SET name = 'other' WHERE pk = :pk",
    ],
)
def test_an_interrupted_seal_is_not_completed_over_a_changed_record(tracker, edit):
    run, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "0.1"}))
    tracker.runs.log_batch(run.id, Batch("b", {"loss": ([0, 1], [10, 11], [1.0, 0.5])}, {}, {}))
    tracker.artifacts.declare(run.id, [entry("m.pt", b"w", step=3)])
    pk = interrupt_end(tracker, run.id)
    execute(tracker, edit, pk=pk)
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "changed since the run ended" in problem
    with pytest.raises(RecordChangedError) as err:
        tracker.runs.seal_run(run.id)
    assert err.value.details["changed"]
    assert tracker.runs.get_run(run.id).seal_hash is None


def test_an_interrupted_seal_over_an_unchanged_record_is_completed(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "0.1"}))
    tracker.runs.log_batch(
        run.id, Batch("b", {"loss": ([0, 1], [10, 11], [1.0, float("nan")])}, {}, {})
    )
    interrupt_end(tracker, run.id)
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "still matches what it held when it ended" in problem
    assert tracker.runs.seal_run(run.id).seal_hash is not None
    assert tracker.provenance.verify_run(run.id).ok


def test_an_interrupted_seal_with_no_record_of_the_end_is_never_completed(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    pk = interrupt_end(tracker, run.id)
    execute(tracker, "DELETE FROM run_seals WHERE run_pk = :pk", pk=pk)
    [problem] = tracker.provenance.verify_run(run.id).problems
    assert "no record of what it held" in problem
    with pytest.raises(RecordChangedError):
        tracker.runs.seal_run(run.id)


# -- times -------------------------------------------------------------------------------------
def test_a_run_never_ends_before_it_starts(tracker):
    from labledger.core.ids import now_ms

    run, _ = tracker.runs.create_run(RunCreate(project="p", start_ms=5_000))
    with pytest.raises(InvalidInputError) as err:
        tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED, end_ms=4_999))
    assert err.value.details["field"] == "end_ms"
    assert tracker.runs.get_run(run.id).status is RunStatus.RUNNING
    # a start the client put in the future: ending now stamps the start, not an earlier time
    future = now_ms() + 3_600_000
    later, _ = tracker.runs.create_run(RunCreate(project="p", start_ms=future))
    ended = tracker.runs.update_run(later.id, RunUpdate(status=RunStatus.FAILED))
    assert ended.end_ms == future and ended.duration_ms == 0
    # the reaper ends a silent run at its last heartbeat, or at its start if that is later
    silent, _ = tracker.runs.create_run(RunCreate(project="p", start_ms=future))
    execute(tracker, "UPDATE runs SET heartbeat_ms = 1 WHERE id = :id", id=silent.id)
    assert silent.id in tracker.runs.mark_silent_runs_killed(0)
    assert tracker.runs.get_run(silent.id).end_ms == future


def test_verify_all_on_the_command_line_reports_every_kind(tmp_path):
    """`labledger verify --all` exits 1 on a laundered run and lists deleted and unsealed runs."""
    from click.testing import CliRunner

    from labledger.cli.main import cli
    from labledger.services.tracker import Tracker

    store = tmp_path / "store"
    store.mkdir()
    t = Tracker.open(f"sqlite:///{store / 'labledger.db'}")
    try:
        good = sealed_run_with_artifact(t)
        gone = sealed_run_with_artifact(t)
        t.runs.delete_run(gone.id, reason="mistake")
        failed, _ = t.runs.create_run(RunCreate(project="p"))
        t.runs.update_run(failed.id, RunUpdate(status=RunStatus.FAILED))
        result = CliRunner().invoke(cli, ["verify", "--all", "--tracking-uri", str(store)])
        assert result.exit_code == 0, result.output
        assert f"ok      {good.id}" in result.output
        assert (
            f"deleted {gone.id}  p, finished, deleted" in result.output
            and "mistake" in result.output
        )
        assert f"unsealed {failed.id}  ended failed" in result.output
        execute(t, "UPDATE runs SET seal_hash = NULL WHERE id = :id", id=good.id)
        result = CliRunner().invoke(cli, ["verify", "--all", "--tracking-uri", str(store)])
        assert result.exit_code == 1 and f"FAILED  {good.id}" in result.output
        assert "seal hash was removed" in result.output
        as_json = CliRunner().invoke(
            cli, ["verify", gone.id, "--json", "--tracking-uri", str(store)]
        )
        assert json.loads(as_json.output)["deleted"]["reason"] == "mistake"
    finally:
        t.close()


def test_a_content_being_written_does_not_make_its_declaration_fail(tracker):
    """A lease row (a blob being published right now) carries no size: declaring that
    content meanwhile is accepted (found by concurrent uploads of one folder)."""
    from labledger.store import artifacts as repo

    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    with tracker.db.engine.begin() as conn:
        assert repo.take_lease(conn, "f" * 32, sha(b"12345"), repo.LEASE_PUT, 1)
    held, missing = tracker.artifacts.declare(run.id, [entry("a.bin", b"12345")])
    assert [e.size for e in held] == [5] and missing == [sha(b"12345")]
