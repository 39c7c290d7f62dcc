"""MLflow's run endpoints: create, get, update, delete, log (metric, param, tag, batch,
inputs), metric history.  Search is in ``run_search.py``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from labledger.core.entities import RunCreate, RunUpdate
from labledger.core.errors import MetricNotFoundError
from labledger.core.ids import now_ms
from labledger.server.mlflow import run_search
from labledger.server.mlflow.calls import Call, Handler
from labledger.server.mlflow.experiments import experiment_id, resolve
from labledger.server.mlflow.protocol import (
    INVALID_STATE,
    RESOURCE_DOES_NOT_EXIST,
    Args,
    MlflowError,
    as_float,
    invalid,
    stringify,
    wire_double,
)
from labledger.server.mlflow.wire import (
    PARENT_TAG,
    RUN_NAME_TAG,
    STATUS_IN,
    STATUS_NUMBERS,
    run_info,
    run_json,
)
from labledger.services.tracker import Tracker


def run_id_of(args: Args) -> str:
    run_id = args.text("run_id") or args.text("run_uuid")
    if not run_id:
        invalid("Missing value for required parameter 'run_id'.")
    return str(run_id)


def experiment_of(tracker: Tracker, project: str) -> int:
    return tracker.experiments.get_by_name(project).id


def _inputs(tracker: Tracker, run_id: str) -> list[dict[str, Any]]:
    out = []
    for ds in tracker.provenance.datasets(run_id):
        out.append(
            {
                "tags": [{"key": "mlflow.data.context", "value": ds.role}],
                "dataset": {
                    "name": ds.name,
                    "digest": ds.digest[:8],
                    "source_type": "labledger",
                    "source": json.dumps({"uri": ds.uri}),
                    "schema": json.dumps(
                        {"mlflow_colspec": [{"name": c, "type": t} for c, t in ds.schema or []]}
                    ),
                },
            }
        )
    return out


def full_run(tracker: Tracker, run_id: str) -> dict[str, Any]:
    run = tracker.runs.get_run(run_id)
    latest = tracker.search.latest_points(run.project, [run_id]).get(run_id)
    exp = experiment_of(tracker, run.project)
    return run_json(run, exp, latest, inputs=_inputs(tracker, run_id))


def _create(call: Call) -> dict[str, Any]:
    args = call.args
    raw = args.raw("experiment_id")
    found = resolve(call.tracker, 0 if raw in (None, "") else experiment_id(args))
    if found.deleted:
        raise MlflowError(
            INVALID_STATE,
            f"The experiment {found.id} must be in the 'active' state. Current state is deleted.",
        )
    tags = dict(args.key_values("tags"))
    name = args.text("run_name") or tags.pop(RUN_NAME_TAG, None)
    tags.pop(RUN_NAME_TAG, None)
    parent = tags.pop(PARENT_TAG, None)
    # the signed-in caller, when the server asks for credentials; else what the client says
    user = call.tracker.runs.principal.name if call.tracker.auth else args.text("user_id")
    spec = RunCreate(
        project=found.name,
        name=name or None,
        user=user or None,
        parent_id=parent or None,
        start_ms=args.integer("start_time") or None,
        tags=tags,
    )
    run, _ = call.tracker.runs.create_run(spec)
    return {"run": run_json(run, found.id)}


def _get(call: Call) -> dict[str, Any]:
    return {"run": full_run(call.tracker, run_id_of(call.args))}


def _update(call: Call) -> dict[str, Any]:
    args = call.args
    run_id = run_id_of(args)
    raw = args.raw("status")
    status_name = STATUS_NUMBERS.get(raw) if type(raw) is int else raw
    if raw is not None and (not isinstance(status_name, str) or status_name not in STATUS_IN):
        invalid(f"Invalid value {raw!r} for parameter 'status'")
    status = STATUS_IN.get(status_name) if status_name else None
    end = args.integer("end_time")
    name = args.text("run_name") or None
    change = RunUpdate(
        status=status,
        end_ms=(end or now_ms()) if status is not None else None,
        name=name,
    )
    tracker = call.tracker
    run = (
        tracker.runs.update_run(run_id, change)
        if (status or name)
        else tracker.runs.get_run(run_id)
    )
    return {"run_info": run_info(run, experiment_of(tracker, run.project))}


def _delete(call: Call) -> dict[str, Any]:
    call.tracker.runs.delete_run(run_id_of(call.args), "deleted through the MLflow API")
    return {}


def _restore(call: Call) -> dict[str, Any]:
    run_id = run_id_of(call.args)
    call.tracker.runs.get_run(run_id)  # a live run: nothing to restore
    return {}


def _batch(run_id: str, metrics: list[Any], params: list[Any], tags: list[Any]) -> dict[str, Any]:
    columns: dict[str, dict[str, list[Any]]] = {}
    for i, item in enumerate(metrics):
        if not isinstance(item, dict):
            invalid(f"Invalid value for parameter 'metrics[{i}]': an object")
        key = item.get("key")
        if not isinstance(key, str) or not key:
            invalid(f"Invalid value for parameter 'metrics[{i}].key': a non-empty string")
        col = columns.setdefault(key, {"steps": [], "timestamps": [], "values": []})
        col["values"].append(wire_double(as_float(f"metrics[{i}].value", item.get("value"))))
        col["steps"].append(Args(item, {}).integer("step", default=0))
        stamp = Args(item, {}).integer("timestamp", default=None)
        col["timestamps"].append(now_ms() if stamp is None else max(stamp, 0))
    param_map: dict[str, str] = {}
    for key, value in Args({"p": params}, {}).key_values("p"):
        if key in param_map and param_map[key] != value:
            invalid(
                f"Duplicate parameter keys have been submitted: ['{key}']. Please ensure the "
                "request contains only one param value per param key."
            )
        param_map[key] = value
    tag_map = dict(Args({"t": tags}, {}).key_values("t"))
    del run_id
    return {"metrics": columns, "params": param_map, "tags": tag_map}


def _apply_tags(tracker: Tracker, run_id: str, tags: dict[str, str]) -> dict[str, str]:
    """``mlflow.runName`` renames the run; the parent tag is the run's parent (fixed)."""
    name = tags.pop(RUN_NAME_TAG, None)
    tags.pop(PARENT_TAG, None)
    if name:
        tracker.runs.update_run(run_id, RunUpdate(name=name))
    return tags


