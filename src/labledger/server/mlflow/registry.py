"""MLflow's model registry endpoints over LabLedger's registry (``services/models.py``,
``promotion.py``, ``registry_search.py``).

- A registered model created through MLflow (which names no experiment) lives in the
  ``Default`` project; a version's model, if it does not exist yet, in its run's project.
- A version is pinned by its files' digests when created, and ``get-download-uri`` answers
  ``mlflow-artifacts:/models/<name>/<version>``: the proxy serves the pinned files
  (``version_files.py``), never what the run's path holds later.
- Setting an alias is a promotion: the model's policy is judged on the server, so an alias
  an MLflow client sets meets the same gates (refused with ``INVALID_STATE`` naming each
  failed gate).  Stages (deprecated in MLflow) are the aliases ``staging`` and
  ``production``; ``None`` and ``Archived`` take the version out of both.
- Deleting a version that holds an alias is refused (MLflow would drop the alias silently).
"""

from __future__ import annotations

import re
from operator import attrgetter
from typing import Any

from labledger.core.errors import ModelNotFoundError, ProjectNotFoundError, RunNotFoundError
from labledger.server.mlflow import experiments as exp_routes
from labledger.server.mlflow import name_filter
from labledger.server.mlflow.calls import Call, Handler
from labledger.server.mlflow.protocol import (
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    Args,
    MlflowError,
    invalid,
)
from labledger.server.mlflow.runs import experiment_of
from labledger.server.mlflow.wire import DEFAULT_EXPERIMENT
from labledger.services.logged_models import folder_of
from labledger.services.model_views import ModelInfo, VersionInfo
from labledger.services.tracker import Tracker

STAGES = {"staging": "Staging", "production": "Production"}
MAX_MODELS_PAGE = 1000


def version_json(info: VersionInfo, tracker: Tracker) -> dict[str, Any]:
    try:  # the source run's experiment (a model may sit in another project)
        exp = experiment_of(tracker, tracker.runs.get_run(info.run_id).project)
    except (ProjectNotFoundError, RunNotFoundError):
        exp = 0
    stage = next((STAGES[a] for a in ("production", "staging") if a in info.aliases), "None")
    return {
        "name": info.model,
        "version": str(info.version),
        "creation_timestamp": info.created_ms,
        "last_updated_timestamp": info.created_ms,
        "user_id": info.created_by,
        "current_stage": stage,
        "description": info.description,
        "source": f"mlflow-artifacts:/{exp}/{info.run_id}/artifacts/{info.path}",
        "run_id": info.run_id,
        "status": "READY",
        "tags": [{"key": k, "value": v} for k, v in info.tags.items()],
        "aliases": [a for a in info.aliases if a not in STAGES],
    }


def model_json(info: ModelInfo, tracker: Tracker) -> dict[str, Any]:
    latest: list[dict[str, Any]] = []
    if info.latest_version is not None:
        latest = [version_json(tracker.models.get_version(info.name, info.latest_version), tracker)]
    return {
        "name": info.name,
        "creation_timestamp": info.created_ms,
        "last_updated_timestamp": info.updated_ms,
        "user_id": info.created_by,
        "description": info.description,
        "latest_versions": latest,
        "tags": [{"key": k, "value": v} for k, v in info.tags.items()],
        "aliases": [
            {"alias": a, "version": str(v)} for a, v in info.aliases.items() if a not in STAGES
        ],
    }


def _name(args: Args, field: str = "name") -> str:
    return str(args.text(field, required=True))


def _version(args: Args) -> int:
    raw = args.raw("version")
    if raw is None:
        invalid("Missing value for required parameter 'version'.")
    text = str(raw)
    if not re.fullmatch(r"[0-9]{1,10}", text):
        invalid(f"Invalid value {raw!r} for parameter 'version': a version number")
    return int(text)


def _create_model(call: Call) -> dict[str, Any]:
    name = _name(call.args)
    tags = dict(call.args.key_values("tags"))
    description = call.args.text("description") or ""
    exp_routes.default_experiment(call.tracker)
    try:
        call.tracker.models.get_model(name)
    except ModelNotFoundError:
        pass
    else:
        raise MlflowError(
            RESOURCE_ALREADY_EXISTS, f"Registered Model (name={name}) already exists."
        )
    info = call.tracker.models.create_model(name, DEFAULT_EXPERIMENT, description, tags)
    return {"registered_model": model_json(info, call.tracker)}


def _get_model(call: Call) -> dict[str, Any]:
    info = call.tracker.models.get_model(_name(call.args))
    return {"registered_model": model_json(info, call.tracker)}


def _rename_model(call: Call) -> dict[str, Any]:
    info = call.tracker.models.rename_model(_name(call.args), _name(call.args, "new_name"))
    return {"registered_model": model_json(info, call.tracker)}


