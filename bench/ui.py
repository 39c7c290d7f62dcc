"""UI benchmark: the runs table and a 1,000,000-point chart in headless Chromium.

With 100,000 runs in one project (the search benchmark's data set) served by a real
``labledger server``, measures (median of 5, each in a fresh browser context):
  - navigation to the first rows painted in the runs table      (bar: under 1 s)
  - changing the filter (Enter) to the updated rows painted      (bar: under 300 ms)
  - navigation to a run page until its 1,000,000-point chart is painted (bar: under 1 s)

    .venv/bin/python -m bench.ui [--runs 100000] [--points 1000000] [--quick] [--no-mlflow]

With --mlflow (the default) the same runs are bulk-loaded into an MLflow SQLite store
(bench/peers/mlflow_search.py load) and MLflow's own UI, served by ``mlflow server
--workers 1``, is measured the same way for the runs page (first rows, filter change);
MLflow has no counterpart of the 1,000,000-point chart measure here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench import _common as c
from bench import _search_data as data
from bench.peers import mlflow_ui

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def load_long_metric(db_dir: Path, points: int) -> str:
    """One run in project 'long' with a metric of ``points`` points; returns its id."""
    from labledger.core.entities import Batch, RunCreate
    from labledger.services.tracker import Tracker

    tracker = Tracker.open(f"sqlite:///{db_dir / 'labledger.db'}")
    try:
        run, _ = tracker.runs.create_run(RunCreate(project="long", name="million"))
        chunk = 200_000
        for start in range(0, points, chunk):
            steps = list(range(start, min(points, start + chunk)))
            values = [1.0 / (1 + s / 1000) + (s % 97) / 5000 for s in steps]
            stamps = [data.BASE_MS + s for s in steps]
            tracker.runs.log_batch(run.id, Batch(None, {"loss": (steps, stamps, values)}, {}, {}))
        return run.id
    finally:
        tracker.close()


def launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                              args=CHROMIUM_ARGS)


def measure_mlflow(work: Path, csv_path: Path, repeat: int) -> dict[str, list[float] | str]:
    from playwright.sync_api import sync_playwright

    with mlflow_ui.served(work, csv_path, steps=2) as (base, exp_id), \
            sync_playwright() as pw:
        browser = launch(pw)
        try:
            return mlflow_ui.measure(browser, base, exp_id, repeat)
        finally:
            browser.close()


def measure(base: str, run_id: str, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"first_rows": [], "filter_change": [], "chart_1m": []}
    with sync_playwright() as pw:
        browser = launch(pw)
        for i in range(repeat + 1):  # the first round warms the server's caches
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(f"{base}/projects/{data.PROJECT}")
            page.wait_for_selector("[data-testid=run-row]", timeout=60_000)
            first = time.perf_counter() - t0
            box = page.get_by_test_id("filter-input")
            before = page.locator("[data-testid=run-row]").first.get_attribute("data-run-id")
            box.fill(f"metrics.acc > 0.{5 + i} and params.optimizer = 'adam'")
            t1 = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(
                "prev => { const r = document.querySelector('[data-testid=run-row]');"
                " return r && r.dataset.runId !== prev; }", arg=before, timeout=60_000)
            change = time.perf_counter() - t1
            t2 = time.perf_counter()
            page.goto(f"{base}/runs/{run_id}")
            page.wait_for_selector("[data-testid=chart-loss] canvas", timeout=60_000)
            chart = time.perf_counter() - t2
            ctx.close()
            if i > 0:
                out["first_rows"].append(first)
                out["filter_change"].append(change)
                out["chart_1m"].append(chart)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 runs, 100,000 points")
    parser.add_argument("--mlflow", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure MLflow's UI on the same runs (default: on)")
    a = parser.parse_args()
    if a.quick:
        a.runs, a.points, a.repeat = 10_000, 100_000, 3
    with c.scratch_dir("ui") as work:
        store = work / "store"
        store.mkdir()
        rows = data.generate(a.runs, work / "runs.csv")
        data.load_labledger(f"sqlite:///{store / 'labledger.db'}", rows, steps=2)
        run_id = load_long_metric(store, a.points)
        with c.labledger_server(work, data_dir=store) as base:
            result = measure(base, run_id, a.repeat)
        ml = measure_mlflow(work, work / "runs.csv", a.repeat) if a.mlflow else None
    c.header("UI: runs table and long chart in headless Chromium",
             ["python", "-m", "bench.ui", *sys.argv[1:]])
    print(f"- {a.runs:,} runs, median of {a.repeat} after 1 warm-up round, "
          "each round in a fresh browser context")
    bars = {"first_rows": 1.0, "filter_change": 0.3, "chart_1m": 1.0}
    labels = {"first_rows": f"navigation -> first rows ({a.runs:,} runs)",
              "filter_change": "filter change -> updated rows",
              "chart_1m": f"navigation -> {a.points:,}-point chart painted"}
    c.table(["measure", "median", "min", "max", "bar", "met"],
            [[labels[k], c.fmt_s(c.median(v)), c.fmt_s(min(v)), c.fmt_s(max(v)),
              c.fmt_s(bars[k]), c.verdict(c.median(v) < bars[k])] for k, v in result.items()])
    if ml is not None:
        print(f"- peer: mlflow {c.package_version(c.mlflow_python(), 'mlflow')} (own venv), "
              "SQLite store, its prebuilt UI from `mlflow server --workers 1`")
        peer_rows: list[list[str]] = []
        for k, theirs in ml.items():
            ours = c.median(result[k])
            if isinstance(theirs, str):
                peer_rows.append([labels[k], c.fmt_s(ours), theirs, "n/a"])
            else:
                med = c.median(theirs)
                peer_rows.append([labels[k], c.fmt_s(ours), c.fmt_s(med),
                                  c.times_better(ours, med)])
        c.table(["measure", "LabLedger", "MLflow", "LabLedger faster by"], peer_rows)


if __name__ == "__main__":
    main()
