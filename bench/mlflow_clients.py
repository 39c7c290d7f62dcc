"""MLflow clients: one MLflow-client workload against ``mlflow server`` and ``labledger server``.

Issue 15's bar: the same workload (10,000 ``log_metric`` calls, 100,000 points through
``log_batch``, 1,000 runs created, a search over 5,000 runs, a 100,000-point history read, a
100 MB artifact up and down) against both servers in the same run, LabLedger faster on every
row.  The workload is one script, ``bench/peers/mlflow_client_workload.py``, run unchanged by
the MLflow venv's python with the real ``mlflow`` client; only ``MLFLOW_TRACKING_URI``
differs: ``mlflow server --workers 1 --backend-store-uri sqlite:///… --serve-artifacts
--artifacts-destination …``, or ``labledger server --auth off --data-dir …`` (SQLite too).
Each server is fresh for each repeat, on an empty store, and is left to go idle after its
start before the workload begins (``mlflow server`` starts job runners that import MLflow
for many seconds after ``/health`` answers).  The two servers take turns: MLflow first in odd
repeats, LabLedger first in even ones.  Every row is timed inside the workload process
(``time.perf_counter`` around that row's client calls only; setup such as the 5,000 runs to
search is made before the clock starts) and checked after it (history values and step
order, the runs listed, the search's ids in order, the download's SHA-256): a row whose
answer is wrong is reported as wrong, not timed.  Reported: the median of the repeats.

    .venv/bin/python -m bench.mlflow_clients [--quick] [--repeats 3] [--metric-calls 10000]
                                             [--batch-points 100000] [--runs 1000]
                                             [--search-runs 5000] [--artifact-mb 100]
                                             [--no-mlflow] [--no-labledger] [--keep]
                                             [--verbose] [--json PATH]

``--quick``: 1,000 calls, 10,000 points, 100 runs, 500 runs searched, 10 MB, one repeat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    BenchError,
    fmt_s,
    header,
    labledger_server,
    listening_pids,
    load_average,
    median,
    mlflow_python,
    mlflow_server,
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
from bench._ingest import wait_quiet  # noqa: E402

TOOLS = ("MLflow", "LabLedger")
WORKLOAD = "mlflow_client_workload.py"
SEARCH_REPEATS = 5
CHILD_TIMEOUT = 3 * 3600.0
# the bar's rows, in the order; end_run is shown but is no part of the bar
BAR_ROWS = (
    "log_metric",
    "log_batch",
    "create_runs",
    "search",
    "history",
    "artifact_up",
    "artifact_down",
)
EXTRA_ROWS = ("end_run",)


def row_labels(a: argparse.Namespace) -> dict[str, str]:
    mb = f"{a.artifact_mb:,} MB"
    return {
        "log_metric": f"{a.metric_calls:,} `log_metric` calls (one request each, one run)",
        "log_batch": f"{a.batch_points:,} points through `log_batch` (1,000 a call, one run)",
        "create_runs": f"{a.runs:,} runs created (`create_run`)",
        "search": (
            f"search over {a.search_runs:,} runs: `metrics.acc > 0.5 and params.opt = "
            "'adam'`, order by `metrics.acc DESC`, every page of 1,000 "
            f"(median of {SEARCH_REPEATS})"
        ),
        "history": f"{a.batch_points:,}-point history read (`get_metric_history`)",
        "artifact_up": f"{mb} artifact up (`log_artifact`)",
        "artifact_down": f"{mb} artifact down (`mlflow.artifacts.download_artifacts`)",
        "end_run": f"end the {a.batch_points:,}-point run (`set_terminated`; not in the bar)",
    }


# -- data -------------------------------------------------------------------------------------
def make_artifact(path: Path, nbytes: int) -> str:
    """``nbytes`` random bytes; their SHA-256."""
    h = hashlib.sha256()
    left = nbytes
    with open(path, "wb") as f:
        while left:
            block = os.urandom(min(16 * 2**20, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


# -- one side of one repeat -------------------------------------------------------------------
def server(tool: str, base: Path) -> AbstractContextManager[str]:
    if tool == "MLflow":
        return mlflow_server(
            base, f"sqlite:///{base / 'mlflow.db'}", artifacts_destination=base / "artifacts"
        )
    return labledger_server(base, data_dir=base / "data")


def settle(url: str, what: str) -> float:
    """Wait until the server's process group is idle after its start; seconds waited."""
    pids = listening_pids(url)
    waited = wait_quiet(min(pids), timeout=120) if pids else 0.0
    note(f"{what}: idle after {waited:.0f} s")
    return waited


