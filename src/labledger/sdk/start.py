"""``ll.init()``: create (or resume) a run, with its provenance, and make it active."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from labledger.core.entities import RunCreate
from labledger.core.errors import RunSealedError, TransportError
from labledger.core.ids import new_id
from labledger.core.settings import Settings
from labledger.core.validation import check_run_create
from labledger.sdk import fluent
from labledger.sdk.config import secret_free_params, secret_free_tags, secret_free_text
from labledger.sdk.offline import check_mode, offline_record, offline_transport
from labledger.sdk.run import Run
from labledger.sdk.transport import open_transport

if TYPE_CHECKING:
    import httpx

    from labledger.sdk.capture.environment import Captured

log = logging.getLogger("labledger.sdk")


def init(
    project: str | None = None,
    name: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    run_key: str | None = None,
    parent: Run | str | None = None,
    group: str | None = None,
    notes: str | None = None,
    tracking_uri: str | None = None,
    _http_transport: httpx.BaseTransport | None = None,
) -> Run:
    """Start (or, with the same ``run_key``, resume) a run and make it the active run.
    (``_http_transport`` is for tests: an app in this process, see ``open_transport``.)"""
    settings = Settings.from_env(tracking_uri=tracking_uri)
    mode = check_mode(settings.mode)
    captured = _capture(settings)
    if settings.reproduction_of:  # a rerun by `labledger reproduce`: a new run, linked
        run_key = None
        tags = {**(tags or {}), "labledger.reproduction_of": settings.reproduction_of}
    elif (
        run_key is None and captured is not None and captured.ci is not None and settings.ci_run_key
    ):
        from labledger.sdk.capture.ci import ci_run_key

        commit = (captured.document.get("git") or {}).get("commit")
        run_key = ci_run_key(captured.ci, name, commit=commit)
    parent_id = parent.id if isinstance(parent, Run) else parent
    spec = RunCreate(
        project=project or settings.project,
        id=new_id(),
        name=name,
        run_key=run_key,
        user=_user(),
        parent_id=parent_id,
        group=group,
        # credentials are cut out here, before anything reaches the spool or the journal
        notes=secret_free_text(notes),
        params=secret_free_params(config),
        tags=secret_free_tags(tags),
    )
    check_run_create(spec)  # bad input is refused here, before anything is sent or spooled
    if mode == "offline":
        run = Run(offline_record(spec), offline_transport(), settings, offline_spec=spec)
        return _started(run, captured)
    transport = open_transport(settings, http_transport=_http_transport)
    try:
        record, created = transport.runs.create_run(spec)
    except TransportError:
        transport.close()
        if mode != "fallback":
            raise
        log.warning("%s cannot be reached: recording offline", settings.tracking_uri)
        run = Run(offline_record(spec), offline_transport(), settings, offline_spec=spec)
        return _started(run, captured)
    except BaseException:
        transport.close()
        raise
    if record.sealed_ms is not None:
        transport.close()
        raise RunSealedError(
            f"run {record.id} (run key {run_key!r}) already finished and is sealed; it takes "
            "no more writes. Use another run key (or none) for a new run.",
            details={"run_id": record.id, "run_key": run_key},
        )
    run = Run(record, transport, settings, resumed=not created)
    return _started(run, captured)


def _capture(settings: Settings) -> Captured | None:
    from labledger.sdk.capture.environment import capture_environment, parse_parts

    parts = parse_parts(settings.capture)
    return capture_environment(parts) if parts else None


def _started(run: Run, captured: Captured | None) -> Run:
    """Record what was captured (a resumed run keeps the environment it started with), and
    make the run the active one."""
    if captured is not None and not run.resumed:
        run._record_environment(captured.document)
        if captured.diff:
            _log_diff(run, captured.diff)
    fluent.remember(run)
    return run


def _log_diff(run: Run, diff: bytes) -> None:
    """The uncommitted changes, as the artifact ``provenance/git.diff``."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "git.diff"
        path.write_bytes(diff)
        run.log_artifact(path, "provenance", copy=True)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
