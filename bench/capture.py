"""Provenance capture: what recording git, packages, system, process and container adds to
``ll.init()`` with 300 more installed distributions, vs MLflow's ``start_run()``.

Bar (issue 6): capture adds under 300 ms to ``ll.init()`` with 300 installed distributions.

Setup, in a temporary folder: a site folder with 300 synthetic ``*.dist-info`` folders
(METADATA with a 2 KiB description, RECORD, INSTALLER, top_level.txt; every 10th with a PEP
610 ``direct_url.json``: VCS, archive or editable) put on PYTHONPATH, on top of the venv's own
distributions; a git repository with 6 commits and 200 files, one tracked file modified and
one untracked file, which is every child's working directory and holds its script.

(a) each capture function in a fresh process after ``import labledger`` (which ``init()``
    has done already): its module's import plus its call, in order, and all of them; a module
    imported by an earlier part (packages imports git's) is counted there. Then, in other
    processes, the aggregator ``ll.init()`` calls (``capture_environment``: these parts, CI
    detection, secret redaction, environment variables), when it exists.
(b) MLflow in its own venv, from a script in the same repository (MLflow finds the
    repository from the script's path), ``import mlflow`` untimed: ``resolve_tags()``, the
    context tags that are MLflow's provenance capture, cold; and ``start_run()`` +
    ``end_run()`` on a local file store (experiment created untimed).
(c) ``ll.init()`` with capture on and with ``LABLEDGER_CAPTURE=none`` (twice, to show the
    noise), when the aggregator exists.

    .venv/bin/python -m bench.capture [--quick] [--n 10] [--dists 300] [--no-mlflow] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    fmt_s,
    header,
    median,
    mlflow_python,
    note,
    package_version,
    peer,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    times_better,
    verdict,
)

BAR_S = 0.300
PARTS = ("git", "packages", "system", "process", "container")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}

# Children are scripts in the temporary repository: nothing of bench/ is imported before the
# timer starts, so every import the capture needs is cold.
LL_PARTS_SCRIPT = '''\
"""LabLedger's capture functions, timed in a fresh process (written by bench/capture.py)."""
import time
from pathlib import Path

import labledger  # noqa: F401 - ll.init() has imported it already: not timed

times = {}
start = last = time.perf_counter()


def lap(name):
    global last
    now = time.perf_counter()
    times[name] = now - last
    last = now


from labledger.sdk.capture.git import capture_git

git_info, diff = capture_git(Path.cwd())
lap("git")
from labledger.sdk.capture.packages import capture_packages

packages = capture_packages()
lap("packages")
from labledger.sdk.capture.system import capture_process, capture_system

system = capture_system()
lap("system")
process = capture_process()
lap("process")
from labledger.sdk.capture.container import capture_container

container = capture_container()
lap("container")
times["total"] = time.perf_counter() - start
import json

parts = {"git": git_info, "packages": packages, "system": system, "process": process,
         "container": container}
print("RESULT " + json.dumps({
    "times": times,
    "count": packages["count"],
    "direct_urls": len(packages["direct_urls"]),
    "dirty": git_info["dirty"],
    "diff_bytes": len(diff or b""),
    "json_bytes": len(json.dumps(parts)),
    "errors": {k: v["error"] for k, v in parts.items() if v and v.get("error")},
}))
'''

LL_AGGREGATE_SCRIPT = '''\
"""The capture aggregator ll.init() calls, timed in a fresh process (by bench/capture.py)."""
import json
import time

import labledger  # noqa: F401 - ll.init() has imported it already: not timed

t0 = time.perf_counter()
from labledger.sdk.capture.environment import PARTS, capture_environment

captured = capture_environment(frozenset(PARTS))
seconds = time.perf_counter() - t0
print("RESULT " + json.dumps({
    "seconds": seconds,
    "ms": captured.document["capture"]["ms"],
    "json_bytes": len(json.dumps(captured.document)),
}))
'''

LL_INIT_SCRIPT = '''\
"""ll.init() timed in a fresh process (written by bench/capture.py)."""
import json
import sys
import time