def workload_cmd(
    mpy: str, a: argparse.Namespace, artifact: Path, sha: str, scratch: Path
) -> list[object]:
    return [
        mpy,
        peer(WORKLOAD),
        "--metric-calls",
        a.metric_calls,
        "--batch-points",
        a.batch_points,
        "--runs",
        a.runs,
        "--search-runs",
        a.search_runs,
        "--search-repeats",
        SEARCH_REPEATS,
        "--artifact",
        artifact,
        "--artifact-sha256",
        sha,
        "--scratch",
        scratch,
    ]


def one_side(
    tool: str, repeat: int, work: Path, mpy: str, a: argparse.Namespace, artifact: Path, sha: str
) -> dict[str, Any]:
    base = work / f"{tool.lower()}-{repeat}"
    base.mkdir()
    env = quiet_env(MLFLOW_HTTP_REQUEST_TIMEOUT="3600", MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
    try:
        with server(tool, base) as url:
            settled = settle(url, f"{tool} server (repeat {repeat})")
            note(f"{tool} (repeat {repeat}): the workload against {url}")
            env["MLFLOW_TRACKING_URI"] = url
            t0 = time.perf_counter()
            result = run_json(
                workload_cmd(mpy, a, artifact, sha, base / "client"),
                env=env,
                timeout=CHILD_TIMEOUT,
                show_stderr=a.verbose,
            )
            result["wall_s"] = time.perf_counter() - t0
            result["settle_s"] = settled
        return result
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)


def attempt(label: str, fn: Any) -> dict[str, Any]:
    """Run one side; a failure is reported in the output instead of ending the benchmark."""
    try:
        result: dict[str, Any] = fn()
        return result
    except (BenchError, subprocess.TimeoutExpired) as exc:
        note(f"{label} FAILED: {exc}")
        return {"error": str(exc)}


# -- report -----------------------------------------------------------------------------------
def side_times(sides: list[dict[str, Any]], row: str) -> tuple[list[float], list[str]]:
    """The row's seconds over the repeats whose answer was right, and what was wrong in
    the others (a workload process that died is in neither: its repeat is counted out)."""
    times, wrong = [], []
    for side in sides:
        if "error" in side:
            continue
        check = side["checks"].get(row, "ok")
        if row == "log_batch":
            check = side["checks"].get("history", "ok")
        if check not in ("ok", "checked by the history read"):
            wrong.append(check)
        elif row in side["rows"]:
            times.append(side["rows"][row])
    return times, wrong


def cell(times: list[float], wrong: list[str], repeats: int) -> str:
    if not repeats:
        return "not run"
    if wrong:
        failed = all(w.startswith("error:") for w in wrong)
        return ("**failed**: " if failed else "**wrong**: ") + "; ".join(sorted(set(wrong)))
    if not times:
        return "failed"
    of = "" if len(times) == repeats else f" ({len(times)} of {repeats} repeats)"
    return fmt_s(median(times)) + of


