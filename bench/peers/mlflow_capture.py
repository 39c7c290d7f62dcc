"""MLflow side of bench/capture.py; runs with the MLflow venv's python.

bench/capture.py copies this file into its temporary git repository and runs it from there:
MLflow looks for the repository of the script it runs (``sys.argv[0]``), so a script outside
the repository would capture no git tags.

Modes (each prints one ``RESULT {json}`` line; ``import mlflow`` is never timed):
  start_run --uri U   create the experiment (untimed), then time mlflow.start_run() +
                      mlflow.end_run() on the store at U
  tags                time MLflow's run-context tags, cold: resolve_tags() is what start_run
                      records about the environment (git commit, branch and remote through
                      GitPython, user, source name and type)
"""

from __future__ import annotations

import argparse
import json
import time

import mlflow


def start_run(uri: str) -> dict[str, object]:
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-capture")
    t0 = time.perf_counter()
    run = mlflow.start_run()
    mlflow.end_run()
    seconds = time.perf_counter() - t0
    tags = mlflow.get_run(run.info.run_id).data.tags
    return {"seconds": seconds, "tags": sorted(tags)}


def tags() -> dict[str, object]:
    t0 = time.perf_counter()
    from mlflow.tracking.context.registry import resolve_tags

    resolved = resolve_tags()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "tags": sorted(resolved)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start_run", "tags"])
    parser.add_argument("--uri", default="")
    args = parser.parse_args()
    result = start_run(args.uri) if args.mode == "start_run" else tags()
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
