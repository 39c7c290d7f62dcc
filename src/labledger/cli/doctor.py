"""``labledger doctor``: check the deployment this machine is configured for."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from labledger.ops.checks import Check


@click.command()
@click.option(
    "--tracking-uri",
    default=None,
    help="Check this target instead of LABLEDGER_TRACKING_URI's.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Also create a probe run with points and a file, read them back and delete it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(tracking_uri: str | None, write: bool, as_json: bool) -> None:
    """Check settings, the server or embedded store, the artifact store and the spool, and
    explain each problem found.  Exits 1 when a check fails (warnings do not)."""
    import os

    from labledger.ops.checks import Status
    from labledger.ops.doctor import run_checks

    env = dict(os.environ)
    if tracking_uri:
        env["LABLEDGER_TRACKING_URI"] = tracking_uri
        os.environ["LABLEDGER_TRACKING_URI"] = tracking_uri  # the --write probe's client
    checks = run_checks(env, write=write)
    failed = any(c.status is Status.FAIL for c in checks)
    if as_json:
        click.echo(json.dumps({"ok": not failed, "checks": [c.to_dict() for c in checks]}))
    else:
        _print(checks)
    if failed:
        raise SystemExit(1)


_MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]", "skip": "[dim]-[/]"}


def _print(checks: list[Check]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=False)
    for check in checks:
        mark = _MARKS[check.status.value]
        console.print(f"{mark} [bold]{escape(check.name)}[/]: {escape(check.summary)}")
        if check.explanation:
            console.print(
                f"    {escape(check.explanation)}",
                style="dim" if check.status.value == "skip" else None,
            )
    counts = {s: sum(c.status.value == s for c in checks) for s in ("ok", "warn", "fail")}
    console.print(f"{counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failed")