import labledger as ll

t0 = time.perf_counter()
run = ll.init(project="bench-capture", tracking_uri=sys.argv[1])
seconds = time.perf_counter() - t0
run.finish()
print("RESULT " + json.dumps({"seconds": seconds}))
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def make_repo(repo: Path) -> None:
    """6 commits, 200 tracked files; one modified (about 2 KiB of diff), one untracked."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://example.com/lab/project.git")
    lines = "".join(f"value_{i} = {i} * 2  # a line of code\n" for i in range(100))
    for c in range(5):
        for j in range(40):
            path = repo / "src" / f"mod_{c}_{j}.py"
            path.parent.mkdir(exist_ok=True)
            path.write_text(f"# module {c}/{j}\n{lines}")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"commit {c}")
    (repo / "ll_capture.py").write_text(LL_PARTS_SCRIPT)
    (repo / "ll_init.py").write_text(LL_INIT_SCRIPT)
    (repo / "ll_aggregate.py").write_text(LL_AGGREGATE_SCRIPT)
    shutil.copy(peer("mlflow_capture.py"), repo / "mlflow_capture.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "scripts")
    with open(repo / "src" / "mod_0_0.py", "a") as f:
        f.write("".join(f"extra_{i} = {i}\n" for i in range(150)))
    (repo / "notes.txt").write_text("untracked\n")


def make_site(site: Path, count: int, repo: Path) -> None:
    """``count`` synthetic installed distributions; every 10th installed from a direct URL."""
    body = "".join(
        f"Line {i} of a long description of this synthetic package.\n" for i in range(40)
    )
    for i in range(count):
        name, version = f"synthpkg-{i:03d}", f"1.{i % 7}.{i}"
        folder = site / f"synthpkg_{i:03d}-{version}.dist-info"
        folder.mkdir(parents=True)
        (folder / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            f"Summary: synthetic package {i}\nRequires-Dist: numpy\n\n{body}"
        )
        (folder / "RECORD").write_text(
            "".join(f"synthpkg_{i:03d}/m{j}.py,sha256=0123456789abcdef,100\n" for j in range(20))
        )
        (folder / "INSTALLER").write_text("pip\n")
        (folder / "top_level.txt").write_text(f"synthpkg_{i:03d}\n")
        if i % 10:
            continue
        kind = (i // 10) % 3
        if kind == 0:
            direct = {
                "url": "https://example.com/lab/pkg.git",
                "vcs_info": {"vcs": "git", "commit_id": "ab" * 20},
            }
        elif kind == 1:
            direct = {
                "url": f"https://example.com/pkg-{i}.tar.gz",
                "archive_info": {"hashes": {"sha256": "cd" * 32}},
            }
        else:
            local = repo / "packages" / name
            local.mkdir(parents=True, exist_ok=True)
            direct = {"url": local.as_uri(), "dir_info": {"editable": True}}
        (folder / "direct_url.json").write_text(json.dumps(direct))


Case = tuple[list[object], dict[str, str]]  # command, environment


def interleaved(cases: dict[str, Case], n: int, cwd: Path) -> dict[str, list[dict[str, Any]]]:
    """``n`` fresh processes per case, the cases taking turns (so a change in the shared
    machine's load hits them alike), after one untimed warm-up of each."""
    for cmd, env in cases.values():
        run_json(cmd, env=env, cwd=cwd, timeout=300)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for _ in range(n):
        for name, (cmd, env) in cases.items():
            results[name].append(run_json(cmd, env=env, cwd=cwd, timeout=300))
    return results


def aggregator_available() -> bool:
    code = (
        "import importlib.util as u; s = u.find_spec('labledger.sdk.capture.environment'); "
        "print(s is not None and 'def capture_environment' in open(s.origin).read())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=quiet_env()
    )
    return out.stdout.strip() == "True"


def init_times(n: int, env: dict[str, str], repo: Path, store: Path) -> dict[str, list[float]]:
    """``ll.init()`` with capture on and off, and off a second time: the gap between the
    two "off" cases shows how much of the on/off gap is noise (the warm-up creates the
    store)."""
    cmd: list[object] = [sys.executable, repo / "ll_init.py", store]
    off = {**env, "LABLEDGER_CAPTURE": "none"}
    cases: dict[str, Case] = {"on": (cmd, env), "off": (cmd, off), "off_again": (cmd, off)}
    results = interleaved(cases, n, repo)
    return {mode: [r["seconds"] for r in rs] for mode, rs in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 processes per case, not 10")
    parser.add_argument("--n", type=int, default=None, help="fresh processes per case")
    parser.add_argument("--dists", type=int, default=300, help="synthetic distributions")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    n = a.n or (3 if a.quick else 10)
    mpy = None if a.no_mlflow else mlflow_python()
    has_aggregator = aggregator_available()

    with scratch_dir("capture", keep=a.keep) as work:
        repo, site = work / "repo", work / "site"
        make_repo(repo)
        make_site(site, a.dists, repo)
        env = quiet_env(PYTHONPATH=str(site))
        pyc_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        pyc_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # not in the source tree
        ours_cmd: list[object] = [sys.executable, repo / "ll_capture.py"]
        cases: dict[str, Case] = {"ours": (ours_cmd, env), "ours_pyc": (ours_cmd, pyc_env)}
        if has_aggregator:
            cases["aggregate"] = ([sys.executable, repo / "ll_aggregate.py"], env)
        if mpy:
            ml_env = {**env, "MLFLOW_ALLOW_FILE_STORE": "true"}
            script = repo / "mlflow_capture.py"
            uri = (work / "mlruns").as_uri()
            cases["ml_tags"] = ([mpy, script, "tags"], ml_env)
            cases["ml_run"] = ([mpy, script, "start_run", "--uri", uri], ml_env)
        note(f"timing {', '.join(cases)}: {n} fresh processes each, taking turns")
        results = interleaved(cases, n, repo)
        init = None
        if has_aggregator:
            note(f"timing ll.init() with capture on and off ({2 * n} processes each)")
            init = init_times(2 * n, env, repo, work / "ll-store")

    header("Provenance capture", ["python", "-m", "bench.capture", *sys.argv[1:]])
    if mpy:
        print(f"- peer: mlflow {package_version(mpy, 'mlflow')} (own venv)")
    first = results["ours"][0]
    print(
        f"- setup: {first['count']} distributions on sys.path ({a.dists} synthetic, "
        f"{first['direct_urls']} of them from a direct URL, plus the venv's own); a git "
        f"repository of 200 files in 6 commits, one file modified ({first['diff_bytes']:,} "
        "bytes of diff) and one untracked"
    )
    print(
        f"- median of {n} fresh processes per case, the cases taking turns, after one untimed "
        "warm-up each; LabLedger's times start after `import labledger`"
    )
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "- PYTHONDONTWRITEBYTECODE is set here, so LabLedger's capture modules (an "
            "editable install) are compiled from source in every process and the times "
            "include that (MLflow's venv has the .pyc files pip wrote); one row has them "
            "cached, as an installed wheel would"
        )
    total = report_parts(results)
    if mpy:
        report_mlflow(total, results["ml_tags"], results["ml_run"])
    report_init(init)


def fmt_delta(seconds: float) -> str:
    return ("-" if seconds < 0 else "+") + fmt_s(abs(seconds))


def stats_row(label: str, xs: list[float]) -> list[object]:
    return [label, fmt_s(median(xs)), fmt_s(min(xs)), fmt_s(max(xs))]


def report_parts(results: dict[str, list[dict[str, Any]]]) -> float:
    """Table (a); returns the median time of the whole capture (the aggregator's when it
    exists, else the five functions')."""
    ours = results["ours"]
    print("\n### (a) LabLedger capture, in fresh processes\n")
    rows = [stats_row(f"`{part}`", [r["times"][part] for r in ours]) for part in PARTS]
    rows.append(stats_row("**all five**", [r["times"]["total"] for r in ours]))
    rows.append(
        stats_row("all five, .pyc cached", [r["times"]["total"] for r in results["ours_pyc"]])
    )
    total = median([r["times"]["total"] for r in ours])
    aggregate = results.get("aggregate")
    if aggregate:
        xs = [r["seconds"] for r in aggregate]
        rows.append(stats_row("**`capture_environment`** (all parts, redacted)", xs))
        total = median(xs)
    table(["part (import + call)", "median", "min", "max"], rows)
    first = ours[0]
    print(
        f"The five functions return {first['json_bytes']:,} bytes of JSON (the diff aside); "
        f"errors: {first['errors'] or 'none'}."
    )
    if aggregate:
        parts = sorted({p for r in aggregate for p in r["ms"]})
        inside = ", ".join(
            f"{p} {median([r['ms'].get(p, 0.0) for r in aggregate]):.1f} ms" for p in parts
        )
        print(
            "`capture_environment` is the aggregator `ll.init()` calls: the five parts, CI "
            "detection, secret redaction and the environment variables; its own per-part "
            f"times (medians): {inside}; document {aggregate[0]['json_bytes']:,} bytes."
        )
    print(f"\nBar: capture under {fmt_s(BAR_S)}: {verdict(total < BAR_S)} ({fmt_s(total)}).")
    return total


def report_mlflow(
    total: float, ml_tags: list[dict[str, Any]], ml_run: list[dict[str, Any]]
) -> None:
    tags = median([r["seconds"] for r in ml_tags])
    run = median([r["seconds"] for r in ml_run])
    print("\n### (b) vs MLflow, same repository and distributions\n")
    table(
        ["measurement", "LabLedger", "MLflow", "LabLedger faster by"],
        [
            [
                "provenance capture: ours (as in the bar above) vs `resolve_tags()`",
                fmt_s(total),
                fmt_s(tags),
                times_better(total, tags),
            ],
            [
                "our capture vs `start_run()` + `end_run()` (file store)",
                fmt_s(total),
                fmt_s(run),
                times_better(total, run),
            ],
        ],
    )
    print(
        f"MLflow's run records these context tags: {', '.join(ml_run[0]['tags'])}. "
        "It records no packages, system, dirty state or diff at run start.\n"
    )


def report_init(init: dict[str, list[float]] | None) -> None:
    print("\n### (c) `ll.init()` with capture on and off\n")
    if init is None:
        print(
            "Not measured: `labledger.sdk.capture.environment.capture_environment` (the "
            "aggregator that `ll.init()` calls) does not exist at this commit.\n"
        )
        return
    on, off = median(init["on"]), median(init["off"])
    print(
        f"`ll.init()` into an embedded store, {len(init['on'])} fresh processes per case, "
        "taking turns; the difference of two medians of a slower whole is noisier than (a)."
    )
    table(
        ["`ll.init()`", "median", "min"],
        [
            ["capture on (default)", fmt_s(on), fmt_s(min(init["on"]))],
            ["`LABLEDGER_CAPTURE=none`", fmt_s(off), fmt_s(min(init["off"]))],
            [
                "added by capture",
                fmt_delta(on - off),
                fmt_delta(min(init["on"]) - min(init["off"])),
            ],
            [
                "noise: `none` vs `none` again",
                fmt_delta(median(init["off_again"]) - off),
                fmt_delta(min(init["off_again"]) - min(init["off"])),
            ],
        ],
    )
    print(
        f"Bar: capture adds under {fmt_s(BAR_S)} to `ll.init()`: "
        f"{verdict(on - off < BAR_S)} ({fmt_delta(on - off)}).\n"
    )


if __name__ == "__main__":
    main()
