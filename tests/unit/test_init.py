"""The public package: what ``import labledger`` exports, and that importing it stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

import labledger

HEAVY_MODULES = ("sqlalchemy", "fastapi", "httpx", "numpy", "lark", "alembic", "uvicorn")


def public_names() -> set[str]:
    """Names a user can reach as ``labledger.X``, minus submodules and compiler artefacts."""
    return {
        name
        for name, value in vars(labledger).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and type(value).__module__ != "__future__"  # `from __future__ import annotations`
    }


def test_all_lists_exactly_the_public_names_of_the_package():
    assert set(labledger.__all__) == public_names() | {"__version__"}


def test_all_has_no_duplicates():
    assert len(labledger.__all__) == len(set(labledger.__all__))


@pytest.mark.parametrize("name", labledger.__all__)
def test_every_name_in_all_resolves(name):
    assert getattr(labledger, name) is not None


@pytest.mark.parametrize(
    ("alias", "target"),
    [("start_run", "init"), ("end_run", "finish"), ("log_metrics", "log")],
)
def test_aliases_are_the_same_objects_as_their_targets(alias, target):
    assert getattr(labledger, alias) is getattr(labledger, target)


def test_version_is_a_dotted_version_string():
    parts = labledger.__version__.split(".")
    assert len(parts) >= 2 and all(p.isdigit() for p in parts[:2])


def test_import_labledger_does_not_import_heavy_dependencies():
    code = (
        "import json, sys\n"
        "import labledger\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == []


def test_star_import_gives_exactly_the_names_in_all():
    code = (
        "import json\n"
        "before = set(globals())\n"
        "from labledger import *\n"
        "print(json.dumps(sorted(set(globals()) - before - {'before'})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == sorted(labledger.__all__)
