"""What differs between two runs' origins: code, packages, config, interpreter, machine,
container, datasets.  Used by ``labledger runs diff`` and the UI's compare view logic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labledger.core.entities import DatasetRef, Run

Change = tuple[Any, Any]  # (value in A, value in B)


@dataclass
class RunDiff:
    code: dict[str, Change] = field(default_factory=dict)  # commit, branch, dirty, remote
    packages_added: dict[str, str] = field(default_factory=dict)  # in B only
    packages_removed: dict[str, str] = field(default_factory=dict)  # in A only
    packages_changed: dict[str, Change] = field(default_factory=dict)
    config: dict[str, Change] = field(default_factory=dict)  # params
    python: dict[str, Change] = field(default_factory=dict)
    system: dict[str, Change] = field(default_factory=dict)
    container: dict[str, Change] = field(default_factory=dict)
    datasets: dict[str, Change] = field(default_factory=dict)  # "name (role)" -> digests
    command: dict[str, Change] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return not any(
            (
                self.code,
                self.packages_added,
                self.packages_removed,
                self.packages_changed,
                self.config,
                self.python,
                self.system,
                self.container,
                self.datasets,
                self.command,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        def pairs(d: dict[str, Change]) -> dict[str, list[Any]]:
            return {k: list(v) for k, v in d.items()}

        return {
            "same": self.same,
            "code": pairs(self.code),
            "packages": {
                "added": self.packages_added,
                "removed": self.packages_removed,
                "changed": pairs(self.packages_changed),
            },
            "config": pairs(self.config),
            "python": pairs(self.python),
            "system": pairs(self.system),
            "container": pairs(self.container),
            "datasets": pairs(self.datasets),
            "command": pairs(self.command),
        }


def _section(env: dict[str, Any] | None, name: str) -> dict[str, Any]:
    value = (env or {}).get(name)
    return value if isinstance(value, dict) else {}


def _compare(a: dict[str, Any], b: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Change]:
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def _mapping_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Change]:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def diff_runs(
    a: Run,
    a_env: dict[str, Any] | None,
    a_datasets: list[DatasetRef],
    b: Run,
    b_env: dict[str, Any] | None,
    b_datasets: list[DatasetRef],
) -> RunDiff:
    out = RunDiff()
    out.code = _compare(
        _section(a_env, "git"),
        _section(b_env, "git"),
        ("commit", "branch", "dirty", "remote_url", "diff_bytes"),
    )
    pa = _section(_section(a_env, "packages"), "packages")
    pb = _section(_section(b_env, "packages"), "packages")
    out.packages_added = {k: pb[k] for k in sorted(set(pb) - set(pa))}
    out.packages_removed = {k: pa[k] for k in sorted(set(pa) - set(pb))}
    out.packages_changed = {k: (pa[k], pb[k]) for k in sorted(set(pa) & set(pb)) if pa[k] != pb[k]}
    out.config = _mapping_diff(a.params, b.params)
    out.python = _compare(
        _section(a_env, "python"),
        _section(b_env, "python"),
        ("version", "implementation", "executable"),
    )
    out.system = _compare(
        _section(a_env, "system"),
        _section(b_env, "system"),
        ("hostname", "os", "distro", "kernel", "cpu_model", "cpu_count", "memory_bytes", "gpus"),
    )
    out.container = _compare(
        _section(a_env, "container"), _section(b_env, "container"), ("image", "image_digest")
    )
    out.datasets = _mapping_diff(
        {f"{d.name} ({d.role})": d.digest for d in a_datasets},
        {f"{d.name} ({d.role})": d.digest for d in b_datasets},
    )
    out.command = _compare(_section(a_env, "process"), _section(b_env, "process"), ("argv", "cwd"))
    return out
