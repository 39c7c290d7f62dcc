"""Entry point: ``labledger [runs|artifacts|db|server|demo|sync|doctor|verify|projects|users|
tokens|audit|login|import] …``."""

from __future__ import annotations

import click

from labledger._version import __version__
from labledger.cli.accounts import create_project, members, tokens, users
from labledger.cli.artifacts import artifacts
from labledger.cli.audit import audit
from labledger.cli.db import db
from labledger.cli.demo import demo
from labledger.cli.doctor import doctor
from labledger.cli.imports import import_group
from labledger.cli.login import login
from labledger.cli.models import deploy, drift, lineage, models
from labledger.cli.provenance import diff, env, projects, seal, verify
from labledger.cli.reproduce import reproduce
from labledger.cli.runs import runs
from labledger.cli.server import server
from labledger.cli.sync import sync


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labledger")
def cli() -> None:
    """LabLedger: record, search and compare experiment runs."""


cli.add_command(runs)
cli.add_command(artifacts)
cli.add_command(db)
cli.add_command(server)
cli.add_command(demo)
cli.add_command(sync)
cli.add_command(doctor)
cli.add_command(verify)
cli.add_command(projects)
cli.add_command(reproduce)
cli.add_command(users)
cli.add_command(tokens)
cli.add_command(audit)
cli.add_command(login)
cli.add_command(models)
cli.add_command(deploy)
cli.add_command(lineage)
cli.add_command(drift)
cli.add_command(import_group)
projects.add_command(create_project)
projects.add_command(members)
runs.add_command(diff)
runs.add_command(seal)
runs.add_command(env)


def main() -> None:
    cli(prog_name="labledger")
