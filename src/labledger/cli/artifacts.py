"""``labledger artifacts ls|get|put|gc``."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from labledger.cli._common import human_size, reports_errors, tracking_uri_option
from labledger.cli.db import _with_db_options
from labledger.core.entities import ArtifactState


def _progress(console: Console) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
    )


@click.group()
def artifacts() -> None:
    """List, download, upload and garbage-collect run artifacts."""


@artifacts.command("ls")
@click.argument("run_id")
@click.argument("path", default="")
@tracking_uri_option
@reports_errors
def ls(run_id: str, path: str, tracking_uri: str | None) -> None:
    """List a run's artifacts under PATH (all by default)."""
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        entries = client.list_artifacts(run_id, path)
    if not entries:
        click.echo("no artifacts")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("path", "size", "sha256", "step", "state"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for e in entries:
        state = "pending" if e.state is ArtifactState.PENDING else ""
        step = "" if e.step is None else str(e.step)
        table.add_row(e.path, human_size(e.size), e.digest[:12], step, state)
    Console().print(table)


@artifacts.command("get")
@click.argument("run_id")
@click.argument("path")
@click.argument("dest", type=click.Path(file_okay=False), default=".")
@tracking_uri_option
@reports_errors
def get(run_id: str, path: str, dest: str, tracking_uri: str | None) -> None:
    """Download PATH (a file or a folder) of a run into DEST, verifying every file."""
    from labledger.sdk.client import Client
    from labledger.sdk.downloads import download, select_entries

    console = Console(stderr=True)
    with Client(tracking_uri) as client:
        entries, _ = select_entries(client.transport, run_id, path)
        total = sum(e.size for e in entries)
        with _progress(console) as progress:
            task = progress.add_task(f"{len(entries)} files", total=total)
            where = download(
                client.transport,
                run_id,
                path,
                dest,
                progress=lambda n: progress.advance(task, n),
            )
    click.echo(f"downloaded {len(entries)} files ({human_size(total)}) to {where}")


@artifacts.command("put")
@click.argument("run_id")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--path", "target", default=None, help="Folder inside the run's artifacts.")
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="In folders, also follow symbolic links that lead outside the folder.",
)
@tracking_uri_option
@reports_errors
def put(
    run_id: str,
    files: tuple[str, ...],
    target: str | None,
    follow_symlinks: bool,
    tracking_uri: str | None,
) -> None:
    """Upload FILES (files or folders) to a run, now, with a progress bar.

    In a folder, symbolic links whose target is inside it are followed; links leading
    outside it are skipped with a warning unless --follow-symlinks; broken links and cycles
    are skipped with a warning."""
    from labledger.core.artifact_validation import media_type_for
    from labledger.sdk.artifact_files import expand
    from labledger.sdk.artifact_spool import ArtifactRecord
    from labledger.sdk.artifacts import GROUP_MAX_FILES, upload_group
    from labledger.sdk.client import Client

    records: list[ArtifactRecord] = []
    for local in files:
        for source, logical in expand(
            local,
            target,
            follow_symlinks=follow_symlinks,
            warn=lambda message: click.echo(f"warning: {message}", err=True),
        ):
            stat = source.stat()
            records.append(
                ArtifactRecord(
                    len(records),
                    str(source.resolve()),
                    logical,
                    stat.st_size,
                    stat.st_mtime_ns,
                    media_type_for(logical),
                )
            )
    console = Console(stderr=True)
    failures = 0
    with Client(tracking_uri) as client, _progress(console) as progress:
        task = progress.add_task(f"{len(records)} files", total=sum(r.size for r in records))
        for i in range(0, len(records), GROUP_MAX_FILES):
            group = records[i : i + GROUP_MAX_FILES]
            errors = upload_group(
                client.transport, run_id, group, {}, lambda n: progress.advance(task, n)
            )
            for error in errors:
                click.echo(f"error [{error.error_code}]: {error.message}", err=True)
            failures += len(errors)
    click.echo(f"uploaded {len(records) - failures} files to run {run_id}")
    if failures:
        raise SystemExit(1)


@artifacts.command("gc")
@_with_db_options
@click.option(
    "--artifact-uri",
    envvar="LABLEDGER_ARTIFACT_URI",
    default=None,
    help="Blob store URI [env: LABLEDGER_ARTIFACT_URI; default: <data dir>/artifacts].",
)
@click.option("--dry-run", is_flag=True, help="Report what would be freed; delete nothing.")
@click.option(
    "--grace-seconds",
    default=3600,
    show_default=True,
    type=click.IntRange(min=0),
    help="Keep blobs something referred to within this many seconds.",
)
@reports_errors
def gc(
    data_dir: str | None,
    db_uri: str | None,
    artifact_uri: str | None,
    dry_run: bool,
    grace_seconds: int,
) -> None:
    """Delete blobs that no run's manifest refers to (run on the server's storage)."""
    from labledger.core.settings import Settings
    from labledger.services.tracker import Tracker

    settings = Settings.from_env(data_dir=data_dir, db_uri=db_uri, artifact_uri=artifact_uri)
    if not settings.data_dir and not settings.db_uri:
        settings = settings.with_(data_dir=settings.tracking_uri)
    tracker = Tracker.from_settings(settings)
    try:
        report = tracker.artifacts.gc(grace_ms=grace_seconds * 1000, dry_run=dry_run)
    finally:
        tracker.close()
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{verb} {report.blobs_deleted} blobs ({human_size(report.bytes_freed)}); "
        f"{report.uploads_aborted} abandoned uploads"
    )
