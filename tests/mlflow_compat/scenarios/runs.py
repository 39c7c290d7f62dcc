"""Runs: fluent and client runs (names, times, status, tags at creation, nesting, the
mlflow.* tags the client adds), params as MLflow stringifies them, metrics (steps,
timestamps, batches, histories, NaN and infinities), tags, datasets, the sealed finished
run, the deleted run, and refusals.  Argument: the experiment name to use."""

from __future__ import annotations

import time

import mlflow
import numpy as np
import pandas as pd
from _common import attempt, emit, history, rest, run, start
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.tracking.context.registry import resolve_tags


def now() -> int:
    return int(time.time() * 1000)


(name,) = start()
client = MlflowClient()
out: dict = {"system_tags": resolve_tags({})}
eid = mlflow.set_experiment(name).experiment_id
out["experiment_id"] = eid
T = 1_700_000_000_000  # timestamps the scenario chooses

# -- a fluent run, its params, metrics, tags, children ---------------------------------------
out["t_before"] = now()
with mlflow.start_run(run_name="main", tags={"team": "vision"}, description="hello") as main:
    rid = main.info.run_id
    out["active_is_main"] = mlflow.active_run().info.run_id == rid
    # params: MLflow stringifies every value with str()
    mlflow.log_param("int", 3)
    mlflow.log_param("float", 0.1)
    mlflow.log_param("bool", True)
    mlflow.log_param("str", "adam")
    mlflow.log_param("none", None)
    mlflow.log_param("list", [1, 2])
    mlflow.log_param("long", "x" * 6000)
    mlflow.log_params({"lr": 1e-3, "layers": 4})
    out["same_again"] = attempt(lambda: mlflow.log_param("int", 3))
    out["param_conflict"] = attempt(lambda: mlflow.log_param("int", 4))
    out["batch_conflict"] = attempt(
        lambda: client.log_batch(
            rid,
            metrics=[Metric("never", 1.0, T, 0)],
            params=[Param("int", "5"), Param("never", "x")],
            tags=[RunTag("never", "x")],
        )
    )
    # metrics: explicit steps and timestamps, read back as logged
    for step, value in enumerate([1.0, 0.5, 0.25, 0.125, 0.0625]):
        mlflow.log_metric("loss", value, step=step, timestamp=T + 10 * step)
    mlflow.log_metric("acc", 0.9, step=5, timestamp=T + 5)
    mlflow.log_metric("acc", 0.7, step=2, timestamp=T + 6)  # latest is the highest step
    mlflow.log_metric("twice", 1.0, step=1, timestamp=T + 1)
    mlflow.log_metric("twice", 2.0, step=1, timestamp=T + 2)  # both kept, in time order
    mlflow.log_metric("special", float("nan"), step=0, timestamp=T)
    mlflow.log_metric("special", float("inf"), step=1, timestamp=T)
    mlflow.log_metric("special", float("-inf"), step=2, timestamp=T)
    mlflow.log_metric("nostep", 3.0)
    mlflow.log_metrics({"m1": 1, "m2": 2.5}, step=7)
    client.log_batch(
        rid,
        metrics=[Metric("b", 1.0, T, 0), Metric("b", 2.0, T + 1, 1), Metric("b2", -1.5, T, 3)],
        params=[Param("bp", "1"), Param("bp2", "two")],
        tags=[RunTag("bt", "x"), RunTag("bt2", "y")],
    )
    # tags
    mlflow.set_tag("gone", "soon")
    mlflow.set_tags({"n": 1, "stage": "train"})
    client.delete_tag(rid, "gone")
    out["delete_missing_tag"] = attempt(lambda: client.delete_tag(rid, "never-set"))
    # datasets
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]})
    train = mlflow.data.from_pandas(frame, name="train-frame", targets="label")
    array = mlflow.data.from_numpy(np.arange(12, dtype=np.float64).reshape(4, 3), name="eval-np")
    mlflow.log_input(train, context="training")
    mlflow.log_input(array, context="eval")
    out["datasets_sent"] = [
        {
            "name": d.name,
            "digest": d.digest,
            "source_type": d.source._get_source_type(),
            "source": d.source.to_json(),
            "schema": d._to_mlflow_entity().schema,
        }
        for d in (train, array)
    ]
    # children
    with mlflow.start_run(run_name="child-1", nested=True) as child1:
        mlflow.log_metric("fold_loss", 0.3)
    with mlflow.start_run(run_name="child-2", nested=True, tags={"fold": "2"}) as child2:
        mlflow.log_metric("fold_loss", 0.4)
    out["active_after_children"] = mlflow.active_run().info.run_id == rid
