"""The one small interface the three MLflow readers share, and which reader a URI picks.

- ``http(s)://…``: a tracking server (``rest_reader.py``);
- ``sqlite:///…``, ``postgresql://…``: its database (``sql_reader.py``);
- a folder path or ``file://`` URI: an ``mlruns`` folder (``folder_reader.py``).

Artifacts are read through an ``ArtifactTree`` per run: local files where the run's artifact
URI is a path on this machine, MLflow's artifact proxy for a server's ``mlflow-artifacts:``
runs.  A run whose files cannot be reached from here raises ``ArtifactsUnavailable`` with
the reason, which the report lists (its other records are still imported).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from labledger.core.mlflow_records import (
    History,
    SourceExperiment,
    SourceModel,
    SourceRun,
)

SUPPORTED = "http(s)://…, sqlite:///…, postgresql://…, an mlruns folder or a file:// URI"


@dataclass(frozen=True, slots=True)
class ArtifactFile:
    path: str  # relative to the run's artifact root, '/'-separated
    size: int | None  # None when the listing does not say


class ArtifactsUnavailable(Exception):  # noqa: N818 - a reason to report, not a failure
    """This run's artifact files cannot be read from here; ``str()`` says why."""


class ArtifactTree(Protocol):
    def files(self) -> Iterator[ArtifactFile]:
        """Every file under the run's artifact root (folders walked)."""
        ...

    def local_path(self, path: str) -> Path | None:
        """The file itself when it is on this machine (read in place), else None."""
        ...

    def download(self, path: str, dest: Path) -> None:
        """Write the file's bytes to ``dest``."""
        ...


class MlflowSource(Protocol):
    description: str  # the URI, without a password

    def experiments(self) -> list[SourceExperiment]: ...

    def runs(self, experiment: SourceExperiment) -> Iterator[SourceRun]: ...

    def history(self, run: SourceRun, key: str) -> History: ...

    def artifacts(self, run: SourceRun) -> ArtifactTree: ...

    def models(self) -> list[SourceModel]: ...

    def close(self) -> None: ...


class LocalTree:
    """A run's artifacts in a folder of this machine; no folder means no files (MLflow
    makes it on the first logged file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def files(self) -> Iterator[ArtifactFile]:
        if not self.root.is_dir():
            return
        for folder, dirs, names in os.walk(self.root):
            dirs.sort()
            for name in sorted(names):
                full = Path(folder, name)
                if not full.is_file():  # a dangling link, a socket: not an artifact
                    continue
                rel = full.relative_to(self.root).as_posix()
                yield ArtifactFile(rel, full.stat().st_size)

    def local_path(self, path: str) -> Path | None:
        return self.root / path

    def download(self, path: str, dest: Path) -> None:
        shutil.copyfile(self.root / path, dest)


class EmptyTree(LocalTree):
    """A run with no artifact files."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def files(self) -> Iterator[ArtifactFile]:
        return iter(())


def local_folder(uri: str | None) -> Path | None:
    """The folder an artifact URI or location names on this machine: an absolute path or a
    ``file://`` URI.  None for any other scheme."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and os.path.isabs(uri):
        return Path(uri)
    return None


def local_tree(run: SourceRun) -> LocalTree:
    folder = local_folder(run.artifact_uri)
    if folder is None:
        scheme = urlparse(run.artifact_uri or "").scheme or "relative path"
        raise ArtifactsUnavailable(
            f"its artifact URI {run.artifact_uri!r} ({scheme}) is not a folder on this "
            "machine; copy the files next to the store, or import from the tracking server"
        )
    return LocalTree(folder)


def scheme_of(uri: str) -> str:
    head, sep, _ = uri.partition("://")
    if sep and head.replace("+", "").replace("-", "").isalnum():
        return head.lower()
    if uri.startswith("sqlite:"):
        return "sqlite"
    return ""
