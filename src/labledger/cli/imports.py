"""``labledger import mlflow``: copy an MLflow tracking server or store into LabLedger."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from labledger.cli._common import human_size, reports_errors
from labledger.cli._progress import RunsProgress
from labledger.core.settings import Settings

if TYPE_CHECKING:
    from labledger.ops.mlflow_import import ImportReport


class ImportProgressBar(RunsProgress):
    """Runs copied of those found, with the points and bytes written so far."""

    def __init__(self) -> None:
        super().__init__(
            "importing",
            "{task.fields[points]:,} points · {task.fields[size]} · {task.fields[now]}",
            points=0,
            size=human_size(0),
            now="",
        )

    def update(self, report: ImportReport) -> None:
        counts = report.counts
        self.show(
            report.runs_total,
            report.runs_done,
            points=counts["metric points"].written,
            size=human_size(counts["artifact bytes"].written),
            now=report.current[:60],
        )


def _print_report(report: ImportReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report.source} -> {report.target}", title_justify="left")
    table.add_column("records")
    for heading in ("read", "written", "already there", "skipped"):
        table.add_column(heading, justify="right")
    for row, *numbers in report.table():
        if row == "artifact bytes":
            table.add_row(row, *(human_size(n) for n in numbers))
        else:
            table.add_row(row, *(f"{n:,}" for n in numbers))
    console = Console(soft_wrap=True)
    console.print(table)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    if report.written == 0 and not report.errors:
        click.echo("nothing new: everything read was already imported (written 0)")


def _as_json(report: ImportReport) -> str:
    return json.dumps(
        {
            "source": report.source,
            "target": report.target,
            "counts": {
                row: {"read": r, "written": w, "present": p, "skipped": s}
                for row, r, w, p, s in report.table()
            },
            "notes": report.notes,
            "errors": report.errors,
        },
        indent=2,
    )


@click.group(name="import")
def import_group() -> None:
    """Copy another tracker's experiments into LabLedger."""


@import_group.command(name="mlflow")
@click.option(
    "--from",
    "from_uri",
    required=True,
    metavar="URI",
    help="An MLflow tracking server (http://…), its database (sqlite:///…, postgresql://…) "
    "or an mlruns folder (a path or file:// URI).",
)
@click.option(
    "--to",
    "to_uri",
    envvar="LABLEDGER_TRACKING_URI",
    default=None,
    metavar="TRACKING_URI",
    help="The LabLedger store folder or server URL to import into "
    "[env: LABLEDGER_TRACKING_URI; default: ./.labledger].",
)
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Import only this MLflow experiment (repeatable); default: all.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@reports_errors
def import_mlflow(
    from_uri: str, to_uri: str | None, experiments: tuple[str, ...], as_json: bool
) -> None:
    """Copy MLflow experiments, runs (params, tags, full metric histories, artifacts) and
    registered models with their versions and aliases into LabLedger.

    Run ids are kept.  Importing again adds only what is missing: after an interruption it
    completes the import, after a complete one it writes nothing.  Credentials of an MLflow
    server: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
    """
    from labledger.ops.mlflow_import import import_mlflow as run_import
    from labledger.ops.mlflow_import import open_source
    from labledger.sdk.transport import open_transport

    settings = Settings.from_env(tracking_uri=to_uri)
    try:
        source = open_source(from_uri)
    except OSError as exc:
        raise click.ClickException(f"cannot read --from {from_uri!r}: {exc}") from None
    try:
        transport = open_transport(settings)
        try:
            with ImportProgressBar() as bar:
                report = run_import(
                    source,
                    transport,
                    target=settings.tracking_uri,
                    experiments=list(experiments) or None,
                    on_progress=bar.update,
                )
        finally:
            transport.close()
    except OSError as exc:
        raise click.ClickException(f"the import stopped: {exc}") from None
    finally:
        source.close()
    if as_json:
        click.echo(_as_json(report))
    else:
        _print_report(report)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        sys.exit(1)
