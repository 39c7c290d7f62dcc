"""Documentation stays true: every setting, route, public name, limit and error code and
CLI command is documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

import labledger
from labledger.core.errors import TrackerError
from labledger.core.limits import ALL_LIMITS
from labledger.core.settings import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read(name: str) -> str:
    return (DOCS / name).read_text()


@pytest.mark.parametrize("field", fields(Settings), ids=lambda f: f.name)
def test_every_setting_is_documented(field):
    assert f"`{field.metadata['env']}`" in read("settings.md")


def test_every_route_is_documented():
    from labledger.server.app import create_app

    doc = read("api.md")
    paths = create_app(Settings()).openapi()["paths"]
    assert "/api/v1/runs" in paths  # the routes were found: the loop below checks something
    for path, ops in paths.items():
        for method in ops:
            assert f"| {method.upper()} | `{path}` |" in doc, f"{method} {path}"


@pytest.mark.parametrize("name", labledger.__all__)
def test_every_public_sdk_name_is_documented(name):
    assert f"`{name}`" in read("sdk.md")


@pytest.mark.parametrize("name", sorted(ALL_LIMITS))
def test_every_limit_is_documented_with_its_value(name):
    doc = read("limits.md")
    assert f"`{name}`" in doc
    if not name.endswith("_STEP"):
        assert f"`{name}` | {ALL_LIMITS[name]} |" in doc


def _codes(cls: type[TrackerError]) -> set[str]:
    out = {cls.error_code}
    for sub in cls.__subclasses__():
        out |= _codes(sub)
    return out


@pytest.mark.parametrize("code", sorted(_codes(TrackerError)))
def test_every_error_code_is_documented(code):
    assert f"`{code}`" in read("limits.md")


def test_every_cli_command_is_in_the_readme():
    import click

    from labledger.cli.main import cli

    readme = (DOCS.parent / "README.md").read_text()

    def walk(group: click.Group, prefix: str) -> list[str]:
        names = []
        for name, cmd in group.commands.items():
            if isinstance(cmd, click.Group):
                names += walk(cmd, f"{prefix}{name} ")
            else:
                names.append(f"{prefix}{name}")
        return names

    commands = walk(cli, "labledger ")
    assert "labledger server" in commands and "labledger sync" in commands
    for command in commands:
        assert command in readme, command
