"""Which reader opens a ``--from`` URI (the readers build on ``source.py``; this module
sits above them, so nothing imports in a circle)."""

from __future__ import annotations

from pathlib import Path

from labledger.core.errors import InvalidInputError
from labledger.ops.mlflow_import.folder_reader import FolderSource
from labledger.ops.mlflow_import.rest_reader import RestSource
from labledger.ops.mlflow_import.source import SUPPORTED, MlflowSource, local_folder, scheme_of
from labledger.ops.mlflow_import.sql_reader import SqlSource


def open_source(uri: str) -> MlflowSource:
    """The reader for ``uri``; InvalidInputError naming ``--from`` if none fits, or if the
    store is not there."""
    uri = uri.strip()
    if not uri:
        raise InvalidInputError(f"--from is empty: give {SUPPORTED}", details={"field": "from"})
    scheme = scheme_of(uri)
    if scheme in ("http", "https"):
        return RestSource(uri)
    if scheme == "sqlite" or scheme.startswith("postgres"):
        return SqlSource(uri)
    if scheme in ("", "file"):
        folder = local_folder(uri) if scheme == "file" else Path(uri).expanduser()
        if folder is None:
            raise InvalidInputError(
                f"--from {uri!r}: a file:// URI must name a folder on this machine",
                details={"field": "from"},
            )
        return FolderSource(folder)
    raise InvalidInputError(
        f"--from {uri!r}: {scheme}:// is not a kind of MLflow store this can read; give "
        f"{SUPPORTED}",
        details={"field": "from"},
    )
