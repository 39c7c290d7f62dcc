"""MLflow's tracking API, driven by MLflow's own clients (3.x and 2.x) against a real
LabLedger server: what the clients read back is what they wrote, and what they wrote is
ordinary LabLedger data (projects, params, tags, metric histories, artifacts, datasets).

Where LabLedger deliberately differs from MLflow the test asserts LabLedger's behaviour:
a finished run is sealed (writes to it are refused with INVALID_STATE), a deleted run is
gone for good (a tombstone keeps its id: it cannot be restored and DELETED_ONLY lists no
runs), MLflow's experiment "0" is the project "Default" with its own id, and experiment
names follow LabLedger's project names (letters, digits, '.', '_', '-')."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

import labledger as ll
from labledger.core.errors import RunNotFoundError
from tests.conftest import ServerProcess
from tests.mlflow_compat.conftest import SCENARIOS, VERSIONS, MlflowRunner, operator


def client(server: ServerProcess) -> ll.Client:
    return ll.Client(server.url)


def nan_safe(value: Any) -> Any:
    """``value`` with every NaN as the string "NaN", so that == compares it."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: nan_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nan_safe(v) for v in value]
    return value


def json_text(doc: Any) -> str:
    """JSON as the door writes it into MLflow's string fields (``json.dumps``)."""
    return json.dumps(doc)


def without(tags: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k not in keys}


MLFLOW_ATTRIBUTE_TAGS = ("mlflow.runName", "mlflow.parentRunId")  # attributes in LabLedger


def refused(observed: dict[str, Any], code: str, *words: str) -> None:
    """``observed`` is the MlflowException a scenario caught, with ``code`` and ``words``."""
    assert observed.get("error_code") == code, observed
    for word in words:
        assert word in observed["message"], observed


# -- experiments ------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_experiments(version: str, mlflow: MlflowRunner, mlflow_server: ServerProcess):
    prefix = f"exp-v{version}"
    out = mlflow(version, "experiments", prefix)
    names, ids = out["names"], out["ids"]
    alpha = {
        "experiment_id": ids["alpha"],
        "name": names["alpha"],
        "artifact_location": f"mlflow-artifacts:/{ids['alpha']}",
        "lifecycle_stage": "active",
        "tags": {"team": "vision", "stage": "dev"},
        "creation_time": out["get"]["creation_time"],
        "last_update_time": out["get"]["creation_time"],
    }
    assert out["get"] == alpha
    assert out["get_by_name"] == alpha
    assert out["get_by_name_missing"] is None
    assert len({ids["alpha"], ids["beta"], ids["gamma"]}) == 3
    assert all(i.isdigit() and i != "0" for i in ids.values())
    refused(out["get_missing"], "RESOURCE_DOES_NOT_EXIST", "987654321")
    refused(out["duplicate"], "RESOURCE_ALREADY_EXISTS", names["alpha"])
    # MLflow's experiment "0" is the project "Default" (made on first use, its own id)
    assert out["default"]["name"] == "Default"
    assert out["default"]["lifecycle_stage"] == "active"
    assert (
        out["default"]["artifact_location"]
        == f"mlflow-artifacts:/{out['default']['experiment_id']}"
    )
    # LabLedger's project names: letters, digits, '.', '_', '-' (MLflow takes any name)
    refused(out["bad_name"], "INVALID_PARAMETER_VALUE", "must start with a letter or digit")
    if version == "3":
        refused(out["set_bad_name"], "INVALID_PARAMETER_VALUE", "must start with a letter or digit")
    else:  # MLflow 2's set_experiment drops create's error and asks for experiment None
        refused(out["set_bad_name"], "RESOURCE_DOES_NOT_EXIST", "id=None")
    assert out["bad_names_made"] == [None, None]

    a, b, g = names["alpha"], names["beta"], names["gamma"]
    assert out["search"] == {
        "name_eq": [b],
        "name_like": [a, b, g],
        "name_ilike": [g, b, a],
        "name_not_like": [b, a],  # MLflow's default order: last update, newest first
        "tag_eq": [a],
        "tag_backticks": [b],
        "tag_like": [a],
        "tag_like_case": [],  # LIKE is case-sensitive
        "tag_ilike": [b],
        "tag_and_name": [a],  # an experiment without the tag does not match !=
        "ordered": [a, b, g],
        "bad_filter": out["search"]["bad_filter"],
        "pages": [[a], [b], [g]],
    }
    refused(out["search"]["bad_filter"], "INVALID_PARAMETER_VALUE", "name ~ 'x'")

    assert out["tags_after"] == {"owner": "ana", "stage": "review"}
    refused(out["delete_missing_tag"], "RESOURCE_DOES_NOT_EXIST", "nope")

    assert out["renamed"]["experiment_id"] == ids["gamma"]
    assert out["renamed"]["name"] == names["renamed"]
    assert out["old_name"] is None
    refused(out["rename_taken"], "RESOURCE_ALREADY_EXISTS", names["alpha"])

    deleted = {**out["deleted"], "last_update_time": None}
    assert deleted == {
        "experiment_id": ids["beta"],
        "name": b,
        "artifact_location": f"mlflow-artifacts:/{ids['beta']}",
        "lifecycle_stage": "deleted",
        "tags": {"team": "Audio", "stage": "prod"},
        "creation_time": out["deleted"]["creation_time"],
        "last_update_time": None,
    }
    assert out["deleted"]["last_update_time"] >= out["deleted"]["creation_time"]
    assert out["deleted_by_name"] == out["deleted"]
    assert sorted(out["active_only"]) == sorted([a, names["renamed"]])
    assert out["deleted_only"] == [b]
    assert out["all"] == [a, b, names["renamed"]]
    refused(out["run_in_deleted"], "INVALID_STATE", "active")
    refused(out["set_deleted"], "INVALID_PARAMETER_VALUE", "deleted experiment")
    assert out["run_of_deleted_experiment"] == "kept"  # its runs stay
    refused(out["duplicate_of_deleted"], "RESOURCE_ALREADY_EXISTS", b)
    assert {**out["restored"], "last_update_time": None} == {
        **deleted,
        "lifecycle_stage": "active",
    }
    assert out["restored_runs"] == [out["run_in_beta"]]

    fluent = out["fluent"]
    assert fluent["name"] == names["fluent"] and fluent["lifecycle_stage"] == "active"
    assert fluent["tags"] == {}
    assert fluent["creation_time"] >= out["fluent_created_after"]
    assert out["fluent_again"] == [fluent["experiment_id"]] * 2
    assert out["fluent_run"]["experiment_id"] == fluent["experiment_id"]
    assert out["set_existing"] == ids["alpha"]

    # what MLflow made is LabLedger's: experiments are projects, runs are theirs
    with client(mlflow_server) as ll_client:
        projects = {p.name for p in ll_client.list_projects()}
        assert {a, b, names["renamed"], names["fluent"], "Default"} <= projects
        assert g not in projects
        run = ll_client.get_run(out["fluent_run"]["run_id"])
        assert (run.project, run.name, run.params) == (
            names["fluent"],
            "in-fluent",
            {"where": "fluent"},
        )
        assert run.status.value == "finished"
        assert ll_client.get_run(out["run_in_beta"]).project == b


