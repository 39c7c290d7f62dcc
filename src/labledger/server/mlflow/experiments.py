"""MLflow's experiment endpoints over LabLedger's projects (``services/experiments.py``)."""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any

from labledger.core.errors import ProjectNotFoundError
from labledger.server.mlflow import name_filter
from labledger.server.mlflow.calls import Call, Handler
from labledger.server.mlflow.protocol import RESOURCE_DOES_NOT_EXIST, Args, MlflowError, invalid
from labledger.server.mlflow.wire import DEFAULT_EXPERIMENT, experiment_json
from labledger.services.experiments import Experiment
from labledger.services.tracker import Tracker

VIEW_TYPES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3, "1": 1, "2": 2, "3": 3}
MAX_EXPERIMENTS_PAGE = 50_000


def experiment_id(args: Args, name: str = "experiment_id") -> int:
    raw = (
        args.text(name, required=True)
        if not isinstance(args.raw(name), int)
        else str(args.raw(name))
    )
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"No Experiment with id={raw} exists")
    return int(raw)


def default_experiment(tracker: Tracker) -> Experiment:
    """MLflow's experiment "0": the project named "Default", made on first use."""
    try:
        return tracker.experiments.get_by_name(DEFAULT_EXPERIMENT)
    except ProjectNotFoundError:
        return tracker.experiments.create(DEFAULT_EXPERIMENT)


def resolve(tracker: Tracker, raw_id: int) -> Experiment:
    if raw_id == 0:
        return default_experiment(tracker)
    return tracker.experiments.get(raw_id)


def view_type(args: Args) -> int:
    raw = args.raw("run_view_type") if args.has("run_view_type") else args.raw("view_type")
    if raw is None:
        return 1
    found = VIEW_TYPES.get(str(raw).upper())
    if found is None:
        invalid(
            f"Invalid value {raw!r} for parameter 'view_type': ACTIVE_ONLY, DELETED_ONLY or ALL"
        )
    return found


def _create(call: Call) -> dict[str, Any]:
    name = call.args.text("name", required=True)
    tags = dict(call.args.key_values("tags"))
    created = call.tracker.experiments.create(name, tags)
    return {"experiment_id": str(created.id)}


def _get(call: Call) -> dict[str, Any]:
    return {"experiment": experiment_json(resolve(call.tracker, experiment_id(call.args)))}


def _get_by_name(call: Call) -> dict[str, Any]:
    name = call.args.text("experiment_name", required=True)
    if name == DEFAULT_EXPERIMENT:
        return {"experiment": experiment_json(default_experiment(call.tracker))}
    return {"experiment": experiment_json(call.tracker.experiments.get_by_name(name))}


def _search(call: Call) -> dict[str, Any]:
    view = view_type(call.args)
    every = [e for e in call.tracker.experiments.list() if view == 3 or e.deleted == (view == 2)]
    every.sort(key=lambda e: (-e.updated_ms, -e.id))
    page, token = name_filter.listing(
        every,
        call.args,
        name=attrgetter("name"),
        tags=attrgetter("tags"),
        order_fields={
            "name": "name",
            "experiment_id": "id",
            "creation_time": "created_ms",
            "last_update_time": "updated_ms",
        },
        max_default=1000,
        max_limit=MAX_EXPERIMENTS_PAGE,
    )
    out: dict[str, Any] = {"experiments": [experiment_json(e) for e in page]}
    if token:
        out["next_page_token"] = token
    return out


def _update(call: Call) -> dict[str, Any]:
    found = resolve(call.tracker, experiment_id(call.args))
    new_name = call.args.text("new_name")
    if new_name:
        call.tracker.experiments.rename(found.id, new_name)
    return {}


def _delete(call: Call) -> dict[str, Any]:
    call.tracker.experiments.delete(resolve(call.tracker, experiment_id(call.args)).id)
    return {}


def _restore(call: Call) -> dict[str, Any]:
    call.tracker.experiments.restore(resolve(call.tracker, experiment_id(call.args)).id)
    return {}


def _set_tag(call: Call) -> dict[str, Any]:
    found = resolve(call.tracker, experiment_id(call.args))
    key = call.args.text("key", required=True)
    value = call.args.text("value", default="") or ""
    call.tracker.experiments.set_tag(found.id, key, value)
    return {}


def _delete_tag(call: Call) -> dict[str, Any]:
    found = resolve(call.tracker, experiment_id(call.args))
    call.tracker.experiments.delete_tag(found.id, call.args.text("key", required=True))
    return {}


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "/experiments/create"): _create,
    ("GET", "/experiments/get"): _get,
    ("GET", "/experiments/get-by-name"): _get_by_name,
    ("POST", "/experiments/search"): _search,
    ("GET", "/experiments/search"): _search,
    ("POST", "/experiments/update"): _update,
    ("POST", "/experiments/delete"): _delete,
    ("POST", "/experiments/restore"): _restore,
    ("POST", "/experiments/set-experiment-tag"): _set_tag,
    ("POST", "/experiments/delete-experiment-tag"): _delete_tag,
}
