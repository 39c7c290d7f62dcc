"""MLflow's run search over LabLedger's search language.

LabLedger's language was made to read MLflow's filters (``metrics.acc > 0.9 and
params.lr = '0.1'``, ``attributes.status = 'FINISHED'``, LIKE, ILIKE, IN, backticks); the
few names MLflow spells differently are rewritten here: the run name tag
``tags.mlflow.runName`` and the parent tag are attributes in LabLedger, ``user_id`` is
``user`` and ``created`` is ``start_time``.

One experiment: LabLedger's own paging (its page token, wrapped).  Several: each project's
first ``offset + max_results`` runs in the requested order, merged here, with an offset
token; MLflow's clients page over hundreds or thousands of runs this way.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

from labledger.core.entities import Run
from labledger.core.limits import MAX_PAGE_SIZE
from labledger.server.mlflow.calls import Call
from labledger.server.mlflow.experiments import experiment_id, resolve, view_type
from labledger.server.mlflow.protocol import Args, invalid
from labledger.server.mlflow.wire import run_json
from labledger.services.experiments import Experiment

MAX_RESULTS = 50_000  # MLflow's own ceiling for one page of runs
MAX_EXPERIMENTS = 1_000  # experiments searched at once

_QUOTED_KEY = r"(?:`{key}`|\"{key}\"|{key}\b)"
_REWRITES = [
    (
        re.compile(r"\btags?\." + _QUOTED_KEY.format(key=r"mlflow\.runName"), re.I),
        "attributes.name",
    ),
    (
        re.compile(r"\btags?\." + _QUOTED_KEY.format(key=r"mlflow\.parentRunId"), re.I),
        "attributes.parent_id",
    ),
    (re.compile(r"\b(attributes?|attr)\.user_id\b", re.I), r"\1.user"),
    (re.compile(r"\b(attributes?|attr)\.created\b", re.I), r"\1.start_time"),
    (re.compile(r"\b(attributes?|attr)\.run_uuid\b", re.I), r"\1.run_id"),
]


def translate(text: str) -> str:
    """MLflow's names for fields LabLedger names otherwise (outside quoted values)."""
    parts = re.split(r"('(?:[^']|'')*')", text)  # leave single-quoted values alone
    for i in range(0, len(parts), 2):
        for pattern, replacement in _REWRITES:
            parts[i] = pattern.sub(replacement, parts[i])
    return "".join(parts)


def _experiments(call: Call) -> list[Experiment]:
    ids = call.args.items("experiment_ids")
    if not ids:
        invalid("Missing value for required parameter 'experiment_ids'.")
    if len(ids) > MAX_EXPERIMENTS:
        invalid(
            f"Invalid value for parameter 'experiment_ids': {len(ids)} experiments; "
            f"a search takes at most {MAX_EXPERIMENTS}"
        )
    found: dict[int, Experiment] = {}  # each experiment once, however often it is named
    for raw in ids:
        experiment = resolve(call.tracker, experiment_id(Args({"experiment_id": raw}, {})))
        found.setdefault(experiment.id, experiment)
    return list(found.values())


def search(call: Call) -> dict[str, Any]:
    args = call.args
    experiments = _experiments(call)
    max_results = args.integer("max_results", default=1000)
    if not 1 <= max_results <= MAX_RESULTS:
        invalid(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {MAX_RESULTS}, and at least 1."
        )
    filter_text = args.text("filter") or None
    order = [translate(o) for o in args.texts("order_by")]
    view = view_type(args)
    token = args.text("page_token") or None
    ll_filter = translate(filter_text) if filter_text else None
    if view == 2:  # LabLedger keeps no deleted runs to list, only their tombstones
        return {"runs": []}
    by_project = {e.name: e.id for e in experiments}
    if len(experiments) == 1 and max_results <= MAX_PAGE_SIZE and not _is_offset(token):
        project = experiments[0].name
        inner = _unwrap(token)
        page = call.tracker.search.search_runs(
            project, ll_filter, order or None, max_results, inner
        )
        out: dict[str, Any] = {"runs": _jsons(call, page.runs, by_project)}
        if page.next_page_token:
            out["next_page_token"] = _wrap({"ll": page.next_page_token})
        return out
    offset = _offset(token)
    wanted = offset + max_results
    merged: list[Run] = []
    for experiment in experiments:
        merged.extend(_first(call, experiment.name, ll_filter, order, wanted))
    merged.sort(key=_sort_key(order))
    page_runs = merged[offset:wanted]
    out = {"runs": _jsons(call, page_runs, by_project)}
    if len(merged) > wanted:
        out["next_page_token"] = _wrap({"offset": wanted})
    return out


