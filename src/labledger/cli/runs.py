"""``labledger runs ls|show``."""

from __future__ import annotations

import datetime as dt
import json
import math

import click

from labledger.cli._common import reports_errors, tracking_uri_option
from labledger.core.entities import Run


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(run: Run) -> str:
    d = run.duration_ms
    if d is None:
        return "-"
    seconds = d // 1000
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m{seconds % 60:02d}s"


def _num(value: float) -> str:
    return str(value) if not math.isfinite(value) else f"{value:.6g}"


@click.group()
def runs() -> None:
    """List and inspect runs."""


@runs.command("ls")
@click.option("--project", "-p", required=True, help="Project name.")
@click.option(
    "--filter",
    "-f",
    "filter_",
    default=None,
    help='Search language, e.g. "metrics.acc > 0.9 and params.lr = 0.001".',
)
@click.option("--order-by", "-o", multiple=True, help='e.g. "metrics.acc desc"; repeatable.')
@click.option("--limit", "-n", default=50, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@tracking_uri_option
@reports_errors
def ls(
    project: str,
    filter_: str | None,
    order_by: tuple[str, ...],
    limit: int,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """Search the runs of a project."""
    from rich.console import Console
    from rich.table import Table

    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        page = client.search_runs(project, filter_, list(order_by), limit)
    if as_json:
        for run in page:
            click.echo(json.dumps(run.to_dict(), default=str))
        return
    metric_keys = sorted({k for r in page for k in r.metrics})[:6]
    table = Table(
        title=f"{project}: {len(page)} runs" + (" (more)" if page.next_page_token else "")
    )
    for column in ("id", "name", "status", "started", "duration", *metric_keys):
        table.add_column(column, overflow="fold")
    for run in page:
        table.add_row(
            run.id,
            run.name,
            run.status.value,
            _when(run.start_ms),
            _duration(run),
            *(_num(run.metrics[k]) if k in run.metrics else "" for k in metric_keys),
        )
    Console().print(table)


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@tracking_uri_option
@reports_errors
def show(run_id: str, as_json: bool, tracking_uri: str | None) -> None:
    """Show one run: attributes, params, tags and latest metrics."""
    from rich.console import Console
    from rich.table import Table

    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        run = client.get_run(run_id)
        missing = client.missing_fields(run_id)
    if as_json:
        click.echo(json.dumps({**run.to_dict(), "missing": missing}, default=str, indent=2))
        return
    console = Console()
    console.print(f"[bold]{run.name}[/bold]  {run.id}  ({run.project})")
    console.print(
        f"status {run.status.value}  started {_when(run.start_ms)}  "
        f"ended {_when(run.end_ms)}  duration {_duration(run)}  user {run.user or '-'}"
    )
    if run.parent_id or run.group:
        console.print(f"parent {run.parent_id or '-'}  group {run.group or '-'}")
    if run.seal_hash:
        console.print(f"sealed {_when(run.sealed_ms)}  sha256 {run.seal_hash}")
    if missing:
        console.print(f"[yellow]incomplete: lacks {', '.join(missing)}[/yellow]")
    for title, items in (
        ("params", run.params),
        ("tags", run.tags),
        ("metrics (latest)", {k: _num(v) for k, v in run.metrics.items()}),
    ):
        if not items:
            continue
        table = Table(title=title, show_header=False)
        table.add_column("key")
        table.add_column("value", overflow="fold")
        for key in sorted(items):
            table.add_row(key, str(items[key]))
        console.print(table)