def _log(call: Call, metrics: list[Any], params: list[Any], tags: list[Any]) -> dict[str, Any]:
    run_id = run_id_of(call.args)
    body = _batch(run_id, metrics, params, tags)
    body["tags"] = _apply_tags(call.tracker, run_id, body["tags"])
    if body["metrics"] or body["params"] or body["tags"]:
        call.tracker.runs.log_batch(run_id, body)
    return {}


def _log_batch(call: Call) -> dict[str, Any]:
    args = call.args
    return _log(call, args.items("metrics"), args.items("params"), args.items("tags"))


def _log_metric(call: Call) -> dict[str, Any]:
    args = call.args
    item = {
        "key": args.text("key", required=True),
        "value": args.raw("value"),
        "step": args.raw("step"),
        "timestamp": args.raw("timestamp"),
    }
    if item["value"] is None:
        invalid("Missing value for required parameter 'value'.")
    return _log(call, [item], [], [])


def _log_param(call: Call) -> dict[str, Any]:
    args = call.args
    key = args.text("key", required=True)
    return _log(call, [], [{"key": key, "value": args.raw("value")}], [])


def _set_tag(call: Call) -> dict[str, Any]:
    args = call.args
    key = args.text("key", required=True)
    return _log(call, [], [], [{"key": key, "value": stringify(args.raw("value"), "value")}])