# -- runs, params, metrics, tags, datasets ------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_runs(version: str, mlflow: MlflowRunner, mlflow_server: ServerProcess):
    name = f"runs-v{version}"
    out = mlflow(version, "runs", name)
    eid, system = out["experiment_id"], out["system_tags"]
    assert system["mlflow.source.name"] == str(SCENARIOS / "runs.py")
    assert system["mlflow.source.type"] == "LOCAL" and system["mlflow.user"]
    main = out["main"]
    rid = main["run_id"]
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert out["active_is_main"] and out["active_after_children"] and out["no_active_run"]
    assert out["t_before"] <= main["start_time"] <= main["end_time"] <= out["t_after"]
    params = {
        "int": "3",
        "float": "0.1",
        "bool": "True",
        "str": "adam",
        "none": "None",
        "list": "[1, 2]",
        "long": "x" * 6000,
        "lr": "0.001",
        "layers": "4",
        "bp": "1",
        "bp2": "two",
    }
    tags = {
        **system,
        "team": "vision",
        "mlflow.note.content": "hello",
        "bt": "x",
        "bt2": "y",
        "n": "1",
        "stage": "train",
        "mlflow.runName": "main",
    }
    latest = {
        "loss": 0.0625,
        "acc": 0.9,  # step 5 (logged before step 2)
        "twice": 2.0,  # the later of two values at one step
        "special": -math.inf,
        "nostep": 3.0,
        "m1": 1.0,
        "m2": 2.5,
        "b": 2.0,
        "b2": -1.5,
    }
    assert main == {
        "run_id": rid,
        "run_name": "main",
        "experiment_id": eid,
        "user_id": system["mlflow.user"],
        "status": "FINISHED",
        "start_time": main["start_time"],
        "end_time": main["end_time"],
        "artifact_uri": f"mlflow-artifacts:/{eid}/{rid}/artifacts",
        "lifecycle_stage": "active",
        "params": params,
        "metrics": latest,
        "tags": tags,
    }
    # each metric's latest point keeps its step and timestamp (what runs/get and search send)
    got = httpx.get(f"{mlflow_server.url}/api/2.0/mlflow/runs/get", params={"run_id": rid})
    points = {m["key"]: (m["step"], m["timestamp"]) for m in got.json()["run"]["data"]["metrics"]}
    t0 = 1_700_000_000_000  # the scenario's T
    assert points["loss"] == (4, t0 + 40)
    assert points["acc"] == (5, t0 + 5)
    assert points["twice"] == (1, t0 + 2)
    assert out["same_again"] == {"ok": 3}
    refused(out["param_conflict"], "INVALID_PARAMETER_VALUE", "'int'")
    refused(out["batch_conflict"], "INVALID_PARAMETER_VALUE", "'int'")  # and nothing written:
    assert "never" not in main["params"] and "never" not in main["tags"]
    assert "never" not in main["metrics"]
    refused(out["delete_missing_tag"], "RESOURCE_DOES_NOT_EXIST", "never-set")
    t = 1_700_000_000_000
    now_stamps = {k: out["histories"][k][0][1] for k in ("nostep", "m1", "m2")}
    assert all(out["t_before"] <= s <= out["t_after"] for s in now_stamps.values())
    histories = {
        "loss": [[s, t + 10 * s, v] for s, v in enumerate([1.0, 0.5, 0.25, 0.125, 0.0625])],
        "acc": [[2, t + 6, 0.7], [5, t + 5, 0.9]],  # in step order
        "twice": [[1, t + 1, 1.0], [1, t + 2, 2.0]],
        "special": [[0, t, math.nan], [1, t, math.inf], [2, t, -math.inf]],
        "nostep": [[0, now_stamps["nostep"], 3.0]],
        "m1": [[7, now_stamps["m1"], 1.0]],
        "m2": [[7, now_stamps["m2"], 2.5]],
        "b": [[0, t, 1.0], [1, t + 1, 2.0]],
        "b2": [[3, t, -1.5]],
    }
    assert nan_safe(out["histories"]) == nan_safe(histories)
    assert out["history_never_logged"] == []  # MLflow's answer for a key never logged
    for i, child in enumerate(out["children"], start=1):
        extra = {"fold": "2"} if i == 2 else {}
        assert child == {
            **child,
            "run_name": f"child-{i}",
            "experiment_id": eid,
            "status": "FINISHED",
            "params": {},
            "metrics": {"fold_loss": [0.3, 0.4][i - 1]},
            "tags": {
                **system,
                **extra,
                "mlflow.runName": f"child-{i}",
                "mlflow.parentRunId": rid,
            },
        }
        assert main["start_time"] <= child["start_time"] <= child["end_time"] <= main["end_time"]

    # datasets: names, contexts and schemas round-trip; the digest MLflow reads back is the
    # start of LabLedger's (a SHA-256 of MLflow's name, digest and source), the source type
    # is "labledger" with the stored URI as source
    sent = {d["name"]: d for d in out["datasets_sent"]}
    assert set(sent) == {"train-frame", "eval-np"}
    stored = {
        n: hashlib.sha256(f"{n}\0{d['digest']}\0{d['source']}".encode()).hexdigest()
        for n, d in sent.items()
    }
    assert (
        out["inputs"]
        == [
            {
                "name": "eval-np",
                "digest": stored["eval-np"][:8],
                "source_type": "labledger",
                "source": json_text({"uri": f"code:{sent['eval-np']['source']}"}),
                "schema": json_text({"mlflow_colspec": []}),  # a tensor spec is not kept
                "tags": {"mlflow.data.context": "eval"},
            },
            {
                "name": "train-frame",
                "digest": stored["train-frame"][:8],
                "source_type": "labledger",
                "source": json_text({"uri": f"code:{sent['train-frame']['source']}"}),
                "schema": json_text(
                    {
                        "mlflow_colspec": [
                            {"name": "x", "type": "double"},
                            {"name": "label", "type": "string"},
                        ]
                    }
                ),
                "tags": {"mlflow.data.context": "training"},
            },
        ]
    )

    # a finished run is sealed: every write is refused and nothing changed
    for kind in ("param", "metric", "tag", "batch"):
        refused(out["sealed"][kind], "INVALID_STATE", "sealed")
    # ... but for annotation.* tags
    assert out["sealed_annotation"] == {"ok": None}
    assert out["after_sealed"] == {**main, "tags": {**tags, "annotation.review": "ok"}}

    failed = out["failed"]
    assert (failed["run_name"], failed["status"], failed["metrics"]) == (
        "doomed",
        "FAILED",
        {"loss": 9.0},
    )
    assert failed["start_time"] <= failed["end_time"]
    created, terminated = out["created"], out["terminated"]
    cid = created["run_id"]
    assert created == {
        "run_id": cid,
        "run_name": "by-client",
        "experiment_id": eid,
        "user_id": "unknown",  # MlflowClient.create_run without an mlflow.user tag
        "status": "RUNNING",
        "start_time": t,
        "end_time": None,
        "artifact_uri": f"mlflow-artifacts:/{eid}/{cid}/artifacts",
        "lifecycle_stage": "active",
        "params": {},
        "metrics": {},
        "tags": {"k": "v", "mlflow.runName": "by-client"},
    }
    assert out["renamed_by_tag"] == "renamed-by-tag"
    assert out["renamed_by_update"] == "renamed-by-update"
    assert terminated == {
        **created,
        "run_name": "renamed-by-update",
        "status": "KILLED",
        "end_time": t + 60_000,
        "params": {"p": "1"},
        "tags": {"k": "v", "mlflow.runName": "renamed-by-update"},
    }
    assert out["client_child"]["tags"] == {
        "mlflow.runName": "client-child",
        "mlflow.parentRunId": out["client_parent"],
    }

    # a deleted run is gone for good: no restore, and DELETED_ONLY lists nothing
    deleted = out["deleted_id"]
    refused(out["deleted_get"], "RESOURCE_DOES_NOT_EXIST", deleted)
    refused(out["deleted_restore"], "RESOURCE_DOES_NOT_EXIST", deleted)
    assert out["deleted_only"] == []
    expected_ids = {
        rid,
        *(c["run_id"] for c in out["children"]),
        failed["run_id"],
        cid,
        out["client_parent"],
        out["client_child"]["run_id"],
    }
    assert set(out["all_runs"]) == expected_ids and len(out["all_runs"]) == 7

    r = out["refusals"]
    refused(r["unknown_run"], "RESOURCE_DOES_NOT_EXIST", "0" * 32)
    refused(r["unknown_run_log"], "RESOURCE_DOES_NOT_EXIST", "f" * 32)
    refused(r["bad_filter"], "INVALID_PARAMETER_VALUE", "syntax error")
    refused(r["bad_filter_word"], "INVALID_PARAMETER_VALUE", "color")
    refused(r["long_param_key"], "INVALID_PARAMETER_VALUE", "250")
    refused(r["long_metric_key"], "INVALID_PARAMETER_VALUE", "250")
    refused(r["long_tag_key"], "INVALID_PARAMETER_VALUE", "250")
    refused(r["long_param_value"], "INVALID_PARAMETER_VALUE", "6000")
    refused(r["unknown_experiment"], "RESOURCE_DOES_NOT_EXIST", "987654321")
    refused(r["bad_status"], "INVALID_PARAMETER_VALUE", "BOGUS")
    assert out["restore_live"] == {"ok": None}
    left = out["refusals_left"]
    assert (left["params"], left["metrics"], left["tags"]) == (
        {},
        {},
        {"mlflow.runName": "refusals"},
    )

    # the same runs through LabLedger's own SDK
    with client(mlflow_server) as ll_client:
        run = ll_client.get_run(rid)
        assert (run.project, run.name, run.status.value, run.user) == (
            name,
            "main",
            "finished",
            system["mlflow.user"],
        )
        assert (run.start_ms, run.end_ms, run.parent_id) == (
            main["start_time"],
            main["end_time"],
            None,
        )
        assert run.params == params
        assert run.tags == {**without(tags, *MLFLOW_ATTRIBUTE_TAGS), "annotation.review": "ok"}
        assert run.metrics == latest
        assert run.seal_hash is not None and ll_client.verify_run(rid)["ok"] is True
        for key in histories:
            h = ll_client.get_metric_history(rid, key)
            rows = [
                [int(s), int(ts), float(v)]
                for s, ts, v in zip(h.steps, h.timestamps, h.values, strict=True)
            ]
            assert nan_safe(rows) == nan_safe(out["histories"][key]), key
        for child in out["children"]:
            got = ll_client.get_run(child["run_id"])
            assert (got.parent_id, got.name) == (rid, child["run_name"])
            assert got.tags == without(child["tags"], *MLFLOW_ATTRIBUTE_TAGS)
        datasets = sorted(ll_client.list_datasets(rid), key=lambda d: d.name)
        assert [(d.name, d.role, d.uri, d.digest, d.schema) for d in datasets] == [
            ("eval-np", "eval", f"code:{sent['eval-np']['source']}", stored["eval-np"], None),
            (
                "train-frame",
                "training",
                f"code:{sent['train-frame']['source']}",
                stored["train-frame"],
                [("x", "double"), ("label", "string")],
            ),
        ]
        got = ll_client.get_run(failed["run_id"])
        assert (got.status.value, got.end_ms) == ("failed", failed["end_time"])
        got = ll_client.get_run(cid)
        assert (got.name, got.status.value, got.start_ms, got.end_ms) == (
            "renamed-by-update",
            "killed",
            t,
            t + 60_000,
        )
        assert (got.params, got.tags, got.user) == ({"p": "1"}, {"k": "v"}, "unknown")
        assert ll_client.get_run(out["client_child"]["run_id"]).parent_id == out["client_parent"]
        with pytest.raises(RunNotFoundError):
            ll_client.get_run(deleted)
        assert deleted in set(ll_client.iter_sealed_runs(name))  # its tombstone
        assert {r.id for r in ll_client.iter_runs(name)} == {*expected_ids, left["run_id"]}


