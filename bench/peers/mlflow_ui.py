"""MLflow side of bench/ui.py; runs in LabLedger's venv (Playwright), not MLflow's.

The store is filled by ``mlflow_search.py load`` (MLflow's venv) from the same CSV as the
LabLedger side; the UI is MLflow's own prebuilt one served by ``mlflow server``.
  - the runs page is ``#/experiments/{id}/runs`` (MLflow 3 opens ``#/experiments/{id}`` on
    a GenAI overview; the runs table is an AG Grid whose run-name cells link to
    ``#/experiments/{id}/runs/{run_id}``)
  - the filter box is ``[data-testid=search-box]``; Enter submits it
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import _common as c

ROW_LINK = ".ag-body-viewport .ag-row a[href*='/runs/']"
TIMEOUT_MS = 60_000
# the run links of the first rows, in order: changes when the filter's results are painted
ROW_KEY_JS = ("sel => Array.from(document.querySelectorAll(sel)).slice(0, 20)"
              ".map(a => a.getAttribute('href')).join(' ')")


def load(work: Path, csv_path: Path, steps: int) -> tuple[Path, str]:
    """The CSV's runs in an MLflow SQLite store; returns (db path, experiment id)."""
    db = work / "mlflow.db"
    out = c.run_json([c.mlflow_python(), c.peer("mlflow_search.py"), "load", "--db", db,
                      "--csv", csv_path, "--steps", steps], timeout=3600)
    c.note(f"MLflow: {out['runs']:,} runs bulk-loaded in {c.fmt_s(out['load_s'])}")
    return db, str(out["experiment_id"])


@contextmanager
def served(work: Path, csv_path: Path, steps: int) -> Iterator[tuple[str, str]]:
    """Load the store and run ``mlflow server`` on it; yields (base URL, experiment id)."""
    db, exp_id = load(work, csv_path, steps)
    with c.mlflow_server(work, f"sqlite:///{db}") as base:
        yield base, exp_id


def measure(browser: Any, base: str, exp_id: str, repeat: int
            ) -> dict[str, list[float] | str]:
    """Like bench.ui.measure for the runs page: first rows painted, then a filter change.
    A measure that did not finish in 60 s is reported as a string instead of times."""
    from playwright.sync_api import Error as PlaywrightError

    out: dict[str, list[float] | str] = {"first_rows": [], "filter_change": []}
    for i in range(repeat + 1):  # the first round warms the server's caches
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        try:
            t0 = time.perf_counter()
            page.goto(f"{base}/#/experiments/{exp_id}/runs")
            page.wait_for_selector(ROW_LINK, timeout=TIMEOUT_MS)
            first = time.perf_counter() - t0
        except PlaywrightError:
            ctx.close()
            return {"first_rows": "did not paint in 60 s", "filter_change": "not measured"}
        change: float | str
        try:
            before = page.evaluate(ROW_KEY_JS, ROW_LINK)
            box = page.get_by_test_id("search-box")
            box.fill(f"metrics.acc > 0.{5 + i} and params.optimizer = 'adam'")
            t1 = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(
                "([sel, prev]) => { const k = Array.from(document.querySelectorAll(sel))"
                ".slice(0, 20).map(a => a.getAttribute('href')).join(' ');"
                " return k !== '' && k !== prev; }", arg=[ROW_LINK, before], timeout=TIMEOUT_MS)
            change = time.perf_counter() - t1
        except PlaywrightError:
            change = "did not paint in 60 s"
        ctx.close()
        if i == 0:
            continue
        if isinstance(out["first_rows"], list):
            out["first_rows"].append(first)
        if isinstance(change, str):
            out["filter_change"] = change
        elif isinstance(out["filter_change"], list):
            out["filter_change"].append(change)
    return out
