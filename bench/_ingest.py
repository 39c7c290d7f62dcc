"""Ingest over HTTP for bench/load.py and bench/soak.py: the client process and the checks.

A client (``python -m bench._ingest --child KIND BASE SECONDS START_AT POINTS INTERVAL
ROTATE NAME [END]``) creates a run and POSTs batches of 2 keys (loss, acc) on one keep-alive httpx
connection until ``START_AT + SECONDS``: to LabLedger's ``/api/v1/runs/{id}/batches``
(columnar, with a ``batch_id``) or MLflow's ``/api/2.0/mlflow/runs/log-batch`` (plain
REST, so the same client code serves both).  It reports every acknowledged batch's latency
(send to response) and time, and the points acknowledged per run, on one RESULT line.
With END (``1``), it ends its run itself after its last batch, as a training script does
(a LabLedger run is sealed then: its whole record hashed), and reports how long that took
and when it was done.
Failed requests are counted and not retried: a retry could hide a loss.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import child_cmd, emit, fmt_s  # noqa: E402

KEYS = ("loss", "acc")
MLFLOW_MAX_METRICS = 1000  # MLflow's limit per log-batch request
BATCH_ROUTE = 'route="/api/v1/runs/{run_id}/batches"'
_JSON = {"Content-Type": "application/json"}


# -- the client process --------------------------------------------------------------------
def _body(kind: str, run_id: str, first: int, steps: int, batch_id: str) -> bytes:
    ts = time.time_ns() // 1_000_000
    span = range(first, first + steps)
    loss = [1.0 / (s + 1) for s in span]
    acc = [s / 1e6 for s in span]
    if kind == "mlflow":
        metrics = [
            {"key": k, "value": v, "timestamp": ts, "step": s}
            for k, values in zip(KEYS, (loss, acc), strict=True)
            for s, v in zip(span, values, strict=True)
        ]
        return json.dumps({"run_id": run_id, "metrics": metrics}).encode()
    cols = {
        k: {"steps": list(span), "timestamps": [ts] * steps, "values": values}
        for k, values in zip(KEYS, (loss, acc), strict=True)
    }
    return json.dumps({"batch_id": batch_id, "metrics": cols}, separators=(",", ":")).encode()


def _start_run(client: Any, kind: str, name: str) -> str:
    if kind == "mlflow":
        body = {"experiment_id": "0", "run_name": name, "start_time": int(time.time() * 1000)}
        r = client.post("/api/2.0/mlflow/runs/create", json=body)
        r.raise_for_status()
        return str(r.json()["run"]["info"]["run_id"])
    r = client.post("/api/v1/runs", json={"project": "load", "name": name})
    r.raise_for_status()
    return str(r.json()["id"])


def _end_run(client: Any, kind: str, run_id: str) -> None:
    if kind == "mlflow":
        body = {"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)}
        client.post("/api/2.0/mlflow/runs/update", json=body).raise_for_status()
    else:
        client.patch(f"/api/v1/runs/{run_id}", json={"status": "finished"}).raise_for_status()


def _post(client: Any, kind: str, path: str, body: bytes, points: int) -> str | None:
    """Send one batch; None if acknowledged as stored, else what went wrong."""
    import httpx

    try:
        r = client.post(path, content=body, headers=_JSON)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {str(exc)[:160]}"
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:160]}"
    if kind == "labledger" and r.json() != {"points": points, "duplicate": False}:
        return f"unexpected answer {r.text[:160]}"
    return None


def ingest(
    kind: str,
    base: str,
    seconds: float,
    start_at: float,
    batch_points: int,
    interval: float,
    rotate_s: float,
    name: str,
    end_own: bool = False,
) -> None:
    """Batches back to back (``interval`` 0) or one every ``interval`` s, until
    ``start_at + seconds``.  With ``rotate_s``, a new run every ``rotate_s`` s, each ended
    (finished) here; with 0, one run, ended here after the last batch with ``end_own``,
    else left running for the caller to end."""
    import httpx

    client = httpx.Client(base_url=base, timeout=httpx.Timeout(120, connect=5))
    steps = batch_points // len(KEYS)
    runs: list[dict[str, Any]] = []
    lat: list[float] = []
    acks: list[float] = []
    errors: list[str] = []
    ends: list[float] = []  # seconds to end each rotated run

    def end(run_id: str) -> None:
        t0 = time.perf_counter()
        _end_run(client, kind, run_id)
        ends.append(round(time.perf_counter() - t0, 6))

    def new_run() -> dict[str, Any]:
        run_id = _start_run(client, kind, f"{name}-{len(runs)}")
        runs.append({"id": run_id, "acked": 0, "step": 0, "since": time.time()})
        return runs[-1]

    run = new_run()
    time.sleep(max(0.0, start_at - time.time()))
    deadline, next_send, seq = start_at + seconds, start_at, 0
    while (now := time.time()) < deadline:
        if rotate_s and now - run["since"] >= rotate_s:
            end(run["id"])
            run = new_run()
        if interval:  # a steady pace; a late batch moves the schedule, no catch-up burst
            time.sleep(max(0.0, next_send - now))
            next_send = max(next_send, time.time()) + interval
        path = (
            "/api/2.0/mlflow/runs/log-batch"
            if kind == "mlflow"
            else f"/api/v1/runs/{run['id']}/batches"
        )
        body = _body(kind, run["id"], run["step"], steps, f"{name}-{seq}")
        seq += 1
        t0 = time.perf_counter()
        error = _post(client, kind, path, body, batch_points)
        took = time.perf_counter() - t0
        run["step"] += steps
        if error is None:
            run["acked"] += batch_points
            lat.append(round(took, 6))
            acks.append(round(time.time() - start_at, 3))
        else:
            errors.append(error)
    if rotate_s or end_own:
        end(run["id"])
    emit(
        {
            "ended_at": round(time.time() - start_at, 3),
            "runs": {r["id"]: r["acked"] for r in runs},
            "lat": lat,
            "acks": acks,
            "ends": ends,
            "errors": sorted(set(errors))[:5],
            "failed": len(errors),
        }
    )


def end_runs(kind: str, base: str, run_ids: list[str]) -> list[float]:
    """End each run (one after the other, as its owner would); seconds per call."""
    import httpx

    took = []
    with httpx.Client(base_url=base, timeout=600) as client:
        for run_id in run_ids:
            t0 = time.perf_counter()
            _end_run(client, kind, run_id)
            took.append(time.perf_counter() - t0)
    return took


def client_cmds(
    kind: str,
    base: str,
    clients: int,
    seconds: float,
    start_at: float,
    batch_points: int,
    interval: float = 0,
    rotate_s: float = 0,
    end_own: bool = False,
) -> list[list[str]]:
    args = (kind, base, seconds, start_at, batch_points, interval, rotate_s)
    return [child_cmd("_ingest", *args, f"c{i}", int(end_own)) for i in range(clients)]


def summarize(outcomes: list[dict[str, Any]], batch_points: int) -> dict[str, Any]:
    """The clients' outcomes together: points acknowledged per run, latencies, the rate
    from the common start to the last acknowledgement and in each tenth of that time."""
    runs = {k: v for o in outcomes for k, v in o.get("runs", {}).items()}
    lat = [x for o in outcomes for x in o.get("lat", [])]
    acks = [x for o in outcomes for x in o.get("acks", [])]
    span = max(acks, default=0.0) or float("nan")
    windows = [0] * 10
    for t in acks:
        windows[min(9, int(t / span * 10))] += batch_points
    errors = {e for o in outcomes for e in [*o.get("errors", []), o.get("error")] if e}
    return {
        "runs": runs,
        "acked": sum(runs.values()),
        "lat": lat,
        "acks": acks,
        "ends": [x for o in outcomes for x in o.get("ends", [])],
        "ended_at": max((o.get("ended_at", 0.0) for o in outcomes), default=0.0),
        "batches": len(lat),
        "span_s": span,
        "rate": sum(runs.values()) / span,
        "window_rates": [w / (span / 10) for w in windows],
        "half_rate": sum(windows[5:]) / (span / 2),
        "failed": sum(o.get("failed", 0) + (o["rc"] != 0) for o in outcomes),
        "errors": sorted(errors),
    }


# -- the server side -----------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pid: int) -> float:
    """CPU seconds so far of every process in ``pid``'s process group."""
    group, total = os.getpgid(pid), 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                if os.getpgid(int(proc.name)) == group:
                    total += cpu_seconds(int(proc.name))
    return total


