"""MLflow 3's logged models (``mlflow.<flavor>.log_model``): create, upload to the advertised
location (the run's ``models/<id>/`` folder, through the artifact proxy), finalize, get,
search, tags, params, delete; and ``runs/outputs``.  ``models:/<id>`` sources register
through ``registry.py``."""

from __future__ import annotations

import json
import re
from typing import Any

from labledger.core.limits import MAX_TAG_VALUE
from labledger.server.mlflow import name_filter
from labledger.server.mlflow.calls import Call, Handler
from labledger.server.mlflow.experiments import experiment_id, resolve
from labledger.server.mlflow.protocol import Args, invalid
from labledger.server.mlflow.runs import experiment_of, run_id_of
from labledger.services.logged_models import folder_of
from labledger.services.tracker import Tracker

MODEL_ID = re.compile(r"m-[0-9a-f]{32}")


def model_json(row: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
    exp = experiment_of(tracker, row["project"])
    location = f"mlflow-artifacts:/{exp}/{row['run_id']}/artifacts/{folder_of(row['id'])}"
    return {
        "info": {
            "model_id": row["id"],
            "experiment_id": str(exp),
            "name": row["name"],
            "model_type": row["model_type"],
            "source_run_id": row["run_id"],
            "status": row["status"],
            "creation_timestamp_ms": row["created_ms"],
            "last_updated_timestamp_ms": row["updated_ms"],
            "artifact_uri": location,
            "tags": [{"key": k, "value": v} for k, v in row["tags"].items()],
        },
        "data": {
            "params": [{"key": k, "value": v} for k, v in row["params"].items()],
            "metrics": [],
        },
    }


def model_id_of(call: Call) -> str:
    raw = call.request.path_params.get("rest", "")
    parts = raw.split("/")
    return parts[2] if len(parts) > 2 else str(call.args.text("model_id", required=True))


def _create(call: Call) -> dict[str, Any]:
    args = call.args
    run_id = args.text("source_run_id")
    if not run_id:
        invalid(
            "LabLedger keeps a logged model with its run: 'source_run_id' is required "
            "(log the model inside mlflow.start_run())"
        )
    resolve(call.tracker, experiment_id(args))
    row = call.tracker.logged_models.create(
        run_id,
        args.text("name") or "model",
        args.text("model_type") or "",
        dict(args.key_values("params")),
        dict(args.key_values("tags")),
    )
    return {"model": model_json(row, call.tracker)}


def _path_id(call: Call) -> str:
    m = MODEL_ID.search(call.request.path_params.get("rest", ""))
    if m is None:
        invalid("the path must name a logged model id (m-<32 hex>)")
    return m[0]


def _get(call: Call) -> dict[str, Any]:
    return {"model": model_json(call.tracker.logged_models.get(_path_id(call)), call.tracker)}


def _finalize(call: Call) -> dict[str, Any]:
    status = call.args.raw("status")
    if isinstance(status, int):
        status = {
            1: "LOGGED_MODEL_PENDING",
            2: "LOGGED_MODEL_READY",
            3: "LOGGED_MODEL_UPLOAD_FAILED",
        }.get(status)
    row = call.tracker.logged_models.finalize(_path_id(call), str(status))
    return {"model": model_json(row, call.tracker)}


def _delete(call: Call) -> dict[str, Any]:
    call.tracker.logged_models.delete(_path_id(call))
    return {}


def _set_tags(call: Call) -> dict[str, Any]:
    call.tracker.logged_models.set_tags(_path_id(call), dict(call.args.key_values("tags")))
    return {}


def _delete_tag(call: Call) -> dict[str, Any]:
    key = call.request.path_params.get("rest", "").split("/tags/", 1)[-1]
    call.tracker.logged_models.delete_tag(_path_id(call), key)
    return {}


def _log_params(call: Call) -> dict[str, Any]:
    call.tracker.logged_models.log_params(_path_id(call), dict(call.args.key_values("params")))
    return {}


def _search(call: Call) -> dict[str, Any]:
    args = call.args
    ids = [experiment_id(Args({"experiment_id": raw}, {})) for raw in args.items("experiment_ids")]
    projects = [resolve(call.tracker, i).id for i in ids]
    rows = call.tracker.logged_models.list(projects)
    text = args.text("filter") or ""
    if text.strip():
        conds = name_filter.conditions(text)
        rows = [r for r in rows if name_filter.holds(r["name"], r["tags"], conds)]
    max_results = args.integer("max_results", default=100)
    if not 1 <= max_results <= 10_000:
        invalid(f"Invalid value {max_results} for parameter 'max_results'")
    offset = name_filter.offset_of(args.text("page_token"))
    page = rows[offset : offset + max_results]
    out: dict[str, Any] = {"models": [model_json(r, call.tracker) for r in page]}
    if offset + max_results < len(rows):
        out["next_page_token"] = name_filter.offset_token(offset + max_results)
    return out


def _log_outputs(call: Call) -> dict[str, Any]:
    """``runs/outputs``: the run's models are already the logged models' source run."""
    for item in call.args.items("models"):
        if isinstance(item, dict) and isinstance(item.get("model_id"), str):
            call.tracker.logged_models.get(item["model_id"])
    return {}


HISTORY_TAG = "mlflow.log-model.history"


def _log_model(call: Call) -> dict[str, Any]:
    """``runs/log-model`` (MLflow 2's ``log_model``): the model's metadata appended to the
    run's ``mlflow.log-model.history`` tag, a JSON list, as MLflow keeps it (the oldest
    entries give way when the list would pass the tag value limit)."""
    run_id = run_id_of(call.args)
    raw = call.args.text("model_json", required=True)
    try:
        model = json.loads(raw)
    except ValueError:
        invalid("Invalid value for parameter 'model_json': it is not JSON")
    if not isinstance(model, dict):
        invalid("Invalid value for parameter 'model_json': a JSON object")
    run = call.tracker.runs.get_run(run_id)
    try:
        history = json.loads(run.tags.get(HISTORY_TAG, "[]"))
    except ValueError:
        history = []
    history = [*history, model] if isinstance(history, list) else [model]
    text = json.dumps(history, separators=(",", ":"))
    while len(text) > MAX_TAG_VALUE and len(history) > 1:
        history = history[1:]
        text = json.dumps(history, separators=(",", ":"))
    if len(text) > MAX_TAG_VALUE:
        invalid(f"the model's metadata is over {MAX_TAG_VALUE} characters once written as JSON")
    call.tracker.runs.log_batch(run_id, {"tags": {HISTORY_TAG: text}})
    return {}


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "/runs/log-model"): _log_model,
    ("POST", "/logged-models"): _create,
    ("POST", "/logged-models/search"): _search,
    ("POST", "/runs/outputs"): _log_outputs,
}
# Paths with the model id inside: matched by door.py's pattern table.
PATTERNS: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/logged-models/m-[0-9a-f]{32}"), _get),
    ("PATCH", re.compile(r"/logged-models/m-[0-9a-f]{32}"), _finalize),
    ("DELETE", re.compile(r"/logged-models/m-[0-9a-f]{32}"), _delete),
    ("PATCH", re.compile(r"/logged-models/m-[0-9a-f]{32}/tags"), _set_tags),
    ("DELETE", re.compile(r"/logged-models/m-[0-9a-f]{32}/tags/.+"), _delete_tag),
    ("POST", re.compile(r"/logged-models/m-[0-9a-f]{32}/params"), _log_params),
]
