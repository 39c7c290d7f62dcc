"""``labledger models …``: the model registry (versions, aliases with policies and history),
on the embedded store or a server (``--tracking-uri`` / LABLEDGER_TRACKING_URI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from labledger.cli._common import reports_errors, tracking_uri_option, when_ms
from labledger.core.ids import format_ms


@contextmanager
def client(tracking_uri: str | None) -> Iterator[Any]:
    from labledger.sdk.client import Client

    with Client(tracking_uri) as found:
        yield found


def emit(data: Any, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for line in lines:
            click.echo(line)


def _num(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _gates(gates: list[dict[str, Any]], indent: str = "  ") -> list[str]:
    return [
        f"{indent}{'pass' if g['passed'] else 'FAIL'}  {g['rule']}: {g['message']}" for g in gates
    ]


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def models() -> None:
    """Registered models: versions, aliases, promotion policies and their history."""


@models.command("create")
@click.argument("name")
@click.option("--project", "-p", default="default", show_default=True)
@click.option("--description", default="")
@tracking_uri_option
@reports_errors
def create(name: str, project: str, description: str, tracking_uri: str | None) -> None:
    """Create a registered model."""
    with client(tracking_uri) as c:
        found = c.create_model(name, project, description=description)
    click.echo(f"created model {found['name']} in project {found['project']}")


@models.command("register")
@click.argument("name")
@click.option("--run", "run_id", required=True, help="The source run's id.")
@click.option("--path", required=True, help="An artifact path of the run (file or folder).")
@click.option("--description", default="")
@tracking_uri_option
@reports_errors
def register(name: str, run_id: str, path: str, description: str, tracking_uri: str | None) -> None:
    """Register the run's files at PATH as the next version; prints the version number."""
    with client(tracking_uri) as c:
        found = c.register_model(name, run_id, path, description=description)
    click.echo(found["version"])


@models.command("ls")
@click.option("--name-like", default=None, help="SQL LIKE pattern, e.g. 'churn%'.")
@json_option
@tracking_uri_option
@reports_errors
def list_models(name_like: str | None, as_json: bool, tracking_uri: str | None) -> None:
    """Models you may read."""
    with client(tracking_uri) as c:
        found = c.list_models(name_like=name_like, limit=1000)
    lines = [
        f"{m['name']:<30} {m['project']:<20} v{m['latest_version'] or '-':<5} "
        + " ".join(f"{a}=v{v}" for a, v in sorted(m["aliases"].items()))
        for m in found
    ]
    emit(found, as_json, lines or ["(no models)"])


@models.command("show")
@click.argument("name")
@click.option("--version", "-v", type=int, default=None)
@json_option
@tracking_uri_option
@reports_errors
def show(name: str, version: int | None, as_json: bool, tracking_uri: str | None) -> None:
    """A model and its versions, or one version with its files and source run."""
    with client(tracking_uri) as c:
        if version is not None:
            v = c.get_model_version(name, version)
            lines = [
                f"{v['model']} v{v['version']}  run {v['run_id']} ({v['run_status']})",
                f"path {v['path']}  digest {v['digest']}",
                f"aliases: {', '.join(v['aliases']) or '-'}",
                "metrics: " + ", ".join(f"{k}={_num(x)}" for k, x in sorted(v["metrics"].items())),
                *[f"  {f['digest'][:12]}  {f['size']:>10}  {f['path']}" for f in v["files"]],
            ]
            emit(v, as_json, lines)
            return
        m = c.get_model(name)
        versions = c.search_model_versions(f"name = '{name}'", order_by=["version"], limit=5000)
    lines = [
        f"{m['name']}  project {m['project']}  {m['versions']} versions",
        "aliases: " + (", ".join(f"{a}=v{v}" for a, v in sorted(m["aliases"].items())) or "-"),
        *[
            f"  v{v['version']:<4} run {v['run_id'][:12]}  {format_ms(v['created_ms'])}  "
            + " ".join(f"{k}={_num(x)}" for k, x in sorted(v["metrics"].items())[:4])
            + (f"  [{', '.join(v['aliases'])}]" if v["aliases"] else "")
            for v in versions
        ],
    ]
    emit({**m, "version_list": versions}, as_json, lines)


