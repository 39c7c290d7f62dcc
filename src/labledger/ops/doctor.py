"""``labledger doctor``: check a deployment from where the command runs, and explain.

Each check returns a :class:`Check` with a status and, for anything but ``ok``, what is
wrong and what to do about it.  The checks here are about this machine (settings, drivers,
the spool); :mod:`labledger.ops.doctor_target` checks the tracking target itself (a server
over HTTP, or an embedded database and blob store).
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Mapping
from dataclasses import fields
from importlib.util import find_spec
from pathlib import Path

from labledger.core.settings import Settings
from labledger.ops.checks import Check, Status, ok
from labledger.sdk.credentials import ENV as CREDENTIALS_ENV

HEARTBEAT_INTERVAL_S = 30  # the SDK's heartbeat period (sdk/run.py)
JOURNAL_SEGMENT_BYTES = 16 << 20  # each open run preallocates one (sdk/journal.py)


def run_checks(environ: Mapping[str, str] | None = None, *, write: bool = False) -> list[Check]:
    """Every check, in the order a person would look: settings, drivers, target, spool."""
    from labledger.ops.doctor_target import check_target

    env = dict(os.environ if environ is None else environ)
    checks = [check_unknown_variables(env)]
    try:
        settings = Settings.from_env(env)
    except ValueError as exc:
        checks.append(
            Check(
                "settings",
                Status.FAIL,
                str(exc),
                "Fix or unset that variable; nothing else can be checked until it parses.",
            )
        )
        return checks
    checks.append(check_mode(settings))
    checks.append(check_heartbeat_timeout(settings))
    checks.append(check_drivers(settings))
    checks.extend(check_target(settings, write=write))
    checks.extend(check_spool(settings))
    return checks


def _setting_variables() -> dict[str, str]:
    return {f.metadata["env"]: f.name for f in fields(Settings)}


def check_unknown_variables(env: Mapping[str, str]) -> Check:
    """A misspelt LABLEDGER_ variable is silently ignored by everything else: say so here."""
    known = _setting_variables()
    extra = {  # set by the test suite, and by `labledger server --workers` for its workers
        CREDENTIALS_ENV,  # read by the SDK's credentials file (not a setting)
        "LABLEDGER_REQUIRE_SERVICES",
        "LABLEDGER_SERVER_LOG_LEVEL",
        "LABLEDGER_SERVER_LOG_FORMAT",
    }
    unknown = sorted(k for k in env if k.startswith("LABLEDGER_") and k not in known)
    unknown = [k for k in unknown if k not in extra and not k.startswith("LABLEDGER_BENCH_")]
    if not unknown:
        return ok("variables", "every LABLEDGER_ variable set is one LabLedger reads")
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return Check(
        "variables",
        Status.WARN,
        f"not read by LabLedger: {', '.join(hints)}",
        "These variables have no effect; a misspelt setting means the default is used. "
        "docs/settings.md lists the settings.",
    )


def check_mode(settings: Settings) -> Check:
    from labledger.sdk.offline import MODES

    if settings.mode not in MODES:
        return Check(
            "mode",
            Status.FAIL,
            f"LABLEDGER_MODE is {settings.mode!r}",
            f"ll.init() will refuse to start; use one of {', '.join(MODES)}.",
        )
    if settings.mode == "offline":
        return Check(
            "mode",
            Status.WARN,
            "LABLEDGER_MODE=offline: runs are recorded into the spool only",
            "Nothing reaches the target until `labledger sync` is run; unset it to log live.",
        )
    return ok("mode", f"LABLEDGER_MODE={settings.mode}")


def check_heartbeat_timeout(settings: Settings) -> Check:
    timeout = settings.heartbeat_timeout_s
    if timeout <= 0:
        return Check(
            "heartbeat timeout",
            Status.FAIL,
            f"LABLEDGER_HEARTBEAT_TIMEOUT_S is {timeout}",
            "It must be a positive number of seconds.",
        )
    if timeout < 3 * HEARTBEAT_INTERVAL_S:
        return Check(
            "heartbeat timeout",
            Status.WARN,
            f"LABLEDGER_HEARTBEAT_TIMEOUT_S={timeout} s is under three heartbeats "
            f"({3 * HEARTBEAT_INTERVAL_S} s)",
            f"Clients send a heartbeat every {HEARTBEAT_INTERVAL_S} s; a server with this "
            "timeout marks healthy runs `killed` after one late or lost heartbeat. "
            "Use 300 s or more (the default is 600).",
        )
    return ok("heartbeat timeout", f"runs silent for {timeout} s are marked killed")


def check_drivers(settings: Settings) -> Check:
    """The optional packages the configured URIs need."""
    missing = []
    db_uri = settings.db_uri or ""
    if db_uri.startswith("postgresql") and find_spec("psycopg") is None:
        missing.append(("psycopg", "postgres", "LABLEDGER_DB_URI is PostgreSQL"))
    if (settings.artifact_uri or "").startswith("s3://") and find_spec("boto3") is None:
        missing.append(("boto3", "s3", "LABLEDGER_ARTIFACT_URI is on S3"))
    if not missing:
        return ok("drivers", "the packages the configured stores need are installed")
    return Check(
        "drivers",
        Status.FAIL,
        "; ".join(f"{why} but {pkg} is not installed" for pkg, _, why in missing),
        "Install the extra: "
        + ", ".join(f"pip install 'labledger[{extra}]'" for _, extra, _ in missing),
    )


def check_spool(settings: Settings) -> list[Check]:
    """Free space for journals, and records that never reached their target."""
    from labledger.ops.sync import writer_process_gone
    from labledger.sdk.run import spool_root
    from labledger.sdk.spool import read_writer_meta

    root = spool_root(settings)
    probe = root if root.exists() else _existing_parent(root)
    checks = [_free_space(probe, root)]
    if not root.exists():
        checks.append(ok("spool", f"{root} is empty (it is created on first use)"))
        return checks
    stranded, live = [], 0
    for log_path in sorted(root.glob("*/*.log")):
        try:
            meta = read_writer_meta(log_path)
        except (OSError, ValueError):
            continue
        # a writer's files outlive its process only when something was left to send
        if writer_process_gone(meta):
            stranded.append(str(meta.get("run_id", log_path.parent.name)))
        else:
            live += 1
    if stranded:
        shown = ", ".join(stranded[:5]) + (" …" if len(stranded) > 5 else "")
        checks.append(
            Check(
                "spool",
                Status.WARN,
                f"{len(stranded)} run(s) in {root} hold records that never reached their "
                f"target: {shown}",
                "Their processes ended (crashed, or ran offline) before everything was sent. "
                f"`labledger sync {root}` sends the rest, keeping each run's identity, and "
                "marks runs whose process died as killed.",
            )
        )
    else:
        checks.append(ok("spool", f"{root}: nothing waiting to be sent ({live} live writers)"))
    return checks


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _free_space(probe: Path, root: Path) -> Check:
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        return Check("disk", Status.FAIL, f"cannot read free space at {root}: {exc}")
    mib = free // (1 << 20)
    if free < 4 * JOURNAL_SEGMENT_BYTES:
        return Check(
            "disk",
            Status.FAIL,
            f"{mib} MiB free where the spool lives ({root})",
            "Each running run preallocates a 16 MiB journal; with this little space "
            "ll.init() or log() will fail with a spool error. Free space or point "
            "LABLEDGER_SPOOL_DIR at a larger disk.",
        )
    if free < 1 << 30:
        return Check(
            "disk",
            Status.WARN,
            f"{mib} MiB free where the spool lives ({root})",
            "During a server outage the spool holds everything logged until it is sent; "
            "a long outage of a busy run needs more than this.",
        )
    return ok("disk", f"{mib:,} MiB free where the spool lives ({root})")
