"""Logging: cost of one ``run.log()`` call, and 1,000,000 points made durable, vs MLflow.

(a) median / p99 of single ``run.log({"loss", "acc"}, step=i)`` calls (bar: median < 5 µs);
(b) 500,000 steps x 2 keys into the embedded store, first log() to finish() (bar: < 10 s);
(c) the same over HTTP to a local ``labledger server`` (bar: >= 100,000 points/s).
MLflow: ``MlflowClient.log_batch`` (1000 metrics per call) and async ``log_metrics`` into a
SQLite store, and log_batch to ``mlflow server --workers 1``; on fewer points if it is slow.

    .venv/bin/python -m bench.logging [--quick]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root, not this "logging"
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    child_cmd,
    emit,
    fmt_rate,
    fmt_s,
    header,
    labledger_server,
    load_average,
    median,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    peak_rss_mib,
    peer,
    percentile,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    times_better,
    verdict,
)

BAR_CALL_S = 5e-6
BAR_EMBEDDED_S = 10.0
BAR_HTTP_RATE = 100_000
SYNC_NAMES = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous values


# -- LabLedger side, in a fresh process: python -m bench.logging --child MODE N TARGET -----
def child(mode: str, n: int, target: str) -> None:
    import labledger as ll

    synced: list[int] = []
    if mode.endswith("-full"):  # MLflow's durability: every commit synced to the disk
        import labledger.store.database as database

        on_connect = database._sqlite_on_connect

        def full(dbapi_conn: Any, record: object) -> None:
            on_connect(dbapi_conn, record)
            dbapi_conn.execute("PRAGMA synchronous = FULL")
            synced.append(dbapi_conn.execute("PRAGMA synchronous").fetchone()[0])

        database._sqlite_on_connect = full  # read when the store's engine is created

    run = ll.init(
        project="bench", name=f"logging-{mode}", config={"lr": 0.001}, tracking_uri=target
    )
    result: dict[str, Any] = {"run_id": run.id}
    if mode == "percall":
        clock = time.perf_counter_ns
        durations = [0] * n
        for i in range(n):
            c0 = clock()
            run.log({"loss": 1.0 / (i + 1), "acc": i / n}, step=i)
            durations[i] = clock() - c0
        t0 = time.perf_counter()
        for i in range(n, 2 * n):
            run.log({"loss": 1.0 / (i + 1), "acc": 0.5}, step=i)
        tight = time.perf_counter() - t0
        overhead = []
        for _ in range(10_000):
            c0 = clock()
            overhead.append(clock() - c0)
        run.finish()
        result.update(
            median_s=median(durations) / 1e9,
            p99_s=percentile(durations, 99) / 1e9,
            p999_s=percentile(durations, 99.9) / 1e9,
            mean_s=sum(durations) / n / 1e9,
            tight_mean_s=tight / n,
            timer_s=median(overhead) / 1e9,
            calls=n,
        )
    else:
        steps = n // 2
        t0 = time.perf_counter()
        for i in range(steps):
            run.log({"loss": 1.0 / (i + 1), "acc": i / steps}, step=i)
        t_loop = time.perf_counter()
        run.finish()
        t_end = time.perf_counter()
        result.update(
            points=steps * 2, loop_s=t_loop - t0, finish_s=t_end - t_loop, total_s=t_end - t0
        )
    if mode.endswith("-full"):
        result["synchronous"] = sorted(set(synced))  # 2: FULL, on every connection
    if mode != "http":
        result["pragmas"] = store_pragmas(target)
    if mode.startswith("embedded"):
        result["seal_work"] = seal_work(target, run.id)
    result["max_rss_mib"] = peak_rss_mib()
    emit(result)


def seal_work(target: str, run_id: str) -> dict[str, float]:
    """The two reads of the whole history that ending a run does (``finish()``), done again
    on the finished store and timed: the history summary kept in the transaction that ends
    the run, and the hash of the record (the seal).  Page cache warm: an estimate of their
    share of ``finish()``, not a part of it."""
    from labledger.services import sealing
    from labledger.store import runs as run_repo
    from labledger.store import seals as seal_repo
    from labledger.store.database import Database, sqlite_uri_for_dir

    db = Database(sqlite_uri_for_dir(target))
    try:
        with db.read() as conn:
            pk = run_repo.find_run_pk(conn, run_id)
            t0 = time.perf_counter()
            seal_repo.history_summary(conn, pk)
            t1 = time.perf_counter()
            sealing.record_parts(conn, pk)
            t2 = time.perf_counter()
    finally:
        db.dispose()
    return {"summary_s": t1 - t0, "hash_s": t2 - t1}


def store_pragmas(target: str) -> dict[str, Any]:
    """journal_mode and synchronous of a connection made by LabLedger's own engine code
    (``labledger.store.database.Database``) on the store just written: the durability the
    run had, read back rather than assumed."""
    from sqlalchemy import text

    from labledger.store.database import Database, sqlite_uri_for_dir

    db = Database(sqlite_uri_for_dir(target))
    try:
        with db.read() as conn:
            mode = conn.execute(text("PRAGMA journal_mode")).scalar_one()
            sync = conn.execute(text("PRAGMA synchronous")).scalar_one()
    finally:
        db.dispose()
    return {"journal_mode": str(mode), "synchronous": SYNC_NAMES.get(int(sync), str(sync))}


# -- orchestration -------------------------------------------------------------------------
def count_rows(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def size_mib(db: Path) -> float:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20


def ml(mlflow_py: str, mode: str, *args: object) -> dict[str, Any]:
    note(f"MLflow {mode} {' '.join(map(str, args))}")
    return run_json([mlflow_py, peer("mlflow_logging.py"), mode, *map(str, args)], timeout=3600)


def ll(mode: str, n: int, target: object, **env: str) -> dict[str, Any]:
    note(f"LabLedger {mode} {n:,}")
    return run_json(child_cmd("logging", mode, n, target), env=quiet_env(**env), timeout=3600)


def rate(r: dict[str, Any]) -> float:
    return float(r["points"] / r["total_s"])


def durability(r: dict[str, Any]) -> str:
    """The store's journal mode and synchronous setting as read back after the run."""
    p = r.get("pragmas")
    if not p:
        return "not read"
    mode = p["journal_mode"].upper()
    journal = "WAL" if mode == "WAL" else f"rollback journal ({mode})"
    return f"{journal}, synchronous={p['synchronous']}"


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (100k points)")
    parser.add_argument("--points", type=int, help="LabLedger points (default 1,000,000)")
    parser.add_argument("--calls", type=int, help="timed log() calls (default 200,000)")
    parser.add_argument("--mlflow-batch-points", type=int, help="default 1,000,000")
    parser.add_argument("--mlflow-async-points", type=int, help="default 20,000")
    parser.add_argument("--mlflow-http-points", type=int, help="default 200,000")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.load_start = load_average()
    q = a.quick
    points = a.points or (100_000 if q else 1_000_000)
    calls = a.calls or (50_000 if q else 200_000)
    ml_batch_n = a.mlflow_batch_points or (50_000 if q else 1_000_000)
    ml_async_n = a.mlflow_async_points or (5_000 if q else 20_000)
    ml_http_n = a.mlflow_http_points or (20_000 if q else 200_000)
    mpy = mlflow_python()

    with scratch_dir("logging", keep=a.keep) as work:
        pc = ll("percall", calls, work / "ll-percall")
        ml_sync = ml(mpy, "sync", "--uri", f"sqlite:///{work}/ml-sync.db", "--calls", 500)

        emb = ll("embedded", points, work / "ll-embedded")
        emb_db = work / "ll-embedded" / "labledger.db"
        emb["stored"] = count_rows(emb_db, "SELECT count(*) FROM metric_points")
        emb["mib"] = size_mib(emb_db)
        full = ll("embedded-full", points, work / "ll-embedded-full")
        full_db = work / "ll-embedded-full" / "labledger.db"
        full["stored"] = count_rows(full_db, "SELECT count(*) FROM metric_points")
        full["mib"] = size_mib(full_db)
        if full.get("synchronous") != [2]:
            raise SystemExit(f"synchronous=FULL was not applied: {full.get('synchronous')}")
        db = work / "ml-batch.db"
        ml_batch = ml(mpy, "batch", "--uri", f"sqlite:///{db}", "--db", db, "--points", ml_batch_n)
        ml_batch["mib"] = size_mib(db)
        db = work / "ml-async.db"
        ml_async = ml(mpy, "async", "--uri", f"sqlite:///{db}", "--db", db, "--points", ml_async_n)
        ml_async["mib"] = size_mib(db)

        with labledger_server(work, data_dir=work / "ll-server") as url:
            http = ll("http", points, url, LABLEDGER_SPOOL_DIR=str(work / "spool"))
        http["stored"] = count_rows(
            work / "ll-server" / "labledger.db", "SELECT count(*) FROM metric_points"
        )
        db = work / "ml-server.db"
        with mlflow_server(work, f"sqlite:///{db}") as url:
            ml_http = ml(mpy, "batch", "--uri", url, "--db", db, "--points", ml_http_n)

    header("Logging", ["python", "-m", "bench.logging", *sys.argv[1:]], a.load_start)
    print(
        f"- peer: mlflow {package_version(mpy, 'mlflow')} (own venv); every run in a fresh "
        "process; metrics `loss` and `acc` per step"
    )
    print("\n### (a) one `log()` call in the training loop\n")
    print(
        f"LabLedger: {pc['calls']:,} calls timed one by one with `perf_counter_ns` (timer "
        f"overhead {fmt_s(pc['timer_s'])}, included), then {pc['calls']:,} untimed; MLflow: "
        f"the {ml_async['calls']['calls']:,} `log_metrics(..., synchronous=False)` calls of "
        "run (b)."
    )
    mc = ml_async["calls"]
    table(
        ["per call", "LabLedger `run.log`", "MLflow async `log_metrics`", "LabLedger faster by"],
        [
            [
                "median",
                fmt_s(pc["median_s"]),
                fmt_s(mc["median_s"]),
                times_better(pc["median_s"], mc["median_s"]),
            ],
            ["p99", fmt_s(pc["p99_s"]), fmt_s(mc["p99_s"]), times_better(pc["p99_s"], mc["p99_s"])],
            [
                "mean (timed loop)",
                fmt_s(pc["mean_s"]),
                fmt_s(mc["mean_s"]),
                times_better(pc["mean_s"], mc["mean_s"]),
            ],
            ["p99.9", fmt_s(pc["p999_s"]), "", ""],
            ["mean, untimed loop", fmt_s(pc["tight_mean_s"]), "", ""],
        ],
    )
    print(
        f"MLflow synchronous `log_metrics` (500 calls, SQLite store): median "
        f"{fmt_s(ml_sync['calls']['median_s'])}, p99 {fmt_s(ml_sync['calls']['p99_s'])}.\n"
    )
    print(
        f"Bar: median `run.log` under {fmt_s(BAR_CALL_S)}: "
        f"{verdict(pc['median_s'] < BAR_CALL_S)} ({fmt_s(pc['median_s'])})."
    )

    def row(name: str, r: dict[str, Any], base: dict[str, Any]) -> list[object]:
        stored = r.get("stored")
        return [
            name,
            f"{r['points']:,}",
            fmt_s(r["total_s"]),
            fmt_rate(rate(r)),
            "" if stored is None else f"{stored:,}",
            f"{r['max_rss_mib']:.0f} MiB",
            f"{r['mib']:.1f} MiB" if "mib" in r else "",
            "" if r is base else times_better(rate(base), rate(r), lower_is_better=False),
        ]

    cols = [
        "path",
        "points",
        "first log → finish/end",
        "points/s",
        "stored (SQL count)",
        "peak RSS",
        "store size",
        "LabLedger faster by (points/s)",
    ]
    print("\n### (b) points made durable in a local store, one process\n")
    print(
        "Durability, read back from each store after its run (`PRAGMA journal_mode` and "
        "`PRAGMA synchronous` on a connection opened by the product's own store code): "
        f"LabLedger {durability(emb)}; the second LabLedger row {durability(full)}; MLflow "
        f"`log_batch` {durability(ml_batch)}. With WAL and synchronous=NORMAL a commit "
        "survives a crash of the process, but a power loss or an OS crash can lose the last "
        "commits (the WAL is synced at checkpoints, not at every commit); it cannot corrupt "
        "the database. MLflow's SQLite store keeps SQLite's defaults (it sets only "
        "foreign_keys, busy_timeout and case_sensitive_like, in "
        "`mlflow/store/db/utils.py`): a rollback journal with synchronous=FULL, every commit "
        "synced to the disk before it returns. The second LabLedger row is the same code "
        "with synchronous=FULL set by this script on every connection: every commit synced, "
        "as in MLflow (still in WAL mode)."
    )
    table(
        cols,
        [
            row(f"LabLedger `run.log` → embedded SQLite ({durability(emb)})", emb, emb),
            row(f"LabLedger, the same with {durability(full)} (set by the bench)", full, emb),
            row(f"MLflow `log_batch` (1000/call) → sqlite ({durability(ml_batch)})", ml_batch, emb),
            row("MLflow async `log_metrics` → sqlite (same store)", ml_async, emb),
        ],
    )
    print(
        "At the same durability (every commit synced to the disk): LabLedger with "
        f"synchronous=FULL {fmt_rate(rate(full))}, MLflow `log_batch` "
        f"{fmt_rate(rate(ml_batch))}: LabLedger faster by "
        f"{times_better(rate(full), rate(ml_batch), lower_is_better=False)}.\n"
    )
    print(
        f"LabLedger: log loop {fmt_s(emb['loop_s'])}, `finish()` {fmt_s(emb['finish_s'])} "
        "(it drains the queue and writes the rest, ends the run, which records a summary of "
        "its history in the same transaction, then seals it: the whole history read and "
        f"hashed, the seal stored; done again on the finished store, the history summary "
        f"takes {fmt_s(emb['seal_work']['summary_s'])} and the record's hash "
        f"{fmt_s(emb['seal_work']['hash_s'])}); with synchronous=FULL "
        f"log loop {fmt_s(full['loop_s'])}, `finish()` {fmt_s(full['finish_s'])}. "
        f"MLflow async: log loop {fmt_s(ml_async['loop_s'])}, `end_run()` "
        f"{fmt_s(ml_async['end_run_s'])}. MLflow ran on fewer points where it is slow; "
        "compare the points/s.\n"
    )
    ok = emb["total_s"] < BAR_EMBEDDED_S and emb["stored"] == emb["points"]
    outcome = verdict(ok) if emb["points"] >= 1_000_000 else "not measured (fewer points)"
    print(
        f"Bar: 1,000,000 points durable in under {BAR_EMBEDDED_S:.0f} s: {outcome} "
        f"({emb['points']:,} points in {fmt_s(emb['total_s'])} with synchronous=NORMAL; "
        f"{fmt_s(full['total_s'])} with synchronous=FULL)."
    )
    print("\n### (c) over HTTP to a local server (SQLite behind it)\n")
    print(
        "Durability as in (b), the same store code behind each server: `labledger server` "
        f"{durability(emb)}; `mlflow server` {durability(ml_batch)}."
    )
    table(
        cols,
        [
            row("LabLedger `run.log` → `labledger server`", http, http),
            row("MLflow `log_batch` → `mlflow server --workers 1`", ml_http, http),
        ],
    )
    ok = rate(http) >= BAR_HTTP_RATE and http["stored"] == http["points"]
    print(
        f"Bar: at least {BAR_HTTP_RATE:,} points/s over HTTP: {verdict(ok)} "
        f"({fmt_rate(rate(http))}; log loop {fmt_s(http['loop_s'])}, "
        f"`finish()` {fmt_s(http['finish_s'])}).\n"
    )


if __name__ == "__main__":
    main()