@models.command("search")
@click.argument("filter_text", metavar="FILTER")
@click.option("--order-by", "-o", multiple=True)
@click.option("--limit", "-n", default=100, show_default=True, type=click.IntRange(1, 5000))
@json_option
@tracking_uri_option
@reports_errors
def search(
    filter_text: str, order_by: tuple[str, ...], limit: int, as_json: bool, tracking_uri: str | None
) -> None:
    """Versions matching FILTER, e.g. "run.metrics.acc > 0.9 and alias = 'champion'"."""
    with client(tracking_uri) as c:
        found = c.search_model_versions(filter_text, order_by=list(order_by), limit=limit)
    lines = [f"{v['model']} v{v['version']}  run {v['run_id']}  {v['aliases']}" for v in found]
    emit(found, as_json, lines or ["(no versions)"])


@models.group("policy")
def policy() -> None:
    """Promotion policies (per alias) and drift thresholds (the model's own)."""


@policy.command("set")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--alias", default=None, help="The alias it guards; without it, drift thresholds.")
@tracking_uri_option
@reports_errors
def policy_set(name: str, file: Path, alias: str | None, tracking_uri: str | None) -> None:
    """Set a policy from a YAML or JSON FILE."""
    with client(tracking_uri) as c:
        found = c.set_promotion_policy(name, file.read_text(encoding="utf-8"), alias=alias)
    click.echo(f"policy of {name} {alias or '(model)'} set: {json.dumps(found['policy'])}")


@models.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", required=True)
@tracking_uri_option
@reports_errors
def promote(name: str, version: int, alias: str, tracking_uri: str | None) -> None:
    """Point ALIAS at VERSION if its policy allows; exit 1 naming every failed gate if not."""
    from labledger.core.errors import GateFailedError

    with client(tracking_uri) as c:
        try:
            found = c.promote(name, version, alias)
        except GateFailedError as exc:
            click.echo(f"refused: {name} v{version} -> {alias}", err=True)
            for line in _gates(exc.details.get("gates", [])):
                click.echo(line, err=True)
            raise
    if not found["moved"]:
        click.echo(f"{alias} already points at v{version}")
        return
    was = f"v{found['from_version']}" if found["from_version"] else "nothing"
    click.echo(f"{name}: {alias} -> v{version} (was {was})")
    for line in _gates(found["gates"]):
        click.echo(line)


@models.command("approve")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", required=True)
@tracking_uri_option
@reports_errors
def approve(name: str, version: int, alias: str, tracking_uri: str | None) -> None:
    """Approve VERSION for ALIAS under its current policy."""
    with client(tracking_uri) as c:
        found = c.approve(name, version, alias)
    click.echo(f"{found['approver']} approved {name} v{version} for {alias}")


@models.command("rollback")
@click.argument("name")
@click.option("--alias", required=True)
@tracking_uri_option
@reports_errors
def rollback(name: str, alias: str, tracking_uri: str | None) -> None:
    """Move ALIAS back to the version it pointed at before its last move."""
    with client(tracking_uri) as c:
        found = c.rollback(name, alias)
    click.echo(f"{name}: {alias} -> v{found['version']} (was v{found['from_version']})")