def wait_quiet(pid: int, timeout: float = 90) -> float:
    """Wait until the server's process group is idle (under 5 % of a core for 1 s): the
    MLflow server starts a job runner and huey consumers after /health answers, whose
    imports take the machine's cores for several seconds.  Returns the seconds waited."""
    t0 = time.monotonic()
    last = group_cpu_seconds(pid)
    while time.monotonic() - t0 < timeout:
        time.sleep(1)
        now = group_cpu_seconds(pid)
        if now - last < 0.05:
            break
        last = now
    return time.monotonic() - t0


def scrape(base: str) -> dict[str, Any]:
    """LabLedger's /metrics: the batch route's request histogram and the points counter."""
    import httpx

    text = httpx.get(f"{base}/metrics", timeout=60).text
    out: dict[str, Any] = {"count": 0.0, "sum": 0.0, "non_200": 0.0, "buckets": {}}
    for line in text.splitlines():
        if line.startswith("labledger_ingest_points_total "):
            out["points"] = float(line.split()[1])
        if not line.startswith("labledger_http_request_seconds") or BATCH_ROUTE not in line:
            continue
        name, value = line.rsplit(" ", 1)
        if name.startswith("labledger_http_request_seconds_count"):
            out["count"] += float(value)
            out["non_200"] += 0 if 'status="200"' in name else float(value)
        elif name.startswith("labledger_http_request_seconds_sum"):
            out["sum"] += float(value)
        elif match := re.search(r'le="([^"]+)"', name):
            le = float(match[1])
            out["buckets"][le] = out["buckets"].get(le, 0.0) + float(value)
    return out


