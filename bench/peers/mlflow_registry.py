"""MLflow side of bench/registry.py; runs with the MLflow venv's python.

  load  --db F --plan P           create, through MlflowClient on the SQLite store F, what the
                                  plan (JSON, written by bench/registry.py) holds: one
                                  experiment, the runs with their metric ``acc``, the registered
                                  models, their versions (source: the run's artifact folder,
                                  run_id set, tag ``stage``), then every alias move in order
                                  (``set_registered_model_alias``)
  query --uri U --plan P [--repeat R --warmup W --budget-s S]
                                  time the registry reads listed in the plan's ``mlflow_ops``
                                  against U (sqlite:///F in-process, or an ``mlflow server``)
Each prints one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric

EXPERIMENT = "bench"


def note(message: str) -> None:
    print(f"[mlflow] {message}", file=sys.stderr, flush=True)


def load(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.plan) as f:
        plan = json.load(f)
    uri = f"sqlite:///{args.db}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp_id = client.create_experiment(EXPERIMENT)
    phases: dict[str, dict[str, float]] = {}

    t0 = time.perf_counter()
    run_ids, artifact_uris = [], []
    for i, acc in enumerate(plan["runs"]):
        run = client.create_run(exp_id, run_name=f"r{i}")
        now = int(time.time() * 1000)
        client.log_batch(run.info.run_id, metrics=[Metric("acc", acc, now, 0)])
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)
        artifact_uris.append(run.info.artifact_uri)
    phases["runs"] = {"n": len(run_ids), "s": time.perf_counter() - t0}
    note(f"{len(run_ids):,} runs in {phases['runs']['s']:.1f} s")

    t0 = time.perf_counter()
    for name in plan["models"]:
        client.create_registered_model(name)
    numbers: dict[str, int] = {}
    for i, (model, run, path, stage) in enumerate(plan["versions"]):
        mv = client.create_model_version(
            model,
            f"{artifact_uris[run]}/{path}",
            run_id=run_ids[run],
            tags={"stage": stage},
            await_creation_for=0,
        )
        numbers[model] = numbers.get(model, 0) + 1
        assert int(mv.version) == numbers[model], (mv.version, numbers[model])
        if (i + 1) % max(1, len(plan["versions"]) // 5) == 0:
            note(f"{i + 1:,} versions")
    phases["versions"] = {"n": len(plan["versions"]), "s": time.perf_counter() - t0}

    t0 = time.perf_counter()
    for i, (model, alias, version) in enumerate(plan["moves"]):
        client.set_registered_model_alias(model, alias, str(version))
        if (i + 1) % max(1, len(plan["moves"]) // 5) == 0:
            note(f"{i + 1:,} alias moves")
    phases["moves"] = {"n": len(plan["moves"]), "s": time.perf_counter() - t0}
    return {"phases": phases}


def query(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.plan) as f:
        plan = json.load(f)
    client = MlflowClient(tracking_uri=args.uri, registry_uri=args.uri)
    exp_id = client.get_experiment_by_name(EXPERIMENT).experiment_id

    def search(flt: str) -> list[tuple[str, int]]:
        found = client.search_model_versions(flt, max_results=100)
        return [(v.name, int(v.version)) for v in found]

    def name_and_metric(model: str, threshold: float) -> list[tuple[str, int]]:
        # MLflow's version search knows nothing of the run: the versions, then their runs
        versions = client.search_model_versions(f"name = '{model}'", max_results=100)
        ids = sorted({v.run_id for v in versions})
        listed = ", ".join(f"'{i}'" for i in ids)
        runs = client.search_runs(
            [exp_id],
            f"metrics.acc > {threshold} and attributes.run_id IN ({listed})",
            max_results=len(ids) or 1,
        )
        good = {r.info.run_id for r in runs}
        return [(v.name, int(v.version)) for v in versions if v.run_id in good]

    def holders(alias: str) -> list[tuple[str, int]]:
        # no alias filter in search_model_versions: the models carry their aliases
        found = client.search_registered_models(max_results=100)
        return [(m.name, int(m.aliases[alias])) for m in found if alias in m.aliases]

    def by_alias(model: str, alias: str) -> list[tuple[str, int]]:
        v = client.get_model_version_by_alias(model, alias)
        return [(v.name, int(v.version))]

    calls: dict[str, Callable[[], list[tuple[str, int]]]] = {}
    for op in plan["mlflow_ops"]:
        kind = op["kind"]
        if kind == "search":
            calls[op["key"]] = lambda op=op: search(op["filter"])
        elif kind == "name_and_metric":
            calls[op["key"]] = lambda op=op: name_and_metric(op["model"], op["threshold"])
        elif kind == "holders":
            calls[op["key"]] = lambda op=op: holders(op["alias"])
        elif kind == "by_alias":
            calls[op["key"]] = lambda op=op: by_alias(op["model"], op["alias"])
    out: dict[str, Any] = {}
    for key, fn in calls.items():
        try:
            t0 = time.perf_counter()
            result = fn()
            first = time.perf_counter() - t0
            for _ in range(min(args.warmup, max(1, int(5 / max(first, 1e-6))))):
                t0 = time.perf_counter()
                fn()  # a slow call: fewer warm-ups (5 s at most, at least one)
                first = time.perf_counter() - t0  # the last warm-up's time sets the repeats
            # at most ~budget seconds per operation, but never fewer than 10 timed calls
            repeat = min(args.repeat, max(10, int(args.budget_s / max(first, 1e-6))))
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            out[key] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
            continue
        med = statistics.median(times)
        note(f"{key}: median {med * 1e3:.2f} ms of {repeat}")
        out[key] = {"median_s": med, "min_s": min(times), "n": repeat, "result": result}
    return {"ops": out}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["load", "query"])
    parser.add_argument("--db")
    parser.add_argument("--uri")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--budget-s", type=float, default=30.0,
                        help="per operation: fewer calls (at least 10) past this many seconds")
    args = parser.parse_args()
    result = {"load": load, "query": query}[args.mode](args)
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
