"""Copying an MLflow store into LabLedger through an SDK transport (local or HTTP), so
LabLedger's rules and audit apply to every record written.

Experiments become projects (a name LabLedger cannot hold is made one it can, and the report
says so).  Runs keep their MLflow ids, names, users, start and end times and status;
``mlflow.runName`` is the run's name and ``mlflow.parentRunId`` its parent.  Every write is
idempotent, so an import can be repeated or resumed after it was killed:

- a run that exists and ended as its source did (FINISHED: sealed; FAILED, KILLED: that
  status at the source's end time) was imported completely — its status is set last — and
  is skipped without reading its history or files again;
- a run that exists but did not end (interrupted, or still RUNNING at the source) gets what
  it lacks: params and tags that differ, for each metric the points past those it holds
  (each reader gives a history in one fixed order and batches are atomic, so what is stored
  is a prefix), files not stored with their size;
- batches carry ids derived from their content: a batch sent again is stored once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from labledger.core import limits
from labledger.core.entities import Run, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import (
    InvalidInputError,
    ProjectExistsError,
    RunNotFoundError,
    TrackerError,
    TransportError,
)
from labledger.core.mlflow_records import (
    PARENT_TAG,
    RUN_NAME_TAG,
    SourceExperiment,
    SourceRun,
)
from labledger.core.validation import check_key, check_param_value, check_tag_value
from labledger.ops.mlflow_import.files import copy_artifacts
from labledger.ops.mlflow_import.report import ImportReport
from labledger.ops.mlflow_import.source import MlflowSource
from labledger.sdk.transport import Transport
from labledger.sdk.wire import wire_values

POINTS_PER_BATCH = 50_000
ITEMS_PER_BATCH = 1_000  # params or tags in one batch (the server's limit)
STATUS = {
    "FINISHED": RunStatus.FINISHED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.KILLED,
}
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9._\-]+")

Progress = Callable[[ImportReport], None]


@dataclass
class Context:
    source: MlflowSource
    transport: Transport
    report: ImportReport
    notify: Progress
    projects: dict[str, str] = field(default_factory=dict)  # experiment id -> project
    selected_only: bool = False  # --experiment: models of other experiments' runs are not
    runs: dict[str, SourceRun] = field(default_factory=dict)  # planned runs by id


def safe_name(name: str, fallback: str) -> str:
    """``name`` as LabLedger's project and model names allow: letters, digits, '.', '_'
    and '-', starting with a letter or digit."""
    cleaned = _NOT_IN_NAMES.sub("-", name).lstrip("._-")[: limits.MAX_PROJECT_NAME].rstrip("-")
    return cleaned or fallback


def project_names(experiments: list[SourceExperiment]) -> dict[str, str]:
    """Experiment id -> project name, the same every time for the same store (all of its
    experiments are named, selected or not, so a later import of others agrees)."""
    out: dict[str, str] = {}
    taken: set[str] = set()

    def order(e: SourceExperiment) -> tuple[int, str]:
        return (int(e.id) if e.id.isdigit() else 2**63, e.id)

    for e in sorted(experiments, key=order):
        name = safe_name(e.name, f"mlflow-{e.id}")
        if name in taken:
            name = f"{name[: limits.MAX_PROJECT_NAME - len(e.id) - 1]}-{e.id}"
        taken.add(name)
        out[e.id] = name
    return out


def plan(ctx: Context, wanted: list[str] | None) -> tuple[list[SourceExperiment], list[SourceRun]]:
    """The experiments to import, and their live runs (parents before children)."""
    found = ctx.source.experiments()
    ctx.projects = project_names(found)
    if wanted:
        names = {e.name for e in found}
        missing = [w for w in wanted if w not in names]
        if missing:
            raise InvalidInputError(
                f"--experiment {missing[0]!r}: the MLflow store has no experiment of that name",
                details={"field": "experiment"},
            )
        found = [e for e in found if e.name in wanted]
        ctx.selected_only = True
    selected: list[SourceExperiment] = []
    runs: list[SourceRun] = []
    report = ctx.report
    for exp in found:
        report.read("experiments")
        if exp.deleted:
            report.skip("experiments", f"experiment {exp.name!r}: deleted in MLflow")
            continue
        if ctx.projects[exp.id] != exp.name:
            report.notes.append(
                f"experiment {exp.name!r}: imported as project {ctx.projects[exp.id]!r}"
            )
        selected.append(exp)
        for run in ctx.source.runs(exp):
            report.read("runs")
            if run.deleted:
                report.skip("runs", f"run {run.id} ({run.name}): deleted in MLflow")
            elif run.id in ctx.runs:
                report.skip("runs", f"run {run.id}: listed twice by the source")
            else:
                runs.append(run)
                ctx.runs[run.id] = run
    return selected, _parents_first(runs)


def _parents_first(runs: list[SourceRun]) -> list[SourceRun]:
    by_id = {r.id: r for r in runs}
    out: list[SourceRun] = []
    done: set[str] = set()
    for run in runs:
        chain: list[SourceRun] = []
        seen: set[str] = set()
        current: SourceRun | None = run
        while current is not None and current.id not in done and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = by_id.get(current.tags.get(PARENT_TAG, ""))
        for item in reversed(chain):
            done.add(item.id)
            out.append(item)
    return out


def copy_experiment(ctx: Context, exp: SourceExperiment) -> None:
    project = ctx.projects[exp.id]
    tags = _checked(ctx, exp.tags, check_tag_value, f"experiment {exp.name!r}: tag", "tags")
    experiments = ctx.transport.experiments
    found = experiments.find_experiment(project)
    if found is None:
        try:
            experiments.create_experiment(project, tags)
            ctx.report.wrote("experiments")
            return
        except ProjectExistsError:  # made since we looked (by a run of another import)
            found = experiments.find_experiment(project) or {"tags": {}}
    changed = {k: v for k, v in tags.items() if found["tags"].get(k) != v}
    if changed:
        experiments.set_experiment_tags(project, changed)
        ctx.report.wrote("experiments")
    else:
        ctx.report.found("experiments")


def _checked(
    ctx: Context, items: dict[str, str], check: Callable[[str, object], str], what: str, row: str
) -> dict[str, str]:
    """The items LabLedger can hold; each other one is skipped with the reason."""
    out = {}
    for key, value in items.items():
        try:
            check_key("key", key)
            out[key] = check(f"{key!r}", value)
        except InvalidInputError as exc:
            ctx.report.skip(row, f"{what} {key!r} not imported: {exc.message}")
    return out


def _target_state(run: SourceRun) -> tuple[RunStatus | None, int | None]:
    status = STATUS.get(run.status)
    if status is None:
        return None, None
    start = run.start_ms if run.start_ms is not None and run.start_ms >= 0 else None
    end = run.end_ms if run.end_ms is not None else start
    if end is not None and start is not None and end < start:
        end = start
    return status, end


def _complete(existing: Run, status: RunStatus | None, end_ms: int | None) -> bool:
    if status is None or existing.status is not status:
        return False
    if status is RunStatus.FINISHED:
        return existing.sealed_ms is not None
    return end_ms is None or existing.end_ms == end_ms


def _find_run(transport: Transport, run_id: str) -> Run | None:
    try:
        return transport.runs.get_run(run_id)
    except RunNotFoundError:
        return None


def copy_run(ctx: Context, run: SourceRun) -> None:
    project = ctx.projects[run.experiment_id]
    report = ctx.report
    report.current = f"{project}/{run.name or run.id}"
    params = _checked(ctx, run.params, check_param_value, f"run {run.id}: param", "params")
    parent = run.tags.get(PARENT_TAG)
    if parent and parent not in ctx.runs and _find_run(ctx.transport, parent) is None:
        report.notes.append(f"run {run.id}: its parent {parent} is not imported; kept as a tag")
        parent = None
    skip = {RUN_NAME_TAG} | ({PARENT_TAG} if parent else set())
    tags = {k: v for k, v in run.tags.items() if k not in skip}
    tags = _checked(ctx, tags, check_tag_value, f"run {run.id}: tag", "tags")
    report.read("params", len(params))
    report.read("tags", len(tags))
    status, end_ms = _target_state(run)
    existing = _find_run(ctx.transport, run.id)
    if existing is not None and existing.project != project:
        raise InvalidInputError(
            f"a LabLedger run with id {run.id} exists in project {existing.project!r}, not "
            f"{project!r}",
            details={"field": "id"},
        )
    if existing is not None and _complete(existing, status, end_ms):
        report.found("params", len(params))
        report.found("tags", len(tags))
        if existing.seal_hash is None and existing.status is RunStatus.FINISHED:
            _finish_seal(ctx, run)  # killed between its end and its seal's hash
        else:
            report.found("runs")
        return
    if existing is None:
        existing = _create(ctx, run, project, parent)
        wrote = True
    else:
        wrote = False
    wrote = _send_items(ctx, run, existing, params, tags) or wrote
    wrote = _send_metrics(ctx, run, existing) or wrote
    wrote = copy_artifacts(ctx.source, ctx.transport, ctx.report, run, ctx.notify) or wrote
    if status is not None:
        ctx.transport.runs.update_run(run.id, RunUpdate(status=status, end_ms=end_ms))
        wrote = True
    if wrote:
        report.wrote("runs")
    else:
        report.found("runs")


def _finish_seal(ctx: Context, run: SourceRun) -> None:
    try:
        ctx.transport.provenance.seal_run(run.id)
    except TrackerError as exc:
        ctx.report.errors.append(f"run {run.id}: its seal was interrupted: {exc.message}")
        return
    ctx.report.wrote("runs")


def _create(ctx: Context, run: SourceRun, project: str, parent: str | None) -> Run:
    start = run.start_ms if run.start_ms is not None and run.start_ms >= 0 else None
    spec = RunCreate(
        project=project,
        id=run.id,
        name=(run.name or run.tags.get(RUN_NAME_TAG) or None),
        user=(run.user or None) and str(run.user)[: limits.MAX_USER],
        parent_id=parent,
        start_ms=start,
    )
    created, _ = ctx.transport.runs.create_run(spec)
    return created


def _batch_body(run_id: str, payload: dict[str, Any]) -> bytes:
    raw = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    batch_id = f"mlflow-import-{run_id}-{hashlib.sha256(raw).hexdigest()[:40]}"
    return orjson.dumps({"batch_id": batch_id, **payload})


def _send_items(
    ctx: Context, run: SourceRun, existing: Run, params: dict[str, str], tags: dict[str, str]
) -> bool:
    sent = False
    for row, field_name, items, have in (
        ("params", "params", params, existing.params),
        ("tags", "tags", tags, existing.tags),
    ):
        missing = {k: v for k, v in items.items() if have.get(k) != v}
        ctx.report.found(row, len(items) - len(missing))
        keys = list(missing)
        for i in range(0, len(keys), ITEMS_PER_BATCH):
            chunk = {k: missing[k] for k in keys[i : i + ITEMS_PER_BATCH]}
            ctx.transport.runs.log_batch(run.id, _batch_body(run.id, {field_name: chunk}))
            ctx.report.wrote(row, len(chunk))
            sent = True
    return sent


def _points_held(ctx: Context, run: SourceRun, existing: Run) -> dict[str, int]:
    if not existing.metrics:
        return {}
    held = {}
    for key in ctx.transport.search.list_metric_keys(run.id):
        series = ctx.transport.search.get_metric_history(run.id, key, 4, None, None)
        held[key] = series.total_points
    return held


def _send_metrics(ctx: Context, run: SourceRun, existing: Run) -> bool:
    held = _points_held(ctx, run, existing)
    sent = False
    for body, points in _metric_batches(ctx, run, held):
        stored = ctx.transport.runs.log_batch(run.id, _batch_body(run.id, body))
        ctx.report.wrote("metric points", stored)
        ctx.report.found("metric points", points - stored)
        sent = sent or stored > 0
        ctx.notify(ctx.report)
    return sent


def _metric_batches(
    ctx: Context, run: SourceRun, held: dict[str, int]
) -> Iterator[tuple[dict[str, Any], int]]:
    """Batches of at most POINTS_PER_BATCH points: each key's points past those held."""
    metrics: dict[str, dict[str, list[Any]]] = {}
    count = 0
    for key in run.metric_keys:
        try:
            check_key("metric key", key)
        except InvalidInputError as exc:
            ctx.report.skip("metric points", f"run {run.id}: metric {key!r}: {exc.message}")
            continue
        history = ctx.source.history(run, key)
        ctx.report.read("metric points", len(history))
        start = held.get(key, 0)
        if start > len(history):
            ctx.report.notes.append(
                f"run {run.id}: LabLedger holds {start} points of {key!r}, MLflow {len(history)}"
            )
        ctx.report.found("metric points", min(start, len(history)))
        while start < len(history):
            end = min(len(history), start + POINTS_PER_BATCH - count)
            metrics[key] = {
                "steps": history.steps[start:end],
                "timestamps": history.timestamps[start:end],
                "values": wire_values(history.values[start:end]),
            }
            count += end - start
            start = end
            if count >= POINTS_PER_BATCH:
                yield {"metrics": metrics}, count
                metrics, count = {}, 0
    if metrics:
        yield {"metrics": metrics}, count


def copy_runs(ctx: Context, runs: list[SourceRun]) -> None:
    for run in runs:
        try:
            copy_run(ctx, run)
        except TransportError:
            raise  # the source or the target is gone: nothing after this would work
        except TrackerError as exc:
            ctx.report.errors.append(f"run {run.id} ({run.name}): {exc.message}")
        ctx.report.runs_done += 1
        ctx.notify(ctx.report)
