"""Concurrency: 16 processes logging into ONE embedded store folder at the same time.

Each process logs 100,000 points (50,000 steps x 2 keys) and finishes its run; then SQL
checks that every run holds exactly 100,000 points, each (key, step) once, and that no
process raised.  Bar (issue): every point stored exactly once, no error.
Scenarios: the store folder created beforehand, and a fresh empty folder (all 16 processes
create the database at once).  MLflow: the same with its SQLite store (fewer points).

    .venv/bin/python -m bench.concurrency [--quick] [--procs 16] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    REPO,
    BenchError,
    child_cmd,
    emit,
    fmt_rate,
    fmt_s,
    header,
    median,
    mlflow_python,
    note,
    package_version,
    parse_result,
    peer,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    verdict,
)


def child(store: str, points: int, name: str) -> None:
    import labledger as ll

    t0 = time.perf_counter()
    run = ll.init(project="concurrency", name=name, tracking_uri=store)
    steps = points // 2
    for i in range(steps):
        run.log({"loss": 1.0 / (i + 1), "acc": i / steps}, step=i)
    run.finish()
    emit({"run_id": run.id, "total_s": time.perf_counter() - t0})


def launch(cmds: list[list[str]], timeout: float) -> tuple[float, list[dict[str, Any]]]:
    """Start every command, then wait for all; (wall seconds, per-process outcome)."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=quiet_env(), cwd=REPO) for c in cmds]
    outcomes = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=max(1.0, timeout - (time.perf_counter() - t0)))
        except subprocess.TimeoutExpired:
            p.kill()  # this Popen's own process, by its id
            out, err = p.communicate()
        result: dict[str, Any] = {"rc": p.returncode}
        with contextlib.suppress(BenchError, ValueError):
            result.update(parse_result(out))
        if p.returncode != 0 or len(result) == 1:
            lines = [ln for ln in err.strip().splitlines() if ln.strip()]
            result["error"] = lines[-1][:200] if lines else f"exit {p.returncode}"
        outcomes.append(result)
    return time.perf_counter() - t0, outcomes


def check_labledger(db: Path, points: int) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        per_run = conn.execute(
            "SELECT r.id, r.status, count(mp.run_pk), "
            "count(DISTINCT mp.key_id * 4294967296 + mp.step) "
            "FROM runs r LEFT JOIN metric_points mp ON mp.run_pk = r.pk GROUP BY r.pk"
        ).fetchall()
    exact = [r for r in per_run if r[2] == points and r[3] == points and r[1] == "finished"]
    return {"runs": len(per_run), "exact": len(exact),
            "stored": sum(r[2] for r in per_run), "counts": sorted({r[2] for r in per_run})}


def scenario(label: str, work: Path, procs: int, points: int, precreate: bool,
             trials: int = 1) -> dict[str, Any]:
    """``trials`` rounds, each on its own new folder; outcomes and checks summed."""
    total: dict[str, Any] = {"label": label, "walls": [], "outcomes": [], "runs": 0,
                             "exact": 0, "stored": 0, "spool_left": 0, "trials": trials,
                             "points": points}
    for t in range(trials):
        store = work / f"{label.replace(' ', '-')}-{t}"
        if precreate:
            from labledger.services.tracker import Tracker
            from labledger.store.database import sqlite_uri_for_dir

            Tracker.open(sqlite_uri_for_dir(store)).close()
        note(f"LabLedger: {procs} processes x {points:,} points, {label} ({t + 1}/{trials})")
        cmds = [child_cmd("concurrency", store, points, f"w{i}") for i in range(procs)]
        wall, outcomes = launch(cmds, timeout=1800)
        db = store / "labledger.db"
        check = check_labledger(db, points) if db.exists() else {"runs": 0, "exact": 0,
                                                                 "stored": 0}
        spool = store / "spool"
        total["walls"].append(wall)
        total["outcomes"] += outcomes
        total["spool_left"] += len(list(spool.iterdir())) if spool.exists() else 0
        for key in ("runs", "exact", "stored"):
            total[key] += check[key]
    return total


