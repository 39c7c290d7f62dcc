"""MLflow side of bench/artifacts.py; runs with the MLflow venv's python.

  upload   --uri U --src F|D [--artifact-path P]   a new run; ``mlflow.log_artifact`` for a
           file, ``mlflow.log_artifacts`` for a folder (to P); timed from the call until
           ``mlflow.end_run()`` returns (both calls are synchronous); then, untimed, the
           server's listing of what it holds
  download --uri U --run-id R --artifact-path P --dest D
           ``mlflow.artifacts.download_artifacts`` into D, timed
Each prints one ``RESULT {json}`` line, with this process's peak RSS.  The server is
``mlflow server --serve-artifacts``: the bytes go through its proxied artifact endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import mlflow
from mlflow import MlflowClient


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM).  Not getrusage's ru_maxrss: Linux carries that over
    fork and exec, so a child would report its parent's peak as its own."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def upload(args: argparse.Namespace) -> dict[str, object]:
    mlflow.set_tracking_uri(args.uri)
    mlflow.set_experiment("bench-artifacts")
    run = mlflow.start_run(run_name=args.name)
    run_id = run.info.run_id
    t0 = time.perf_counter()
    if os.path.isdir(args.src):
        mlflow.log_artifacts(args.src, artifact_path=args.artifact_path)
    else:
        mlflow.log_artifact(args.src, artifact_path=args.artifact_path)
    t_call = time.perf_counter()
    mlflow.end_run()
    t_end = time.perf_counter()
    listing = MlflowClient(tracking_uri=args.uri).list_artifacts(run_id, args.artifact_path)
    files = [f for f in listing if not f.is_dir]
    return {
        "run_id": run_id,
        "artifact_uri": run.info.artifact_uri,
        "call_s": t_call - t0,
        "finish_s": t_end - t_call,
        "upload_s": t_end - t0,
        "listed": len(files),
        "listed_bytes": sum(f.file_size or 0 for f in files),
    }


def download(args: argparse.Namespace) -> dict[str, object]:
    mlflow.set_tracking_uri(args.uri)
    t0 = time.perf_counter()
    local = mlflow.artifacts.download_artifacts(
        run_id=args.run_id, artifact_path=args.artifact_path, dst_path=args.dest
    )
    return {"download_s": time.perf_counter() - t0, "local_path": local}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["upload", "download"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--src")
    parser.add_argument("--name", default="artifacts")
    parser.add_argument("--artifact-path", default=None)
    parser.add_argument("--run-id")
    parser.add_argument("--dest")
    args = parser.parse_args()
    result = upload(args) if args.mode == "upload" else download(args)
    result["max_rss_mib"] = peak_rss_mib()
    result["mlflow"] = mlflow.__version__
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