# -- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_search_runs(version: str, mlflow: MlflowRunner, mlflow_server: ServerProcess):
    prefix = f"search-v{version}"
    out = mlflow(version, "search", prefix)
    ids, other_ids, many = out["ids"], out["other_ids"], out["many"]
    t, n = 1_700_000_000_000, 300
    name = [f"run-{i:03d}" for i in range(n)]
    newest_first = name[::-1]  # MLflow's default order: start time, newest first

    def pick(test: Any) -> list[str]:
        return [x for i, x in reversed(list(enumerate(name))) if test(i)]

    assert sorted(ids) == name and len(set(ids.values())) == n
    found = out["found"]
    assert (
        {k: v for k, v in found.items() if k not in ("bad_order", "bad_max_results")}
        == {
            "acc_gt": name[295:][::-1],
            "loss_le": name[295:][::-1],
            "param_eq": ["run-007"],
            "param_in": ["run-003", "run-002", "run-001"],
            "param_ne_count": n - 1,
            "tag_odd": pick(lambda i: i % 2 == 1),
            "tag_like": pick(lambda i: i % 3 == 0),
            "tag_like_case": [],  # LIKE is case-sensitive
            "tag_ilike": pick(lambda i: i % 3 == 0),
            "tag_not_like_count": 200,
            "status_failed": [name[i] for i in range(0, n, 50)],
            "status_running_count": n - 6,
            "run_name_tag": ["run-042"],
            "run_name_like": name[290:],
            "run_name_ilike": name[:10],
            "combined": pick(lambda i: 0 < i < 15 and i % 2 == 0),
            "top5": name[295:][::-1],
            "default_order_first": newest_first[:3],
            "start_time_asc": name[:3],
            "across": [f"other-{j}" for j in (4, 3, 2, 1, 0)] + ["run-299", "run-298", "run-297"],
            "across_names": ["other-4"] + [x for x in name if x.endswith("4")],
            "missing_metric": [],
        }
    )
    refused(found["bad_order"], "INVALID_PARAMETER_VALUE", "bogus")
    refused(found["bad_max_results"], "INVALID_PARAMETER_VALUE", "max_results")

    # page tokens: every run exactly once, in order, in pages of the asked size
    assert [len(p) for p in out["pages"]] == [37] * 8 + [4]
    assert sum(out["pages"], []) == [ids[x] for x in newest_first]
    across = [other_ids[f"other-{j}"] for j in (4, 3, 2, 1, 0)] + [ids[x] for x in newest_first]
    assert [len(p) for p in out["pages_across"]] == [50] * 6 + [5]
    assert sum(out["pages_across"], []) == across
    odd_top = pick(lambda i: i % 2 == 1 and i / n > 0.8)
    assert [len(p) for p in out["pages_filtered"]] == [7, 7, 7, 7, 2]
    assert sum(out["pages_filtered"], []) == [ids[x] for x in odd_top]

    # mlflow.search_runs' DataFrame
    assert out["frame_columns"] == sorted(
        [
            "run_id",
            "experiment_id",
            "status",
            "artifact_uri",
            "start_time",
            "end_time",
            "metrics.acc",
            "metrics.loss",
            "params.i",
            "tags.grp",
            "tags.Color",
            "tags.mlflow.runName",
        ]
    )
    assert out["frame_records"] == [
        {
            "run_id": ids[name[i]],
            "experiment_id": many,
            "status": "RUNNING",
            "artifact_uri": f"mlflow-artifacts:/{many}/{ids[name[i]]}/artifacts",
            "start_time": t + i * 1000,
            "end_time": None,
            "metrics.acc": i / n,
            "metrics.loss": (n - i) / 100,
            "params.i": str(i),
            "tags.grp": "even" if i % 2 == 0 else "odd",
            "tags.Color": "Red" if i % 3 == 0 else "blue",
            "tags.mlflow.runName": name[i],
        }
        for i in (1, 2)
    ]
    assert out["frame_len_all"] == n
    assert out["frame_by_name"] == [f"other-{j}" for j in (4, 3, 2, 1, 0)]
    assert out["list_output"] == [f"other-{j}" for j in range(5)]

    # the same runs through LabLedger's own SDK: every value of every run
    with client(mlflow_server) as ll_client:
        runs = {r.name: r for r in ll_client.iter_runs(f"{prefix}-many")}
        assert sorted(runs) == name
        for i, x in enumerate(name):
            r = runs[x]
            assert (r.id, r.start_ms, r.status.value) == (
                ids[x],
                t + i * 1000,
                "failed" if i % 50 == 0 else "running",
            )
            assert r.params == {"i": str(i)}
            assert r.tags == {
                "grp": "even" if i % 2 == 0 else "odd",
                "Color": "Red" if i % 3 == 0 else "blue",
            }
            assert r.metrics == {"acc": i / n, "loss": (n - i) / 100}
        page = ll_client.search_runs(f"{prefix}-many", "metrics.acc > 0.98", ["metrics.acc DESC"])
        assert [r.name for r in page] == found["acc_gt"]