def _jsons(call: Call, runs: list[Run], by_project: dict[str, int]) -> list[dict[str, Any]]:
    """Runs as MLflow's JSON, each metric with its latest point's step and timestamp."""
    latest: dict[str, dict[str, tuple[int, int]]] = {}
    for project in {r.project for r in runs}:
        ids = [r.id for r in runs if r.project == project]
        latest.update(call.tracker.search.latest_points(project, ids))
    return [run_json(r, by_project[r.project], latest.get(r.id)) for r in runs]


def _first(call: Call, project: str, text: str | None, order: list[str], wanted: int) -> list[Run]:
    runs: list[Run] = []
    token = None
    while len(runs) < wanted + 1:
        limit = min(MAX_PAGE_SIZE, wanted + 1 - len(runs))
        page = call.tracker.search.search_runs(project, text, order or None, limit, token)
        runs.extend(page.runs)
        token = page.next_page_token
        if not token:
            break
    return runs


_ATTRS = {
    "name": "name",
    "run_name": "name",
    "start_time": "start_ms",
    "end_time": "end_ms",
    "status": "status",
    "user": "user",
    "run_id": "id",
    "id": "id",
}


def _sort_key(order: list[str]) -> Any:
    """The merge order: ``order_by`` then MLflow's default (start time descending, id)."""
    keys = []
    for item in order:
        text, _, direction = item.strip().rpartition(" ")
        if direction.upper() not in ("ASC", "DESC"):
            text, direction = item.strip(), "ASC"
        kind, _, key = text.partition(".")
        if not key:
            kind, key = "attributes", kind
        keys.append((kind.lower().rstrip("s"), key.strip('`"'), direction.upper() == "DESC"))

    def value(run: Run, kind: str, key: str) -> Any:
        if kind == "metric":
            found = run.metrics.get(key)
            return None if found is None or math.isnan(found) else found
        if kind == "param":
            return run.params.get(key)
        if kind == "tag":
            return run.tags.get(key)
        attr = _ATTRS.get(key)
        return None if attr is None else getattr(run, attr)

    def sort_key(run: Run) -> tuple[Any, ...]:
        parts: list[Any] = []
        for kind, key, desc in keys:
            v = value(run, kind, key)
            if v is None:
                parts.append((1, 0))  # missing values last, either way
            elif isinstance(v, int | float):
                parts.append((0, -v if desc else v))
            else:
                parts.append((0, _Reverse(str(v)) if desc else str(v)))
        parts.append(-run.start_ms)
        parts.append(run.id)
        return tuple(parts)

    return sort_key


class _Reverse:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _Reverse) -> bool:
        return self.text > other.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)


def _wrap(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def _read(token: str) -> dict[str, Any]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    if not isinstance(doc, dict):
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    return doc


def _is_offset(token: str | None) -> bool:
    return bool(token) and "offset" in _read(token or "")


def _unwrap(token: str | None) -> str | None:
    if not token:
        return None
    inner = _read(token).get("ll")
    if not isinstance(inner, str):
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    return inner


def _offset(token: str | None) -> int:
    if not token:
        return 0
    value = _read(token).get("offset")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        invalid(f"Invalid page token {token!r}: it was not made by this server")
    return value
