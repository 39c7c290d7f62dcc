"""MLflow side of bench/logging.py; runs with the MLflow venv's python.

Modes (each prints one ``RESULT {json}`` line):
  batch  --uri U --points P [--db F]   MlflowClient.log_batch, 1000 metrics per call
  async  --uri U --points P [--db F]   mlflow.log_metrics(..., synchronous=False) per step,
                                       timed until mlflow.end_run() returns; per-call times
  sync   --uri U --calls N             mlflow.log_metrics(...) (synchronous) per-call times
``--db`` is the SQLite file behind the store, used only to count the stored points.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

BATCH = 1000  # the REST API's limit of metrics per log_batch call
SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous values


def store_pragmas(client: MlflowClient) -> dict[str, str] | None:
    """journal_mode and synchronous as a session of MLflow's own SQLite store sees them
    (``SqlAlchemyStore.ManagedSessionMaker``); None for a store that is not SQL (HTTP)."""
    from sqlalchemy import text

    store = client._tracking_client.store  # the store behind this client's tracking URI
    maker = getattr(store, "ManagedSessionMaker", None)
    if maker is None or not str(getattr(store, "db_uri", "")).startswith("sqlite"):
        return None
    with maker() as session:
        mode = session.execute(text("PRAGMA journal_mode")).scalar()
        sync = session.execute(text("PRAGMA synchronous")).scalar()
    return {"journal_mode": str(mode), "synchronous": SYNC_NAMES.get(int(sync), str(sync))}


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM).  Not getrusage's ru_maxrss: Linux carries that over
    fork and exec, so a child would report its parent's peak as its own."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def count_points(db: str | None, run_id: str) -> int | None:
    if not db:
        return None
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM metrics WHERE run_uuid = ?", (run_id,)).fetchone()
    return int(row[0])


def call_stats(durations_ns: list[int]) -> dict[str, float]:
    ordered = sorted(durations_ns)
    return {
        "median_s": statistics.median(ordered) / 1e9,
        "p99_s": ordered[max(0, int(len(ordered) * 0.99) - 1)] / 1e9,
        "mean_s": sum(ordered) / len(ordered) / 1e9,
        "calls": len(ordered),
    }


def batch_mode(args: argparse.Namespace) -> dict[str, object]:
    client = MlflowClient(tracking_uri=args.uri)
    exp_id = client.create_experiment(f"bench-batch-{time.time_ns()}")
    run_id = client.create_run(exp_id).info.run_id
    steps = args.points // 2
    t0 = time.perf_counter()
    pending: list[Metric] = []
    for i in range(steps):
        ts = time.time_ns() // 1_000_000
        pending.append(Metric("loss", 1.0 / (i + 1), ts, i))
        pending.append(Metric("acc", i / steps, ts, i))
        if len(pending) >= BATCH:
            client.log_batch(run_id, metrics=pending)
            pending = []
    if pending:
        client.log_batch(run_id, metrics=pending)
    client.set_terminated(run_id)
    total = time.perf_counter() - t0
    return {
        "points": steps * 2,
        "total_s": total,
        "stored": count_points(args.db, run_id),
        "pragmas": store_pragmas(client),
    }


def async_mode(args: argparse.Namespace) -> dict[str, object]:
    mlflow.set_tracking_uri(args.uri)
    mlflow.set_experiment(f"bench-async-{time.time_ns()}")
    run = mlflow.start_run()
    steps = args.points // 2
    durations = [0] * steps
    clock = time.perf_counter_ns
    t0 = time.perf_counter()
    for i in range(steps):
        c0 = clock()
        mlflow.log_metrics({"loss": 1.0 / (i + 1), "acc": i / steps}, step=i, synchronous=False)
        durations[i] = clock() - c0
    t_loop = time.perf_counter()
    mlflow.end_run()
    t_end = time.perf_counter()
    return {"points": steps * 2, "loop_s": t_loop - t0, "end_run_s": t_end - t_loop,
            "total_s": t_end - t0, "calls": call_stats(durations),
            "stored": count_points(args.db, run.info.run_id)}


def sync_mode(args: argparse.Namespace) -> dict[str, object]:
    mlflow.set_tracking_uri(args.uri)
    mlflow.set_experiment(f"bench-sync-{time.time_ns()}")
    durations = []
    with mlflow.start_run():
        for i in range(args.calls):
            c0 = time.perf_counter_ns()
            mlflow.log_metrics({"loss": 1.0 / (i + 1), "acc": 0.5}, step=i)
            durations.append(time.perf_counter_ns() - c0)
    return {"calls": call_stats(durations)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["batch", "async", "sync"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", default=None)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    mode = {"batch": batch_mode, "async": async_mode, "sync": sync_mode}[args.mode]
    result = mode(args)
    result["max_rss_mib"] = peak_rss_mib()
    result["mlflow"] = mlflow.__version__
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
