"""Run: the object the training loop logs to.  ``log()`` validates and enqueues, nothing more."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from labledger.core.entities import DatasetRef, RunCreate, RunStatus, RunUpdate
from labledger.core.entities import Run as RunRecord
from labledger.core.errors import (
    InvalidInputError,
    ParamConflictError,
    RunStateError,
)
from labledger.core.ids import new_id
from labledger.core.limits import MAX_STEP, MIN_STEP
from labledger.core.settings import Settings
from labledger.core.validation import (
    check_key,
    check_param_value,
    check_step,
    check_tags,
    check_value,
)
from labledger.sdk import fluent
from labledger.sdk.artifact_spool import ArtifactSpool
from labledger.sdk.artifacts import ArtifactUploader
from labledger.sdk.config import secret_free_params, secret_free_tags
from labledger.sdk.journal import (
    KIND_DATASET,
    KIND_ENVIRONMENT,
    KIND_PARAMS,
    KIND_TAGS,
    Journal,
)
from labledger.sdk.offline import spec_to_meta
from labledger.sdk.sender import QUEUE_BOUND, Sender
from labledger.sdk.spool import SpoolWriter
from labledger.sdk.transport import Transport

log = logging.getLogger("labledger.sdk")


def spool_root(settings: Settings) -> Path:
    if settings.spool_dir:
        return Path(settings.spool_dir).expanduser().resolve()
    if settings.is_remote:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        return Path(base) / "labledger" / "spool"
    return settings.local_dir() / "spool"


class Run:
    """A live run.  Use ``ll.init(...)`` to get one; ``finish()`` or a ``with`` block ends it."""

    def __init__(
        self,
        record: RunRecord,
        transport: Transport,
        settings: Settings,
        *,
        resumed: bool = False,
        offline_spec: RunCreate | None = None,
    ) -> None:
        self._record = record
        self._transport = transport
        self.settings = settings
        self.resumed = resumed
        self._params: dict[str, str] = dict(record.params)
        self._keys: set[str] = set()
        self._next_step = 0
        self._finished = False
        self._lock = threading.Lock()
        self.offline = offline_spec is not None
        meta: dict[str, Any] = {
            "run_id": record.id,
            "project": record.project,
            "tracking_uri": settings.tracking_uri,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        if offline_spec is not None:
            meta["create"] = spec_to_meta(record, offline_spec)
        self._spool = SpoolWriter(
            spool_root(settings) / record.id, new_id(), meta, fsync=settings.spool_fsync
        )
        self._journal = Journal(self._spool.run_dir, self._spool.writer)
        self._sender = Sender(
            record.id,
            transport,
            self._spool,
            self._journal,
            offline=self.offline,
            spool_errors=settings.spool_errors,
        )
        self._queue = self._sender.queue
        self._artifacts = ArtifactUploader(
            record.id,
            transport,
            ArtifactSpool(self._spool.run_dir, self._spool.writer, fsync=settings.spool_fsync),
            settings.upload_threads,
            offline=self.offline,
        )

    # -- identity ---------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def project(self) -> str:
        return self._record.project

    @property
    def run_key(self) -> str | None:
        return self._record.run_key

    @property
    def params(self) -> dict[str, str]:
        return dict(self._params)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, project={self.project!r}, name={self.name!r})"

    # -- logging ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._finished:
            raise RunStateError(
                f"run {self.id} is finished; start a new run to log more",
                details={"run_id": self.id},
            )
        error = self._sender.error
        if error is not None:
            self._sender.error = None
            raise error
        error = self._artifacts.error
        if error is not None:
            self._artifacts.error = None
            raise error

    def log(self, data: Mapping[str, Any], step: int | None = None) -> None:
        """Record metric values at a step (default: one past the last step used).

        Returns in microseconds: values are checked and queued; a background thread
        spools and ships them.  NaN and infinities are legal values.
        """
        if self._finished or self._sender.error is not None:
            self._check_open()
        if step is None:
            step = self._next_step
        if type(step) is not int or not MIN_STEP <= step <= MAX_STEP:
            step = check_step("step", step)
        self._next_step = step + 1
        values: dict[str, float] = {}
        keys = self._keys
        for key, value in data.items():
            if key not in keys:
                self._new_key(key)
            if type(value) is not float:
                value = self._to_float(key, value)
            values[key] = value
        queue = self._queue
        if len(queue) >= QUEUE_BOUND:
            self._wait_for_room()
        ts = time.time_ns() // 1_000_000
        self._journal.points(step, ts, values)  # from here a kill of the process loses nothing
        queue.append((step, ts, values))

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        self.log({key: value}, step=step)

    def _new_key(self, key: object) -> None:
        if not isinstance(key, str):
            raise InvalidInputError(
                f"metric key must be a string, got {type(key).__name__}", details={"field": "key"}
            )
        self._keys.add(check_key("metric key", key))

    @staticmethod
    def _to_float(key: str, value: Any) -> float:
        if isinstance(value, bool):
            raise InvalidInputError(
                f"metric {key!r} must be a number, got bool", details={"field": key}
            )
        if isinstance(value, int | float | str):
            return check_value(f"metric {key!r}", value)
        try:
            return float(value)  # numpy and torch scalars, 0-d tensors
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"metric {key!r} must be a number, got {type(value).__name__}",
                details={"field": key},
            ) from None

    def _wait_for_room(self) -> None:
        self._sender.wake()
        while len(self._queue) >= QUEUE_BOUND // 2 and self._sender.error is None:
            time.sleep(0.001)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record params (nested dicts are flattened with dots).  Params are write-once.

        Credentials are redacted before anything is journaled or spooled (see
        ``labledger.core.secrets``); ``run.params`` holds what is stored."""
        self._check_open()
        flat = secret_free_params(params)
        for key, value in flat.items():
            check_key("param key", key)
            check_param_value(f"params.{key}", value)  # here, not when its batch is refused
            old = self._params.get(key)
            if old is not None and old != value:
                raise ParamConflictError(
                    f"param {key!r} is already {old!r}; params are write-once, "
                    f"cannot set {value!r}",
                    details={"key": key, "old_value": old, "new_value": value},
                )
        self._params.update(flat)
        self._journal.mapping(KIND_PARAMS, flat)
        self._queue.append(("p", flat))

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    log_config = log_params

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set tags (values as text; credentials redacted as in params)."""
        self._check_open()
        clean = check_tags("tags", secret_free_tags(tags))
        self._journal.mapping(KIND_TAGS, clean)
        self._queue.append(("t", clean))

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    # -- provenance -------------------------------------------------------------------------
    def log_dataset(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        role: str = "training",
        *,
        uri: str | None = None,
        expected_digest: str | None = None,
    ) -> DatasetRef:
        """Record a dataset (file or folder) this run uses: its content digest (streaming
        SHA-256), size, and rows and schema for CSV and Parquet.  The same content logged
        again is the same dataset version.  With ``expected_digest``, raises
        ``DatasetChangedError`` at once when the data is not what was expected."""
        self._check_open()
        from labledger.core.provenance import check_dataset
        from labledger.sdk.datasets import describe

        ref = describe(local_path, name=name, role=role, uri=uri, expected_digest=expected_digest)
        wire = ref.to_dict()
        check_dataset("dataset", wire)  # limits, before it is queued
        self._journal.mapping(KIND_DATASET, wire)
        self._queue.append(("d", (ref, wire)))
        return ref

    def log_reference(self, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Store reference profiles of ``data`` (feature -> values: the model's inputs or
        scores on training data) under ``name``: per feature, binned histograms and summary
        statistics, never the rows.  Production batches of a deployment of a version
        registered from this run are compared with it (``Client.log_production``).  Sent
        now, not through the spool."""
        self._check_open()
        from labledger.sdk.client import wire_columns

        result: dict[str, Any] = self._transport.registry.log_reference(
            self.id, name, wire_columns(data)
        )
        return result

    def _record_environment(self, document: dict[str, Any]) -> None:
        from labledger.core.provenance import check_environment

        document = check_environment(document)
        self._journal.mapping(KIND_ENVIRONMENT, document)
        self._queue.append(("e", document))

    # -- artifacts --------------------------------------------------------------------------
    def log_artifact(
        self,
        local_path: str | os.PathLike[str],
        path: str | None = None,
        *,
        copy: bool = False,
        follow_symlinks: bool = False,
    ) -> list[str]:
        """Upload a file (to ``path/<name>``) or a folder, recursively (to ``path/...``).

        Returns at once with the artifact paths; background threads hash and upload.  The
        file must not change until it is uploaded, unless ``copy=True`` snapshots it now.
        In a folder, symbolic links whose target is inside the folder are followed; links
        leading outside it are skipped with a warning (the ``labledger.sdk`` logger) unless
        ``follow_symlinks=True``; broken links and cycles are skipped with a warning.
        """
        self._check_open()
        return self._artifacts.log(local_path, path, copy=copy, follow_symlinks=follow_symlinks)

    def log_checkpoint(
        self,
        local_path: str | os.PathLike[str],
        step: int,
        path: str | None = None,
        *,
        copy: bool = True,
        follow_symlinks: bool = False,
    ) -> list[str]:
        """Upload a checkpoint (file or folder) to ``checkpoints/step-<step>/`` (or ``path``),
        kept with its step; ``Client.latest_checkpoint`` finds the newest.  Copied into the
        spool at once by default, since checkpoints are usually overwritten in place.
        Symbolic links in a folder as in :meth:`log_artifact`."""
        self._check_open()
        step = check_step("step", step)
        target = path if path is not None else f"checkpoints/step-{step}"
        return self._artifacts.log(
            local_path, target, step=step, copy=copy, follow_symlinks=follow_symlinks
        )

    @property
    def pending_artifacts(self) -> int:
        """Logged files not yet confirmed by the target."""
        return self._artifacts.outstanding

    # -- lifecycle --------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        """Block until everything logged so far (artifacts too) is acknowledged."""
        if not self._sender.flush(timeout):
            raise TimeoutError(
                f"run {self.id}: {self._sender.backlog} batches not yet "
                f"acknowledged after {timeout}s; they stay in the spool"
            )
        if not self._artifacts.wait(timeout):
            raise TimeoutError(
                f"run {self.id}: {self._artifacts.outstanding} artifact files not yet "
                f"confirmed after {timeout}s; they stay in the spool"
            )
        error = self._artifacts.error
        if error is not None:
            self._artifacts.error = None
            raise error
        error = self._sender.error
        if error is not None:
            self._sender.error = None
            raise error

    def finish(
        self, status: RunStatus | str = RunStatus.FINISHED, *, timeout: float | None = None
    ) -> None:
        """Flush metrics and wait for artifact uploads, then mark the run finished (or
        failed/killed).  Whatever ``timeout`` leaves unsent stays in the spool.  Idempotent."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        try:
            started = time.monotonic()
            delivered = self._sender.close(timeout)
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            uploaded = self._artifacts.close(left)
            error = self._sender.error or self._artifacts.error
            refused = self._sender.refused
            if self.offline or refused is not None:  # sync applies it after the batches
                end_ms = time.time_ns() // 1_000_000
                self._spool.update_meta(final={"status": RunStatus(status).value, "end_ms": end_ms})
            else:
                self._transport.runs.update_run(
                    self.id, RunUpdate(status=RunStatus(status), release=True)
                )
        finally:
            fluent.forget(self)
            self._journal.close()
            self._spool.close()
            self._transport.close()
        if refused is not None:
            raise type(refused)(
                f"{refused.message} — run {self.id}: everything logged stays in the spool; "
                "`labledger sync` sends it once the credential is fixed",
                details=refused.details,
            )
        if not delivered or not uploaded:
            raise TimeoutError(
                f"run {self.id}: some batches or artifact files were not acknowledged within "
                f"{timeout}s; they stay in the spool for `labledger sync`"
            )
        if error is not None:
            raise error

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish(RunStatus.KILLED)
        else:
            self.finish(RunStatus.FAILED)