def bucket_bound(hist: dict[str, Any], q: float) -> str:
    """The histogram bucket holding the q-th percentile, as "≤ bound"."""
    for le, cumulative in sorted(hist["buckets"].items()):
        if hist["count"] and cumulative >= q / 100 * hist["count"]:
            return "> 30 s" if le == float("inf") else f"≤ {fmt_s(le)}"
    return "n/a"


def stored_labledger(base: str, runs: dict[str, int], db: Path | None) -> dict[str, Any]:
    """Points stored: per run through the API (history ``total_points`` of each key), and
    on SQLite by SQL (all rows, and distinct (run, key, step))."""
    import httpx

    per_run = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for run_id in runs:
            per_run[run_id] = 0
            for key in KEYS:
                r = client.get(
                    f"/api/v1/runs/{run_id}/metrics/{key}/history", params={"max_points": 4}
                )
                r.raise_for_status()
                per_run[run_id] += r.json()["total_points"]
    out: dict[str, Any] = {"api": sum(per_run.values())}
    out["runs_exact"] = sum(1 for k, v in runs.items() if per_run[k] == v)
    if db is not None:
        with sqlite3.connect(db) as conn:
            out["sql"], out["distinct"] = conn.execute(
                "SELECT count(*), count(DISTINCT run_pk || '.' || key_id || '.' || step) "
                "FROM metric_points"
            ).fetchone()
    return out


def sealed_labledger(base: str, runs: dict[str, int]) -> int:
    """How many of the runs carry a seal (``seal_hash``)."""
    import httpx

    with httpx.Client(base_url=base, timeout=120) as client:
        return sum(
            1 for run_id in runs if client.get(f"/api/v1/runs/{run_id}").json().get("seal_hash")
        )


def stored_mlflow(db: Path, runs: dict[str, int]) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        sql, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT run_uuid || key || '.' || step) FROM metrics"
        ).fetchone()
        per_run = dict(conn.execute("SELECT run_uuid, count(*) FROM metrics GROUP BY run_uuid"))
    exact = sum(1 for k, v in runs.items() if per_run.get(k, 0) == v)
    return {"sql": sql, "distinct": distinct, "runs_exact": exact}


def lost(stored: dict[str, Any], acked: int, runs: int) -> bool:
    """True unless every count equals what was acknowledged, run by run."""
    counts = [v for k, v in stored.items() if k != "runs_exact"]
    return stored["runs_exact"] != runs or any(v != acked for v in counts)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) not in (9, 10) or a[0] != "--child":
        raise SystemExit(__doc__)
    end_own = len(a) == 10 and a[9] == "1"
    ingest(a[1], a[2], float(a[3]), float(a[4]), int(a[5]), float(a[6]), float(a[7]), a[8], end_own)
