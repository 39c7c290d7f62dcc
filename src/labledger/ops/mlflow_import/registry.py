"""MLflow's model registry copied into LabLedger's: registered models (description, tags),
their versions registered from the run and artifact path they came from (so each is pinned
by those files' digests, as any LabLedger version is), and aliases set as promotions, so
the model's gates apply.  MLflow's deprecated stages become the aliases ``staging`` and
``production`` (the newest version in each), as LabLedger's MLflow door shows them.

LabLedger numbers versions itself, in order: MLflow versions 1, 2, 4 (3 deleted) become 1, 2,
3, and the report says so; aliases follow their version.  A model LabLedger already holds
keeps its versions when they are, in order, the ones this import would register (a second
import, a resumed one); a model of the same name holding other versions is not touched.
"""

from __future__ import annotations

import re

from labledger.core.errors import (
    GateFailedError,
    InvalidInputError,
    ModelNotFoundError,
    TrackerError,
    TransportError,
)
from labledger.core.mlflow_records import SourceModel, SourceVersion
from labledger.core.registry import check_alias, check_model_name
from labledger.ops.mlflow_import.copier import Context, safe_name

STAGE_ALIASES = {"staging": "staging", "production": "production"}
DEFAULT_PROJECT = "Default"  # where LabLedger's MLflow door puts models MLflow made


def version_source(ctx: Context, version: SourceVersion) -> tuple[str, str] | str:
    """(run id, artifact path) a version was registered from, or why it cannot be known."""
    source = version.source.strip()
    if source.startswith("models:/"):
        return (
            f"its source {source!r} is an MLflow 3 logged model, whose files are not a run's "
            "artifacts"
        )
    m = re.fullmatch(r"runs:/([^/]+)/(.+)", source)
    if m is not None:
        return m[1], m[2].strip("/")
    run_id = version.run_id or ""
    run = ctx.runs.get(run_id)
    if run is not None and run.artifact_uri:
        root = run.artifact_uri.rstrip("/") + "/"
        if source.startswith(root):
            return run_id, source[len(root) :].strip("/")
    marker = f"/{run_id}/artifacts/" if run_id else None
    if marker and marker in source:
        return run_id, source.split(marker, 1)[1].strip("/")
    return f"its source {source!r} is not a path among run {run_id or '(none)'}'s artifacts"


def copy_models(ctx: Context) -> None:
    for model in ctx.source.models():
        ctx.report.read("models")
        ctx.report.current = f"model {model.name}"
        try:
            _copy_model(ctx, model)
        except TransportError:
            raise
        except TrackerError as exc:
            ctx.report.errors.append(f"model {model.name!r}: {exc.message}")
        ctx.notify(ctx.report)


def _copy_model(ctx: Context, model: SourceModel) -> None:
    report = ctx.report
    name = safe_name(model.name, "mlflow-model")
    try:
        check_model_name(name, "name")
    except InvalidInputError as exc:
        report.skip("models", f"model {model.name!r}: {exc.message}")
        return
    if name != model.name:
        report.notes.append(f"model {model.name!r}: imported as {name!r}")
    wanted: list[tuple[SourceVersion, str, str]] = []
    for version in model.versions:
        report.read("versions")
        found = version_source(ctx, version)
        if isinstance(found, str):
            report.skip("versions", f"model {model.name!r} version {version.version}: {found}")
        elif found[0] not in ctx.runs:
            report.skip(
                "versions",
                f"model {model.name!r} version {version.version}: its run {found[0]} is not "
                "imported",
            )
        else:
            wanted.append((version, *found))
    if ctx.selected_only and not wanted:
        report.skip("models", f"model {model.name!r}: none of its versions' runs is selected")
        return
    registry = ctx.transport.registry
    try:
        held = registry.get_model(name)
    except ModelNotFoundError:
        held = None
    if held is None:
        project = ctx.projects.get(ctx.runs[wanted[0][1]].experiment_id) if wanted else None
        body = {
            "name": name,
            "project": project or DEFAULT_PROJECT,
            "description": model.description,
            "tags": model.tags,
        }
        held = registry.create_model(body)
        report.wrote("models")
    else:
        report.found("models")
    numbers = _copy_versions(ctx, model, name, wanted)
    if numbers is not None:
        _copy_aliases(ctx, model, name, numbers, dict(held.get("aliases") or {}))


def _copy_versions(
    ctx: Context, model: SourceModel, name: str, wanted: list[tuple[SourceVersion, str, str]]
) -> dict[int, int] | None:
    """MLflow version -> LabLedger version, registering those not there yet; None when the
    model holds versions this import did not make."""
    registry, report = ctx.transport.registry, ctx.report
    held = sorted(registry.list_versions(name)["versions"], key=lambda v: v["version"])
    numbers: dict[int, int] = {}
    for i, (version, run_id, path) in enumerate(wanted):
        if i < len(held):
            there = held[i]
            if (there["run_id"], there["path"]) != (run_id, path):
                report.errors.append(
                    f"model {model.name!r}: LabLedger's version {there['version']} is "
                    f"{there['run_id']}/{there['path']}, not MLflow's version "
                    f"{version.version} ({run_id}/{path}); its versions are left as they are"
                )
                return None
            numbers[version.version] = int(there["version"])
            report.found("versions")
            continue
        body = {
            "run_id": run_id,
            "path": path,
            "description": version.description,
            "tags": version.tags,
        }
        created = registry.register_version(name, body)
        numbers[version.version] = int(created["version"])
        report.wrote("versions")
    renamed = {m: n for m, n in numbers.items() if m != n}
    if renamed:
        pairs = ", ".join(f"{m} -> {n}" for m, n in sorted(renamed.items()))
        report.notes.append(f"model {model.name!r}: versions numbered anew ({pairs})")
    return numbers


def _copy_aliases(
    ctx: Context, model: SourceModel, name: str, numbers: dict[int, int], held: dict[str, int]
) -> None:
    aliases = dict(model.aliases)
    for staged in sorted(model.versions, key=lambda v: v.version):
        alias = STAGE_ALIASES.get(staged.stage.lower())
        if alias is not None and alias not in model.aliases:
            aliases[alias] = staged.version  # the newest version in the stage wins
    registry, report = ctx.transport.registry, ctx.report
    for alias, version in sorted(aliases.items()):
        report.read("aliases")
        where = f"model {model.name!r} alias {alias!r}"
        target = numbers.get(version)
        if target is None:
            report.skip("aliases", f"{where}: its version {version} is not imported")
            continue
        try:
            check_alias(alias)
        except InvalidInputError as exc:
            report.skip("aliases", f"{where}: {exc.message}")
            continue
        if held.get(alias) == target:
            report.found("aliases")
            continue
        try:
            registry.decide(name, alias, "promote", target)
        except GateFailedError as exc:
            report.skip("aliases", f"{where}: refused by the model's gates: {exc.message}")
            continue
        report.wrote("aliases")
