"""MLflow side of bench/concurrency.py; runs with the MLflow venv's python.

  init   --uri U                 create the store and the experiment (before the workers)
  worker --uri U --points P      one writer: a run, log_batch of 1000 metrics per call; a
                                 failed call is counted (with its message) and skipped
Each prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import time

from mlflow import MlflowClient
from mlflow.entities import Metric

EXPERIMENT = "bench-concurrency"
BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["init", "worker"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()
    client = MlflowClient(tracking_uri=args.uri)
    if args.mode == "init":
        client.create_experiment(EXPERIMENT)
        print("RESULT " + json.dumps({"ok": True}), flush=True)
        return
    exp_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    t0 = time.perf_counter()
    run_id = client.create_run(exp_id).info.run_id
    steps = args.points // 2
    failed, errors, sent = 0, [], 0
    for start in range(0, steps, BATCH // 2):
        ts = time.time_ns() // 1_000_000
        metrics = [Metric(k, 1.0 / (i + 1), ts, i) for i in range(start, min(steps, start + 500))
                   for k in ("loss", "acc")]
        try:
            client.log_batch(run_id, metrics=metrics)
            sent += len(metrics)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the loop goes on
            failed += 1
            errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
    finish_error = None
    try:
        client.set_terminated(run_id)
    except Exception as exc:  # noqa: BLE001
        finish_error = f"{type(exc).__name__}: {str(exc)[:160]}"
    print("RESULT " + json.dumps({
        "run_id": run_id, "total_s": time.perf_counter() - t0, "acknowledged": sent,
        "failed_batches": failed, "errors": sorted(set(errors))[:3],
        "finish_error": finish_error}), flush=True)


if __name__ == "__main__":
    main()