# -- artifacts --------------------------------------------------------------------------------
def b64(doc: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@pytest.mark.parametrize("version", VERSIONS)
def test_artifacts(
    version: str, mlflow: MlflowRunner, mlflow_server: ServerProcess, tmp_path: Path
):
    name = f"artifacts-v{version}"
    scratch = tmp_path / "scenario"
    scratch.mkdir()
    out = mlflow(version, "artifacts", name, str(scratch))
    rid = out["run_id"]
    assert out["artifact_uri"].startswith("mlflow-artifacts:/")
    assert out["artifact_uri"].endswith(f"/{rid}/artifacts")
    assert out["status"] == "FINISHED"
    big = [30 * 2**20, out["big_sha256"]]
    assert out["big_size"] == big[0]
    sent = out["sent_tree"]
    assert sorted(sent) == ["sub/deep/leaf.bin", "sub/mid.csv", "top.txt"]
    root = [
        ["again.txt", False, 14],
        ["big", True, None],
        ["cfg", True, None],
        ["notes", True, None],
        ["single.txt", False, 16],
        ["tree", True, None],
    ]
    assert out["listing_running"] == root
    assert out["list_root"] == root
    assert out["list_tree"] == [["tree/sub", True, None], ["tree/top.txt", False, 10]]
    assert out["list_sub"] == [["tree/sub/deep", True, None], ["tree/sub/mid.csv", False, 8]]
    config_json = out["got_all"]["cfg/config.json"]
    config_yaml = out["got_all"]["cfg/config.yaml"]
    assert out["list_cfg"] == [
        ["cfg/config.json", False, config_json[0]],
        ["cfg/config.yaml", False, config_yaml[0]],
    ]
    assert out["list_missing"] == []
    assert out["dict"] == {"lr": 0.1, "layers": [64, 32]}
    assert out["yaml_text"] == "layers:\n- 64\n- 32\nlr: 0.1\n"
    assert out["text"] == "naïve café ✓\n"
    assert out["again"] == "second, longer"
    assert out["got_tree"] == sent  # the folder, byte for byte
    assert out["got_big"] == big  # 30 MB of random bytes, byte for byte
    readme = "naïve café ✓\n".encode()
    assert out["got_all"] == {
        "cfg/config.json": config_json,
        "cfg/config.yaml": [len(b"layers:\n- 64\n- 32\nlr: 0.1\n"), config_yaml[1]],
        "notes/readme.txt": [len(readme), hashlib.sha256(readme).hexdigest()],
        "single.txt": [16, out["single_sha256"]],
        "again.txt": [14, hashlib.sha256(b"second, longer").hexdigest()],
        **{f"tree/{k}": v for k, v in sent.items()},
    }
    if version == "3":
        refused(out["missing_file"], "RESOURCE_DOES_NOT_EXIST", "nope.txt")
    else:  # MLflow 2 wraps the server's 404 in its own error
        refused(out["missing_file"], "INTERNAL_ERROR", "404", "RESOURCE_DOES_NOT_EXIST")
    refused(out["sealed_upload"], "INVALID_STATE", "sealed")
    assert out["sealed_upload"]["status"] == 400
    assert out["after_sealed"] == root

    # LabLedger's manifest: every file, its size and SHA-256; the bytes download the same
    with client(mlflow_server) as ll_client:
        run = ll_client.get_run(rid)
        assert (run.project, run.name, run.status.value) == (name, "with-artifacts", "finished")
        manifest = {e.path: [e.size, e.digest] for e in ll_client.list_artifacts(rid)}
        assert manifest == {**out["got_all"], "big/big.bin": big}
        assert {e.path for e in ll_client.list_artifacts(rid, "tree")} == {
            f"tree/{k}" for k in sent
        }
        got = ll_client.download_artifacts(rid, "big/big.bin", tmp_path / "ll-big")
        assert [got.stat().st_size, file_sha256(got)] == big
        with ll_client.open_artifact(rid, "again.txt") as f:
            assert f.read() == b"second, longer"
        assert ll_client.verify_run(rid, blobs=True)["ok"] is True


# -- auth on: MLflow's credentials are LabLedger API tokens --------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_auth(
    version: str,
    auth_mlflow: MlflowRunner,
    auth_server: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
):
    prefix = f"auth-v{version}"
    tokens = auth_server.tokens  # type: ignore[attr-defined]
    shared = f"{prefix}-shared"  # ana's, and vic is its viewer
    operator(auth_server.data_dir, "projects", "create", shared, "--owner", "ana")
    operator(auth_server.data_dir, "projects", "members", "add", shared, "vic", "--role", "viewer")
    out = auth_mlflow(
        version, "auth", prefix, env={"LL_ANA_TOKEN": tokens["ana"], "LL_VIC_TOKEN": tokens["vic"]}
    )
    refused(out["anonymous_search"], "UNAUTHENTICATED", "MLFLOW_TRACKING_TOKEN")
    refused(out["anonymous_create"], "UNAUTHENTICATED")
    refused(out["bad_token"], "UNAUTHENTICATED")
    refused(out["bad_password"], "UNAUTHENTICATED")
    refused(out["basic_wrong_user"], "UNAUTHENTICATED", "username")

    ana_run = out["ana_run"]
    assert (ana_run["user_id"], ana_run["run_name"], ana_run["status"]) == (
        "ana",
        "ana-run",
        "FINISHED",
    )
    assert (ana_run["params"], ana_run["metrics"]) == ({"lr": "0.1"}, {"loss": 0.5})
    assert out["claimed_user"] == "ana"
    assert out["basic_get"] == "ana"
    basic = out["basic_run"]
    assert (basic["user_id"], basic["status"], basic["metrics"]) == ("ana", "FINISHED", {"m": 1.0})

    assert out["vic_reads"] == "ana-run"
    assert out["vic_history"] == [0.5]
    assert out["vic_search"] == ["ana-run", "basic", "claims"]
    assert out["vic_artifact"] == "by ana"
    assert out["vic_experiments"] == [f"{prefix}-shared"]  # not ana's private one
    refused(out["vic_private_by_id"], "RESOURCE_DOES_NOT_EXIST")
    assert out["vic_private_by_name"] is None
    for action, seen in out["vic_denied"].items():
        refused(seen, "PERMISSION_DENIED")
        if action == "upload":
            assert seen["status"] == 403
    assert out["vic_own"] == "vic"
    refused(out["ana_sees_vic"], "RESOURCE_DOES_NOT_EXIST")
    claimed = out["claimed_after"]
    assert (claimed["params"], claimed["metrics"], claimed["status"]) == ({}, {}, "RUNNING")
    assert claimed["tags"] == {"mlflow.user": "mallory", "mlflow.runName": "claims"}
    assert out["shared_after"] == {
        "name": f"{prefix}-shared",
        "lifecycle_stage": "active",
        "tags": {},
        "runs": ["ana-run", "basic", "claims"],
    }

    # LabLedger's SDK, as ana: the runs are hers, and the audit log names her
    monkeypatch.setenv("LABLEDGER_TOKEN", tokens["ana"])
    with client(auth_server) as ll_client:
        run = ll_client.get_run(ana_run["run_id"])
        assert (run.project, run.user, run.params) == (f"{prefix}-shared", "ana", {"lr": "0.1"})
        assert ll_client.get_run(out["claimed_id"]).user == "ana"
        created = [
            e
            for e in ll_client.audit_entries(project=f"{prefix}-shared", limit=1000)
            if e["action"] == "run.create"
        ]
        assert sorted(e["actor"] for e in created) == ["ana", "ana", "ana"]
        projects = {p.name: p.role for p in ll_client.list_projects()}
        assert projects.get(f"{prefix}-private") == "owner"
        assert f"{prefix}-vic" not in projects


