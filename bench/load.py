"""Load: sustained ingest over HTTP, as fast as acknowledgements come back, vs MLflow.

N client processes (default 4) each create a run, then POST batches of 2 keys to it back
to back on one keep-alive connection for a fixed time, each batch sent when the previous one
is acknowledged (bench/_ingest.py): LabLedger's columnar ``/api/v1/runs/{id}/batches``,
MLflow's ``/api/2.0/mlflow/runs/log-batch`` (at most 1,000 metrics per request), from the
same client code.  Reported: sustained points/s, ack latency per batch (send to response,
client side: p50/p90/p99/max), LabLedger's own request histogram from /metrics, server CPU
and RSS (start/peak/end), then a check that every acknowledged point is stored, no more
and no less.  After its last batch each client ends its own run, as a training script
does; ending a LabLedger run seals it (its whole record hashed, the hash stored).  That run
end is timed and reported separately, with the rate from the start to the last run ended,
and the seals are checked.  A failed request, a count mismatch or a missing seal on the
LabLedger side exits non-zero.  A sweep over the number of clients shows where each server
saturates.
Bar (issue 5): the highest sustained rate, with p50 and p99 ack latency, no point lost.

    .venv/bin/python -m bench.load [--quick] [--seconds 60] [--clients 4] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    RssSampler,
    fmt_rate,
    fmt_s,
    header,
    labledger_server,
    listening_pids,
    load_average,
    median,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    percentile,
    pg_database,
    scratch_dir,
    table,
    times_better,
    verdict,
)
from bench._ingest import (  # noqa: E402
    MLFLOW_MAX_METRICS,
    bucket_bound,
    client_cmds,
    cpu_seconds,
    lost,
    scrape,
    sealed_labledger,
    stored_labledger,
    stored_mlflow,
    summarize,
    wait_quiet,
)
from bench.concurrency import launch  # noqa: E402


class CpuSampler(RssSampler):
    """CPU seconds of one process every ``interval`` s: ``cpu`` is a list of (seconds since
    ``origin``, CPU seconds so far)."""

    def __init__(self, pid: int, interval: float, origin: float | None = None) -> None:
        super().__init__(pid, interval, origin)
        self.cpu: list[tuple[float, float]] = []

    def sample(self) -> None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            self.cpu.append((time.monotonic() - self.t0, cpu_seconds(self.pid)))

    def __enter__(self) -> CpuSampler:
        super().__enter__()
        return self

    def at(self, t: float) -> float:
        """CPU seconds at the last sample up to ``t``."""
        return max((c for s, c in self.cpu if s <= t), default=self.cpu[0][1])


def measure(
    kind: str, work: Path, clients: int, seconds: float, points: int, db_uri: str | None = None
) -> dict[str, Any]:
    """A fresh server and store; ``clients`` processes ingest for ``seconds``; all checked."""
    tag = f"{kind}-{clients}x{points}-{seconds:.0f}s"
    note(f"{kind}: {clients} clients x {points:,} points per batch, {seconds:.0f} s")
    db = work / f"{tag}.db"
    if kind == "labledger":
        server = labledger_server(work, data_dir=work / tag, db_uri=db_uri)
        db = work / tag / "labledger.db"
    else:
        server = mlflow_server(work, f"sqlite:///{db}")
    with server as base:
        pid = min(listening_pids(base))
        quiet_s = wait_quiet(pid)
        start_at = time.time() + 2 + 0.3 * clients
        cmds = client_cmds(kind, base, clients, seconds, start_at, points, end_own=True)
        with RssSampler(pid, 0.5, origin=start_at) as rss, CpuSampler(pid, 0.5, start_at) as cpu:
            _, outcomes = launch(cmds, timeout=seconds + 600)
        res = summarize(outcomes, points)
        res.update(kind=kind, clients=clients, points=points, rss=rss.samples, quiet_s=quiet_s)
        # the ingest: start to the last acknowledgement; then the clients end their runs
        res["ingest_end"], res["end_s"] = res["span_s"], res["ends"]
        res["cpu_s"] = cpu.at(res["span_s"]) - cpu.at(0.0)
        if kind == "labledger":
            res["server"] = scrape(base)
            res["stored"] = stored_labledger(base, res["runs"], None if db_uri else db)
            res["sealed"] = sealed_labledger(base, res["runs"])
    if kind == "mlflow":
        res["stored"] = stored_mlflow(db, res["runs"])
    res["lost"] = lost(res["stored"], res["acked"], len(res["runs"]))
    return res


# -- report --------------------------------------------------------------------------------
def column(r: dict[str, Any]) -> dict[str, str]:
    lat, stored = r["lat"], r["stored"]
    rss = [s[1] for s in r["rss"] if s[0] <= r["ingest_end"]]
    rss_end = max(s[1] for s in r["rss"] if s[0] > r["ingest_end"])
    per_run = r["acked"] / len(r["runs"])
    q = {p: percentile(lat, p) if lat else float("nan") for p in (50, 90, 99, 100)}
    cells = {
        "clients × points per batch": f"{r['clients']} × {r['points']:,}",
        "batches acknowledged": f"{r['batches']:,}",
        "points acknowledged": f"{r['acked']:,}",
        "sustained points/s": fmt_rate(r["rate"]),
        "batches/s": f"{r['batches'] / r['span_s']:,.1f}/s",
        "points/s in the second half": fmt_rate(r["half_rate"]),
        "points/s, slowest / fastest tenth of the run": f"{fmt_rate(min(r['window_rates']))}"
        f" / {fmt_rate(max(r['window_rates']))}",
        "ack latency p50": fmt_s(q[50]),
        "ack latency p90": fmt_s(q[90]),
        "ack latency p99": fmt_s(q[99]),
        "ack latency max": fmt_s(q[100]),
        "server CPU (cores busy)": f"{r['cpu_s'] / r['span_s']:.2f}",
        "server RSS start / peak / end": f"{rss[0]:.0f} / {max(rss):.0f} / {rss[-1]:.0f} MiB",
        "then each client ends its run (LabLedger: seals it), all at once: points per run; "
        "median, max": f"{per_run:,.0f}; {fmt_s(median(r['end_s']))}, {fmt_s(max(r['end_s']))}"
        if r["end_s"]
        else "not ended",
        "points/s from the start to the last run ended (sealed)": fmt_rate(
            r["acked"] / r["ended_at"]
        ),
        "server RSS peak while ending the runs": f"{rss_end:.0f} MiB",
        "failed requests": str(r["failed"]),
        "stored: API total_points; SQL rows (distinct run, key, step)": "; ".join(
            ([f"{stored['api']:,}"] if "api" in stored else [])
            + ([f"{stored['sql']:,} ({stored['distinct']:,})"] if "sql" in stored else [])
        ),
        "runs with exactly their acknowledged points": f"{stored['runs_exact']}/{len(r['runs'])}",
    }
    if "sealed" in r:
        cells["runs sealed (seal_hash set)"] = f"{r['sealed']}/{len(r['runs'])}"
    if "server" in r:
        s = r["server"]
        mean = fmt_s(s["sum"] / s["count"]) if s["count"] else "n/a"
        cells["server /metrics: batch requests, mean"] = f"{s['count']:,.0f}, {mean}"
        cells["server /metrics: p50, p99 bucket"] = f"{bucket_bound(s, 50)}, {bucket_bound(s, 99)}"
        cells["server /metrics: points counter"] = f"{s.get('points', 0):,.0f}"
    return cells


RATIOS = {
    "sustained points/s": lambda r: -r["rate"],
    "batches/s": lambda r: -r["batches"] / r["span_s"],
    "points/s in the second half": lambda r: -r["half_rate"],
    "points/s from the start to the last run ended (sealed)": lambda r: -r["acked"] / r["ended_at"],
    **{
        f"ack latency {k}": (lambda r, q=q: percentile(r["lat"], q))
        for k, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
    },
}


def ratio(ours: dict[str, Any], theirs: dict[str, Any], key: str) -> str:
    a, b = RATIOS[key](ours), RATIOS[key](theirs)
    return times_better(-a, -b, lower_is_better=False) if a < 0 else times_better(a, b)


def report(
    main: list[dict[str, Any]], sweep: list[dict[str, Any]], a: Any, store: str, version: str | None
) -> bool:
    header("Load", ["python", "-m", "bench.load", *sys.argv[1:]], a.load_start)
    peer_text = f"mlflow {version} `mlflow server --workers 1` (SQLite)" if version else "none"
    print(f"- LabLedger: `labledger server` ({store}); peer: {peer_text}")
    print(
        "- durability of an acknowledged batch: LabLedger on SQLite commits it in WAL mode "
        "with synchronous=NORMAL (a power loss can lose the last commits, never corrupt the "
        "store; on PostgreSQL, the server's own settings); MLflow's SQLite store keeps "
        "SQLite's defaults, a rollback journal with synchronous=FULL (every commit synced). "
        "Both read back in `bench.logging` (b)"
    )
    print(
        "- each client process: one run; batches of 2 keys (loss, acc), N/2 steps each, sent "
        f"back to back on one keep-alive httpx connection for {a.seconds:.0f} s, the next when "
        "the previous is acknowledged; the same client code for both servers; ack latency = "
        "send to response; points/s = points acknowledged / (start to the last ack)"
    )
    waited = ", ".join(f"{r['kind']} {r['quiet_s']:.0f} s" for r in main)
    print(
        "- a fresh server and store per row; clients start once the server's process group "
        "is idle (MLflow's job runner and huey consumers start after /health answers and "
        f"import for a while; waited: {waited}); clients and server share the machine's "
        "cores; after its last batch each client ends its own run (`PATCH status=finished`; "
        "ending a LabLedger run seals it, hashing its whole record before it answers), timed "
        "apart from the batches"
    )
    cols = [column(r) for r in main]
    names = [
        f"{'LabLedger' if r['kind'] == 'labledger' else 'MLflow'}, {r['points']:,}/batch"
        for r in main
    ]
    ml = next((r for r in main if r["kind"] == "mlflow"), None)
    headers = ["measure", *names] + (["LabLedger better by (same batches)"] if ml else [])
    rows = []
    for key in cols[0]:
        row = [key, *(c.get(key, "") for c in cols)]
        if ml:
            row.append(ratio(main[0], ml, key) if key in RATIOS else "")
        rows.append(row)
    table(headers, rows)
    if len({r["clients"] for r in sweep}) > 1:
        print(
            f"Saturation: 1,000 points per batch, more or fewer clients ({a.sweep_seconds:.0f} s "
            f"each; * the main run above, {a.seconds:.0f} s)."
        )
        by = {(r["kind"], r["clients"]): r for r in sweep}
        srows = []
        for n in sorted({r["clients"] for r in sweep}):
            cells: list[object] = [f"{n}*" if n == a.clients else n]
            for r in (by.get(("labledger", n)), by.get(("mlflow", n))):
                lat = r["lat"] if r else []
                cells += (
                    [fmt_rate(r["rate"]), fmt_s(percentile(lat, 50)), fmt_s(percentile(lat, 99))]
                    if r and lat
                    else ["", "", ""]
                )
            both = by.get(("labledger", n)), by.get(("mlflow", n))
            cells.append(ratio(*both, "sustained points/s") if all(both) else "")
            srows.append(cells)
        cols_s = ["clients", "LabLedger points/s", "p50", "p99", "MLflow points/s", "p50", "p99"]
        table([*cols_s, "LabLedger faster by"], srows)
    everything = [*main, *(r for r in sweep if r not in main)]
    for r in everything:
        for e in r["errors"]:
            print(f"- {r['kind']}, {r['clients']} clients, failed request: `{e}`")
    ok = all(
        not r["lost"] and not r["failed"] and r.get("sealed") == len(r["runs"])
        for r in everything
        if r["kind"] == "labledger"
    )
    print(
        "\nBar: every acknowledged point stored exactly once, no failed request and every run "
        f"sealed at its end, in every LabLedger row: {verdict(ok)}.\n"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s per row, no sweep")
    parser.add_argument("--seconds", type=float, help="per main row (default 60)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--batch", type=int, default=1000, help="points per batch (default 1000)")
    parser.add_argument(
        "--big-batch", type=int, default=5000, help="LabLedger's second row (0: none)"
    )
    parser.add_argument("--sweep", help="client counts for the sweep (default 1,2,8)")
    parser.add_argument("--sweep-seconds", type=float, default=15)
    parser.add_argument("--postgres", action="store_true", help="LabLedger on PostgreSQL")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.load_start = load_average()
    a.seconds = a.seconds or (10 if a.quick else 60)
    sweep_n = [int(n) for n in (a.sweep or ("" if a.quick else "1,2,8")).split(",") if n]
    kinds = ["labledger"] if a.no_mlflow else ["labledger", "mlflow"]
    mpy = None if a.no_mlflow else mlflow_python()
    with (
        scratch_dir("load", keep=a.keep) as work,
        pg_database("load") if a.postgres else contextlib.nullcontext() as db_uri,
    ):
        if a.postgres and db_uri is None:
            raise SystemExit("--postgres: no PostgreSQL database available")
        main = [measure("labledger", work, a.clients, a.seconds, a.batch, db_uri)]
        if a.big_batch:
            main.append(measure("labledger", work, a.clients, a.seconds, a.big_batch, db_uri))
        if mpy:
            ml_batch = min(a.batch, MLFLOW_MAX_METRICS)
            main.append(measure("mlflow", work, a.clients, a.seconds, ml_batch))
        sweep = [r for r in main if r["points"] == a.batch or r["kind"] == "mlflow"]
        for n in (n for n in sweep_n if n != a.clients):
            for k in kinds:
                points = a.batch if k == "labledger" else min(a.batch, MLFLOW_MAX_METRICS)
                sweep.append(measure(k, work, n, a.sweep_seconds, points, db_uri))
    store = "PostgreSQL" if a.postgres else "embedded SQLite"
    ok = report(main, sweep, a, store, package_version(mpy, "mlflow") if mpy else None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
