"""``labledger verify``, ``labledger runs diff|seal|env``, ``labledger projects require|
completeness``: the ledger side of the command line."""

from __future__ import annotations

import json
from typing import Any

import click

from labledger.cli._common import reports_errors, tracking_uri_option


@click.command()
@click.argument("run_ids", nargs=-1)
@click.option("--project", "-p", default=None, help="Every ended or deleted run of this project.")
@click.option("--all", "all_runs", is_flag=True, help="Every ended or deleted run, every blob.")
@click.option("--no-blobs", is_flag=True, help="Check the records only, not the artifact bytes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run checked.")
@tracking_uri_option
@reports_errors
def verify(
    run_ids: tuple[str, ...],
    project: str | None,
    all_runs: bool,
    no_blobs: bool,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """Recompute sealed runs' hashes and their artifacts' digests; exit 1 on any difference.

    Every ended run is checked: a finished run without a seal, a removed seal hash or an
    interrupted seal is a difference; a failed or killed run never sealed is listed as
    unsealed; a deleted run is listed with its tombstone.

    Each difference is named: the part of the record that changed (params, tags, metrics,
    history, environment, datasets, artifacts, run) or the artifact whose bytes changed.
    """
    from labledger.sdk.client import Client

    if not (run_ids or project or all_runs):
        raise click.UsageError("name runs, or use --project P or --all")
    failed = checked = blobs = 0
    with Client(tracking_uri) as client:
        targets: Any = run_ids or client.iter_sealed_runs(None if all_runs else project)
        for run_id in targets:
            result = client.verify_run(run_id, blobs=not no_blobs)
            checked += 1
            blobs += result["blobs_checked"]
            failed += not result["ok"]
            if as_json:
                click.echo(json.dumps(result))
            elif result.get("deleted"):
                click.echo(f"deleted {run_id}  {_tombstone(result['deleted'])}")
            elif result["ok"] and result["seal_hash"] is None:
                status = result.get("status")
                click.echo(f"unsealed {run_id}  ended {status}: `labledger runs seal` seals it")
            elif result["ok"]:
                click.echo(f"ok      {run_id}  seal {result['seal_hash']}")
            else:
                click.echo(f"FAILED  {run_id}")
                for problem in result["problems"]:
                    click.echo(f"        - {problem}")
        if all_runs and not no_blobs:
            token = None
            while True:
                page = client.transport.provenance.verify_blobs(token, 200)
                blobs += page["checked"]
                for problem in page["problems"]:
                    failed += 1
                    click.echo(f"FAILED  {problem}")
                token = page["next_page_token"]
                if token is None:
                    break
    if not as_json:
        click.echo(f"{checked} runs and {blobs} blobs checked, {failed} with differences")
    if failed:
        raise SystemExit(1)


def _tombstone(stone: dict[str, Any]) -> str:
    from labledger.core.ids import format_ms

    text = f"{stone['project']}, {stone['status']}, deleted {format_ms(stone['deleted_ms'])}"
    if stone.get("deleted_by"):
        text += f" by {stone['deleted_by']}"
    if stone.get("reason"):
        text += f" ({stone['reason']})"
    if stone.get("seal_hash"):
        text += f"; its seal was {stone['seal_hash']}"
    return text


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@tracking_uri_option
@reports_errors
def diff(run_a: str, run_b: str, as_json: bool, tracking_uri: str | None) -> None:
    """What differs between two runs' origins: commit, packages (added, removed, changed),
    config, Python, machine, container, datasets and command line."""
    from labledger.ops.envdiff import diff_runs
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        sides = [
            (client.get_run(r), client.get_environment(r), client.list_datasets(r))
            for r in (run_a, run_b)
        ]
    result = diff_runs(*sides[0], *sides[1])
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    if result.same:
        click.echo("no differences in code, packages, config, environment or datasets")
        return
    _print_pairs("code", result.code)
    for name, version in result.packages_added.items():
        click.echo(f"packages  + {name} {version}")
    for name, version in result.packages_removed.items():
        click.echo(f"packages  - {name} {version}")
    for name, (old, new) in result.packages_changed.items():
        click.echo(f"packages  ~ {name} {old} -> {new}")
    for title in ("config", "python", "system", "container", "datasets", "command"):
        _print_pairs(title, getattr(result, title))


def _print_pairs(title: str, pairs: dict[str, tuple[Any, Any]]) -> None:
    for key, (old, new) in pairs.items():
        click.echo(f"{title:<9} ~ {key}: {_show(old)} -> {_show(new)}")


def _show(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value) if not isinstance(value, str) else value


@click.command("seal")
@click.argument("run_id")
@tracking_uri_option
@reports_errors
def seal(run_id: str, tracking_uri: str | None) -> None:
    """Seal an ended run now (failed and killed runs stay open for a retry until sealed)."""
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        run = client.seal_run(run_id)
    click.echo(f"{run.id} sealed: {run.seal_hash}")


@click.command("env")
@click.argument("run_id")
@tracking_uri_option
@reports_errors
def env(run_id: str, tracking_uri: str | None) -> None:
    """Print the environment captured at the run's start, as JSON (secrets redacted)."""
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        click.echo(json.dumps(client.get_environment(run_id), indent=2, sort_keys=True))


@click.group()
def projects() -> None:
    """Project settings: the fields its runs must carry."""


@projects.command("require")
@click.argument("project")
@click.argument("fields", nargs=-1)
@tracking_uri_option
@reports_errors
def require(project: str, fields: tuple[str, ...], tracking_uri: str | None) -> None:
    """Set the fields every run of PROJECT must carry (none: no requirement), e.g.
    ``git.commit datasets container.image_digest params.seed``."""
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        stored = client.set_required_fields(project, list(fields))
    click.echo(f"{project} requires: {', '.join(stored) or '(nothing)'}")


@projects.command("completeness")
@click.argument("project")
@click.option("--json", "as_json", is_flag=True)
@tracking_uri_option
@reports_errors
def completeness(project: str, as_json: bool, tracking_uri: str | None) -> None:
    """How many runs of PROJECT carry every required field, and what the others lack."""
    from labledger.sdk.client import Client

    with Client(tracking_uri) as client:
        report = client.completeness(project)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"{project}: {report['complete']} of {report['runs']} runs complete "
        f"({report['percent']:.1f}%); required: {', '.join(report['required']) or '(nothing)'}"
    )
    for run_id, missing in report["incomplete"].items():
        click.echo(f"  {run_id} lacks {', '.join(missing)}")
