"""MLflow's experiment endpoints over LabLedger's projects (``services/experiments.py``)."""

from __future__ import annotations

import base64
import fnmatch
import re
from operator import attrgetter
from typing import Any

from labledger.core.errors import ProjectNotFoundError
from labledger.server.mlflow.door import Call, Handler
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


_CONDITION = re.compile(
    r"\s*(?P<field>(?:attributes?\.|attr\.)?name|tags?\.(?:`[^`]+`|\"[^\"]+\"|[\w.\-/ ]+?))"
    r"\s*(?P<op>!=|=|(?:NOT\s+)?I?LIKE)\s*(?P<value>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")\s*",
    re.IGNORECASE,
)


def _matcher(text: str) -> list[tuple[str, str, str]]:
    """MLflow's experiment filter: ``name`` and ``tags.<key>`` compared with =, !=, LIKE,
    ILIKE, joined by AND."""
    out = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.IGNORECASE):
        m = _CONDITION.fullmatch(part)
        if m is None:
            invalid(f"Invalid experiment filter {text!r}: could not read {part.strip()!r}")
        field = m["field"]
        if not field.lower().startswith("tag"):
            field = "name"
        quote = m["value"][0]
        value = m["value"][1:-1].replace(quote * 2, quote)
        out.append((field, m["op"].upper(), value))
    return out


def _like(value: str, pattern: str, fold: bool) -> bool:
    if fold:
        value, pattern = value.lower(), pattern.lower()
    glob = "".join(
        "*" if c == "%" else "?" if c == "_" else "[" + c + "]" if c in "[*?" else c
        for c in pattern
    )
    return fnmatch.fnmatchcase(value, glob)


def _matches(found: Experiment, conditions: list[tuple[str, str, str]]) -> bool:
    for field, op, wanted in conditions:
        if field == "name":
            value: str | None = found.name
        else:
            key = field.split(".", 1)[1].strip('`"')
            value = found.tags.get(key)
            if value is None:
                return False
        assert value is not None
        negate = op.startswith("NOT")
        op = op.removeprefix("NOT").strip()
        if op == "=":
            ok = value == wanted
        elif op == "!=":
            ok = value != wanted
        else:
            ok = _like(value, wanted, fold=op == "ILIKE")
        if ok == negate:
            return False
    return True


def _search(call: Call) -> dict[str, Any]:
    args = call.args
    view = view_type(args)
    max_results = args.integer("max_results", default=1000)
    if not 1 <= max_results <= MAX_EXPERIMENTS_PAGE:
        invalid(
            f"Invalid value {max_results} for parameter 'max_results': "
            f"between 1 and {MAX_EXPERIMENTS_PAGE}"
        )
    conditions = _matcher(args.text("filter") or "") if args.text("filter") else []
    order = args.texts("order_by")
    found = [
        e
        for e in call.tracker.experiments.list()
        if (view == 3 or e.deleted == (view == 2)) and _matches(e, conditions)
    ]
    found.sort(key=lambda e: (-e.updated_ms, -e.id))
    for item in reversed(order or []):
        field, _, direction = item.strip().partition(" ")
        key = {
            "name": "name",
            "experiment_id": "id",
            "creation_time": "created_ms",
            "last_update_time": "updated_ms",
        }.get(field.removeprefix("attributes.").removeprefix("attribute."))
        if key is None:
            invalid(f"Invalid order_by clause {item!r}")
        found.sort(key=attrgetter(key), reverse=direction.strip().upper() == "DESC")
    offset = _offset(args.text("page_token"))
    page = found[offset : offset + max_results]
    out: dict[str, Any] = {"experiments": [experiment_json(e) for e in page]}
    if offset + max_results < len(found):
        out["next_page_token"] = base64.urlsafe_b64encode(
            str(offset + max_results).encode()
        ).decode()
    return out


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        invalid(f"Invalid page token {token!r}")
    if value < 0:
        invalid(f"Invalid page token {token!r}")
    return value


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
