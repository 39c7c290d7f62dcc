"""The model registry through MLflow's own clients (3.x and 2.x) against a real server, and
what they register read back through LabLedger's SDK: ordinary LabLedger models, versions
pinned by digest, aliases judged by LabLedger's promotion gates."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

import labledger as ll
from tests.mlflow_compat.conftest import VERSIONS

GATE = "metrics:\n  - 'acc >= 0.9'\n"


@pytest.mark.parametrize("version", VERSIONS)
def test_registry_through_the_mlflow_client(mlflow, mlflow_server, version):
    prefix = f"r{version}-{uuid.uuid4().hex[:8]}"
    with ll.Client(mlflow_server.url) as client:
        client.create_model(f"{prefix}-gated", "Default")
        client.set_promotion_policy(f"{prefix}-gated", GATE, alias="champion")
    seen = mlflow(version, "registry", prefix)
    name, renamed = f"{prefix}-churn", f"{prefix}-churn2"
    rid = seen["run_id"]
    assert seen["mlflow"].startswith(f"{version}.")

    assert seen["created"] == {"name": name, "tags": {"team": "risk"}, "description": "first"}
    assert seen["duplicate"]["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert seen["versions"] == ["1", "2"]
    assert seen["v1"]["status"] == "READY"
    assert seen["v1"]["run_id"] == rid
    assert seen["v1"]["tags"] == {"k": "v"}
    assert (
        seen["v1"]["source"] == f"mlflow-artifacts:/{seen['experiment_id']}/{rid}/artifacts/model"
    )
    assert seen["missing_model_version"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert seen["bad_source"]["error_code"] == "INVALID_PARAMETER_VALUE"

    assert seen["by_alias"] == "1"
    assert seen["model_aliases"] == {"champion": "1"}
    assert seen["unknown_alias"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    weights = hashlib.sha256(json.dumps({"w": [1, 2]}, indent=2).encode()).hexdigest()
    mlmodel = hashlib.sha256(b"flavors: {}\n").hexdigest()
    expected = {"weights.json": weights, "MLmodel": mlmodel}
    assert seen["download_run"] == expected
    # the pinned files, by digest (plus the note the client itself writes on models:/ downloads)
    for key in ("download_alias", "download_v2"):
        seen[key].pop("registered_model_meta", None)
        assert seen[key] == expected

    assert seen["search_like"] == [name]
    assert seen["search_eq"] == [name]
    assert seen["search_versions"] == ["1", "2"]
    assert seen["search_versions_run"] == ["1", "2"]
    assert seen["after_tags"] == {
        "tags": {"stage": "beta"},
        "description": "second",
        "v1_tags": {},
        "v2_tags": {"checked": "yes"},
        "v2_description": "v2 desc",
    }
    assert seen["renamed"]["name"] == renamed
    assert seen["renamed"]["aliases"] == {"champion": "1"}  # aliases move with the model
    assert seen["renamed"]["old"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # LabLedger refuses to delete a version an alias points at (MLflow drops the alias)
    assert seen["delete_aliased"]["error_code"] == "INVALID_STATE"
    assert "champion" in seen["delete_aliased"]["message"]
    assert seen["aliases_after_delete"] == {}
    assert seen["deleted_version"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert seen["stage"] == "Production"
    assert seen["latest_production"] == ["2"]
    assert seen["stage_after_archive"] == "None"

    # the gate LabLedger holds for champion refused the MLflow client's alias, naming it
    refused = seen["gated_refused"]
    assert refused["error_code"] == "INVALID_STATE", refused
    assert "acc" in refused["message"] and "0.9" in refused["message"]
    assert seen["gated_aliases"] == {}

    assert seen["predict_logged"] == [0, 0, 1, 1]
    assert seen["predict_registered"] == [0, 0, 1, 1]
    assert seen["sk_run_id"] == seen["model_run_id"]
    if version == "3":
        model_id = seen["logged_model_id"]
        assert model_id and model_id.startswith("m-")
        assert seen["model_uri"] == f"models:/{model_id}"
        assert seen["logged_models"] == [model_id]
        assert seen["logged_model"] == {
            "status": "READY",
            "source_run_id": seen["model_run_id"],
        }
    assert seen["deleted_model"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    # ordinary LabLedger data: the model, its version pinned to the run's files, the history
    with ll.Client(mlflow_server.url) as client:
        model = client.get_model(renamed)
        assert model["project"] == "Default"
        assert model["tags"] == {"stage": "beta"}
        v2 = client.get_model_version(renamed, 2)
        assert (v2["run_id"], v2["path"]) == (rid, "model")
        assert {f["path"]: f["digest"] for f in v2["files"]} == {
            "model/weights.json": weights,
            "model/MLmodel": mlmodel,
        }
        history = client.alias_history(f"{prefix}-gated", "champion")
        assert history[0]["kind"] == "refuse"
        model_run = client.get_run(seen["model_run_id"])
        if version == "2":  # MLflow 2 records each logged model's metadata on its run
            [logged] = json.loads(model_run.tags["mlflow.log-model.history"])
            assert "sklearn" in logged["flavors"]
            assert logged["run_id"] == seen["model_run_id"]
        if version == "3":
            files = {a.path for a in client.list_artifacts(seen["model_run_id"])}
            assert f"models/{seen['logged_model_id']}/MLmodel" in files
