"""MLflow side of bench/search.py; runs with the MLflow venv's python.

  load  --db F --csv C --steps K      create the store with MLflow, then bulk-insert the CSV's
                                      runs (params, latest_metrics, K metric points per key,
                                      the runName tag) with SQLAlchemy Core into its tables
  api   --db F --runs N --steps K     create N runs through MlflowClient (the rate loading
                                      through the API would have)
  query --uri U --queries JSON [--repeat R --warmup W --budget-s S --skip I,J]
                                      time MlflowClient.search_runs, max_results=100
Each prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

EXPERIMENT = "bench"
CHUNK = 5_000


def history(value: float, steps: int) -> list[tuple[int, float]]:
    return [(s, value * (s + 1) / steps) for s in range(steps)]


def load(args: argparse.Namespace) -> dict[str, object]:
    import sqlalchemy as sa

    uri = f"sqlite:///{args.db}"
    client = MlflowClient(tracking_uri=uri)  # creating the experiment creates the schema
    exp_id = client.create_experiment(EXPERIMENT)
    with open(args.csv, newline="") as f:
        rows = list(csv.DictReader(f))
    t0 = time.perf_counter()
    engine = sa.create_engine(uri)
    meta = sa.MetaData()
    meta.reflect(engine, only=["runs", "params", "metrics", "latest_metrics", "tags"])
    t = meta.tables
    root = client.get_experiment(exp_id).artifact_location
    with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            part = rows[start:start + CHUNK]
            runs, params, metrics, latest, tags = [], [], [], [], []
            for j, r in enumerate(part):
                rid, begin = r["id"], int(r["start_ms"])
                end, name = begin + 60_000, f"run-{start + j}"
                runs.append({"run_uuid": rid, "name": name, "source_type": "LOCAL",
                             "source_name": "", "entry_point_name": "", "user_id": "bench",
                             "status": "FINISHED", "start_time": begin, "end_time": end,
                             "source_version": "", "lifecycle_stage": "active",
                             "artifact_uri": f"{root}/{rid}/artifacts",
                             "experiment_id": int(exp_id), "deleted_time": None})
                tags.append({"key": "mlflow.runName", "value": name, "run_uuid": rid})
                for key in ("lr", "optimizer", "batch_size"):
                    params.append({"key": key, "value": r[key], "run_uuid": rid})
                for key in ("acc", "loss"):
                    steps = history(float(r[key]), args.steps)
                    metrics.extend({"key": key, "value": v, "timestamp": end - (len(steps) - 1
                                    - s) * 1000, "run_uuid": rid, "step": s, "is_nan": False}
                                   for s, v in steps)
                    latest.append({"key": key, "value": float(r[key]), "timestamp": end,
                                   "step": args.steps - 1, "is_nan": False, "run_uuid": rid})
            conn.execute(t["runs"].insert(), runs)
            conn.execute(t["tags"].insert(), tags)
            conn.execute(t["params"].insert(), params)
            conn.execute(t["metrics"].insert(), metrics)
            conn.execute(t["latest_metrics"].insert(), latest)
    load_s = time.perf_counter() - t0
    check = client.get_run(rows[0]["id"]).data  # the store reads our rows back
    assert check.params["optimizer"] == rows[0]["optimizer"], check.params
    assert check.metrics["acc"] == float(rows[0]["acc"]), check.metrics
    return {"runs": len(rows), "load_s": load_s, "experiment_id": exp_id}


def api(args: argparse.Namespace) -> dict[str, object]:
    client = MlflowClient(tracking_uri=f"sqlite:///{args.db}")
    exp_id = client.create_experiment(EXPERIMENT)
    t0 = time.perf_counter()
    for i in range(args.runs):
        run_id = client.create_run(exp_id, run_name=f"run-{i}").info.run_id
        now = time.time_ns() // 1_000_000
        params = [Param("lr", "0.001"), Param("optimizer", "adam"), Param("batch_size", "64")]
        metrics = [Metric(k, v, now, s) for k in ("acc", "loss")
                   for s, v in history(0.5, args.steps)]
        client.log_batch(run_id, metrics=metrics, params=params, tags=[RunTag("t", "x")])
        client.set_terminated(run_id)
    return {"runs": args.runs, "total_s": time.perf_counter() - t0}


def query(args: argparse.Namespace) -> dict[str, object]:
    client = MlflowClient(tracking_uri=args.uri)
    exp_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    skip = {int(i) for i in args.skip.split(",") if i}
    out: list[dict[str, object]] = []
    for index, q in enumerate(json.loads(args.queries)):
        if index in skip:
            out.append({"skipped": True})
            continue

        def once(q: dict[str, object] = q) -> list[object]:
            found = {}
            for part in q["parts"]:  # type: ignore[attr-defined]
                for run in client.search_runs([exp_id], part, order_by=q["order_by"],
                                              max_results=100):
                    found[run.info.run_id] = run
            runs = list(found.values())
            metric = str(q.get("merge_by_metric") or "")
            if metric:  # MLflow has no OR: union of the parts, re-sorted, first 100
                runs.sort(key=lambda run, m=metric: -run.data.metrics[m])
            return runs[:100]

        try:
            t0 = time.perf_counter()
            once()
            first = time.perf_counter() - t0
            warmup = args.warmup - 1 if first < 10 else 0  # a slow query: one warm-up only
            for _ in range(warmup):
                once()
            # at most ~budget seconds per query, but never fewer than 3 timed repeats
            repeat = min(args.repeat, max(3, int(args.budget_s / first)))
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                runs = once()
                times.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            out.append({"error": f"{type(exc).__name__}: {str(exc)[:200]}"})
            continue
        med = statistics.median(times)
        print(f"[mlflow] query {index + 1}: median {med:.3f} s of {repeat}", file=sys.stderr,
              flush=True)
        out.append({"median_s": med, "min_s": min(times), "n": repeat,
                    "ids": [r.info.run_id for r in runs],
                    "lrs": [r.data.params.get("lr") for r in runs]})
    return {"queries": out}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["load", "api", "query"])
    parser.add_argument("--db")
    parser.add_argument("--csv")
    parser.add_argument("--uri")
    parser.add_argument("--queries")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=60.0,
                        help="per query: fewer repeats (at least 3) if 20 would take longer")
    parser.add_argument("--skip", default="", help="query indexes not to run, e.g. 2")
    args = parser.parse_args()
    result = {"load": load, "api": api, "query": query}[args.mode](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
