"""RunService on SQLite and PostgreSQL: creation, idempotency, params, tags, state."""

from __future__ import annotations

import math
import threading

import pytest

from labledger.core.entities import Batch, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import (
    InvalidInputError,
    LimitExceededError,
    ParamConflictError,
    RunNotFoundError,
)
from labledger.core.ids import is_valid_id, new_id


def test_create_run_returns_running_run_with_params_and_tags(tracker):
    run, created = tracker.runs.create_run(
        RunCreate(project="mnist", name="base", user="ada", params={"lr": "0.001"}, tags={"t": "v"})
    )
    assert created
    assert is_valid_id(run.id)
    assert (run.project, run.name, run.status, run.user) == (
        "mnist",
        "base",
        RunStatus.RUNNING,
        "ada",
    )
    assert run.params == {"lr": "0.001"} and run.tags == {"t": "v"}
    assert tracker.runs.get_run(run.id) == run


def test_create_run_with_same_run_key_resumes_instead_of_duplicating(tracker):
    first, created1 = tracker.runs.create_run(RunCreate(project="ci", run_key="abc-42"))
    second, created2 = tracker.runs.create_run(RunCreate(project="ci", run_key="abc-42"))
    other, _ = tracker.runs.create_run(RunCreate(project="other", run_key="abc-42"))
    assert (created1, created2) == (True, False)
    assert second.id == first.id
    assert other.id != first.id  # keys are per project
    page = tracker.search.search_runs("ci")
    assert [r.id for r in page.runs] == [first.id]


def test_create_run_with_same_client_id_is_idempotent(tracker):
    rid = new_id()
    a, created_a = tracker.runs.create_run(RunCreate(project="p", id=rid, name="x"))
    b, created_b = tracker.runs.create_run(RunCreate(project="p", id=rid, name="x"))
    assert a.id == b.id == rid and created_a and not created_b


def test_racing_creates_with_one_run_key_give_one_run(tracker):
    ids: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            ids.append(tracker.runs.create_run(RunCreate(project="race", run_key="k"))[0].id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 1
    assert len(tracker.search.search_runs("race").runs) == 1


def test_params_are_write_once_and_conflict_names_the_key(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "0.1"}))
    tracker.runs.log_batch(run.id, Batch(None, {}, {"lr": "0.1", "bs": "32"}, {}))
    with pytest.raises(ParamConflictError) as info:
        tracker.runs.log_batch(run.id, Batch(None, {}, {"lr": "0.2"}, {}))
    assert "lr" in info.value.message and info.value.http_status == 409
    assert tracker.runs.get_run(run.id).params == {"lr": "0.1", "bs": "32"}


