"""``labledger reproduce RUN``: rebuild a run from its record and compare."""

from __future__ import annotations

import math
from pathlib import Path

import click

from labledger.cli._common import reports_errors, tracking_uri_option


@click.command()
@click.argument("run_id")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to check out and build (default: ./reproduce-<run id>).",
)
@click.option(
    "--env",
    "mode",
    type=click.Choice(["new", "current"]),
    default="new",
    show_default=True,
    help="new: a virtualenv with the recorded package versions; current: this interpreter "
    "(differences are listed).",
)
@click.option(
    "--tolerance",
    type=float,
    default=1e-6,
    show_default=True,
    help="Relative and absolute tolerance for final metrics.",
)
@click.option("--pip-arg", "pip_args", multiple=True, help="Passed on to pip install.")
@tracking_uri_option
@reports_errors
def reproduce(
    run_id: str,
    workdir: Path | None,
    mode: str,
    tolerance: float,
    pip_args: tuple[str, ...],
    tracking_uri: str | None,
) -> None:
    """Check out the recorded commit, apply the recorded diff, recreate the environment,
    rerun the recorded command, and compare final metrics (exit 1 outside the tolerance)."""
    from labledger.ops.reproduce import reproduce as run_reproduction
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        target = client.settings.tracking_uri
        if not client.settings.is_remote:
            target = str(client.settings.local_dir())
        result = run_reproduction(
            client,
            run_id,
            (workdir or Path(f"reproduce-{run_id[:12]}")).resolve(),
            mode=mode,
            tolerance=tolerance,
            tracking_uri=target,
            say=lambda line: click.echo(line, err=True),
            pip_args=list(pip_args),
        )
    click.echo(f"reproduction {result.reproduction} of {result.original}")
    for key, old, new, within in result.metrics:
        mark = "ok " if within else "OFF"
        click.echo(f"  {mark} {key}: {_num(old)} -> {_num(new)}")
    for key, (was, now) in result.config.items():
        click.echo(f"  OFF config {key}: {was} -> {now}")
    for key, (was, now) in result.datasets.items():
        click.echo(f"  note dataset {key}: {was} -> {now}")
    for name, (was, now) in list(result.package_mismatches.items())[:20]:
        click.echo(f"  note package {name}: recorded {was}, used {now}")
    click.echo("reproduced within tolerance" if result.ok else "NOT reproduced")
    if not result.ok:
        raise SystemExit(1)


def _num(value: float | None) -> str:
    if value is None:
        return "(missing)"
    return "NaN" if math.isnan(value) else f"{value:.6g}"
