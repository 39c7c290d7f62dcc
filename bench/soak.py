"""Soak: a LabLedger server under steady ingest and periodic reads; its RSS must stay flat.

``--clients`` processes (default 4) log continuously at a moderate pace: a batch of 1,000
points every ``--interval`` s each (default 0.4 s, so 10,000 points/s together; the load
benchmark's maximum is about 10x that), a new run every minute (the previous one finished).
One reader process, every 2 s: a runs search ordered by a metric, the loss history of a
recent run (``max_points=1000``), the projects list and a /metrics scrape.  The server's
RSS is read from /proc every 10 s (VmRSS, and RssAnon: without file-backed pages).
Verdict: growth of VmRSS from the end of minute 2 (warm-up) to the end, each the median of
the 3 samples (30 s) up to it: **fails (exit 1) above 20 MiB or above 10 %**.  Also
checked: every acknowledged point stored (API and SQL), no failed request.  No peer: a
10-minute MLflow soak would measure MLflow, not compare anything; absolute values only.

    .venv/bin/python -m bench.soak [--minutes 10] [--clients 4]   (not in `make bench`)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    RssSampler,
    child_cmd,
    emit,
    fmt_rate,
    fmt_s,
    header,
    labledger_server,
    listening_pids,
    median,
    note,
    percentile,
    scratch_dir,
    status_mib,
    table,
    verdict,
)
from bench._ingest import (  # noqa: E402
    bucket_bound,
    client_cmds,
    lost,
    scrape,
    stored_labledger,
    summarize,
)
from bench.concurrency import launch  # noqa: E402

LIMIT_MIB = 20.0
LIMIT_PCT = 10.0
SAMPLE_S = 10.0
READ_EVERY_S = 2.0


# -- the reader process: python -m bench.soak --child BASE SECONDS START_AT -----------------
def reader(base: str, seconds: float, start_at: float) -> None:
    import httpx

    client = httpx.Client(base_url=base, timeout=120)
    ops: dict[str, list[tuple[float, float]]] = {}
    errors: list[str] = []
    run_id = None
    search = {"project": "load", "order_by": ["metrics.loss asc"], "limit": 100}
    time.sleep(max(0.0, start_at - time.time() + 1))
    while time.time() < start_at + seconds:
        cycle = time.time()
        requests: list[tuple[str, str, str, Any]] = [
            ("search", "POST", "/api/v1/runs/search", search),
            ("projects", "GET", "/api/v1/projects", None),
            ("/metrics", "GET", "/metrics", None),
        ]
        if run_id:
            path = f"/api/v1/runs/{run_id}/metrics/loss/history?max_points=1000"
            requests.append(("history", "GET", path, None))
        for op, method, path, body in requests:
            t0 = time.perf_counter()
            try:
                r = client.request(method, path, json=body)
                r.raise_for_status()
            except httpx.HTTPError as exc:
                errors.append(f"{op}: {type(exc).__name__}: {str(exc)[:160]}")
                continue
            ops.setdefault(op, []).append((time.time() - start_at, time.perf_counter() - t0))
            if op == "search" and r.json()["runs"]:
                run_id = max(r.json()["runs"], key=lambda x: x["start_ms"])["id"]
        time.sleep(max(0.0, cycle + READ_EVERY_S - time.time()))
    emit({"ops": ops, "errors": sorted(set(errors))[:5], "failed": len(errors)})


# -- verdict and report --------------------------------------------------------------------
def rss_growth(samples: list[tuple[float, float, float]], seconds: float) -> dict[str, float]:
    """VmRSS at the end of the warm-up and at the end (medians of 3 samples up to each)."""
    warm = min(120.0, seconds / 3)
    during = [s for s in samples if s[0] <= seconds + 1]
    before = [s[1] for s in during if s[0] <= warm + 1][-3:]
    base, end = statistics.median(before), statistics.median(s[1] for s in during[-3:])
    later = [s for s in during if s[0] >= warm - 1]
    slope = statistics.linear_regression([s[0] for s in later], [s[1] for s in later]).slope
    return {
        "warm": warm,
        "base": base,
        "end": end,
        "mib": end - base,
        "pct": 100 * (end - base) / base,
        "slope": slope * 60,
    }


def minute_rows(
    ing: dict[str, Any],
    rss: list[tuple[float, float, float]],
    ops: dict[str, list[list[float]]],
    seconds: float,
    points: int,
) -> list[list[object]]:
    rows: list[list[object]] = []
    for m in range(1, int(seconds // 60) + 1):
        lo, hi = 60.0 * (m - 1), 60.0 * m
        inside = [s for s in rss if lo < s[0] <= hi + 1]
        lat = [x for x, t in zip(ing["lat"], ing["acks"], strict=True) if lo <= t < hi]
        reads = [x for v in ops.values() for t, x in v if lo <= t < hi]
        if not inside:
            continue
        rows.append(
            [
                f"{m}:00",
                f"{inside[-1][1]:.1f}",
                f"{min(s[1] for s in inside):.1f} – {max(s[1] for s in inside):.1f}",
                f"{inside[-1][2]:.1f}",
                f"{len(lat) * points:,}",
                fmt_s(percentile(lat, 50)) if lat else "",
                fmt_s(percentile(lat, 99)) if lat else "",
                fmt_s(max(reads)) if reads else "",
            ]
        )
    return rows


def report(
    a: Any,
    ing: dict[str, Any],
    read: dict[str, Any],
    rss: list[Any],
    server: dict[str, Any],
    hwm: float | None,
) -> bool:
    seconds = a.minutes * 60
    header("Soak", ["python", "-m", "bench.soak", *sys.argv[1:]])
    pace = a.clients * a.batch / a.interval
    print(
        f"- `labledger server` (embedded SQLite), {a.minutes:g} minutes; {a.clients} clients, "
        f"each a batch of {a.batch:,} points every {a.interval:g} s ({fmt_rate(pace)} "
        "together), a new run every minute; 1 reader every 2 s: runs search ordered by "
        "a metric, a recent run's loss history (max_points 1000), projects, /metrics"
    )
    print(
        "- no peer (absolute values only): RSS of the server process (VmRSS; RssAnon is "
        f"the part not backed by files) sampled every {SAMPLE_S:.0f} s"
    )
    table(
        [
            "time",
            "VmRSS (MiB)",
            "min – max in the minute",
            "RssAnon (MiB)",
            "points acknowledged in the minute",
            "ack p50",
            "ack p99",
            "slowest read",
        ],
        minute_rows(ing, rss, read["ops"], seconds, a.batch),
    )
    print(
        "Every sample (VmRSS MiB, every 10 s from the start): "
        + ", ".join(f"{s[1]:.0f}" for s in rss if 0 <= s[0] <= seconds + 1)
        + "\n"
    )
    q = {p: percentile(ing["lat"], p) for p in (50, 99, 100)}
    stored = ing["stored"]
    reads = [
        [
            op,
            len(v),
            fmt_s(percentile([x for _, x in v], 50)),
            fmt_s(percentile([x for _, x in v], 99)),
            fmt_s(max(x for _, x in v)),
        ]
        for op, v in sorted(read["ops"].items())
    ]
    table(["reads", "requests", "p50", "p99", "max"], reads)
    table(
        ["ingest", "value"],
        [
            ["points acknowledged", f"{ing['acked']:,} in {len(ing['runs'])} runs"],
            ["rate", fmt_rate(ing["rate"])],
            ["ack latency p50 / p99 / max", f"{fmt_s(q[50])} / {fmt_s(q[99])} / {fmt_s(q[100])}"],
            [
                "ending a run (finish, seals it): median / max",
                f"{fmt_s(median(ing['ends']))} / {fmt_s(max(ing['ends']))}" if ing["ends"] else "",
            ],
            [
                "server /metrics: p50, p99 bucket",
                f"{bucket_bound(server, 50)}, {bucket_bound(server, 99)}",
            ],
            [
                "stored: API / SQL rows / distinct",
                f"{stored['api']:,} / {stored['sql']:,} / {stored['distinct']:,}",
            ],
            [
                "runs with exactly their acknowledged points",
                f"{stored['runs_exact']}/{len(ing['runs'])}",
            ],
            ["failed requests (ingest, reads)", f"{ing['failed']}, {read['failed']}"],
        ],
    )
    for e in [*ing["errors"], *read["errors"]]:
        print(f"- failed request: `{e}`")
    g = rss_growth(rss, seconds)
    rss_ok = g["mib"] <= LIMIT_MIB and g["pct"] <= LIMIT_PCT
    data_ok = not ing["lost"] and not ing["failed"] and not read["failed"]
    print(
        f"RSS growth from {g['warm'] / 60:.3g} min to the end: {g['base']:.1f} → "
        f"{g['end']:.1f} MiB, {g['mib']:+.1f} MiB ({g['pct']:+.1f} %); trend after warm-up "
        f"{g['slope']:+.2f} MiB/min; peak (VmHWM) {hwm or float('nan'):.1f} MiB.\n"
    )
    print(
        f"Bar: server RSS flat (growth at most {LIMIT_MIB:.0f} MiB and {LIMIT_PCT:.0f} %): "
        f"{verdict(rss_ok)}. Every acknowledged point stored once, no failed request: "
        f"{verdict(data_ok)}.\n"
    )
    return rss_ok and data_ok


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        reader(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000, help="points per batch")
    parser.add_argument("--interval", type=float, default=0.4, help="s between a client's batches")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    seconds = a.minutes * 60
    with scratch_dir("soak", keep=a.keep) as work, labledger_server(work, data_dir=work) as base:
        pid = min(listening_pids(base))
        start_at = time.time() + 3
        cmds = client_cmds("labledger", base, a.clients, seconds, start_at, a.batch, a.interval, 60)
        cmds.append(child_cmd("soak", base, seconds, start_at))
        note(f"soak: {a.minutes:g} minutes, server pid {pid}")
        with RssSampler(pid, SAMPLE_S, origin=start_at) as rss:
            _, outcomes = launch(cmds, timeout=seconds + 600)
        hwm = status_mib(pid)  # before the checks below read every run
        ing = summarize(outcomes[:-1], a.batch)
        ing["stored"] = stored_labledger(base, ing["runs"], work / "labledger.db")
        ing["lost"] = lost(ing["stored"], ing["acked"], len(ing["runs"]))
        server = scrape(base)
    read = (
        outcomes[-1]
        if "ops" in outcomes[-1]
        else {"ops": {}, "failed": 1, "errors": [outcomes[-1].get("error")]}
    )
    sys.exit(0 if report(a, ing, read, rss.samples, server, hwm) else 1)


if __name__ == "__main__":
    main()
