"""``labledger sync``: ship spooled records that never reached their target."""

from __future__ import annotations

from pathlib import Path

import click

from labledger.cli._common import reports_errors
from labledger.core.settings import Settings


@click.command()
@click.argument("spool_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tracking-uri", default=None, help="Send to this target instead of the one each run recorded."
)
@reports_errors
def sync(spool_dir: Path | None, tracking_uri: str | None) -> None:
    """Replay every unacknowledged batch in SPOOL_DIR (default: this store's spool).

    Batches keep their idempotency keys: running sync twice stores nothing twice.
    """
    from rich.progress import Progress

    from labledger.sdk.run import spool_root
    from labledger.sdk.sync import sync_spool

    root = spool_dir or spool_root(Settings.from_env())
    if not root.exists():
        click.echo(f"nothing to sync: {root} does not exist")
        return
    with Progress(transient=True) as progress:
        task = progress.add_task("points", total=None)
        report = sync_spool(
            root, tracking_uri=tracking_uri, on_batch=lambda n: progress.advance(task, n)
        )
    click.echo(
        f"synced {report.points} points in {report.batches} batches and {report.files} "
        f"artifact files ({report.bytes} bytes) for {report.runs} runs"
    )
    for run_id in report.created:
        click.echo(f"run {run_id}: created (recorded offline)")
    for run_id in report.killed:
        click.echo(f"run {run_id}: its process is gone; marked killed at its last heartbeat")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        raise SystemExit(1)
