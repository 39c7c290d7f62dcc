"""Framework integrations through MLflow's own callbacks, on tiny CPU models, against a real
server: Lightning's ``MLFlowLogger`` and Optuna's ``MLflowCallback`` produce the runs and
values they would produce on an MLflow server, read back through LabLedger's SDK."""

from __future__ import annotations

import math
import uuid

import pytest

import labledger as ll

pytestmark = pytest.mark.slow  # torch and lightning import for ~10 s


def test_lightning_and_optuna_callbacks(mlflow, mlflow_server):
    prefix = f"fw-{uuid.uuid4().hex[:8]}"
    seen = mlflow("3", "frameworks", prefix)
    assert seen["torch"] == "2.13.0+cpu"  # the pinned CPU build, never a CUDA one
    with ll.Client(mlflow_server.url) as client:
        run = client.get_run(seen["lightning_run_id"])
        assert (run.project, run.name, run.status) == (f"{prefix}-lightning", "tiny", "finished")
        assert run.params == {"lr": "0.05", "hidden": "4"}
        assert {"train_loss_step", "train_loss_epoch", "val_loss", "epoch"} <= set(run.metrics)
        steps = client.get_metric_history(run.id, "train_loss_step")
        assert list(steps.steps) == list(range(seen["lightning_steps"]))  # 4 batches x 3 epochs
        epochs = client.get_metric_history(run.id, "train_loss_epoch")
        assert list(epochs.steps) == [3, 7, 11]  # logged at each epoch's last global step
        assert math.isclose(epochs.values[-1], seen["lightning_final_loss"], rel_tol=1e-6)
        assert run.metrics["train_loss_epoch"] == pytest.approx(seen["lightning_final_loss"])
        files = {a.path: a for a in client.list_artifacts(run.id)}
        checkpoints = [p for p in files if p.endswith(".ckpt")]
        assert checkpoints == ["epoch=2-step=12/epoch=2-step=12.ckpt"], sorted(files)
        assert files[checkpoints[0]].size > 0

        trials = {t["number"]: t for t in seen["trials"]}
        runs = list(client.search_runs(f"{prefix}-optuna", limit=100))
        assert len(runs) == len(trials) == 6
        for trial_run in runs:
            trial = trials[int(trial_run.tags["number"])]
            assert trial_run.name == str(trial["number"])
            assert trial_run.params == {k: str(v) for k, v in trial["params"].items()}
            assert trial_run.metrics == {"loss": pytest.approx(trial["value"])}
            assert trial_run.tags["state"] == "COMPLETE"
            assert trial_run.status == "finished"
        best = min(seen["trials"], key=lambda t: t["value"])
        top = client.search_runs(f"{prefix}-optuna", order_by=["metrics.loss asc"], limit=1)
        assert top[0].tags["number"] == str(best["number"])