@models.command("history")
@click.argument("name")
@click.option("--alias", default=None)
@click.option("--at", default=None, help="Instead: which version ALIAS held at this time.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@json_option
@tracking_uri_option
@reports_errors
def history(
    name: str,
    alias: str | None,
    at: str | None,
    limit: int,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """Who moved the model's aliases, when, from which version to which, and the gates."""
    with client(tracking_uri) as c:
        if at is not None:
            if alias is None:
                raise click.UsageError("--at needs --alias")
            held = c.alias_at(name, alias, when_ms(at, "--at"))
            line = (
                f"{alias} held v{held['version']} (run {held['run_id']}) since "
                f"{format_ms(held['since_ms'])}, moved by {held['moved_by']}"
                if held["version"] is not None
                else f"{alias} pointed at no version then"
            )
            emit(held, as_json, [line])
            return
        events = c.alias_history(name, alias, limit=limit)
    lines: list[str] = []
    for e in events:
        move = f"v{e['from_version'] or '-'} -> v{e['to_version'] or '-'}"
        lines.append(
            f"{format_ms(e['time_ms'])}  {e['alias']:<12} {e['kind']:<9} {move:<14} {e['actor']}"
        )
        if e["kind"] == "refuse":
            lines.extend(_gates([g for g in e["gates"] if not g["passed"]], "      "))
    emit(events, as_json, lines or ["(no history)"])


@click.group()
def deploy() -> None:
    """Deployments: which version each environment serves."""


@deploy.command("record")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--env", required=True)
@click.option("--url", default=None)
@click.option("--note", default=None)
@tracking_uri_option
@reports_errors
def deploy_record(
    name: str, version: int, env: str, url: str | None, note: str | None, tracking_uri: str | None
) -> None:
    """Record that ENV now serves VERSION of NAME (for deploy pipelines)."""
    with client(tracking_uri) as c:
        found = c.record_deployment(name, version, env, url=url, note=note)
    click.echo(f"{env} serves {name} v{found['version']} (deployment {found['id']})")


@deploy.command("current")
@click.argument("name")
@click.option("--env", required=True)
@click.option("--at", default=None, help="A past time (ISO, epoch ms, or 7d back).")
@json_option
@tracking_uri_option
@reports_errors
def deploy_current(
    name: str, env: str, at: str | None, as_json: bool, tracking_uri: str | None
) -> None:
    """Which version and run ENV served (now or --at), and since when."""
    with client(tracking_uri) as c:
        found = c.current_deployment(name, env, when_ms(at, "--at"))
    line = (
        f"{env}: {name} v{found['version']} run {found['run_id']} since "
        f"{format_ms(found['since_ms'])} (deployment {found['id']}, by {found['recorded_by']})"
    )
    emit(found, as_json, [line])


@click.command("lineage")
@click.argument("node")
@click.option("--depth", default=4, show_default=True, type=click.IntRange(1, 10))
@json_option
@tracking_uri_option
@reports_errors
def lineage(node: str, depth: int, as_json: bool, tracking_uri: str | None) -> None:
    """The lineage graph around NODE: run:<id>, version:<model>/<n> (or <model>@<alias>),
    deployment:<id>, dataset:<digest>, blob:<digest>, or a bare run id or digest."""
    with client(tracking_uri) as c:
        graph = c.lineage(node, depth)
    lines = [f"{n['kind']:<12} {n['id']}" for n in graph["nodes"]]
    lines += [f"{e['from']}  --{e['relation']}-->  {e['to']}" for e in graph["edges"]]
    if graph["truncated"]:
        lines.append("(truncated: narrow the depth or start nearer)")
    emit(graph, as_json, lines)


@click.group()
def drift() -> None:
    """Production drift of deployed models."""


@drift.command("alerts")
@click.argument("name")
@click.option("--env", default=None)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@json_option
@tracking_uri_option
@reports_errors
def drift_alerts(
    name: str, env: str | None, limit: int, as_json: bool, tracking_uri: str | None
) -> None:
    """Drift alerts, newest first: deployment, version, run and the features that moved."""
    with client(tracking_uri) as c:
        found = c.drift_alerts(name, env, limit=limit)
    lines = [
        f"{format_ms(a['time_ms'])}  {a['env']}  {name} v{a['version']} run {a['run_id']}  "
        + ", ".join(
            f"{f} (psi {_num(s['psi'])}, ks {_num(s['ks'])})"
            for f, s in sorted(a["features"].items())
        )
        for a in found
    ]
    emit(found, as_json, lines or ["(no alerts)"])
