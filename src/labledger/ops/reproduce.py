"""Rebuilding a run from its record: ``labledger reproduce RUN``.

1. Code: clone the recorded repository (the local work tree when it still holds the commit,
   else the recorded remote) into ``DIR/src``, check out the commit, apply the recorded diff.
2. Environment: ``new`` creates ``DIR/venv`` and installs the recorded distributions at
   their recorded versions (direct-URL installs from their URL and commit, editable local
   installs from their folder); ``current`` runs in this interpreter and lists the packages
   whose versions differ.
3. Run the recorded command line in the recorded working directory (relative to the
   repository), with ``LABLEDGER_REPRODUCTION_OF`` set: the new run is tagged
   ``labledger.reproduction_of`` and takes no run key of its own.
4. Compare final metrics within a tolerance, and config and datasets exactly.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from labledger.core.entities import Run
from labledger.core.errors import ReproduceError, TrackerError
from labledger.sdk.client import Client

REPRODUCTION_TAG = "labledger.reproduction_of"
REDACTED = "[REDACTED]"


@dataclass
class Comparison:
    original: str
    reproduction: str
    metrics: list[tuple[str, float | None, float | None, bool]] = field(default_factory=list)
    config: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    datasets: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    package_mismatches: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(within for *_, within in self.metrics) and not self.config


Say = Callable[[str], None]


def requirements(env: dict[str, Any]) -> list[str]:
    """pip requirement lines for the recorded distributions (pip, setuptools and wheel
    are left to the new venv)."""
    section = env.get("packages") or {}
    packages: dict[str, str] = section.get("packages") or {}
    direct: dict[str, dict[str, Any]] = section.get("direct_urls") or {}
    lines = []
    for name, version in sorted(packages.items()):
        if name in ("pip", "setuptools", "wheel"):
            continue
        info = direct.get(name)
        if info and info.get("vcs") == "git" and info.get("commit_id"):
            lines.append(f"{name} @ git+{info['url']}@{info['commit_id']}")
        elif info and info.get("url", "").startswith("file:"):
            folder = unquote(urlsplit(info["url"]).path)
            lines.append(f"-e {folder}" if info.get("editable") else folder)
        else:
            lines.append(f"{name}=={version}")
    return lines


def _git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise ReproduceError(f"git {' '.join(args)} failed: {proc.stderr.strip()[:500]}")
    return proc.stdout


def checkout(client: Client, run: Run, env: dict[str, Any], workdir: Path, say: Say) -> Path:
    """The recorded code in ``workdir/src``, with the recorded diff applied."""
    git = env.get("git") or {}
    commit = git.get("commit")
    if not commit:
        raise ReproduceError(f"run {run.id} recorded no git commit; its code cannot be found")
    src = workdir / "src"
    origins = [o for o in (git.get("root"), git.get("remote_url")) if o]
    for origin in origins:
        if origin == git.get("root") and not Path(origin).exists():
            continue
        try:
            _git("clone", "--quiet", "--no-checkout", str(origin), str(src))
            _git("checkout", "--quiet", "--detach", commit, cwd=src)
            say(f"code: {origin} at {commit[:12]}")
            break
        except ReproduceError as exc:
            say(f"code: {origin} does not serve {commit[:12]} ({exc}); trying the next source")
            subprocess.run(["rm", "-rf", str(src)], check=False)
    else:
        raise ReproduceError(f"commit {commit} is in none of {origins or 'no recorded source'}")
    if git.get("dirty"):
        if git.get("diff_truncated"):
            raise ReproduceError("the recorded diff was cut at its size cap: it cannot be applied")
        diff = src.parent / "recorded.diff"
        try:
            with client.open_artifact(run.id, "provenance/git.diff") as f:
                diff.write_bytes(f.read())
        except TrackerError as exc:
            raise ReproduceError(f"the run was dirty but its diff cannot be read: {exc}") from exc
        if REDACTED.encode() in diff.read_bytes():
            say("warning: the recorded diff had secrets redacted; those lines differ")
        _git("apply", "--binary", "--whitespace=nowarn", str(diff), cwd=src)
        say(f"code: applied the recorded diff ({diff.stat().st_size} bytes)")
    return src


def make_python(
    env: dict[str, Any], workdir: Path, mode: str, say: Say, pip_args: list[str]
) -> str:
    """The interpreter to rerun with; ``new`` builds and fills a venv first."""
    recorded = (env.get("python") or {}).get("version")
    ours = ".".join(map(str, sys.version_info[:3]))
    if mode == "current":
        if recorded and recorded.split(".")[:2] != ours.split(".")[:2]:
            say(f"warning: recorded Python {recorded}, this one is {ours}")
        return sys.executable
    if recorded and recorded.split(".")[:2] != ours.split(".")[:2]:
        raise ReproduceError(
            f"the run used Python {recorded}; run `labledger reproduce` with a Python "
            f"{'.'.join(recorded.split('.')[:2])} (this one is {ours})"
        )
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=600)
    python = str(venv / "bin" / "python")
    lines = requirements(env)
    reqs = workdir / "requirements.txt"
    reqs.write_text("\n".join(lines) + "\n")
    say(f"environment: installing {len(lines)} distributions into {venv}")
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(reqs), *pip_args],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise ReproduceError(f"pip could not install the recorded packages: {proc.stderr[-800:]}")
    return python


def mismatched_packages(
    env: dict[str, Any], python: str
) -> dict[str, tuple[str | None, str | None]]:
    """Recorded vs installed versions, for the interpreter the rerun uses."""
    from labledger.sdk.capture.packages import capture_packages

    recorded: dict[str, str] = ((env.get("packages") or {}).get("packages")) or {}
    if python == sys.executable:
        installed: dict[str, str] = capture_packages()["packages"]
    else:
        out = subprocess.run(
            [
                python,
                "-c",
                "import json,sys; from labledger.sdk.capture.packages import "
                "capture_packages as c; json.dump(c()['packages'], sys.stdout)",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        import json

        installed = json.loads(out.stdout) if out.returncode == 0 else {}
    names = sorted(set(recorded) | set(installed))
    return {
        n: (recorded.get(n), installed.get(n))
        for n in names
        if recorded.get(n) != installed.get(n) and n not in ("pip", "setuptools", "wheel")
    }


def rerun(
    run: Run, env: dict[str, Any], src: Path, python: str, tracking_uri: str, say: Say
) -> int:
    process = env.get("process") or {}
    argv: list[str] = list(process.get("argv") or [])
    if not argv:
        raise ReproduceError(f"run {run.id} recorded no command line")
    if any(REDACTED in a for a in argv):
        raise ReproduceError(
            "the recorded command line had secrets redacted; rerun it by hand with them"
        )
    root = (env.get("git") or {}).get("root")
    cwd = src
    recorded_cwd = process.get("cwd")
    if root and recorded_cwd and Path(recorded_cwd).is_relative_to(root):
        cwd = src / Path(recorded_cwd).relative_to(root)
    if argv[0] == "-c":
        raise ReproduceError("the run was started with python -c: there is no script to rerun")
    module = process.get("module")
    command = [python, "-m", module, *argv[1:]] if module else [python, *argv]
    say(f"rerun: {' '.join(command[1:])} (in {cwd})")
    child_env = {
        **os.environ,
        "LABLEDGER_TRACKING_URI": tracking_uri,
        "LABLEDGER_REPRODUCTION_OF": run.id,
    }
    return subprocess.run(command, cwd=cwd, env=child_env, check=False).returncode


def find_reproduction(client: Client, run: Run) -> Run:
    found = client.search_runs(
        run.project,
        f"tags.`{REPRODUCTION_TAG}` = '{run.id}'",
        ["start_time desc"],
        limit=1,
    )
    if not found:
        raise ReproduceError("the rerun logged no run tagged as a reproduction of this one")
    return found[0]


def compare(
    client: Client, original: Run, new: Run, tolerance: float, mismatches: dict[str, Any]
) -> Comparison:
    out = Comparison(original.id, new.id, package_mismatches=mismatches)
    for key in sorted(set(original.metrics) | set(new.metrics)):
        a, b = original.metrics.get(key), new.metrics.get(key)
        within = a is not None and b is not None and _close(a, b, tolerance)
        out.metrics.append((key, a, b, within))
    out.config = {
        k: (original.params.get(k), new.params.get(k))
        for k in sorted(set(original.params) | set(new.params))
        if original.params.get(k) != new.params.get(k)
    }
    old_data = {f"{d.name} ({d.role})": d.digest for d in client.list_datasets(original.id)}
    new_data = {f"{d.name} ({d.role})": d.digest for d in client.list_datasets(new.id)}
    out.datasets = {
        k: (old_data.get(k), new_data.get(k))
        for k in sorted(set(old_data) | set(new_data))
        if old_data.get(k) != new_data.get(k)
    }
    return out


def reproduce(
    client: Client,
    run_id: str,
    workdir: Path,
    *,
    mode: str,
    tolerance: float,
    tracking_uri: str,
    say: Say,
    pip_args: list[str] | None = None,
) -> Comparison:
    """Check out, rebuild, rerun and compare (see the module's docstring)."""
    run = client.get_run(run_id)
    env = client.get_environment(run_id)
    if env is None:
        raise ReproduceError(f"run {run_id} has no recorded environment (LABLEDGER_CAPTURE=none?)")
    workdir.mkdir(parents=True, exist_ok=True)
    src = checkout(client, run, env, workdir, say)
    python = make_python(env, workdir, mode, say, pip_args or [])
    mismatches = mismatched_packages(env, python)
    if mismatches:
        say(f"environment: {len(mismatches)} distributions differ from the recorded ones")
    code = rerun(run, env, src, python, tracking_uri, say)
    if code != 0:
        raise ReproduceError(f"the rerun exited with status {code}")
    return compare(client, run, find_reproduction(client, run), tolerance, mismatches)


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)
