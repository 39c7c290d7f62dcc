"""An ``mlruns`` folder (MLflow's file store) as a source.

Layout, as MLflow writes it::

    mlruns/<experiment id>/meta.yaml               name, artifact_location, lifecycle_stage
    mlruns/<experiment id>/tags/<key>              one file per tag, the value as its text
    mlruns/<experiment id>/<run id>/meta.yaml      run_name, status (a number), times, user
    mlruns/<experiment id>/<run id>/params/<key>   tags/<key>: the same
    mlruns/<experiment id>/<run id>/metrics/<key>  lines "timestamp value step"
    mlruns/<experiment id>/<run id>/artifacts/     the files (when the artifact URI is here)
    mlruns/.trash/<experiment id>/                 deleted experiments
    mlruns/models/<name>/meta.yaml                 + tags/, aliases/<alias> (the version),
    mlruns/models/<name>/version-<n>/meta.yaml     + tags/

Keys holding '/' are nested folders.  A file that cannot be read is an error naming it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from labledger.core.errors import InvalidInputError
from labledger.core.mlflow_records import (
    History,
    SourceExperiment,
    SourceModel,
    SourceRun,
    SourceVersion,
    sorted_history,
    status_name,
)
from labledger.ops.mlflow_import.source import (
    ArtifactTree,
    LocalTree,
    MlflowSource,
    local_folder,
    local_tree,
)

TRASH = ".trash"
MODELS = "models"
DELETED_VERSION_STAGE = "deleted_internal"


def _bad(path: Path, why: str) -> InvalidInputError:
    return InvalidInputError(f"{path}: {why}", details={"field": "from", "path": str(path)})


def _meta(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _bad(path, f"cannot be read as MLflow's meta.yaml: {exc}") from None
    if not isinstance(data, dict):
        raise _bad(path, "is not a YAML mapping")
    return data


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, f"cannot be read: {exc}") from None


def _values(folder: Path) -> dict[str, str]:
    """Files under ``folder`` as key -> text (nested folders give 'a/b' keys)."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): _text(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _keys(folder: Path) -> tuple[str, ...]:
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()))