# -- hostile input, as raw HTTP ---------------------------------------------------------------
API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
BAD = "INVALID_PARAMETER_VALUE"
MISSING = "RESOURCE_DOES_NOT_EXIST"


def answered(response: httpx.Response) -> dict[str, Any]:
    """No 5xx, ever; JSON always; an error names its code and says why."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    body = response.json()
    assert isinstance(body, dict)
    if response.status_code >= 400:
        assert isinstance(body.get("error_code"), str) and body["error_code"], body
        assert isinstance(body.get("message"), str) and body["message"], body
    return body


def outcome(response: httpx.Response) -> tuple[int, str | None]:
    """(status, error code) of an answer that passed ``answered``."""
    return response.status_code, answered(response).get("error_code")


def post(http: httpx.Client, endpoint: str, doc: Any, **kwargs: Any) -> httpx.Response:
    """``doc`` as JSON text, whatever it holds (lone surrogates included, escaped)."""
    headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
    return http.post(f"{API}/{endpoint}", content=json.dumps(doc), headers=headers, **kwargs)


def hostile_posts(eid: str, rid: str) -> list[tuple[str, Any, int, str]]:
    """(endpoint, JSON body, status, error code): wrong types, unknown ids, odd Unicode."""
    e, r = {"experiment_id": eid}, {"run_id": rid}
    m = {**r, "key": "m"}
    parent = [{"key": "mlflow.parentRunId", "value": "x"}]
    twice = [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]
    many_params = [{"key": f"p{i}", "value": "v"} for i in range(1001)]
    many_datasets = [{"dataset": {"name": f"d{i}"}} for i in range(101)]
    return [
        ("experiments/create", {"name": 5}, 400, BAD),
        ("experiments/create", {"name": ["x"]}, 400, BAD),
        ("experiments/create", {"name": None}, 400, BAD),
        ("experiments/create", {"name": {"$gt": ""}}, 400, BAD),
        ("experiments/create", {"name": "t", "tags": "x"}, 400, BAD),
        ("experiments/create", {"name": "t", "tags": [1]}, 400, BAD),
        ("experiments/create", {"name": "t", "tags": [{"key": 5}]}, 400, BAD),
        ("experiments/create", {"name": "t", "tags": [{"key": "k", "value": [1]}]}, 400, BAD),
        ("experiments/search", {"max_results": "many"}, 400, BAD),
        ("experiments/search", {"max_results": 0}, 400, BAD),
        ("experiments/search", {"max_results": 1.5}, 400, BAD),
        ("experiments/search", {"max_results": 10**30}, 400, BAD),
        ("experiments/search", {"order_by": "name"}, 400, BAD),
        ("experiments/search", {"order_by": ["bogus"]}, 400, BAD),
        ("experiments/search", {"view_type": [1]}, 400, BAD),
        ("experiments/search", {"page_token": "!!!"}, 400, BAD),
        ("experiments/search", {"filter": "name = "}, 400, BAD),
        ("experiments/update", {**e, "new_name": 5}, 400, BAD),
        ("experiments/set-experiment-tag", {**e, "key": ["k"]}, 400, BAD),
        ("runs/create", {"experiment_id": {"a": 1}}, 400, BAD),
        ("runs/create", {**e, "start_time": "soon"}, 400, BAD),
        ("runs/create", {**e, "start_time": -5}, 400, BAD),
        ("runs/create", {**e, "start_time": 2**64}, 400, BAD),
        ("runs/create", {**e, "tags": parent}, 400, BAD),
        ("runs/create", {"experiment_id": "-1"}, 404, MISSING),
        ("runs/create", {"experiment_id": "9" * 40}, 404, MISSING),
        ("runs/log-metric", {**m, "value": "abc"}, 400, BAD),
        ("runs/log-metric", {**m, "value": True}, 400, BAD),
        ("runs/log-metric", {**m, "value": None}, 400, BAD),
        ("runs/log-metric", {**m, "value": "1e999"}, 400, BAD),
        ("runs/log-metric", {**m, "value": 1, "step": "x"}, 400, BAD),
        ("runs/log-metric", {**m, "value": 1, "step": 2**70}, 400, BAD),
        ("runs/log-metric", {**m, "value": 1, "timestamp": 1e30}, 400, BAD),
        ("runs/log-metric", {**r, "key": "\u0000", "value": 1}, 400, BAD),
        ("runs/log-metric", {"run_id": [rid], "key": "m", "value": 1}, 400, BAD),
        ("runs/log-parameter", {**r, "key": "p", "value": {"a": 1}}, 400, BAD),
        ("runs/log-parameter", {**r, "key": "k" * 251, "value": "v"}, 400, BAD),
        ("runs/set-tag", {**r, "key": "t", "value": [1]}, 400, BAD),
        ("runs/set-tag", {**r, "key": "t", "value": "v" * 8001}, 400, BAD),
        ("runs/log-batch", {**r, "metrics": "x"}, 400, BAD),
        ("runs/log-batch", {**r, "metrics": [5]}, 400, BAD),
        ("runs/log-batch", {**r, "metrics": [{"key": "", "value": 1}]}, 400, BAD),
        ("runs/log-batch", {**r, "params": twice}, 400, BAD),
        ("runs/log-batch", {**r, "params": many_params}, 400, BAD),
        ("runs/log-inputs", {**r, "datasets": "x"}, 400, BAD),
        ("runs/log-inputs", {**r, "datasets": [{"dataset": 5}]}, 400, BAD),
        ("runs/log-inputs", {**r, "datasets": [{"dataset": {"name": ""}}]}, 400, BAD),
        ("runs/log-inputs", {**r, "datasets": many_datasets}, 400, BAD),
        ("runs/update", {**r, "status": "BOGUS"}, 400, BAD),
        ("runs/update", {**r, "status": 99}, 400, BAD),
        ("runs/update", {**r, "status": [1]}, 400, BAD),
        ("runs/update", {**r, "status": {"s": 1}}, 400, BAD),
        ("runs/update", {**r, "status": True}, 400, BAD),
        ("runs/update", {**r, "status": "KILLED", "end_time": "x"}, 400, BAD),
        ("runs/search", {"experiment_ids": eid}, 400, BAD),
        ("runs/search", {"experiment_ids": []}, 400, BAD),
        ("runs/search", {"experiment_ids": [{"x": 1}]}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "max_results": -1}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "max_results": 50_001}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "filter": "metrics.m >>> 1"}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "filter": "(" * 5000}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "filter": "x" * 20_000}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "order_by": [5]}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "page_token": "abc"}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "page_token": b64({"offset": -1})}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "page_token": b64({"ll": 5})}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "page_token": b64([1])}, 400, BAD),
        ("runs/search", {"experiment_ids": [eid], "page_token": b64({"ll": "junk"})}, 400, BAD),
        # unknown ids
        ("runs/log-metric", {"run_id": "0" * 32, "key": "m", "value": 1}, 404, MISSING),
        ("runs/delete", {"run_id": "../../etc/passwd"}, 404, MISSING),
        ("runs/restore", {"run_id": "f" * 32}, 404, MISSING),
        ("runs/delete-tag", {**r, "key": "never-set"}, 404, MISSING),
        ("experiments/delete", {"experiment_id": "abc"}, 404, MISSING),
        ("experiments/restore", {"experiment_id": "123456789"}, 404, MISSING),
        # odd Unicode the names refuse, and JSON text that is not Unicode
        ("experiments/create", {"name": "ok-\u202e-\u0000"}, 400, BAD),
        ("experiments/create", {"name": "emoji-\U0001f600-\ufeff"}, 400, BAD),
        ("experiments/create", {"name": "x" * 100_000}, 400, BAD),
        ("runs/log-parameter", {**r, "key": "p", "value": "\ud800"}, 400, "BAD_REQUEST"),
        ("runs/set-tag", {**r, "key": "k\udfff", "value": "v"}, 400, "BAD_REQUEST"),
    ]


def hostile_gets(rid: str) -> list[tuple[str, dict[str, Any], int, str | None]]:
    r = {"run_id": rid}
    return [
        ("experiments/get", {"experiment_id": "abc"}, 404, MISSING),
        ("experiments/get", {"experiment_id": "-1"}, 404, MISSING),
        ("experiments/get", {"experiment_id": "9" * 30}, 404, MISSING),
        ("experiments/get", {}, 400, BAD),
        ("experiments/get-by-name", {}, 400, BAD),
        ("experiments/get-by-name", {"experiment_name": "\u202enope"}, 404, MISSING),
        ("runs/get", {}, 400, BAD),
        ("runs/get", {"run_id": "\u0000"}, 404, MISSING),
        ("runs/get", {"run_id": "\U0001f600" * 100}, 404, MISSING),
        ("runs/get", {"run_id": "' OR 1=1 --"}, 404, MISSING),
        ("metrics/get-history", r, 400, BAD),
        ("metrics/get-history", {"run_id": "0" * 32, "metric_key": "m"}, 404, MISSING),
        ("artifacts/list", {**r, "path": "../../etc"}, 400, BAD),
        ("artifacts/list", {**r, "path": "a\u0000b"}, 400, BAD),
        ("artifacts/list", {**r, "path": "/abs/"}, 200, None),  # slashes trimmed: a folder
        ("experiments/search", {"max_results": "0"}, 400, BAD),
        ("experiments/search", {"view_type": "BOGUS"}, 400, BAD),
    ]


RAW_BODIES = [
    (b"not json", "application/json", "BAD_REQUEST"),
    (b"[]", "application/json", BAD),
    (b'"text"', "application/json", BAD),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "BAD_REQUEST"),
    (b'{"a":' * 70 + b"1" + b"}" * 70, "application/json", "BAD_REQUEST"),
    (b"\xff\xfe{}", "application/json", "BAD_REQUEST"),
    (b'{"name": NaN}', "application/json", "BAD_REQUEST"),
    (b'{"name": 1e999}', "application/json", "BAD_REQUEST"),
    (b"name=x", "application/x-www-form-urlencoded", "BAD_REQUEST"),
]

ODD_UNICODE = {
    "rtl": "\u202eevil\u202c",
    "zwj": "\U0001f469\u200d\U0001f52c",
    "combining": "e\u0301",
    "cjk": "名前",
    "astral": "\U0001d54f",
}


def test_hostile_requests_never_answer_5xx(mlflow_server: ServerProcess):
    with httpx.Client(base_url=mlflow_server.url, timeout=120) as http:
        eid = answered(post(http, "experiments/create", {"name": "hostile"}))["experiment_id"]
        created = answered(post(http, "runs/create", {"experiment_id": eid, "run_name": "target"}))
        rid = created["run"]["info"]["run_id"]
        for endpoint, doc, status, code in hostile_posts(eid, rid):
            got = outcome(post(http, endpoint, doc))
            assert got == (status, code), (endpoint, str(doc)[:200])
        for endpoint, params, status, code in hostile_gets(rid):
            got = outcome(http.get(f"{API}/{endpoint}", params=params))
            assert got == (status, code), (endpoint, params)
        for content, media, code in RAW_BODIES:
            response = http.post(
                f"{API}/experiments/create", content=content, headers={"content-type": media}
            )
            assert outcome(response) == (400, code), content[:20]

        # over the request size limit: refused before it is read (LabLedger's front door)
        huge = b'{"name": "' + b"x" * (16 * 2**20) + b'"}'
        response = http.post(
            f"{API}/experiments/create", content=huge, headers={"content-type": "application/json"}
        )
        assert outcome(response) == (413, "body_too_large")
        # within it, but more points than one batch takes
        points = [{"key": "m", "value": 1.0, "timestamp": 1, "step": i} for i in range(200_001)]
        assert outcome(post(http, "runs/log-batch", {"run_id": rid, "metrics": points})) == (
            400,
            BAD,
        )

        # another site's page may not write (LabLedger's front door answers 403)
        foreign = {"origin": "https://evil.example"}
        response = post(http, "experiments/create", {"name": "csrf"}, headers=foreign)
        assert outcome(response) == (403, "origin_not_allowed")
        response = http.put(
            f"{PROXY}/{eid}/{rid}/artifacts/csrf.txt", content=b"x", headers=foreign
        )
        assert outcome(response) == (403, "origin_not_allowed")
        own = {"origin": mlflow_server.url}  # the server's own pages may
        assert outcome(post(http, "experiments/create", {"name": "same-origin"}, headers=own)) == (
            200,
            None,
        )

        # no such endpoint, or not with this method
        for method, path in [
            ("GET", f"{API}/nope"),
            ("POST", f"{API}/runs/nope"),
            ("GET", f"{API}/runs/create"),
            ("DELETE", f"{API}/experiments/create"),
            ("PATCH", f"{API}/runs/update"),
            ("GET", "/api/2.0/mlflow-artifacts/nope"),
            ("POST", "/ajax-api/2.0/mlflow/unknown/endpoint"),
        ]:
            assert outcome(http.request(method, path)) == (404, "ENDPOINT_NOT_FOUND"), path
        # a path or query that is not UTF-8 once decoded
        assert outcome(http.get(f"{API}/runs/get?run_id=%ED%A0%80")) == (400, "invalid_input")
        assert outcome(http.get(f"{API}/runs/%FF")) == (400, "invalid_input")

        # the artifact proxy
        for path, status, code in [
            (f"{eid}/{rid}/artifacts/%2e%2e/x", 400, BAD),
            (f"{eid}/{rid}/artifacts//abs", 400, BAD),
            (f"{eid}/{rid}/artifacts/a%00b", 400, BAD),
            (f"{eid}/{rid}/artifacts/" + "d/" * 600 + "f", 400, BAD),
            (f"{eid}/{'a' * 32}/artifacts/f", 404, MISSING),
            (f"999/{rid}/artifacts/f", 404, MISSING),
            ("abc/def", 404, MISSING),
        ]:
            assert outcome(http.put(f"{PROXY}/{path}", content=b"data")) == (status, code), path
            assert outcome(http.get(f"{PROXY}/{path}")) == (status, code), path
        for params, status in [
            ({}, 404),
            ({"path": "zz"}, 404),
            ({"path": f"{eid}/{rid}/artifacts/../.."}, 400),
        ]:
            response = http.get("/api/2.0/mlflow-artifacts/artifacts", params=params)
            assert outcome(response)[0] == status, params

        # odd Unicode that is valid is stored and read back exactly
        for key, value in ODD_UNICODE.items():
            answered(post(http, "runs/set-tag", {"run_id": rid, "key": f"t-{key}", "value": value}))
            answered(
                post(http, "runs/log-parameter", {"run_id": rid, "key": f"p-{key}", "value": value})
            )
        answered(post(http, "runs/set-tag", {"run_id": rid, "key": "ключ", "value": "значение"}))
        got = answered(http.get(f"{API}/runs/get", params={"run_id": rid}))["run"]
        tags = {t["key"]: t["value"] for t in got["data"]["tags"]}
        params = {p["key"]: p["value"] for p in got["data"]["params"]}
        assert tags == {
            **{f"t-{k}": v for k, v in ODD_UNICODE.items()},
            "ключ": "значение",
            "mlflow.runName": "target",
        }
        # and nothing the hostile requests sent reached the run or made an experiment
        assert params == {f"p-{k}": v for k, v in ODD_UNICODE.items()}
        assert got["data"]["metrics"] == [] and got["info"]["status"] == "RUNNING"
        listed = answered(post(http, "experiments/search", {"max_results": 1000}))
        names = {e["name"] for e in listed["experiments"]}
        assert names & {"hostile", "same-origin", "t", "csrf"} == {"hostile", "same-origin"}
        assert http.get("/health").text == "OK"


HOSTILE_CREDENTIALS = [
    {},
    {"authorization": ""},
    {"authorization": "Bearer"},
    {"authorization": "Bearer ll_" + "x" * 43},
    {"authorization": "Basic !!!"},
    {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    {"authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
    {"authorization": "Digest username=ana"},
    {"authorization": "Bearer " + "x" * 4000},
    {"cookie": "labledger_session=forged"},
]


def test_hostile_credentials_on_an_auth_server(auth_server: ServerProcess):
    token = auth_server.tokens["ana"]  # type: ignore[attr-defined]
    refused_headers = [
        *HOSTILE_CREDENTIALS,
        {"authorization": "Bearer " + token + "x"},
        {"authorization": "Token " + token},
        {"authorization": "Basic " + base64.b64encode(b"vic:" + token.encode()).decode()},
    ]
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"{API}/experiments/search", {}),
        ("POST", f"{API}/experiments/create", {"json": {"name": "intruder"}}),
        ("GET", f"{API}/runs/get", {"params": {"run_id": "0" * 32}}),
        ("PUT", f"{PROXY}/1/{'0' * 32}/artifacts/x.txt", {"content": b"x"}),
        ("GET", "/api/2.0/mlflow-artifacts/artifacts", {"params": {"path": "1"}}),
    ]
    with httpx.Client(base_url=auth_server.url, timeout=60) as http:
        for headers in refused_headers:
            for method, path, kwargs in calls:
                response = http.request(method, path, headers=headers, **kwargs)
                assert outcome(response) == (401, "UNAUTHENTICATED"), (headers, path)
        bearer = {"authorization": f"Bearer {token}"}
        listed = answered(http.get(f"{API}/experiments/search", headers=bearer))
        assert "intruder" not in [e["name"] for e in listed["experiments"]]
        made = http.post(f"{API}/experiments/create", json={"name": "intruder"}, headers=bearer)
        assert outcome(made) == (200, None)  # only now
