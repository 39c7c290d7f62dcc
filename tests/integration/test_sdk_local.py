"""The SDK against the embedded store (a folder): the user's first five minutes."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import labledger as ll
from labledger.core.errors import InvalidInputError, ParamConflictError, RunStateError
from tests.histories import Expected, check_run_history


def run_script(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_issue_example_logs_and_searches(tmp_path):
    uri = str(tmp_path / "store")
    run = ll.init(
        project="mnist",
        name="baseline",
        tracking_uri=uri,
        config={"lr": 1e-3, "optimizer": {"name": "adam", "betas": [0.9, 0.999]}},
        tags={"team": "vision"},
    )
    for step in range(2000):
        run.log({"loss": 1 / (step + 1), "acc": step / 2000}, step=step)
    run.finish()
    client = ll.Client(uri)
    runs = client.search_runs(
        project="mnist",
        filter="metrics.acc > 0.9 and (params.optimizer.name = 'adam' or tags.team = 'vision')",
        order_by=["metrics.acc desc"],
        limit=100,
    )
    assert [r.id for r in runs] == [run.id]
    found = runs[0]
    assert found.status is ll.RunStatus.FINISHED and found.end_ms is not None
    assert found.params == {
        "lr": "0.001",
        "optimizer.name": "adam",
        "optimizer.betas": "[0.9, 0.999]",
    }
    assert found.metrics == {"loss": 1 / 2000, "acc": 1999 / 2000}
    history = client.get_metric_history(run.id, "loss", max_points=100)
    assert history.total_points == 2000 and len(history) <= 100 and history.downsampled
    steps = np.arange(2000)
    logged = {"loss": Expected(steps, 1 / (steps + 1)), "acc": Expected(steps, steps / 2000)}
    check_run_history(client, run.id, logged)  # both keys, every point, as logged
    full = client.get_metric_history(run.id, "loss")
    assert full[3].value == 0.25 and full[3].step == 3 and full[3].timestamp > 0
    assert not (tmp_path / "store" / "spool" / run.id).exists()  # acknowledged and cleaned


def test_steps_default_to_one_past_the_last(tmp_path):
    with ll.init(project="p", tracking_uri=str(tmp_path)) as run:
        run.log({"a": 1.0})
        run.log({"a": 2.0})
        run.log({"a": 3.0}, step=10)
        run.log({"a": 4.0})
    steps = ll.Client(str(tmp_path)).get_metric_history(run.id, "a").steps.tolist()
    assert steps == [0, 1, 10, 11]


def test_non_finite_values_round_trip(tmp_path):
    with ll.init(project="p", tracking_uri=str(tmp_path)) as run:
        run.log({"x": math.nan}, step=0)
        run.log({"x": math.inf}, step=1)
        run.log({"x": "-Infinity"}, step=2)
    values = ll.Client(str(tmp_path)).get_metric_history(run.id, "x").values
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf


def test_exception_in_with_block_marks_run_failed(tmp_path):
    with pytest.raises(ZeroDivisionError), ll.init(project="p", tracking_uri=str(tmp_path)) as run:
        run.log({"a": 1.0})
        _ = 1 / 0
    stored = ll.Client(str(tmp_path)).get_run(run.id)
    assert stored.status is ll.RunStatus.FAILED and stored.metrics == {"a": 1.0}


def test_bad_log_input_raises_immediately_naming_the_key(tmp_path):
    run = ll.init(project="p", tracking_uri=str(tmp_path))
    with pytest.raises(InvalidInputError, match="acc"):
        run.log({"acc": "high"})
    with pytest.raises(InvalidInputError, match="flag"):
        run.log({"flag": True})
    with pytest.raises(InvalidInputError, match="key"):
        run.log({"k" * 300: 1.0})
    with pytest.raises(InvalidInputError, match="step"):
        run.log({"a": 1.0}, step=1.5)  # type: ignore[arg-type]
    run.log({"ok": 1})  # ints are fine
    with pytest.raises(ParamConflictError, match="lr"):
        run.log_params({"lr": 0.1})
        run.log_params({"lr": 0.2})
    run.finish()
    assert ll.Client(str(tmp_path)).get_run(run.id).metrics == {"ok": 1.0}
    with pytest.raises(RunStateError):
        run.log({"late": 1.0})


def test_numpy_scalars_are_accepted(tmp_path):
    with ll.init(project="p", tracking_uri=str(tmp_path)) as run:
        run.log({"a": np.float32(0.5), "b": np.int64(3)})
    assert ll.Client(str(tmp_path)).get_run(run.id).metrics == {"a": 0.5, "b": 3.0}


def test_fluent_api_acts_on_the_active_run(tmp_path):
    run = ll.init(project="p", tracking_uri=str(tmp_path))
    assert ll.active_run() is run
    ll.log({"loss": 0.5}, step=1)
    ll.log_params({"opt": {"name": "sgd"}})
    ll.set_tag("stage", "dev")
    ll.finish()
    assert ll.active_run() is None
    stored = ll.Client(str(tmp_path)).get_run(run.id)
    assert stored.params == {"opt.name": "sgd"} and stored.tags == {"stage": "dev"}


def test_run_key_resumes_a_failed_run_and_refuses_a_sealed_one(tmp_path):
    code = f"""
        import labledger as ll, sys
        run = ll.init(project="ci", run_key="sha1-build7-train", tracking_uri={str(tmp_path)!r})
        start = 0 if not run.resumed else 100
        for s in range(start, start + 100):
            run.log({{"loss": float(s)}}, step=s)
        print(run.id, run.resumed, flush=True)
        run.finish("failed" if not run.resumed else "finished")  # the CI job fails once
    """
    first = run_script(code, tmp_path)
    second = run_script(code, tmp_path)  # the retried job resumes the failed run
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    id1, resumed1 = first.stdout.split()
    id2, resumed2 = second.stdout.split()
    assert id1 == id2 and (resumed1, resumed2) == ("False", "True")
    stored = ll.Client(str(tmp_path)).get_run(id1)
    assert stored.status is ll.RunStatus.FINISHED and stored.seal_hash is not None
    steps = np.arange(200)  # the failed attempt's 100 steps, then the retry's 100
    check_run_history(ll.Client(str(tmp_path)), id1, {"loss": Expected(steps, steps * 1.0)})
    third = run_script(code, tmp_path)  # a finished run is sealed: init says so at once
    assert third.returncode != 0
    assert "already finished and is sealed" in third.stderr and "run_sealed" not in third.stdout


def test_interpreter_exit_finishes_open_run(tmp_path):
    ok = run_script(
        f"""
        import labledger as ll
        run = ll.init(project="p", tracking_uri={str(tmp_path)!r})
        run.log({{"a": 1.0}})
        print(run.id)
    """,
        tmp_path,
    )
    crashed = run_script(
        f"""
        import labledger as ll
        run = ll.init(project="p", tracking_uri={str(tmp_path)!r})
        print(run.id, flush=True)
        run.log({{"a": 2.0}})
        raise RuntimeError("boom")
    """,
        tmp_path,
    )
    client = ll.Client(str(tmp_path))
    finished = client.get_run(ok.stdout.strip())
    assert finished.status is ll.RunStatus.FINISHED and finished.metrics == {"a": 1.0}
    failed = client.get_run(crashed.stdout.strip())
    assert failed.status is ll.RunStatus.FAILED and failed.metrics == {"a": 2.0}
