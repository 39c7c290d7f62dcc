"""The environment document ``ll.init()`` records: each part captured, then redacted.

``LABLEDGER_CAPTURE`` chooses the parts: ``all`` (the default), ``none``, a list such as
``git,system``, or ``all,-packages`` to leave parts out.  Parts: ``git`` (and the
uncommitted diff, stored as an artifact), ``packages`` (interpreter and installed
distributions), ``system``, ``container``, ``ci``, ``process`` (command line, working
directory, environment variables).  Every string that leaves through here went through the
secrets redaction; the document notes how long each part took.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labledger.core.errors import InvalidInputError

PARTS = ("git", "packages", "system", "container", "ci", "process")
DIFF_MAX_BYTES = 1_000_000
ENV_VALUE_MAX = 1_000  # longer environment values are cut (LS_COLORS and the like)


@dataclass
class Captured:
    document: dict[str, Any]
    diff: bytes | None  # the uncommitted diff, redacted, when there is one
    ci: Any  # CIInfo | None


def parse_parts(setting: str) -> frozenset[str]:
    """``all``, ``none``, ``git,system``, ``all,-packages`` -> the parts to capture."""
    chosen: set[str] = set()
    for raw in setting.split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item == "all":
            chosen |= set(PARTS)
        elif item == "none":
            chosen.clear()
        elif item.startswith("-") and item[1:] in PARTS:
            chosen.discard(item[1:])
        elif item in PARTS:
            chosen.add(item)
        else:
            raise InvalidInputError(
                f"LABLEDGER_CAPTURE has {item!r}; use all, none, or parts from "
                f"{', '.join(PARTS)} (prefix '-' to leave one out)",
                details={"field": "capture"},
            )
    return frozenset(chosen)


def capture_environment(
    parts: frozenset[str], *, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> Captured:
    """Capture the chosen parts; never raises (a failing part notes its error)."""
    from labledger.sdk.capture import secrets

    env = os.environ if environ is None else environ
    where = cwd or Path.cwd()
    doc: dict[str, Any] = {}
    timings: dict[str, float] = {}
    diff: bytes | None = None
    ci = None

    if "git" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.git import capture_git

        info, raw_diff = capture_git(where, DIFF_MAX_BYTES)
        doc["git"] = secrets.redact_config(info) if info is not None else None
        if raw_diff:
            # surrogateescape: bytes that are not UTF-8 come back unchanged, so the diff
            # still applies; only secret-shaped text is replaced
            text = raw_diff.decode("utf-8", "surrogateescape")
            diff = secrets.redact_value(text).encode("utf-8", "surrogateescape")
        timings["git"] = _ms(started)
    if "packages" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.packages import capture_packages

        captured = capture_packages()
        doc["python"] = captured.pop("python", {})
        # names and versions cannot hold secrets; direct URLs can
        captured["direct_urls"] = secrets.redact_config(captured.get("direct_urls", {}))
        doc["packages"] = captured
        timings["packages"] = _ms(started)
    if "system" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.system import capture_system

        doc["system"] = capture_system()
        timings["system"] = _ms(started)
    if "container" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.container import capture_container

        doc["container"] = secrets.redact_config(capture_container(env))
        timings["container"] = _ms(started)
    if "ci" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.ci import detect_ci

        ci = detect_ci(env)
        doc["ci"] = ci.to_dict() if ci is not None else None
        timings["ci"] = _ms(started)
    if "process" in parts:
        started = time.perf_counter()
        from labledger.sdk.capture.system import capture_process

        process = capture_process()
        process["argv"] = secrets.redact_argv(process.get("argv") or [])
        variables = {k: v[:ENV_VALUE_MAX] for k, v in env.items()}
        process["environment"] = dict(sorted(secrets.redact_env(variables).items()))
        doc["process"] = secrets.redact_config(process)
        timings["process"] = _ms(started)
    doc["capture"] = {"version": 1, "parts": sorted(parts), "ms": timings}
    return Captured(doc, diff, ci)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