def _update_model(call: Call) -> dict[str, Any]:
    name = _name(call.args)
    info = call.tracker.models.update_model(name, call.args.text("description") or "")
    return {"registered_model": model_json(info, call.tracker)}


def _delete_model(call: Call) -> dict[str, Any]:
    call.tracker.models.delete_model(_name(call.args))
    return {}


def _every_model(tracker: Tracker) -> list[ModelInfo]:
    found: list[ModelInfo] = []
    token = None
    while True:
        page = tracker.models.list_models(page_token=token, limit=1000)
        found.extend(page.models)
        token = page.next_page_token
        if not token:
            return found


def _not_a_prompt(condition: name_filter.Condition) -> bool:
    """MLflow 3's client adds ``tags.`mlflow.prompt.is_prompt` != 'true'`` to model searches
    to leave its prompts out: no LabLedger model is a prompt, so it holds for every one."""
    return condition == ("tag:mlflow.prompt.is_prompt", "!=", "true")


def _search_models(call: Call) -> dict[str, Any]:
    page, token = name_filter.listing(
        sorted(_every_model(call.tracker), key=attrgetter("name")),
        call.args,
        name=attrgetter("name"),
        tags=attrgetter("tags"),
        order_fields={
            "name": "name",
            "timestamp": "updated_ms",
            "last_updated_timestamp": "updated_ms",
        },
        max_default=100,
        max_limit=MAX_MODELS_PAGE,
        ignore=_not_a_prompt,
    )
    out: dict[str, Any] = {"registered_models": [model_json(m, call.tracker) for m in page]}
    if token:
        out["next_page_token"] = token
    return out


def _source(tracker: Tracker, args: Args) -> tuple[str, str]:
    """(run id, artifact path) from ``source`` (``runs:/<run>/<path>`` or this server's
    ``mlflow-artifacts:/<experiment>/<run>/artifacts/<path>``) and ``run_id``."""
    source = str(args.text("source", required=True))
    run_id = args.text("run_id") or None
    model_id = args.text("model_id") or None
    m = re.fullmatch(r"models:/(m-[0-9a-f]{32})/?", source)
    if m is not None or model_id:
        found = tracker.logged_models.get(m[1] if m is not None else str(model_id))
        return found["run_id"], folder_of(found["id"])
    m = re.fullmatch(r"runs:/([0-9a-f]{32})/(.+)", source)
    if m is not None:
        return m[1], m[2].strip("/")
    m = re.fullmatch(r"mlflow-artifacts:/+([0-9]+)/([0-9a-f]{32})/artifacts/(.+)", source)
    if m is not None:
        return m[2], m[3].strip("/")
    if run_id and not re.match(r"[a-z][a-z0-9+.-]*:", source):
        return run_id, source.strip("/")
    invalid(
        f"Invalid value {source!r} for parameter 'source': LabLedger registers a run's "
        "artifacts: runs:/<run id>/<path>, or this server's mlflow-artifacts:/ location"
    )


def _create_version(call: Call) -> dict[str, Any]:
    args = call.args
    name = _name(args)
    call.tracker.models.get_model(name)  # MLflow registers versions of existing models
    run_id, path = _source(call.tracker, args)
    info = call.tracker.models.register_version(
        name,
        run_id,
        path,
        description=args.text("description") or "",
        tags=dict(args.key_values("tags")),
    )
    return {"model_version": version_json(info, call.tracker)}


def _get_version(call: Call) -> dict[str, Any]:
    info = call.tracker.models.get_version(_name(call.args), _version(call.args))
    return {"model_version": version_json(info, call.tracker)}


def _update_version(call: Call) -> dict[str, Any]:
    args = call.args
    info = call.tracker.models.update_version(
        _name(args), _version(args), args.text("description") or ""
    )
    return {"model_version": version_json(info, call.tracker)}


def _delete_version(call: Call) -> dict[str, Any]:
    call.tracker.models.delete_version(_name(call.args), _version(call.args))
    return {}


def _download_uri(call: Call) -> dict[str, Any]:
    name, number = _name(call.args), _version(call.args)
    call.tracker.models.get_version(name, number)
    return {"artifact_uri": f"mlflow-artifacts:/models/{name}/{number}"}


_MLFLOW_FIELDS = [
    (re.compile(r"\brun_id\b"), "run.id"),
    (re.compile(r"\bsource_path\b"), "run.id"),
]


def _search_versions(call: Call) -> dict[str, Any]:
    args = call.args
    max_results = args.integer("max_results", default=10_000)
    if not 1 <= max_results <= 200_000:
        invalid(f"Invalid value {max_results} for parameter 'max_results'")
    text = args.text("filter") or None
    if text:
        parts = re.split(r"('(?:[^']|'')*')", text)
        for i in range(0, len(parts), 2):
            parts[i] = re.sub(r"\brun_id\b", "run.id", parts[i])
        text = "".join(parts)
    order = args.texts("order_by") or None
    token = args.text("page_token") or None
    found: list[VersionInfo] = []
    while len(found) < max_results:
        page = call.tracker.registry.search_versions(
            text, order, limit=min(1000, max_results - len(found)), page_token=token
        )
        found.extend(page.versions)
        token = page.next_page_token
        if not token:
            break
    out: dict[str, Any] = {"model_versions": [version_json(v, call.tracker) for v in found]}
    if token:
        out["next_page_token"] = token
    return out


