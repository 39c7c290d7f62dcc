"""The Markdown report of bench/oversized.py: what its measurements mean, and the verdict.

``report`` takes the results of ``bench.oversized.measure`` (one per server) and prints the
section pasted into docs/benchmarks.md; it returns whether issue 11's bar is met.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any

from bench._common import fmt_s, header, median, percentile, table, times_better, verdict
from bench._rawhttp import MIB
from labledger.core.limits import MAX_REQUEST_BODY

Result = dict[str, Any]


def _q(xs: list[float], p: float) -> float:
    return percentile(xs, p) if xs else float("nan")


def _outcome(x: dict[str, Any]) -> str:
    """A request's answer status, or what happened instead (closed, reset, timeout...)."""
    return str(x["status"]) if x["status"] is not None else str(x["outcome"])


def _count(xs: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for x in xs:
        counts[_outcome(x)] = counts.get(_outcome(x), 0) + 1
    return counts


def summary(r: Result) -> dict[str, Any]:
    """RSS before / during / after the load, answers, health latencies (idle, busy)."""
    rss, end = r["rss"], r["load_end"]
    start = [s[1] for s in rss if s[0] <= 0]
    during = [s[1] for s in rss if 0 < s[0] <= end]
    after = [s[1] for s in rss if s[0] > end]
    busy = [s for s in r["busy"] if 0 <= s[0] <= end]
    third = end / 3
    return {
        "rss_first_third": max((s[1] for s in rss if 0 < s[0] <= third), default=math.nan),
        "rss_last_third": max((s[1] for s in rss if 2 * third < s[0] <= end), default=math.nan),
        "rss_before": start[-1] if start else r["rss_start"],
        "rss_peak": max(during, default=math.nan),
        "rss_after": after[-1] if after else math.nan,
        "statuses": _count(r["attempts"]),
        "busy_lat": [s[1] for s in busy if s[2] == 200],
        "busy_fail": [s for s in busy if s[2] != 200],
        "idle_lat": [s[1] for s in r["idle"] if s[2] == 200],
        "sent": sum(x["sent"] for x in r["attempts"]),
    }


def _statuses(s: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(s["statuses"].items())) or "none"


def no_body_text(r: Result) -> str:
    """(a): the answer to a head announcing a big body, with no body byte sent."""
    nb = r["no_body"]
    got = [x for x in nb if x["status"] is not None]
    if not got:
        return (
            f"no answer within {fmt_s(max(x['t'] for x in nb))} ({len(nb)} tries; "
            "it waits for the body)"
        )
    codes = sorted({x["status"] for x in got})
    times = [x["t"] for x in got]
    closes = sum(x["close"] for x in got)
    return (
        f"{'/'.join(map(str, codes))} in {fmt_s(median(times))} median, "
        f"{fmt_s(max(times))} max ({len(got)}/{len(nb)} tries; `Connection: close` "
        f"{closes}/{len(got)})"
    )


def _name(r: Result) -> str:
    return "LabLedger" if r["kind"] == "labledger" else "MLflow"


def mode_rows(r: Result) -> list[list[object]]:
    """One row per kind of request: answers, time to answer, bytes sent before it."""
    rows: list[list[object]] = []
    for mode in r["modes"]:
        att = [x for x in r["attempts"] if x["mode"] == mode]
        ans = [x for x in att if x["status"] is not None]
        t = [x["t"] for x in ans]
        sent = [x["sent"] / MIB for x in ans]
        times = f"{fmt_s(_q(t, 50))} / {fmt_s(_q(t, 99))} / {fmt_s(max(t))}" if t else ""
        rows.append(
            [
                _name(r),
                mode,
                len(att),
                ", ".join(f"{k}: {v}" for k, v in sorted(_count(att).items())),
                times,
                f"{median(sent):.1f} / {max(sent):.1f}" if sent else "",
            ]
        )
    return rows


def _intro(a: argparse.Namespace, version: str | None, announced: int) -> None:
    header("Oversized bodies", ["python", "-m", "bench.oversized", *sys.argv[1:]], a.load_start)
    peer_text = (
        f"mlflow {version} `mlflow server --workers 1` (SQLite store), its "
        "`/api/2.0/mlflow/runs/log-batch` and `/health`"
        if version
        else "none"
    )
    print(f"- LabLedger: `labledger server` (embedded SQLite, fresh store); peer: {peer_text}")
    print(
        f"- (a) `Content-Length: {announced // MIB} MiB` announced on the JSON batch route, "
        "no body byte sent, over a raw socket; time from sending the head to the answer's "
        "head"
    )
    print(
        f"- (b) {a.clients} client processes, each sending {a.body_mib} MiB bodies one "
        f"after the other for {a.seconds:.0f} s, as fast as the server takes them, and "
        "stopping at the first byte of an answer; LabLedger: JSON batch route and binary "
        "`PUT /api/v1/blobs/{digest}`, each with `Content-Length` and chunked (the four in "
        "flight at once); MLflow: log-batch with `Content-Length` and chunked; each JSON "
        "body is one well-formed document (a one-point batch and a long padding string)"
    )
    print(
        f"- server RSS (VmRSS) sampled every 100 ms; before = at the clients' start, after "
        f"= {a.settle:.0f} s after the last client ended; the health route asked every "
        "100 ms on a new connection by the main process, idle for 3 s before and during "
        "(b); clients, server and prober share the machine's 2 cores"
    )


def _lat(key: str) -> Callable[[Result], str]:
    def cell(r: Result) -> str:
        xs = r["s"][key]
        return (
            f"{fmt_s(_q(xs, 50))} / {fmt_s(_q(xs, 99))} / "
            f"{fmt_s(max(xs, default=math.nan))} ({len(xs)})"
        )

    return cell


def _growth(r: Result) -> float:
    return float(max(r["s"]["rss_peak"] - r["s"]["rss_before"], 1.0))


def _health_ratio(o: Result, t: Result) -> str:
    x, y = o["s"]["busy_lat"], t["s"]["busy_lat"]
    return f"p50 {times_better(_q(x, 50), _q(y, 50))}, p99 {times_better(_q(x, 99), _q(y, 99))}"


def _main_rows(ll_r: Result, ml_r: Result | None, announced: int) -> list[list[object]]:
    def both(
        name: str, fn: Callable[[Result], str], ratio: Callable[[Result, Result], str] | None = None
    ) -> list[object]:
        row: list[object] = [name, fn(ll_r)]
        if ml_r is not None:
            row += [fn(ml_r), ratio(ll_r, ml_r) if ratio else ""]
        return row

    def rss(r: Result) -> str:
        s = r["s"]
        return f"{s['rss_before']:.0f} / {s['rss_peak']:.0f} / {s['rss_after']:.0f}"

    rows = [
        both(f"(a) {announced // MIB} MiB announced, nothing sent", no_body_text),
        both("(b) requests sent", lambda r: f"{len(r['attempts']):,}"),
        both(
            "answers (status: count; closed/reset/timeout: no answer)",
            lambda r: _statuses(r["s"]),
        ),
        both(
            "body bytes handed to the socket, all requests",
            lambda r: f"{r['s']['sent'] / MIB:,.0f} MiB",
        ),
        both("server RSS before / peak / after (MiB)", rss),
        both(
            "server RSS peak in the first / last third of (b) (MiB)",
            lambda r: f"{r['s']['rss_first_third']:.0f} / {r['s']['rss_last_third']:.0f}",
        ),
        both(
            "server RSS growth, peak − before",
            lambda r: f"{r['s']['rss_peak'] - r['s']['rss_before']:+,.0f} MiB",
            lambda o, t: times_better(_growth(o), _growth(t)),
        ),
        both(
            "server peak RSS (VmHWM, whole life)",
            lambda r: f"{r['hwm']:,.0f} MiB",
            lambda o, t: times_better(o["hwm"], t["hwm"]),
        ),
        both("health p50 / p99 / max (probes), idle", _lat("idle_lat")),
        both("health p50 / p99 / max (probes), under (b)", _lat("busy_lat"), _health_ratio),
        both("health probes failed under (b)", lambda r: str(len(r["s"]["busy_fail"]))),
        both("a normal one-point batch afterwards", lambda r: r["after_batch"]),
        both(
            "server log: tracebacks, ERROR lines",
            lambda r: f"{r['log']['tracebacks']}, {r['log']['errors']}",
        ),
    ]
    if ml_r is not None and ml_r["guard"] is not None:
        rows.append(
            both(
                "RSS cap reached: clients stopped at",
                lambda r: "" if r["guard"] is None else f"{r['guard']:.1f} s",
            )
        )
    return rows


def report(results: list[Result], a: argparse.Namespace, version: str | None) -> bool:
    """Print the section; True if the bar is met."""
    announced = results[0]["announced"]
    _intro(a, version, announced)
    for r in results:
        r["s"] = summary(r)
    ll_r = next(r for r in results if r["kind"] == "labledger")
    ml_r = next((r for r in results if r["kind"] == "mlflow"), None)
    if ml_r is not None:
        print(f"- the peer's clients are stopped if its RSS passes {a.peer_rss_cap_mib:,.0f} MiB")
    headers = ["measure", "LabLedger"] + (["MLflow", "LabLedger better by"] if ml_r else [])
    table(headers, _main_rows(ll_r, ml_r, announced))
    print(
        "Per kind of request (time from sending the head to the answer; MiB handed to the "
        "socket before it, socket buffers included):"
    )
    table(
        [
            "server",
            "request",
            "sent",
            "answers",
            "time to answer p50 / p99 / max",
            "MiB sent before the answer, median / max",
        ],
        [row for r in results for row in mode_rows(r)],
    )
    for r in results:
        for e in r["client_errors"]:
            print(f"- {r['kind']}: a client failed: `{e}`")
    ours, limit_mib = ll_r["s"], MAX_REQUEST_BODY // MIB
    a_ok = all(x["status"] == 413 for x in ll_r["no_body"])
    b_ok = (
        set(ours["statuses"]) == {"413"}
        and not ll_r["client_errors"]
        and ll_r["after_batch"] == "200"
    )
    rise = ours["rss_peak"] - ours["rss_before"]
    trend = ours["rss_last_third"] - ours["rss_first_third"]
    flat = rise <= a.flat_mib and trend <= limit_mib
    print(
        f"\nBar (issue 11): a {announced // MIB} MiB body refused with 413 before it is read: "
        f"{verdict(a_ok)} ({no_body_text(ll_r)}); every oversized request answered 413 and a "
        f"normal batch taken afterwards: {verdict(b_ok)}; server RSS flat under "
        f"{a.clients} clients (peak at most {a.flat_mib:.0f} MiB over the start, i.e. no more "
        f"than one {limit_mib} MiB buffer per client, and the last third's peak at most "
        f"{limit_mib} MiB over the first third's): {verdict(flat)} ({rise:+.0f} MiB; "
        f"{trend:+.0f} MiB).\n"
    )
    return a_ok and b_ok and flat
