"""The MLflow-client workload of bench/mlflow_clients.py; runs with the MLflow venv's python.

The same script, unchanged, is pointed by ``MLFLOW_TRACKING_URI`` at ``mlflow server`` and at
``labledger server``: it only speaks MLflow's client API (``MlflowClient``,
``mlflow.artifacts``).  Each row is timed in this process with ``time.perf_counter``, around
the client calls of that row only; the setup a row needs (its experiment, its run, the runs
it searches) is made before its clock starts, and every row's answer is checked after its
clock stops, so a fast wrong answer cannot win:

  log_metric    N ``log_metric`` calls (synchronous, one request each) to one run, steps
                0..N-1; checked: the history read back has the N values at their steps
  log_batch     P points of one metric, ``loss``, in ``log_batch`` calls of 1,000 (the REST
                API's limit) to one run; checked by the next row
  history       ``get_metric_history`` of that run's ``loss``: P points (the client follows
                the server's pages, if any); checked: P points, steps 0..P-1 in that order as
                returned, every value the one logged
  create_runs   R ``create_run`` calls in a new experiment; checked: a search lists the R
                runs by name
  search        over S runs made before the clock starts (``create_run`` with a tag, then one
                ``log_batch`` of two metrics and two params each): ``search_runs`` with
                ``metrics.acc > 0.5 and params.opt = 'adam'`` ordered by ``metrics.acc
                DESC``, every page of 1,000; the median of K such searches; checked: the run
                ids, in order, are exactly the expected ones (computed from what was logged)
  artifact_up   ``log_artifact`` of one file of B bytes to a new run; checked: the listing
                shows it with its size, and the artifact URI goes through the server
  artifact_down ``mlflow.artifacts.download_artifacts`` of it into an empty folder; checked:
                SHA-256 of the downloaded file equals the original's
  end_run       ``set_terminated`` of the P-point run (not one of the issue's rows: ending a
                run is where LabLedger seals it, so it is shown beside the others)

    python bench/peers/mlflow_client_workload.py --metric-calls N --batch-points P --runs R
        --search-runs S --search-repeats K --artifact F --artifact-sha256 H --scratch D

Prints one ``RESULT {json}`` line: ``rows`` (seconds), ``checks`` ("ok" or what was wrong),
``setup_s`` (untimed setup, for the record), ``info``, the MLflow version and the tracking URI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import mlflow.artifacts
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

BATCH = 1000  # metrics per log_batch request (the REST API's limit)
PAGE = 1000  # max_results of each search page (MlflowClient's default)
SEED = 15
SEARCH_FILTER = "metrics.acc > 0.5 and params.opt = 'adam'"
SEARCH_ORDER = ["metrics.acc DESC"]


def note(message: str) -> None:
    print(f"[workload] {message}", file=sys.stderr, flush=True)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(16 * 2**20):
            h.update(block)
    return h.hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def check_history(history: list[Any], n: int, value: Callable[[int], float]) -> str:
    """'ok' if the points are steps 0..n-1 in that order, each with its value."""
    if len(history) != n:
        return f"{len(history):,} points returned, {n:,} expected"
    steps = [m.step for m in history]
    if steps != list(range(n)):
        if sorted(steps) == list(range(n)):
            return "every step returned, but not in step order"
        return "steps missing or repeated"
    wrong = sum(1 for m in history if m.value != value(m.step))
    return "ok" if not wrong else f"{wrong:,} values differ from those logged"


class Workload:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.client = MlflowClient()  # MLFLOW_TRACKING_URI names the server
        self.rows: dict[str, float] = {}
        self.checks: dict[str, str] = {}
        self.setup_s: dict[str, float] = {}
        self.info: dict[str, Any] = {}
        self.tag = f"{time.time_ns()}"

    def experiment(self, name: str) -> str:
        exp_id: str = self.client.create_experiment(f"{name}-{self.tag}")
        return exp_id

    # -- rows --------------------------------------------------------------------------------
    def log_metric(self) -> None:
        n, c = self.args.metric_calls, self.client
        run_id = c.create_run(self.experiment("log-metric"), run_name="log-metric").info.run_id

        def value(step: int) -> float:
            return 1.0 / (step + 1)

        t0 = time.perf_counter()
        for i in range(n):
            c.log_metric(run_id, "m", value(i), timestamp=now_ms(), step=i)
        self.rows["log_metric"] = time.perf_counter() - t0
        self.checks["log_metric"] = check_history(c.get_metric_history(run_id, "m"), n, value)

    def log_batch_and_history(self) -> str:
        p, c = self.args.batch_points, self.client
        run_id = c.create_run(self.experiment("log-batch"), run_name="log-batch").info.run_id

        def value(step: int) -> float:
            return 1.0 / (step + 1) + step * 1e-6

        t0 = time.perf_counter()
        for start in range(0, p, BATCH):
            ts = now_ms()
            batch = [Metric("loss", value(s), ts, s) for s in range(start, min(p, start + BATCH))]
            c.log_batch(run_id, metrics=batch)
        self.rows["log_batch"] = time.perf_counter() - t0
        self.checks["log_batch"] = "checked by the history read"

        t0 = time.perf_counter()
        history = c.get_metric_history(run_id, "loss")
        self.rows["history"] = time.perf_counter() - t0
        self.checks["history"] = check_history(history, p, value)
        self.checks["log_batch"] = self.checks["history"]
        return run_id

    def create_runs(self) -> None:
        r, c = self.args.runs, self.client
        exp_id = self.experiment("create-runs")
        names = [f"run-{i}" for i in range(r)]
        t0 = time.perf_counter()
        for name in names:
            c.create_run(exp_id, run_name=name)
        self.rows["create_runs"] = time.perf_counter() - t0
        listed = self.search_all(exp_id, "", None)
        got = sorted(run.info.run_name for run in listed)
        self.checks["create_runs"] = (
            "ok" if got == sorted(names) else f"{len(got):,} runs listed, {r:,} expected"
        )

    def search(self) -> None:
        s, c = self.args.search_runs, self.client
        exp_id = self.experiment("search")
        rng = random.Random(SEED)
        expected: list[tuple[float, str]] = []
        note(f"setup: {s:,} runs to search (create_run + one log_batch each)")
        t0 = time.perf_counter()
        for i in range(s):
            acc, opt = rng.random(), ("adam", "sgd")[i % 2]
            lr = ("0.1", "0.01", "0.001")[i % 3]
            run_id = c.create_run(
                exp_id, run_name=f"s{i}", tags={"group": f"g{i % 10}"}
            ).info.run_id
            ts = now_ms()
            c.log_batch(
                run_id,
                metrics=[Metric("acc", acc, ts, 0), Metric("loss", 1 - acc, ts, 0)],
                params=[Param("lr", lr), Param("opt", opt)],
                tags=[RunTag("seed", str(i))],
            )
            if acc > 0.5 and opt == "adam":
                expected.append((acc, run_id))
            if (i + 1) % max(1, s // 5) == 0:
                note(f"setup: {i + 1:,} runs")
        self.setup_s["search_runs"] = time.perf_counter() - t0
        want = [run_id for _, run_id in sorted(expected, reverse=True)]

        times, problems = [], set()
        for _ in range(self.args.search_repeats):
            t0 = time.perf_counter()
            found = self.search_all(exp_id, SEARCH_FILTER, SEARCH_ORDER)
            times.append(time.perf_counter() - t0)
            got = [run.info.run_id for run in found]
            if got != want:
                if sorted(got) == sorted(want):
                    problems.add("the expected runs, but not in metrics.acc DESC order")
                else:
                    problems.add(f"{len(got):,} runs returned, {len(want):,} expected")
        self.rows["search"] = statistics.median(times)
        self.info["search_times_s"] = times
        self.info["search_matches"] = len(want)
        self.checks["search"] = "; ".join(sorted(problems)) or "ok"

    def search_all(self, exp_id: str, filter_string: str, order_by: list[str] | None) -> list[Any]:
        """Every page of a run search (``max_results`` 1,000 a page)."""
        out: list[Any] = []
        token = None
        while True:
            page = self.client.search_runs(
                [exp_id], filter_string, max_results=PAGE, order_by=order_by, page_token=token
            )
            out.extend(page)
            token = page.token
            if not token:
                return out

    def artifact(self) -> None:
        c, src = self.client, self.args.artifact
        run = c.create_run(self.experiment("artifact"), run_name="artifact")
        run_id, name = run.info.run_id, os.path.basename(src)
        size = os.path.getsize(src)
        t0 = time.perf_counter()
        c.log_artifact(run_id, src)
        self.rows["artifact_up"] = time.perf_counter() - t0
        listed = {f.path: f.file_size for f in c.list_artifacts(run_id)}
        uri = run.info.artifact_uri
        if not uri.startswith("mlflow-artifacts:"):
            self.checks["artifact_up"] = f"artifact URI {uri!r} does not go through the server"
        elif listed.get(name) != size:
            self.checks["artifact_up"] = f"listed {listed}, expected {name} of {size:,} bytes"
        else:
            self.checks["artifact_up"] = "ok"

        dest = Path(self.args.scratch) / f"download-{self.tag}"
        dest.mkdir(parents=True)
        t0 = time.perf_counter()
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=name, dst_path=str(dest)
        )
        self.rows["artifact_down"] = time.perf_counter() - t0
        got = sha256_file(local) if os.path.isfile(local) else None
        self.checks["artifact_down"] = (
            "ok" if got == self.args.artifact_sha256 else f"SHA-256 {got} of {local}"
        )
        os.remove(local)

    def end_run(self, run_id: str) -> None:
        t0 = time.perf_counter()
        self.client.set_terminated(run_id)
        self.rows["end_run"] = time.perf_counter() - t0
        status = self.client.get_run(run_id).info.status
        self.checks["end_run"] = "ok" if status == "FINISHED" else f"status {status}"

    def run(self) -> dict[str, Any]:
        self.experiment("warm-up")  # the connection and the server's first request, untimed
        # (what, the rows it times, the step): a step that raises marks its rows with the
        # error (and no time), and the workload goes on with the next
        steps: list[tuple[str, tuple[str, ...], Callable[[], object]]] = [
            ("log_metric", ("log_metric",), self.log_metric),
            ("log_batch + history", ("log_batch", "history"), self.log_batch_and_history),
            ("create_runs", ("create_runs",), self.create_runs),
            ("search", ("search",), self.search),
            ("artifact", ("artifact_up", "artifact_down"), self.artifact),
        ]
        batch_run = None
        for label, rows, step in steps:
            note(f"{label}")
            try:
                out = step()
            except Exception as exc:  # reported as that row's answer, not a time
                note(f"{label} FAILED: {type(exc).__name__}: {exc}")
                for row in rows:
                    self.rows.pop(row, None)
                    self.checks[row] = f"error: {type(exc).__name__}: {str(exc)[:300]}"
                continue
            if label.startswith("log_batch"):
                batch_run = str(out)
            note(f"{label}: {', '.join(f'{k} {v:.3f}' for k, v in self.rows.items())}")
        if batch_run is not None:
            try:
                self.end_run(batch_run)
            except Exception as exc:
                self.checks["end_run"] = f"error: {type(exc).__name__}: {str(exc)[:300]}"
        return {
            "rows": self.rows,
            "checks": self.checks,
            "setup_s": self.setup_s,
            "info": self.info,
            "mlflow": mlflow.__version__,
            "tracking_uri": mlflow.get_tracking_uri(),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metric-calls", type=int, required=True)
    parser.add_argument("--batch-points", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--search-runs", type=int, required=True)
    parser.add_argument("--search-repeats", type=int, default=5)
    parser.add_argument("--artifact", required=True)
    parser.add_argument("--artifact-sha256", required=True)
    parser.add_argument("--scratch", required=True)
    args = parser.parse_args()
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        raise SystemExit("MLFLOW_TRACKING_URI must name the server")
    result = Workload(args).run()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
