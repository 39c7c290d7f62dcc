"""Options and error display shared by the commands."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from labledger.core.errors import TrackerError

F = TypeVar("F", bound=Callable[..., Any])

tracking_uri_option = click.option(
    "--tracking-uri",
    envvar="LABLEDGER_TRACKING_URI",
    default=None,
    help="Folder of an embedded store or http(s):// URL of a server "
    "[env: LABLEDGER_TRACKING_URI; default: ./.labledger].",
)


def reports_errors(fn: F) -> F:
    """Print TrackerErrors as one clear line and exit 1 instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrackerError as exc:
            click.echo(f"error [{exc.error_code}]: {exc.message}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def human_size(n: int) -> str:
    """``1536`` -> ``1.5 KiB``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