def mlflow_scenario(work: Path, procs: int, points: int) -> dict[str, Any]:
    mpy = mlflow_python()
    db = work / "mlflow.db"
    uri = f"sqlite:///{db}"
    run_json([mpy, peer("mlflow_concurrency.py"), "init", "--uri", uri], timeout=600)
    note(f"MLflow: {procs} processes x {points:,} points")
    cmds = [[mpy, peer("mlflow_concurrency.py"), "worker", "--uri", uri, "--points",
             str(points)] for _ in range(procs)]
    wall, outcomes = launch(cmds, timeout=1800)
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT run_uuid, count(*) FROM metrics GROUP BY run_uuid"))
    exact = sum(1 for o in outcomes if counts.get(o.get("run_id", ""), 0) == points)
    return {"wall_s": wall, "outcomes": outcomes, "stored": sum(counts.values()),
            "exact": exact, "version": package_version(mpy, "mlflow")}


def errors_of(outcomes: list[dict[str, Any]]) -> list[str]:
    found = [o["error"] for o in outcomes if "error" in o]
    found += [e for o in outcomes for e in o.get("errors", [])]
    found += [o["finish_error"] for o in outcomes if o.get("finish_error")]
    return sorted(set(found))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 points per process")
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--points", type=int, help="per process (default 100,000)")
    parser.add_argument("--mlflow-points", type=int, help="per process (default 20,000)")
    parser.add_argument("--race-trials", type=int, default=None,
                        help="rounds of the start-up race on a fresh folder (default 5)")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    points = a.points or (10_000 if a.quick else 100_000)
    ml_points = a.mlflow_points or (4_000 if a.quick else 20_000)
    a.race_trials = a.race_trials or (2 if a.quick else 5)
    with scratch_dir("concurrency", keep=a.keep) as work:
        results = [
            scenario("pre-created store", work, a.procs, points, precreate=True),
            scenario("fresh empty folder", work, a.procs, points, precreate=False),
            scenario("fresh empty folder, start-up race", work, a.procs, 1_000,
                     precreate=False, trials=a.race_trials),
        ]
        ml = None if a.no_mlflow else mlflow_scenario(work, a.procs, ml_points)

    header("Concurrency", ["python", "-m", "bench.concurrency", *sys.argv[1:]])
    print(f"- {a.procs} processes started together, each: `ll.init` on the same folder, "
          "N/2 steps x 2 keys, `finish()`; wall time from the first start to the last exit "
          "(includes interpreter start-up and imports); per process: `init` to `finish`")
    print("- check: SQL count of metric_points per run and of distinct (key, step) per run, "
          "status finished; runs in the table = processes")
    rows, bar_ok = [], True
    for r in results:
        outs, n = r["outcomes"], a.procs * r["trials"]
        failed = sum(1 for o in outs if o["rc"] != 0)
        bar_ok = bar_ok and failed == 0 and r["exact"] == n == r["runs"]
        per = [o["total_s"] for o in outs if "total_s" in o]
        name = f"LabLedger, {r['label']}, {r['points']:,} points each"
        if r["trials"] > 1:
            name += f" ({r['trials']} rounds, median wall)"
        rows.append([name, f"{n - failed}/{n}", f"{r['exact']}/{n}", f"{r['stored']:,}",
                     fmt_s(median(r["walls"])), fmt_rate(r["stored"] / sum(r["walls"])),
                     fmt_s(median(per)) if per else "", r["spool_left"],
                     "; ".join(errors_of(outs)) or "none"])
    if ml is not None:
        outs = ml["outcomes"]
        ok_procs = sum(1 for o in outs if o["rc"] == 0 and not o.get("failed_batches"))
        per = [o["total_s"] for o in outs if "total_s" in o]
        failed_batches = sum(o.get("failed_batches", 0) for o in outs)
        rows.append([f"MLflow {ml['version']} `log_batch` → sqlite ({ml_points:,} points "
                     f"each; {failed_batches} failed calls)", f"{ok_procs}/{a.procs}",
                     f"{ml['exact']}/{a.procs}", f"{ml['stored']:,}", fmt_s(ml["wall_s"]),
                     fmt_rate(ml["stored"] / ml["wall_s"]), fmt_s(median(per)) if per else "",
                     "", "; ".join(errors_of(outs)) or "none"])
    table(["scenario", "processes without error", "runs with exactly all points, once",
           "points stored", "wall time", "points/s (all processes)",
           "median per process (init → finish)", "spool folders left", "errors"], rows)
    print(f"Bar: every point stored exactly once, no error: {verdict(bar_ok)}.\n")


if __name__ == "__main__":
    main()
