"""``labledger sync``: ship spooled records that never reached their target."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from labledger.cli._common import human_size, reports_errors
from labledger.cli._progress import RunsProgress
from labledger.core.settings import Settings

if TYPE_CHECKING:
    from labledger.ops.sync import SyncReport


class SyncProgressBar(RunsProgress):
    """Runs (writers) done of those found, with points and bytes sent so far."""

    def __init__(self) -> None:
        super().__init__(
            "syncing",
            "{task.fields[points]:,} points · {task.fields[size]}",
            points=0,
            size=human_size(0),
        )

    def update(self, report: SyncReport) -> None:
        self.show(
            report.writers, report.writers_done, points=report.points, size=human_size(report.bytes)
        )


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
    from labledger.ops.sync import sync_spool
    from labledger.sdk.run import spool_root

    root = spool_dir or spool_root(Settings.from_env())
    if not root.exists():
        click.echo(f"nothing to sync: {root} does not exist")
        return
    with SyncProgressBar() as bar:
        report = sync_spool(root, tracking_uri=tracking_uri, on_progress=bar.update)
    click.echo(
        f"synced {report.points} points in {report.batches} batches and {report.files} "
        f"artifact files, {human_size(report.bytes)} sent, for {report.runs} runs "
        f"({report.writers} spooled writers)"
    )
    for run_id in report.created:
        click.echo(f"run {run_id}: created (recorded offline)")
    for run_id in report.killed:
        click.echo(f"run {run_id}: its process is gone; marked killed at its last heartbeat")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.errors:
        raise SystemExit(1)
