"""Required fields: what a project can demand of its runs, and which ones a run lacks.

A field is one of:

- ``params.<key>``, ``tags.<key>``, ``metrics.<key>``: the run has it;
- ``datasets`` (at least one dataset) or ``datasets.<name>`` (a dataset of that name);
- ``notes``, ``user``, ``group``, ``run_key``: set and not empty;
- anything else is a dotted path into the captured environment, e.g. ``git.commit``,
  ``container.image_digest``, ``ci.system``: present and not empty.
"""

from __future__ import annotations

import re
from typing import Any

from labledger.core.entities import DatasetRef, Run
from labledger.core.errors import InvalidInputError

_ENV_PATH = re.compile(r"[a-z_][a-z0-9_]*(\.[A-Za-z0-9_\-]+)*")
_RUN_FIELDS = ("notes", "user", "group", "run_key")


def check_field(name: str) -> str:
    head, _, rest = name.partition(".")
    if head in ("params", "tags", "metrics") and rest:
        return name
    if name == "datasets" or (head == "datasets" and rest) or name in _RUN_FIELDS:
        return name
    if _ENV_PATH.fullmatch(name):
        return name
    raise InvalidInputError(
        f"required field {name!r} is not params.<key>, tags.<key>, metrics.<key>, datasets, "
        "datasets.<name>, notes, user, group, run_key or an environment path like git.commit",
        details={"field": "required", "value": name},
    )


def _env_value(env: dict[str, Any] | None, path: str) -> Any:
    node: Any = env
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def missing_fields(
    required: list[str], run: Run, env: dict[str, Any] | None, datasets: list[DatasetRef]
) -> list[str]:
    out = []
    for name in required:
        head, _, rest = name.partition(".")
        if head == "params" and rest:
            ok = rest in run.params
        elif head == "tags" and rest:
            ok = rest in run.tags
        elif head == "metrics" and rest:
            ok = rest in run.metrics
        elif name == "datasets":
            ok = bool(datasets)
        elif head == "datasets":
            ok = any(d.name == rest for d in datasets)
        elif name in _RUN_FIELDS:
            ok = _present(getattr(run, name))
        else:
            ok = _present(_env_value(env, name))
        if not ok:
            out.append(name)
    return out
