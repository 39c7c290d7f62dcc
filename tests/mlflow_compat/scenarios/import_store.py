"""Fill an MLflow store for ``labledger import mlflow`` with the real client, then read all of
it back through the same client: what the import must reproduce.  Args: <work folder>
<points of the long history>.  The tracking URI (first argument) is a server, a database or
an ``mlruns`` folder; files a database store writes land in the work folder (its cwd).

Experiments (one deleted, one whose name is not a LabLedger project name), runs in every
status (one nested, one deleted, one still running), params, tags, metric histories (one
long, one with NaN, infinities, negative and repeated steps), artifacts in folders (an empty
file, one over 1 MiB), two registered models with versions from runs:/ sources (one
deleted), version tags, aliases and a stage."""

from __future__ import annotations

import hashlib
import math
import os
import random
import tempfile
import time

import mlflow
from _common import emit, start
from mlflow import MlflowClient
from mlflow.entities import Metric, ViewType

work, points = start()
os.chdir(work)  # a database store's default artifact root is ./mlruns
c = MlflowClient()
rng = random.Random(7)
T0 = 1_700_000_000_000


def files(folder: str, spec: dict[str, bytes]) -> str:
    for rel, data in spec.items():
        path = os.path.join(folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return folder


def log_history(run_id: str, key: str, n: int) -> None:
    batch = []
    for i in range(n):
        batch.append(Metric(key, math.sin(i / 100.0) + i * 1e-6, T0 + i, i))
        if len(batch) == 1000:
            c.log_batch(run_id, metrics=batch)
            batch = []
    if batch:
        c.log_batch(run_id, metrics=batch)


a = c.create_experiment("imp-a", tags={"team": "vision", "note": "données ✓"})
b = c.create_experiment("imp-b")
gone = c.create_experiment("imp-gone", tags={"x": "1"})
c.create_run(gone, run_name="in-a-deleted-experiment")
c.delete_experiment(gone)

with mlflow.start_run(experiment_id="0", run_name="in-default") as r:
    mlflow.log_param("where", "default")

with tempfile.TemporaryDirectory() as tmp:
    mlflow.set_experiment(experiment_id=a)
    with mlflow.start_run(run_name="parent", tags={"purpose": "import"}) as parent:
        pid = parent.info.run_id
        mlflow.log_params({"lr": 0.01, "layers": 3, "optimizer": "adam", "long": "p" * 500})
        mlflow.set_tags({"team": "vision", "mlflow.note.content": "the parent run"})
        log_history(pid, "loss", int(points))
        for i in range(50):
            mlflow.log_metric("acc", i / 50, step=i, timestamp=T0 + 10 * i)
        odd = [
            Metric("odd", float("nan"), T0, 0),
            Metric("odd", float("inf"), T0 + 1, 1),
            Metric("odd", float("-inf"), T0 + 2, 2),
            Metric("odd", -3.5, T0 + 3, -5),
            Metric("odd", 1.25, T0 + 4, 7),
            Metric("odd", 2.5, T0 + 5, 7),
        ]
        c.log_batch(pid, metrics=odd)
        model = files(
            os.path.join(tmp, "parent"),
            {
                "MLmodel": b"flavors: {}\n",
                "model.pkl": rng.randbytes(300_000),
                "sub/conf.json": b'{"depth": 3}',
            },
        )
        mlflow.log_artifacts(model, "model")
        mlflow.log_artifact(
            files(os.path.join(tmp, "big"), {"plot.bin": rng.randbytes(1_500_000)}) + "/plot.bin"
        )
        mlflow.log_artifact(files(os.path.join(tmp, "empty"), {"empty.txt": b""}) + "/empty.txt")
        mlflow.log_text("# notes\n", "notes/readme.md")
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_param("x", "1")
            for i in range(10):
                mlflow.log_metric("c", i * 0.5, step=i)
            files(os.path.join(tmp, "child"), {"weights.bin": rng.randbytes(2048)})
            mlflow.log_artifacts(os.path.join(tmp, "child"), "model")
    failed = c.create_run(a, run_name="failed", start_time=T0)
    c.log_param(failed.info.run_id, "why", "diverged")
    c.log_metric(failed.info.run_id, "loss", 9.5, timestamp=T0 + 5, step=0)
    c.set_terminated(failed.info.run_id, "FAILED", end_time=T0 + 60_000)
    killed = c.create_run(a, run_name="killed", start_time=T0 + 1)
    c.set_terminated(killed.info.run_id, "KILLED", end_time=T0 + 2)
    running = c.create_run(a, run_name="running", tags={"live": "yes"})
    c.log_param(running.info.run_id, "epochs", "10")
    c.log_metric(running.info.run_id, "loss", 0.75, step=3)
    dropped = c.create_run(a, run_name="dropped")
    c.log_param(dropped.info.run_id, "x", "y")
    c.delete_run(dropped.info.run_id)

    spaced = c.create_experiment("imp c/spaced name")  # not a LabLedger project name
    c.set_terminated(c.create_run(spaced, run_name="in-spaced").info.run_id)

    mlflow.set_experiment(experiment_id=b)
    with mlflow.start_run(run_name="other") as other:
        mlflow.log_metric("auc", 0.91)
        mlflow.log_dict({"w": [1, 2, 3]}, "model2/data.json")

c.create_registered_model("imp-model-a", tags={"owner": "ml"}, description="the first model")
v1 = c.create_model_version(
    "imp-model-a", f"runs:/{pid}/model", run_id=pid, tags={"k": "v"}, description="from the parent"
)
cid = child.info.run_id
v2 = c.create_model_version("imp-model-a", f"runs:/{cid}/model", run_id=cid)
c.set_registered_model_alias("imp-model-a", "champion", v2.version)
c.set_registered_model_alias("imp-model-a", "challenger", v1.version)
c.transition_model_version_stage("imp-model-a", v1.version, "Staging")
c.create_registered_model("imp-model-b")
oid = other.info.run_id
for _ in range(3):
    c.create_model_version("imp-model-b", f"runs:/{oid}/model2", run_id=oid)
c.delete_model_version("imp-model-b", "2")  # LabLedger numbers 1 and 3 as 1 and 2
c.set_registered_model_alias("imp-model-b", "prod", "3")
time.sleep(0.01)


# -- everything read back through the client --------------------------------------------
def history_digest(run_id: str, key: str) -> dict:
    rows = sorted(
        (m.step, m.timestamp, "nan" if math.isnan(m.value) else repr(float(m.value)))
        for m in c.get_metric_history(run_id, key)
    )
    text = "\n".join(f"{s} {t} {v}" for s, t, v in rows)
    return {"points": len(rows), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def artifact_digests(run_id: str) -> dict:
    found = {}
    with tempfile.TemporaryDirectory() as d:
        root = c.download_artifacts(run_id, "", d)
        for folder, _, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    data = f.read()
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                found[rel] = [len(data), hashlib.sha256(data).hexdigest()]
    return found


out: dict = {"mlflow": mlflow.__version__, "experiments": {}, "runs": {}, "models": {}}
for e in c.search_experiments(view_type=ViewType.ALL):
    out["experiments"][e.name] = {"tags": dict(e.tags), "deleted": e.lifecycle_stage != "active"}
    for run in c.search_runs([e.experiment_id], run_view_type=ViewType.ALL):
        info = run.info
        entry = {
            "experiment": e.name,
            "name": info.run_name,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "user_id": info.user_id,
            "deleted": info.lifecycle_stage != "active" or e.lifecycle_stage != "active",
            "params": dict(run.data.params),
            "tags": dict(run.data.tags),
            "metrics": {},
            "artifacts": {},
        }
        if not entry["deleted"]:
            entry["metrics"] = {k: history_digest(info.run_id, k) for k in run.data.metrics}
            entry["artifacts"] = artifact_digests(info.run_id)
        out["runs"][info.run_id] = entry
for m in c.search_registered_models():
    versions = c.search_model_versions(f"name = '{m.name}'")
    out["models"][m.name] = {
        "description": m.description or "",
        "tags": dict(m.tags),
        "aliases": {k: int(v) for k, v in m.aliases.items()},
        "versions": {
            str(v.version): {
                "run_id": v.run_id,
                "source": v.source,
                "tags": dict(v.tags),
                "description": v.description or "",
                "stage": v.current_stage,
            }
            for v in versions
        },
    }
emit(out)
