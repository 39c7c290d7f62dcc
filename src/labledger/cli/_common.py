"""Options and error display shared by the commands."""

from __future__ import annotations

import contextlib
import functools
import getpass
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from labledger.core.errors import TrackerError

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker

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


def store_options(fn: F) -> F:
    """``--data-dir`` / ``--db-uri``: the store a server serves, acted on directly."""
    fn = click.option(
        "--db-uri",
        envvar="LABLEDGER_DB_URI",
        default=None,
        help="Metadata database URL of the server's store [env: LABLEDGER_DB_URI].",
    )(fn)
    return click.option(
        "--data-dir",
        envvar="LABLEDGER_DATA_DIR",
        default=None,
        help="Data directory of the server's store [env: LABLEDGER_DATA_DIR; default: "
        "./.labledger].",
    )(fn)


@contextlib.contextmanager
def operator_store(data_dir: str | None, db_uri: str | None) -> Iterator[Tracker]:
    """The store a server serves, opened directly by an operator (no server needed): the
    file and database permissions already let them do anything, so they may, and the
    audit log names them (``operator:<os user>``)."""
    from labledger.core.identity import operator
    from labledger.core.settings import Settings
    from labledger.services.tracker import Tracker

    settings = Settings.from_env(data_dir=data_dir, db_uri=db_uri)
    if not settings.data_dir and not settings.db_uri:
        settings = settings.with_(data_dir=settings.tracking_uri)
    tracker = Tracker.from_settings(settings, auth=True)
    try:
        yield tracker.for_principal(operator(getpass.getuser()))
    finally:
        tracker.close()


def when_ms(text: str | None, option: str = "--since") -> int | None:
    """``2026-12-01``, an ISO time, epoch milliseconds, or a duration back from now
    (``7d``, ``12h``)."""
    if text is None:
        return None
    from datetime import UTC, datetime

    from labledger.core.accounts import parse_lifetime
    from labledger.core.ids import now_ms

    if text.isdigit():
        return int(text)
    if text[-1:] in "mhdw" and text[:-1].isdigit():
        return now_ms() - parse_lifetime(option, text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither a date, a time nor 7d/12h") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)
