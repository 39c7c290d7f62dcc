"""A run's artifact files copied into LabLedger: read in place when they are on this machine,
else downloaded to a temporary folder; hashed (SHA-256), declared on the run and their bytes
stored through the SDK's upload path (``sdk/artifacts.upload_group``: small files bundled,
only contents the target lacks sent, each verified against its digest where it is stored).
Files the run already holds, stored and of the same size, are not read again."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from labledger.core.artifact_validation import check_artifact_path, media_type_for
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import InvalidInputError, TrackerError
from labledger.core.mlflow_records import SourceRun
from labledger.ops.mlflow_import.report import ImportReport
from labledger.ops.mlflow_import.source import (
    ArtifactFile,
    ArtifactsUnavailable,
    ArtifactTree,
    MlflowSource,
)
from labledger.sdk.artifact_spool import ArtifactRecord
from labledger.sdk.artifacts import GROUP_MAX_BYTES, GROUP_MAX_FILES, upload_group
from labledger.sdk.transport import Transport

Progress = Callable[[ImportReport], None]


class _Group:
    """Files read but not yet sent (downloaded copies are removed once sent)."""

    def __init__(self) -> None:
        self.records: list[ArtifactRecord] = []
        self.size = 0

    def full(self) -> bool:
        return len(self.records) >= GROUP_MAX_FILES or self.size >= GROUP_MAX_BYTES


def copy_artifacts(
    source: MlflowSource,
    transport: Transport,
    report: ImportReport,
    run: SourceRun,
    notify: Progress,
) -> bool:
    """Copy what the run lacks; True if anything was written."""
    try:
        tree = source.artifacts(run)
        listed = list(tree.files())
    except ArtifactsUnavailable as exc:
        report.skip("artifacts", f"run {run.id} ({run.name}): artifacts not imported: {exc}")
        return False
    if not listed:
        return False
    held = {e.path: e for e in transport.artifacts.list_artifacts(run.id, "")}
    group = _Group()
    wrote = False
    with tempfile.TemporaryDirectory(prefix="labledger-import-") as tmp:
        for n, item in enumerate(listed):
            report.read("artifacts")
            record = _prepare(tree, report, run, item, held.get(item.path), Path(tmp), n)
            if record is None:
                continue
            group.records.append(record)
            group.size += record.size
            if group.full():
                wrote = _send(transport, report, run, group) or wrote
                notify(report)
                group = _Group()
        if group.records:
            wrote = _send(transport, report, run, group) or wrote
    return wrote


def _prepare(
    tree: ArtifactTree,
    report: ImportReport,
    run: SourceRun,
    item: ArtifactFile,
    held: ArtifactEntry | None,
    tmp: Path,
    n: int,
) -> ArtifactRecord | None:
    try:
        check_artifact_path("path", item.path)
    except InvalidInputError as exc:
        report.skip("artifacts", f"run {run.id}: artifact {item.path!r}: {exc.message}")
        return None
    if held is not None and held.state is ArtifactState.STORED and item.size in (None, held.size):
        report.found("artifacts")
        report.found("artifact bytes", held.size)
        return None
    local = tree.local_path(item.path)
    if local is None:
        local = tmp / str(n)
        tree.download(item.path, local)
    try:
        stat = local.stat()
    except OSError as exc:
        report.errors.append(f"run {run.id}: artifact {item.path!r} cannot be read: {exc}")
        return None
    if item.size is not None and stat.st_size != item.size:
        report.errors.append(
            f"run {run.id}: artifact {item.path!r} is {stat.st_size} bytes, its listing said "
            f"{item.size}: it changed while being read; import again"
        )
        return None
    report.read("artifact bytes", stat.st_size)
    return ArtifactRecord(
        n=n,
        source=str(local),
        path=item.path,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        media_type=media_type_for(item.path),
    )


def _send(transport: Transport, report: ImportReport, run: SourceRun, group: _Group) -> bool:
    try:
        errors = upload_group(transport, run.id, group.records, {})
    finally:
        for record in group.records:
            if Path(record.source).parent.name.startswith("labledger-import-"):
                Path(record.source).unlink(missing_ok=True)
    failed = {str(e.details.get("path")) for e in errors if isinstance(e, TrackerError)}
    for error in errors:
        report.errors.append(f"run {run.id}: {error.message}")
    sent = [r for r in group.records if r.path not in failed]
    report.wrote("artifacts", len(sent))
    report.wrote("artifact bytes", sum(r.size for r in sent))
    return bool(sent)
