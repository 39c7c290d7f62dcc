"""The model registry through MLflow's client: models, versions from runs:/ and (3.x) logged
models, aliases (a gated one refused), stages, downloads by models:/ URIs, search, rename,
tags, deletes.  Args: <prefix> (unique per run of the test)."""

from __future__ import annotations

import hashlib
import os
import tempfile

import mlflow
import numpy as np
from _common import attempt, emit, start
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

[prefix] = start()
c = MlflowClient()
out: dict = {"mlflow": mlflow.__version__}
name = f"{prefix}-churn"

mlflow.set_experiment(f"{prefix}-exp")
with mlflow.start_run() as run:
    mlflow.log_metric("acc", 0.5)
    mlflow.log_dict({"w": [1, 2]}, "model/weights.json")
    mlflow.log_text("flavors: {}\n", "model/MLmodel")
rid = run.info.run_id
out["run_id"] = rid
out["experiment_id"] = run.info.experiment_id

created = c.create_registered_model(name, tags={"team": "risk"}, description="first")
out["created"] = {"name": created.name, "tags": created.tags, "description": created.description}
out["duplicate"] = attempt(lambda: c.create_registered_model(name))
v1 = c.create_model_version(name, f"runs:/{rid}/model", run_id=rid, tags={"k": "v"})
v2 = mlflow.register_model(f"runs:/{rid}/model", name)
out["versions"] = [v1.version, v2.version]
out["v1"] = {
    "status": v1.status,
    "run_id": v1.run_id,
    "tags": v1.tags,
    "source": v1.source,
}
out["missing_model_version"] = attempt(
    lambda: c.create_model_version(f"{prefix}-nope", f"runs:/{rid}/model", run_id=rid)
)
out["bad_source"] = attempt(lambda: c.create_model_version(name, "s3://bucket/x", run_id=rid))

c.set_registered_model_alias(name, "champion", "1")
out["by_alias"] = c.get_model_version_by_alias(name, "champion").version
out["model_aliases"] = c.get_registered_model(name).aliases
out["unknown_alias"] = attempt(lambda: c.get_model_version_by_alias(name, "nobody"))


def digest_tree(folder: str) -> dict[str, str]:
    found = {}
    for root, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(root, f)
            rel = os.path.relpath(path, folder)
            found[rel] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


with tempfile.TemporaryDirectory() as d:
    out["download_alias"] = digest_tree(
        mlflow.artifacts.download_artifacts(f"models:/{name}@champion", dst_path=d)
    )
with tempfile.TemporaryDirectory() as d:
    out["download_v2"] = digest_tree(
        mlflow.artifacts.download_artifacts(f"models:/{name}/2", dst_path=d)
    )
with tempfile.TemporaryDirectory() as d:
    out["download_run"] = digest_tree(
        mlflow.artifacts.download_artifacts(f"runs:/{rid}/model", dst_path=d)
    )

out["search_like"] = sorted(m.name for m in c.search_registered_models(f"name LIKE '{prefix}-ch%'"))
out["search_eq"] = sorted(m.name for m in c.search_registered_models(f"name = '{name}'"))
out["search_versions"] = sorted(v.version for v in c.search_model_versions(f"name = '{name}'"))
out["search_versions_run"] = sorted(v.version for v in c.search_model_versions(f"run_id = '{rid}'"))

c.set_registered_model_tag(name, "stage", "beta")
c.delete_registered_model_tag(name, "team")
c.set_model_version_tag(name, "2", "checked", "yes")
c.delete_model_version_tag(name, "1", "k")
c.update_registered_model(name, description="second")
c.update_model_version(name, "2", description="v2 desc")
model = c.get_registered_model(name)
out["after_tags"] = {
    "tags": model.tags,
    "description": model.description,
    "v1_tags": c.get_model_version(name, "1").tags,
    "v2_tags": c.get_model_version(name, "2").tags,
    "v2_description": c.get_model_version(name, "2").description,
}

renamed = f"{prefix}-churn2"
c.rename_registered_model(name, renamed)
out["renamed"] = {
    "name": c.get_registered_model(renamed).name,
    "aliases": c.get_registered_model(renamed).aliases,
    "old": attempt(lambda: c.get_registered_model(name)),
}
out["delete_aliased"] = attempt(lambda: c.delete_model_version(renamed, "1"))
c.delete_registered_model_alias(renamed, "champion")
out["aliases_after_delete"] = c.get_registered_model(renamed).aliases
c.delete_model_version(renamed, "1")
out["deleted_version"] = attempt(lambda: c.get_model_version(renamed, "1"))

c.transition_model_version_stage(renamed, "2", "Production")
out["stage"] = c.get_model_version(renamed, "2").current_stage
out["latest_production"] = [v.version for v in c.get_latest_versions(renamed, ["Production"])]
c.transition_model_version_stage(renamed, "2", "Archived")
out["stage_after_archive"] = c.get_model_version(renamed, "2").current_stage

# a model LabLedger gates: the test set "acc >= 0.9" for alias champion before this ran
gated = f"{prefix}-gated"
g1 = mlflow.register_model(f"runs:/{rid}/model", gated)
out["gated_refused"] = attempt(lambda: c.set_registered_model_alias(gated, "champion", g1.version))
out["gated_aliases"] = c.get_registered_model(gated).aliases

# a real model: log, load, register, load by registry URI
X = np.array([[0.0], [1.0], [2.0], [3.0]])
y = np.array([0, 0, 1, 1])
clf = LogisticRegression().fit(X, y)
with mlflow.start_run() as model_run:
    if mlflow.__version__.startswith("2."):
        info = mlflow.sklearn.log_model(clf, "model")
    else:
        info = mlflow.sklearn.log_model(clf, name="model")
out["model_uri"] = info.model_uri
out["logged_model_id"] = getattr(info, "model_id", None)
out["predict_logged"] = mlflow.sklearn.load_model(info.model_uri).predict(X).tolist()
sk = mlflow.register_model(info.model_uri, f"{prefix}-sk")
out["predict_registered"] = (
    mlflow.pyfunc.load_model(f"models:/{prefix}-sk/{sk.version}").predict(X).tolist()
)
out["sk_run_id"] = sk.run_id
out["model_run_id"] = model_run.info.run_id
if out["logged_model_id"]:
    found = c.search_logged_models(experiment_ids=[model_run.info.experiment_id])
    out["logged_models"] = [m.model_id for m in found]
    got = c.get_logged_model(out["logged_model_id"])
    out["logged_model"] = {"status": str(got.status), "source_run_id": got.source_run_id}

c.delete_registered_model(f"{prefix}-sk")
out["deleted_model"] = attempt(lambda: c.get_registered_model(f"{prefix}-sk"))
emit(out)