def report(
    a: argparse.Namespace,
    results: dict[str, list[dict[str, Any]]],
    orders: list[list[str]],
    mpy: str,
    load_start: str,
) -> None:
    header(
        "Issue 15: MLflow clients (bench/mlflow_clients.py)",
        ["python", "-m", "bench.mlflow_clients", *sys.argv[1:]],
        load_start,
    )
    print(
        f"- client: mlflow {package_version(mpy, 'mlflow')} (its own venv), the same workload "
        f"script (`bench/peers/{WORKLOAD}`) against both servers, only "
        "`MLFLOW_TRACKING_URI` differing"
    )
    print(
        "- servers, fresh for each repeat on an empty store: `mlflow server --workers 1 "
        "--backend-store-uri sqlite:///<file> --serve-artifacts --artifacts-destination "
        "<folder>`; `labledger server --auth off --data-dir <folder>` (SQLite); each left to "
        "go idle after its start before the workload began"
    )
    print(
        f"- {a.repeats} repeat(s), the servers taking turns: "
        + "; ".join(f"{i + 1}: {' then '.join(o)}" for i, o in enumerate(orders))
        + "; each cell is the median over the repeats of the row's time, measured in the "
        "client process around that row's calls only (setup untimed); MB = 10^6 bytes"
    )
    labels = row_labels(a)
    rows: list[list[object]] = []
    slower: list[str] = []
    all_ran = True
    for row in (*BAR_ROWS, *EXTRA_ROWS):
        cells, meds = [], {}
        for tool in TOOLS:
            sides = results.get(tool, [])
            times, wrong = side_times(sides, row)
            cells.append(cell(times, wrong, len(sides)))
            if times and not wrong:
                meds[tool] = median(times)
        ratio = ""
        if len(meds) == 2:
            ratio = times_better(meds["LabLedger"], meds["MLflow"])
            if row in BAR_ROWS and meds["LabLedger"] >= meds["MLflow"]:
                slower.append(row)
        elif row in BAR_ROWS:
            all_ran = False
        rows.append([labels[row], *cells, ratio])
    table(["row", "MLflow", "LabLedger", "LabLedger faster by"], rows)

    met = all_ran and not slower
    print(
        f"Bar (LabLedger faster on every row): {verdict(met)}"
        + (f"; LabLedger slower on: {', '.join(labels[r] for r in slower)}" if slower else "")
        + ("" if all_ran else "; some rows have no measurement on one side")
        + ".\n"
    )

    print("Each repeat, in order (seconds):")
    per: list[list[object]] = []
    for row in (*BAR_ROWS, *EXTRA_ROWS):
        line: list[object] = [row]
        for tool in TOOLS:
            vals = []
            for side in results.get(tool, []):
                value = side.get("rows", {}).get(row)
                vals.append("failed" if "error" in side else f"{value:.3f}" if value else "")
            line.append(" / ".join(vals))
        per.append(line)
    table(["row", "MLflow", "LabLedger"], per)

    facts = []
    for tool in TOOLS:
        sides = [s for s in results.get(tool, []) if "error" not in s]
        if sides:
            setup = median([s["setup_s"].get("search_runs", 0.0) for s in sides])
            wall = median([s["wall_s"] for s in sides])
            idle = median([s["settle_s"] for s in sides])
            matches = sides[0]["info"].get("search_matches")
            facts.append(
                f"{tool}: the whole workload {fmt_s(wall)}, of which the untimed setup of the "
                f"runs searched {fmt_s(setup)}; idle {idle:.0f} s after start; the search "
                f"returns {matches:,} runs"
            )
    print("Medians: " + "; ".join(facts) + ".\n")
    checks = []
    for tool in TOOLS:
        for i, side in enumerate(results.get(tool, [])):
            if "error" in side:
                checks.append(
                    f"{tool} repeat {i + 1} failed (its rows are left out):\n\n```\n"
                    f"{side['error'].strip()}\n```\n"
                )
                continue
            bad = {k: v for k, v in side["checks"].items() if v != "ok" and "checked by" not in v}
            if bad:
                checks.append(f"{tool} repeat {i + 1}: wrong answers: {bad}")
    print(
        "\n".join(checks)
        if checks
        else "Every check passed on both sides in every repeat (history values and step "
        "order, runs listed, search ids in order, download SHA-256, run status).\n"
    )


# -- main -------------------------------------------------------------------------------------
def sizes(a: argparse.Namespace) -> None:
    if a.quick:
        defaults = {
            "metric_calls": 1000,
            "batch_points": 10_000,
            "runs": 100,
            "search_runs": 500,
            "artifact_mb": 10,
            "repeats": 1,
        }
    else:
        defaults = {
            "metric_calls": 10_000,
            "batch_points": 100_000,
            "runs": 1000,
            "search_runs": 5000,
            "artifact_mb": 100,
            "repeats": 3,
        }
    for key, value in defaults.items():
        if getattr(a, key) is None:
            setattr(a, key, value)


def repeat_orders(repeats: int, tools: list[str]) -> Iterator[list[str]]:
    for r in range(repeats):
        yield tools if r % 2 == 0 else tools[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--repeats", type=int, help="repeats of each side (default 3)")
    parser.add_argument("--metric-calls", type=int, help="log_metric calls (10,000)")
    parser.add_argument("--batch-points", type=int, help="points through log_batch (100,000)")
    parser.add_argument("--runs", type=int, help="runs created (1,000)")
    parser.add_argument("--search-runs", type=int, help="runs searched (5,000)")
    parser.add_argument("--artifact-mb", type=int, help="artifact size, 10^6 bytes (100)")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--no-labledger", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--verbose", action="store_true", help="show the workload's progress")
    parser.add_argument("--json", type=Path, help="also write every repeat's raw results here")
    a = parser.parse_args()
    sizes(a)
    mpy = mlflow_python()  # both sides run the MLflow client
    tools = [t for t in TOOLS if not (t == "MLflow" and a.no_mlflow)]
    tools = [t for t in tools if not (t == "LabLedger" and a.no_labledger)]
    load_start = load_average()
    results: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
    orders = list(repeat_orders(a.repeats, tools))
    with scratch_dir("mlflow-clients", keep=a.keep) as work:
        artifact = work / "artifact.bin"
        note(f"writing {a.artifact_mb:,} MB of random bytes")
        sha = make_artifact(artifact, a.artifact_mb * 10**6)
        for r, order in enumerate(orders, start=1):
            for tool in order:

                def fn(tool: str = tool, r: int = r) -> dict[str, Any]:
                    return one_side(tool, r, work, mpy, a, artifact, sha)

                results[tool].append(attempt(f"{tool} repeat {r}", fn))
    if a.json:
        a.json.write_text(json.dumps({"orders": orders, "results": results}, indent=1))
    report(a, results, orders, mpy, load_start)


if __name__ == "__main__":
    main()