def _delete_tag(call: Call) -> dict[str, Any]:
    run_id = run_id_of(call.args)
    key = call.args.text("key", required=True)
    if key not in (RUN_NAME_TAG, PARENT_TAG) and key not in call.tracker.runs.get_run(run_id).tags:
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST, f"No tag with name: {key} in run with id {run_id}"
        )
    call.tracker.runs.delete_tag(run_id, key)
    return {}


def _log_inputs(call: Call) -> dict[str, Any]:
    run_id = run_id_of(call.args)
    datasets = []
    for i, item in enumerate(call.args.items("datasets")):
        if not isinstance(item, dict) or not isinstance(item.get("dataset"), dict):
            invalid(f"Invalid value for parameter 'datasets[{i}]': {{tags, dataset}} objects")
        ds = item["dataset"]
        tags = dict(Args(item, {}).key_values("tags"))
        name = stringify(ds.get("name"), f"datasets[{i}].dataset.name")
        source = stringify(ds.get("source", ""), f"datasets[{i}].dataset.source")
        digest = stringify(ds.get("digest", ""), f"datasets[{i}].dataset.digest")
        source_type = stringify(ds.get("source_type", ""), f"datasets[{i}].dataset.source_type")
        role = "".join(
            c if c.isalnum() or c in "_-" else "_" for c in tags.get("mlflow.data.context", "input")
        )
        entry: dict[str, Any] = {
            "name": name,
            "role": role[:64] or "input",
            "uri": _uri(source_type, source)[:4000],
            "digest": hashlib.sha256(f"{name}\0{digest}\0{source}".encode()).hexdigest(),
            "size": 0,
        }
        schema = _schema(ds.get("schema"))
        if schema:
            entry["schema"] = schema
        datasets.append(entry)
    if datasets:
        call.tracker.runs.log_batch(run_id, {"datasets": datasets})
    return {}


def _uri(source_type: str, source: str) -> str:
    try:
        parsed = json.loads(source)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("uri"), str):
        return str(parsed["uri"])
    return f"{source_type or 'mlflow'}:{source}" if source else f"{source_type or 'mlflow'}:"


def _schema(raw: Any) -> list[list[str]]:
    if not isinstance(raw, str):
        return []
    try:
        parsed = json.loads(raw)
    except ValueError:
        return []
    cols = parsed.get("mlflow_colspec") if isinstance(parsed, dict) else None
    if not isinstance(cols, list):
        return []
    out = []
    for col in cols[:10_000]:
        if isinstance(col, dict) and isinstance(col.get("name"), str):
            out.append([col["name"][:250], str(col.get("type", ""))[:64]])
    return out


def _history(call: Call) -> dict[str, Any]:
    args = call.args
    run_id = run_id_of(args)
    key = args.text("metric_key", required=True)
    try:
        series = call.tracker.search.get_metric_history(run_id, key)
    except MetricNotFoundError:  # MLflow answers an empty history for a key never logged
        return {"metrics": []}
    points = [
        {"key": key, "value": wire_double(v), "timestamp": t, "step": s}
        for s, t, v in zip(series.steps, series.timestamps, series.values, strict=True)
    ]
    return {"metrics": points}


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "/runs/create"): _create,
    ("GET", "/runs/get"): _get,
    ("POST", "/runs/update"): _update,
    ("POST", "/runs/delete"): _delete,
    ("POST", "/runs/restore"): _restore,
    ("POST", "/runs/log-metric"): _log_metric,
    ("POST", "/runs/log-parameter"): _log_param,
    ("POST", "/runs/set-tag"): _set_tag,
    ("POST", "/runs/delete-tag"): _delete_tag,
    ("POST", "/runs/log-batch"): _log_batch,
    ("POST", "/runs/log-inputs"): _log_inputs,
    ("GET", "/metrics/get-history"): _history,
    ("POST", "/runs/search"): run_search.search,
}