def test_batch_with_conflicting_param_writes_nothing(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", params={"lr": "0.1"}))
    bad = Batch("b1", {"loss": ([0, 1], [1, 2], [1.0, 2.0])}, {"lr": "0.5"}, {"new": "tag"})
    with pytest.raises(ParamConflictError):
        tracker.runs.log_batch(run.id, bad)
    stored = tracker.runs.get_run(run.id)
    assert stored.metrics == {} and stored.tags == {}
    # the batch id was not consumed either: a corrected retry with the same id is stored
    fixed = Batch("b1", {"loss": ([0, 1], [1, 2], [1.0, 2.0])}, {"lr": "0.1"}, {})
    assert tracker.runs.log_batch(run.id, fixed).points == 2
    got = tracker.search.get_metric_history(run.id, "loss")
    assert (got.steps, got.timestamps, got.values) == ([0, 1], [1, 2], [1.0, 2.0])


def test_repeated_batch_id_is_stored_once(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    batch = Batch("w-0", {"loss": ([0, 1, 2], [5, 6, 7], [3.0, 2.0, 1.0])}, {}, {})
    assert tracker.runs.log_batch(run.id, batch).duplicate is False
    again = tracker.runs.log_batch(run.id, batch)
    assert again.duplicate is True and again.points == 0
    got = tracker.search.get_metric_history(run.id, "loss")  # each point once, as sent
    assert (got.steps, got.timestamps, got.values) == ([0, 1, 2], [5, 6, 7], [3.0, 2.0, 1.0])
    assert got.total_points == 3 and not got.downsampled


def test_tags_are_mutable_and_deletable(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", tags={"a": "1", "b": "2"}))
    tracker.runs.log_batch(run.id, Batch(None, {}, {}, {"a": "changed"}))
    tracker.runs.delete_tag(run.id, "b")
    assert tracker.runs.get_run(run.id).tags == {"a": "changed"}


def test_latest_metric_is_highest_step_and_keeps_nan_and_infinity(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    tracker.runs.log_batch(
        run.id,
        Batch(
            None,
            {
                "loss": ([5, 1], [10, 11], [0.5, 9.0]),
                "nan": ([0], [1], [math.nan]),
                "inf": ([0], [1], [-math.inf]),
            },
            {},
            {},
        ),
    )
    # an older step arriving later does not replace the latest value
    tracker.runs.log_batch(run.id, Batch(None, {"loss": ([3], [12], [7.0])}, {}, {}))
    metrics = tracker.runs.get_run(run.id).metrics
    assert metrics["loss"] == 0.5
    assert math.isnan(metrics["nan"]) and metrics["inf"] == -math.inf


def test_finishing_sets_status_and_end_time(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p", start_ms=1_000))
    done = tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FAILED, end_ms=5_000))
    assert done.status is RunStatus.FAILED and done.duration_ms == 4_000
    auto = tracker.runs.update_run(
        tracker.runs.create_run(RunCreate(project="p"))[0].id, RunUpdate(status=RunStatus.FINISHED)
    )
    assert auto.end_ms is not None


def test_nested_runs_record_their_parent_and_unknown_parent_is_refused(tracker):
    parent, _ = tracker.runs.create_run(RunCreate(project="p", group="sweep"))
    child, _ = tracker.runs.create_run(RunCreate(project="p", parent_id=parent.id, group="sweep"))
    assert child.parent_id == parent.id and child.group == "sweep"
    with pytest.raises(RunNotFoundError):
        tracker.runs.create_run(RunCreate(project="p", parent_id=new_id()))


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (RunCreate(project=""), "project"),
        (RunCreate(project="has space"), "project"),
        (RunCreate(project="p" * 251), "project"),
        (RunCreate(project="p", name="n" * 251), "name"),
        (RunCreate(project="p", id="not-hex"), "id"),
        (RunCreate(project="p", run_key="k" * 501), "run_key"),
        (RunCreate(project="p", params={"k": "v" * 6001}), "params.k"),
        (RunCreate(project="p", tags={"bad\nkey": "v"}), "tags key"),
    ],
)
def test_invalid_run_creation_names_the_field_and_writes_nothing(tracker, spec, field):
    with pytest.raises(InvalidInputError) as info:
        tracker.runs.create_run(spec)
    assert info.value.details.get("field") == field
    assert tracker.search.list_projects() == []


def test_limit_errors_carry_the_limit(tracker):
    with pytest.raises(LimitExceededError) as info:
        tracker.runs.create_run(RunCreate(project="p", name="n" * 300))
    assert info.value.details["limit"] == 250


def test_unknown_run_is_not_found(tracker):
    with pytest.raises(RunNotFoundError):
        tracker.runs.get_run(new_id())
    with pytest.raises(RunNotFoundError):
        tracker.runs.log_batch(new_id(), Batch(None, {}, {"a": "b"}, {}))


def test_long_history_downsampled_keeps_first_last_and_extremes(tracker):
    run, _ = tracker.runs.create_run(RunCreate(project="p"))
    n = 50_000
    values = [float(i % 1000) / 1000 for i in range(n)]
    values[31_337] = 99.0  # a spike
    values[40_000] = -5.0  # a dip
    values[100] = math.nan
    steps = list(range(n))
    tracker.runs.log_batch(run.id, Batch(None, {"m": (steps, [7] * n, values)}, {}, {}))
    got = tracker.search.get_metric_history(run.id, "m", max_points=500)
    assert got.downsampled and got.total_points == n and len(got.steps) <= 500
    assert got.steps[0] == 0 and got.steps[-1] == n - 1
    assert got.steps == sorted(got.steps)
    pairs = dict(zip(got.steps, got.values, strict=True))
    assert pairs[31_337] == 99.0 and pairs[40_000] == -5.0
    assert all(pairs[s] == values[s] for s in got.steps if not math.isnan(values[s]))
    zoom = tracker.search.get_metric_history(
        run.id, "m", max_points=500, start_step=31_000, end_step=31_999
    )
    assert zoom.steps[0] == 31_000 and zoom.steps[-1] == 31_999 and 99.0 in zoom.values
