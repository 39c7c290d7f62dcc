"""Redaction of what environment capture collects: variables and the command line.

The rules themselves (secret names, secret shapes, config trees, params and tags) are in
:mod:`labledger.core.secrets`, shared with the services; they are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from labledger.core.secrets import (
    REDACTED,
    is_secret_name,
    is_secret_param,
    redact_config,
    redact_fields,
    redact_value,
)

__all__ = [
    "REDACTED",
    "is_secret_name",
    "redact_argv",
    "redact_config",
    "redact_env",
    "redact_fields",
    "redact_value",
]


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env``: secret-named variables redacted whole, the rest by shape."""
    return {
        name: REDACTED if is_secret_name(name) else redact_value(value)
        for name, value in env.items()
    }


_OPTION_RE = re.compile(r"[-+~]*[A-Za-z_][A-Za-z0-9_.\-]*")


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A redacted copy of a command line.

    ``--api-key=abc`` and ``db.password=xyz`` (Hydra overrides, ``-Dx.password=...``) keep
    the name; after ``--password`` or ``-password`` the next argument is redacted unless it
    is itself a ``--`` option.  Single-letter options such as ``-p`` are too ambiguous and
    are left alone.  Every other argument is redacted by shape.
    """
    out: list[str] = []
    value_follows = False
    for arg in argv:
        if value_follows:
            value_follows = False
            if not arg.startswith("--"):
                out.append(REDACTED)
                continue
        name, eq, value = arg.partition("=")
        if eq and _OPTION_RE.fullmatch(name) and is_secret_param(name, value):
            out.append(f"{name}={REDACTED}")
            continue
        if not eq and arg.startswith("-") and _OPTION_RE.fullmatch(arg):
            bare = arg.lstrip("-")
            value_follows = len(bare) > 1 and is_secret_name(bare)
        out.append(redact_value(arg))
    return out