out["t_after"] = now()
out["main"] = run(client.get_run(rid))
out["children"] = [run(client.get_run(c.info.run_id)) for c in (child1, child2)]
out["inputs"] = [
    {
        "name": d.dataset.name,
        "digest": d.dataset.digest,
        "source_type": d.dataset.source_type,
        "source": d.dataset.source,
        "schema": d.dataset.schema,
        "tags": {t.key: t.value for t in d.tags},
    }
    for d in client.get_run(rid).inputs.dataset_inputs
]
out["histories"] = {
    key: history(client.get_metric_history(rid, key))
    for key in ("loss", "acc", "twice", "special", "nostep", "m1", "m2", "b", "b2")
}
out["history_never_logged"] = history(client.get_metric_history(rid, "never-logged"))

# -- the run ended FINISHED and was sealed: writes are refused, nothing changes --------------
out["sealed"] = {
    "param": attempt(lambda: client.log_param(rid, "late", 1)),
    "metric": attempt(lambda: client.log_metric(rid, "late", 1.0)),
    "tag": attempt(lambda: client.set_tag(rid, "late", "x")),
    "batch": attempt(lambda: client.log_batch(rid, params=[Param("late", "1")])),
}
out["sealed_annotation"] = attempt(lambda: client.set_tag(rid, "annotation.review", "ok"))
out["after_sealed"] = run(client.get_run(rid))

# -- end_run("FAILED"), and the client's own runs ----------------------------------------------
mlflow.start_run(run_name="doomed")
failed_id = mlflow.active_run().info.run_id
mlflow.log_metric("loss", 9.0)
mlflow.end_run("FAILED")
out["failed"] = run(client.get_run(failed_id))
out["no_active_run"] = mlflow.active_run() is None

made = client.create_run(eid, run_name="by-client", tags={"k": "v"}, start_time=T)
cid = made.info.run_id
out["created"] = run(made)
client.log_param(cid, "p", "1")
client.set_tag(cid, "mlflow.runName", "renamed-by-tag")
out["renamed_by_tag"] = client.get_run(cid).info.run_name
client.update_run(cid, name="renamed-by-update")
out["renamed_by_update"] = client.get_run(cid).info.run_name
client.set_terminated(cid, "KILLED", end_time=T + 60_000)
out["terminated"] = run(client.get_run(cid))

parent_made = client.create_run(eid, run_name="client-parent")
child_made = client.create_run(
    eid, run_name="client-child", tags={"mlflow.parentRunId": parent_made.info.run_id}
)
out["client_parent"] = parent_made.info.run_id
out["client_child"] = run(client.get_run(child_made.info.run_id))
client.set_terminated(child_made.info.run_id)
client.set_terminated(parent_made.info.run_id)

# -- delete: gone for good (no restore, DELETED_ONLY lists nothing) ----------------------------
doomed = client.create_run(eid, run_name="to-delete").info.run_id
client.log_param(doomed, "p", "1")
client.delete_run(doomed)
out["deleted_id"] = doomed
out["deleted_get"] = attempt(lambda: client.get_run(doomed).info.lifecycle_stage)
out["deleted_restore"] = attempt(lambda: client.restore_run(doomed))
out["deleted_only"] = [r.info.run_id for r in client.search_runs([eid], run_view_type=2)]
out["all_runs"] = sorted(r.info.run_id for r in client.search_runs([eid], run_view_type=3))
out["view_all"] = ViewType.ALL

# -- refusals ---------------------------------------------------------------------------------
live = client.create_run(eid, run_name="refusals").info.run_id
out["refusals"] = {
    "unknown_run": attempt(lambda: client.get_run("0" * 32)),
    "unknown_run_log": attempt(lambda: client.log_metric("f" * 32, "m", 1.0)),
    "bad_filter": attempt(lambda: client.search_runs([eid], "metrics.loss >>> 1")),
    "bad_filter_word": attempt(lambda: client.search_runs([eid], "color = 'red'")),
    "long_param_key": attempt(lambda: client.log_param(live, "k" * 300, 1)),
    "long_metric_key": attempt(lambda: client.log_metric(live, "k" * 300, 1.0)),
    "long_tag_key": attempt(lambda: client.set_tag(live, "k" * 300, "v")),
    "long_param_value": attempt(lambda: client.log_param(live, "big", "v" * 6001)),
    "unknown_experiment": attempt(lambda: client.create_run("987654321")),
    "bad_status": attempt(lambda: rest("runs/update", {"run_id": live, "status": "BOGUS"})),
}
out["refusals_left"] = run(client.get_run(live))
out["restore_live"] = attempt(lambda: client.restore_run(live))  # nothing to restore
client.set_terminated(live)
emit(out)