def _int(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


class FolderSource(MlflowSource):
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise InvalidInputError(
                f"--from {root}: no such folder (an mlruns folder, a database URL or a "
                "tracking server URL was expected)",
                details={"field": "from"},
            )
        self.root = root.resolve()
        self.description = str(self.root)
        self._run_dirs: dict[str, Path] = {}
        self._experiment_folders: dict[str, Path] = {}
        self._experiment_dirs = self._find_experiments()
        if not self._experiment_dirs and not (self.root / MODELS).is_dir():
            raise InvalidInputError(
                f"--from {self.root}: not an MLflow mlruns folder (no "
                "<experiment id>/meta.yaml in it)",
                details={"field": "from"},
            )

    def close(self) -> None:
        pass

    def _find_experiments(self) -> list[tuple[Path, bool]]:
        found = []
        for parent, deleted in ((self.root, False), (self.root / TRASH, True)):
            if not parent.is_dir():
                continue
            for folder in sorted(parent.iterdir()):
                if folder.name in (TRASH, MODELS) or not (folder / "meta.yaml").is_file():
                    continue
                found.append((folder, deleted))
        return found

    def experiments(self) -> list[SourceExperiment]:
        out = []
        for folder, trashed in self._experiment_dirs:
            meta = _meta(folder / "meta.yaml")
            if "name" not in meta:
                raise _bad(folder / "meta.yaml", "has no experiment name")
            exp_id = str(meta.get("experiment_id", folder.name))
            self._experiment_folders[exp_id] = folder
            out.append(
                SourceExperiment(
                    id=exp_id,
                    name=str(meta["name"]),
                    deleted=trashed or meta.get("lifecycle_stage", "active") != "active",
                    artifact_location=meta.get("artifact_location"),
                    tags=_values(folder / "tags"),
                )
            )
        return out

    def _folder_of(self, experiment: SourceExperiment) -> Path:
        folder = self._experiment_folders.get(experiment.id)
        if folder is None or not folder.is_dir():
            raise _bad(self.root / experiment.id, "the experiment's folder is gone")
        return folder

    def runs(self, experiment: SourceExperiment) -> Iterator[SourceRun]:
        folder = self._folder_of(experiment)
        found = []
        for run_dir in sorted(folder.iterdir()):
            if run_dir.name in ("tags", "datasets", MODELS, "traces"):
                continue
            if not (run_dir / "meta.yaml").is_file():
                continue
            meta = _meta(run_dir / "meta.yaml")
            run_id = str(meta.get("run_id") or meta.get("run_uuid") or "")
            if not run_id:
                continue  # not a run (a logged model's or dataset's folder)
            self._run_dirs[run_id] = run_dir
            tags = _values(run_dir / "tags")
            found.append(
                SourceRun(
                    id=run_id,
                    experiment_id=experiment.id,
                    name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
                    status=status_name(meta.get("status", 1)),
                    start_ms=_int(meta.get("start_time")),
                    end_ms=_int(meta.get("end_time")),
                    user=meta.get("user_id") or None,
                    deleted=meta.get("lifecycle_stage", "active") != "active",
                    artifact_uri=meta.get("artifact_uri"),
                    params=_values(run_dir / "params"),
                    tags=tags,
                    metric_keys=_keys(run_dir / "metrics"),
                )
            )
        found.sort(key=lambda r: (r.start_ms or 0, r.id))
        return iter(found)

    def history(self, run: SourceRun, key: str) -> History:
        path = self._run_dirs[run.id] / "metrics" / key
        points = []
        for number, line in enumerate(_text(path).splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                if len(parts) not in (2, 3):
                    raise ValueError(f"{len(parts)} fields, 2 or 3 expected")
                value = float(parts[1])
                stamp = int(parts[0])
                step = int(parts[2]) if len(parts) == 3 else 0
            except ValueError as exc:
                raise _bad(path, f"line {number} is not 'timestamp value step': {exc}") from None
            points.append((step, max(stamp, 0), math.nan if math.isnan(value) else value))
        return sorted_history(points)

    def artifacts(self, run: SourceRun) -> ArtifactTree:
        folder = local_folder(run.artifact_uri)
        inside = self._run_dirs.get(run.id, self.root) / "artifacts"
        if folder is not None and not folder.exists() and inside.is_dir():
            return LocalTree(inside)  # the mlruns folder was moved or copied here
        return local_tree(run)

    def models(self) -> list[SourceModel]:
        folder = self.root / MODELS
        if not folder.is_dir():
            return []
        out = []
        for model_dir in sorted(folder.iterdir()):
            if not (model_dir / "meta.yaml").is_file():
                continue
            meta = _meta(model_dir / "meta.yaml")
            name = str(meta.get("name") or model_dir.name)
            aliases = (
                {
                    str(k): v
                    for k, raw in (meta.get("aliases") or {}).items()
                    if (v := _int(raw)) is not None
                }
                if isinstance(meta.get("aliases"), dict)
                else {}
            )
            for alias, raw_version in _values(model_dir / "aliases").items():
                version = _int(raw_version.strip())
                if version is not None:
                    aliases[alias] = version
            out.append(
                SourceModel(
                    name=name,
                    description=meta.get("description") or "",
                    tags=_values(model_dir / "tags"),
                    aliases=aliases,
                    versions=tuple(self._versions(model_dir, name)),
                )
            )
        return out

    def _versions(self, model_dir: Path, name: str) -> list[SourceVersion]:
        found = []
        for version_dir in model_dir.glob("version-*"):
            if not (version_dir / "meta.yaml").is_file():
                continue
            meta = _meta(version_dir / "meta.yaml")
            number = _int(meta.get("version", version_dir.name.removeprefix("version-")))
            stage = str(meta.get("current_stage") or "None")
            if number is None or stage.lower() == DELETED_VERSION_STAGE:
                continue
            found.append(
                SourceVersion(
                    model=name,
                    version=number,
                    run_id=meta.get("run_id") or None,
                    source=str(meta.get("source") or ""),
                    description=meta.get("description") or "",
                    stage=stage,
                    tags=_values(version_dir / "tags"),
                )
            )
        return sorted(found, key=lambda v: v.version)