def _latest_versions(call: Call) -> dict[str, Any]:
    name = _name(call.args)
    stages = [s.lower() for s in call.args.texts("stages")]
    versions = call.tracker.models.list_versions(name)
    picked: dict[str, VersionInfo] = {}
    for v in versions:
        stage = next((a for a in ("production", "staging") if a in v.aliases), "none")
        if stages and stage not in stages:
            continue
        if stage not in picked or v.version > picked[stage].version:
            picked[stage] = v
    ordered = sorted(picked.values(), key=lambda v: v.version)
    return {"model_versions": [version_json(v, call.tracker) for v in ordered]}


def _transition(call: Call) -> dict[str, Any]:
    args = call.args
    name, number = _name(args), _version(args)
    stage = str(args.text("stage", required=True)).lower()
    if stage not in ("staging", "production", "none", "archived"):
        invalid(
            f"Invalid Model Version stage: {stage}. "
            "Value must be one of None, Staging, Production, Archived."
        )
    info = call.tracker.models.get_version(name, number)
    if stage in STAGES:
        call.tracker.promotion.promote(name, number, stage)
    else:
        for alias in STAGES:
            if alias in info.aliases:
                call.tracker.promotion.unset(name, alias)
    info = call.tracker.models.get_version(name, number)
    return {"model_version": version_json(info, call.tracker)}


def _set_alias(call: Call) -> dict[str, Any]:
    args = call.args
    call.tracker.promotion.promote(
        _name(args), _version(args), str(args.text("alias", required=True))
    )
    return {}


def _delete_alias(call: Call) -> dict[str, Any]:
    call.tracker.promotion.unset(_name(call.args), str(call.args.text("alias", required=True)))
    return {}


def _get_by_alias(call: Call) -> dict[str, Any]:
    name = _name(call.args)
    alias = str(call.args.text("alias", required=True))
    info = call.tracker.models.get_model(name)
    number = info.aliases.get(alias)
    if number is None:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Registered model alias {alias} not found.")
    return {
        "model_version": version_json(call.tracker.models.get_version(name, number), call.tracker)
    }


def _set_model_tag(call: Call) -> dict[str, Any]:
    args = call.args
    key = str(args.text("key", required=True))
    call.tracker.models.set_model_tags(_name(args), {key: args.text("value") or ""})
    return {}


def _delete_model_tag(call: Call) -> dict[str, Any]:
    call.tracker.models.delete_model_tag(
        _name(call.args), str(call.args.text("key", required=True))
    )
    return {}


def _set_version_tag(call: Call) -> dict[str, Any]:
    args = call.args
    key = str(args.text("key", required=True))
    call.tracker.models.set_version_tags(
        _name(args), _version(args), {key: args.text("value") or ""}
    )
    return {}


def _delete_version_tag(call: Call) -> dict[str, Any]:
    args = call.args
    call.tracker.models.delete_version_tag(
        _name(args), _version(args), str(args.text("key", required=True))
    )
    return {}


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "/registered-models/create"): _create_model,
    ("GET", "/registered-models/get"): _get_model,
    ("POST", "/registered-models/rename"): _rename_model,
    ("PATCH", "/registered-models/update"): _update_model,
    ("DELETE", "/registered-models/delete"): _delete_model,
    ("GET", "/registered-models/search"): _search_models,
    ("POST", "/registered-models/get-latest-versions"): _latest_versions,
    ("GET", "/registered-models/get-latest-versions"): _latest_versions,
    ("POST", "/registered-models/set-tag"): _set_model_tag,
    ("DELETE", "/registered-models/delete-tag"): _delete_model_tag,
    ("POST", "/registered-models/alias"): _set_alias,
    ("DELETE", "/registered-models/alias"): _delete_alias,
    ("GET", "/registered-models/alias"): _get_by_alias,
    ("POST", "/model-versions/create"): _create_version,
    ("GET", "/model-versions/get"): _get_version,
    ("PATCH", "/model-versions/update"): _update_version,
    ("DELETE", "/model-versions/delete"): _delete_version,
    ("GET", "/model-versions/search"): _search_versions,
    ("GET", "/model-versions/get-download-uri"): _download_uri,
    ("POST", "/model-versions/transition-stage"): _transition,
    ("POST", "/model-versions/set-tag"): _set_version_tag,
    ("DELETE", "/model-versions/delete-tag"): _delete_version_tag,
}
