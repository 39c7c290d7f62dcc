"""Search: 100,000 runs in one project, filter + order + limit 100, vs MLflow.

LabLedger is measured in-process through ``SearchService.search_runs`` (what the server runs)
and over HTTP with ``ll.Client`` against ``labledger server``, on SQLite and on PostgreSQL.
MLflow: the same rows in its SQLite store, ``MlflowClient.search_runs(max_results=100)``
in-process and through ``mlflow server --workers 1``.  Median of 20 after 2 warm-ups.
Bar (issue): median under 50 ms for each query.  Results are checked against ground truth.

    .venv/bin/python -m bench.search [--quick] [--runs 100000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import _search_data as data  # noqa: E402
from bench._common import (  # noqa: E402
    fmt_s,
    header,
    labledger_server,
    median,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    peer,
    pg_database,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    times_better,
    verdict,
)

BAR_S = 0.050


def timed(fn: Callable[[], Any], repeat: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": median(times), "min_s": min(times), "result": result}


def outcome(index: int, runs: list[Any]) -> list[Any]:
    """What the ground truth is compared with: ids, or the lr sequence for Q3 (ties)."""
    return [r.params["lr"] for r in runs] if index == 2 else [r.id for r in runs]


def peer_cell(m: dict[str, Any]) -> str:
    if "median_s" in m:
        return fmt_s(m["median_s"])
    return "not run" if m.get("skipped") else f"error: {m.get('error', '?')[:80]}"


def capture_selects(db: Any, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    return seen


def explain(db: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """Plan of the page query (the one with ORDER BY) and the time of every statement."""
    lines = []
    with db.read() as conn:
        for sql, params in statements:
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                n = len(conn.exec_driver_sql(sql, params).fetchall())
                times.append(time.perf_counter() - t0)
            first = " ".join(sql.split())[:90]
            lines.append(f"    {fmt_s(median(times)):>9}  {n:>4} rows  {first}...")
        sql, params = next(s for s in statements if "ORDER BY" in s[0])
        lines += ["", "    page query:", *("      " + ln for ln in sql.splitlines()), ""]
        if db.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            depth: dict[int, int] = {0: 0}
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("    " + "  " * depth[node] + detail)
        else:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            lines += ["    " + r[0] for r in rows]
    return lines


def measure_labledger(label: str, db_url: str, work: Path, a: argparse.Namespace,
                      server: dict[str, Any]) -> dict[str, Any]:
    import labledger as ll
    from labledger.services.search import SearchService
    from labledger.services.tracker import Tracker

    tracker = Tracker.open(db_url)
    svc = SearchService(tracker.db)
    out: dict[str, Any] = {"label": label, "inproc": [], "http": [], "analyzed": [],
                           "plans": []}
    try:
        for q in data.QUERIES:
            note(f"{label}: {q['name']} in-process")

            def call(q: dict[str, Any] = q) -> list[Any]:
                return svc.search_runs(data.PROJECT, q["filter"], q["order_by"], 100).runs

            out["inproc"].append(timed(call, a.repeat, a.warmup))
            out["plans"].append(explain(tracker.db, capture_selects(tracker.db, call)))
        with labledger_server(work, **server) as url:
            client = ll.Client(url)
            for q in data.QUERIES:
                note(f"{label}: {q['name']} over HTTP")
                out["http"].append(timed(
                    lambda q=q: client.search_runs(data.PROJECT, q["filter"], q["order_by"],
                                                   100), a.repeat, a.warmup))
            client.close()
        if tracker.db.is_sqlite:  # LabLedger never runs ANALYZE itself; show what it changes
            with tracker.db.write() as conn:
                conn.exec_driver_sql("ANALYZE")
            for q in data.QUERIES:
                out["analyzed"].append(timed(
                    lambda q=q: svc.search_runs(data.PROJECT, q["filter"], q["order_by"], 100),
                    a.repeat, a.warmup))
    finally:
        tracker.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 runs, 5 repeats")
    parser.add_argument("--runs", type=int, help="runs in the project (default 100,000)")
    parser.add_argument("--steps", type=int, default=5, help="metric points per run and key")
    parser.add_argument("--repeat", type=int, help="timed repeats (default 20)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--mlflow-http-max-s", type=float, default=20.0,
                        help="skip MLflow over HTTP for queries slower than this in-process")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.runs = a.runs or (10_000 if a.quick else 100_000)
    a.repeat = a.repeat or (5 if a.quick else 20)
    mpy = mlflow_python()
    queries_json = json.dumps([q["mlflow"] for q in data.QUERIES])
    sides, loads = [], {}

    with scratch_dir("search", keep=a.keep) as work:
        note(f"generating {a.runs:,} runs")
        rows = data.generate(a.runs, work / "runs.csv")
        truth = [data.expected(rows, i) for i in range(len(data.QUERIES))]

        sqlite_dir = work / "ll-sqlite"
        sqlite_dir.mkdir()
        url = f"sqlite:///{sqlite_dir / 'labledger.db'}"
        t0 = time.perf_counter()
        data.load_labledger(url, rows, a.steps)
        loads["LabLedger SQLite"] = time.perf_counter() - t0
        sides.append(measure_labledger("LabLedger SQLite", url, work, a,
                                       {"data_dir": sqlite_dir}))
        if not a.no_postgres:
            with pg_database("search") as pg_url:
                if pg_url:
                    t0 = time.perf_counter()
                    data.load_labledger(pg_url, rows, a.steps)
                    loads["LabLedger PostgreSQL"] = time.perf_counter() - t0
                    import sqlalchemy as sa

                    engine = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
                    with engine.connect() as conn:  # what autovacuum would do after a load
                        conn.exec_driver_sql("ANALYZE")
                    engine.dispose()
                    sides.append(measure_labledger("LabLedger PostgreSQL", pg_url, work, a,
                                                   {"db_uri": pg_url}))

        note(f"MLflow: loading {a.runs:,} runs")
        ml_db = work / "mlflow.db"
        ml_load = run_json([mpy, peer("mlflow_search.py"), "load", "--db", ml_db,
                            "--csv", work / "runs.csv", "--steps", a.steps], timeout=3600)
        api_runs = 50 if a.quick else 200
        ml_api = run_json([mpy, peer("mlflow_search.py"), "api", "--db", work / "api.db",
                           "--runs", api_runs, "--steps", a.steps], timeout=3600)
        note("MLflow: queries in-process")
        query = [mpy, peer("mlflow_search.py"), "query", "--queries", queries_json,
                 "--repeat", a.repeat, "--warmup", a.warmup]
        ml_in = run_json([*query, "--uri", f"sqlite:///{ml_db}"], timeout=7200,
                         show_stderr=True)["queries"]
        skip = [i for i, m in enumerate(ml_in) if "median_s" not in m
                or m["median_s"] > a.mlflow_http_max_s]
        note(f"MLflow: queries over HTTP (skipping {skip or 'none'})")
        # no client-side timeout or retries: a slow search is measured, not retried
        env = quiet_env(MLFLOW_HTTP_REQUEST_TIMEOUT="3600", MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
        with mlflow_server(work, f"sqlite:///{ml_db}") as ml_url:
            ml_http = run_json([*query, "--uri", ml_url, "--skip", ",".join(map(str, skip))],
                               env=env, timeout=7200, show_stderr=True)["queries"]

    header("Search", ["python", "-m", "bench.search", *sys.argv[1:]])
    print(f"- peer: mlflow {package_version(mpy, 'mlflow')} (own venv), SQLite store")
    print(f"- data: {a.runs:,} runs in one project; params lr (7 values), optimizer (4), "
          f"batch_size (5); latest metrics acc, loss; {a.steps} points per run and metric")
    print(f"- median of {a.repeat} after {a.warmup} warm-ups; limit / max_results 100")
    slow = sorted({m["n"] for m in ml_in + ml_http if m.get("n", a.repeat) < a.repeat})
    if slow:
        print(f"- MLflow queries slower than 3 s were repeated {slow[0]}+ times, not "
              f"{a.repeat} (a 60 s budget per query; one warm-up when a call takes > 10 s)")
    if any(m.get("skipped") for m in ml_http):
        print(f"- MLflow over HTTP was not run for queries slower than "
              f"{a.mlflow_http_max_s:.0f} s in-process (the HTTP path only adds to them)")
    loads["MLflow SQLite"] = ml_load["load_s"]
    print("- bulk load with SQLAlchemy Core (not part of any ratio): "
          + ", ".join(f"{k} {fmt_s(v)}" for k, v in loads.items()))
    per_run = ml_api["total_s"] / ml_api["runs"]
    print(f"- MLflow through its API: {ml_api['runs']} runs in {fmt_s(ml_api['total_s'])} "
          f"({fmt_s(per_run)} per run): {a.runs:,} runs would take "
          f"{fmt_s(per_run * a.runs)}, so MLflow's rows were bulk-inserted as well")
    print("- MLflow has no OR in filters: Q1 runs as two searches (optimizer = 'adam', "
          "batch_size = '64'), merged and re-sorted; its time is the sum")
    for q in data.QUERIES:
        print(f"- {q['name']}: filter `{q['filter']}`, order_by `{q['order_by'][0]}`")

    cols = ["query", "LabLedger in-process", "LabLedger HTTP", "MLflow in-process",
            "MLflow HTTP", "faster by (in-process)", "faster by (HTTP)", "correct (LL / MLflow)"]
    failures = []
    for side in sides:
        rows_out = []
        for i, q in enumerate(data.QUERIES):
            li, lh, mi, mh = side["inproc"][i], side["http"][i], ml_in[i], ml_http[i]
            ok_ll = outcome(i, li["result"]) == truth[i] == outcome(i, lh["result"])
            ok_ml = mi.get("lrs" if i == 2 else "ids") == truth[i]
            mi_s, mh_s = mi.get("median_s", float("nan")), mh.get("median_s", float("nan"))
            rows_out.append([q["name"], fmt_s(li["median_s"]), fmt_s(lh["median_s"]),
                             peer_cell(mi), peer_cell(mh),
                             times_better(li["median_s"], mi_s),
                             times_better(lh["median_s"], mh_s),
                             f"{'yes' if ok_ll else 'NO'} / {'yes' if ok_ml else 'NO'}"])
            for how, m in (("in-process", li), ("HTTP", lh)):
                if m["median_s"] >= BAR_S:
                    failures.append(f"{side['label']} {how} {q['name'][:2]}: "
                                    f"{fmt_s(m['median_s'])}")
        print(f"\n### {side['label']} (MLflow: SQLite)")
        table(cols, rows_out)
        if side["analyzed"]:
            print("After `ANALYZE` (LabLedger never runs it; SQLite plans without statistics "
                  "above): " + ", ".join(f"{q['name'][:2]} {fmt_s(m['median_s'])}"
                                         for q, m in zip(data.QUERIES, side["analyzed"],
                                                         strict=True)) + "\n")
    print(f"Bar: median under {fmt_s(BAR_S)} for each query, in-process and over HTTP: "
          f"{verdict(not failures)}" + (f" (over: {'; '.join(failures)})" if failures else "")
          + ".\n")
    print("### Statement times and the page query's plan (LabLedger, before ANALYZE)\n")
    for side in sides:
        for q, plan in zip(data.QUERIES, side["plans"], strict=True):
            print(f"{side['label']}, {q['name']}:\n")
            print("\n".join(plan) + "\n")


if __name__ == "__main__":
    main()
