"""Oversized bodies: refused with 413 before they are read, memory flat, vs MLflow.

Issue 11's bar: "A 20 MiB body is refused with 413 before it is read; the server's memory
stays flat while four clients send oversized bodies".  A real ``labledger server`` (fresh
store in a scratch folder), its RSS read from /proc every 100 ms in a thread:

(a) one client announces ``Content-Length: 20 MiB`` on ``POST /api/v1/runs/{id}/batches``
    (``application/json``) over a raw socket and sends nothing: the time to the 413, and
    whether the server closes the connection;
(b) ``--clients`` processes (default 4) each stream ``--body-mib`` (default 250 MiB) bodies
    as fast as the server takes them, one after the other for ``--seconds`` (default 30):
    with ``Content-Length`` and chunked, on the JSON batch route and on the binary
    ``PUT /api/v1/blobs/{digest}`` (``application/octet-stream``), the four kinds in
    flight at once.  A client stops sending as soon as an answer arrives.  Meanwhile the
    main process asks ``/healthz`` every 100 ms on a new connection.  Reported: server RSS
    before / peak / after, the answers (413s, anything else), the time to each answer and
    the bytes sent before it, /healthz latency (idle and under the load), and whether a
    normal batch is still taken afterwards.

Verdict (exit 1 if not met): every (a) and (b) request answered 413 and a normal batch
taken afterwards; "flat": the server's RSS rises at most ``--flat-mib`` (default one
``MAX_REQUEST_BODY``, 16 MiB, per client: a chunked body is read up to the limit before it
is refused) and its peak in the last third of (b) is at most 16 MiB over the first third's.
The socket client and the health prober are in bench/_rawhttp.py, the report in
bench/_oversized_report.py.

Peer: ``mlflow server --workers 1`` (SQLite store) under the same four clients on its
``/api/2.0/mlflow/runs/log-batch`` (Content-Length and chunked; it has no binary route of
this kind), its ``/health`` asked the same way; ratios beside ours.  Each body is one
well-formed JSON document: a one-point batch and a long padding string (not millions of
metric entries, which would make MLflow build millions of Python objects per request and
take tens of GiB for four clients on a shared machine).  A guard stops the clients if the
peer's RSS passes ``--peer-rss-cap-mib`` (default 8192).

    .venv/bin/python -m bench.oversized [--quick] [--seconds 30] [--clients 4]
                                        [--body-mib 250] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    RssSampler,
    child_cmd,
    emit,
    labledger_server,
    listening_pids,
    load_average,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    scratch_dir,
    status_mib,
)
from bench._ingest import wait_quiet  # noqa: E402
from bench._oversized_report import report  # noqa: E402
from bench._rawhttp import (  # noqa: E402
    MIB,
    PIECE,
    Prober,
    body_pieces,
    framed,
    host_port,
    request_head,
    send_request,
)
from bench.concurrency import launch  # noqa: E402
from labledger.core.limits import MAX_REQUEST_BODY  # noqa: E402

ANNOUNCED = 20 * MIB  # (a): the Content-Length announced, nothing sent
ANSWER_TIMEOUT_S = 300.0
PEER_NO_BODY_WAIT_S = 5.0

# (route kind, framing): the four kinds of LabLedger request; MLflow takes the JSON ones
LL_MODES = [("json", "length"), ("json", "chunked"), ("binary", "length"), ("binary", "chunked")]
ML_MODES = [("json", "length"), ("json", "chunked")]


def request_for(
    kind: str, run_id: str, mode: tuple[str, str], seq: int
) -> tuple[str, str, str, bytes, bytes, bytes]:
    """(method, path, content type, body prefix, suffix, fill) of one oversized request."""
    route, _ = mode
    if route == "binary":
        digest = hashlib.sha256(b"oversized-%d" % seq).hexdigest()
        return (
            "PUT",
            f"/api/v1/blobs/{digest}",
            "application/octet-stream",
            b"",
            b"",
            os.urandom(PIECE),
        )
    fill = b"a" * PIECE
    if kind == "mlflow":
        prefix = (
            b'{"run_id":"%s","metrics":[{"key":"loss","value":1.0,"timestamp":0,'
            b'"step":0}],"tags":[{"key":"pad","value":"' % run_id.encode()
        )
        return ("POST", "/api/2.0/mlflow/runs/log-batch", "application/json", prefix, b'"}]}', fill)
    prefix = (
        b'{"batch_id":"oversized-%d","metrics":{"loss":{"steps":[0],"timestamps":[0],'
        b'"values":[1.0]}},"pad":"' % seq
    )
    return ("POST", f"/api/v1/runs/{run_id}/batches", "application/json", prefix, b'"}', fill)


# -- a client process: python -m bench.oversized --child KIND BASE RUN SECONDS START SIZE I STOP
def client(
    kind: str,
    base: str,
    run_id: str,
    seconds: float,
    start_at: float,
    size: int,
    index: int,
    stop: str,
) -> None:
    host, port = host_port(base)
    modes = LL_MODES if kind == "labledger" else ML_MODES
    stop_file = Path(stop)
    attempts = []
    time.sleep(max(0.0, start_at - time.time()))
    seq = index
    while time.time() < start_at + seconds and not stop_file.exists():
        mode = modes[seq % len(modes)]
        method, path, ctype, prefix, suffix, fill = request_for(kind, run_id, mode, seq)
        chunked = mode[1] == "chunked"
        head = request_head(method, path, host, port, ctype, None if chunked else size)
        began = time.time() - start_at
        res = send_request(
            host,
            port,
            head,
            framed(body_pieces(prefix, suffix, size, fill), chunked),
            ANSWER_TIMEOUT_S,
            stop_file,
        )
        res.update(mode="/".join(mode), began=round(began, 3))
        attempts.append(res)
        seq += len(LL_MODES)  # client i takes kinds i, i+4, ...: all four kinds at once
    emit({"attempts": attempts})


# -- the main process ----------------------------------------------------------------------
class Guard(threading.Thread):
    """Creates the stop file when the server's RSS passes ``cap_mib``."""

    def __init__(self, pid: int, cap_mib: float, stop: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.cap, self.stop_file = pid, cap_mib, stop
        self.tripped_at: float | None = None
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            rss = status_mib(self.pid, "VmRSS")
            if rss is not None and rss > self.cap and self.tripped_at is None:
                self.tripped_at = time.time()
                self.stop_file.touch()


def create_run(kind: str, base: str) -> str:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as c:
        if kind == "mlflow":
            r = c.post(
                "/api/2.0/mlflow/runs/create",
                json={
                    "experiment_id": "0",
                    "run_name": "oversized",
                    "start_time": int(time.time() * 1000),
                },
            )
            r.raise_for_status()
            return str(r.json()["run"]["info"]["run_id"])
        r = c.post("/api/v1/runs", json={"project": "oversized", "name": "oversized"})
        r.raise_for_status()
        return str(r.json()["id"])


def normal_batch(kind: str, base: str, run_id: str) -> str:
    """A small, ordinary batch after the attack: the status it got."""
    import httpx

    ts = int(time.time() * 1000)
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            if kind == "mlflow":
                r = c.post(
                    "/api/2.0/mlflow/runs/log-batch",
                    json={
                        "run_id": run_id,
                        "metrics": [{"key": "loss", "value": 0.5, "timestamp": ts, "step": 1}],
                    },
                )
            else:
                r = c.post(
                    f"/api/v1/runs/{run_id}/batches",
                    json={
                        "batch_id": "after",
                        "metrics": {"loss": {"steps": [1], "timestamps": [ts], "values": [0.5]}},
                    },
                )
        return str(r.status_code)
    except httpx.HTTPError as exc:
        return type(exc).__name__


def no_body_probe(
    kind: str, base: str, run_id: str, n: int, timeout: float
) -> list[dict[str, Any]]:
    """(a): announce ``ANNOUNCED`` bytes of JSON, send none, wait for the answer."""
    host, port = host_port(base)
    path = (
        "/api/2.0/mlflow/runs/log-batch" if kind == "mlflow" else f"/api/v1/runs/{run_id}/batches"
    )
    head = request_head("POST", path, host, port, "application/json", ANNOUNCED)
    return [send_request(host, port, head, None, timeout) for _ in range(n)]


def log_problems(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "errors": sum(
            1 for line in text.splitlines() if " ERROR " in f" {line} " or line.startswith("ERROR")
        ),
    }


def measure(kind: str, work: Path, a: argparse.Namespace) -> dict[str, Any]:
    note(f"{kind}: starting the server")
    if kind == "labledger":
        server = labledger_server(work, data_dir=work / "ll")
        health, modes = "/healthz", LL_MODES
    else:
        server = mlflow_server(work, f"sqlite:///{work / 'mlflow.db'}")
        health, modes = "/health", ML_MODES
    stop = work / f"stop-{kind}"
    res: dict[str, Any] = {
        "kind": kind,
        "modes": ["/".join(m) for m in modes],
        "announced": ANNOUNCED,
    }
    with server as base:
        pid = min(listening_pids(base))
        res["quiet_s"] = wait_quiet(pid)
        run_id = create_run(kind, base)
        res["rss_start"] = status_mib(pid, "VmRSS")
        note(f"{kind}: (a) {ANNOUNCED // MIB} MiB announced, nothing sent")
        res["no_body"] = no_body_probe(
            kind,
            base,
            run_id,
            a.no_body_n if kind == "labledger" else 2,
            10.0 if kind == "labledger" else PEER_NO_BODY_WAIT_S,
        )
        note(f"{kind}: idle {health} for 3 s")
        with Prober(base, health, time.time()) as idle:
            time.sleep(3)
        res["idle"] = idle.samples
        start_at = time.time() + 2 + 0.3 * a.clients
        cmds = [
            child_cmd(
                "oversized", kind, base, run_id, a.seconds, start_at, a.body_mib * MIB, i, stop
            )
            for i in range(a.clients)
        ]
        note(f"{kind}: (b) {a.clients} clients x {a.body_mib} MiB bodies for {a.seconds:.0f} s")
        guard = Guard(pid, a.peer_rss_cap_mib if kind == "mlflow" else 1e12, stop)
        guard.start()
        with RssSampler(pid, 0.1, origin=start_at) as rss, Prober(base, health, start_at) as busy:
            _, outcomes = launch(cmds, timeout=a.seconds + 2 * ANSWER_TIMEOUT_S + 60)
            res["load_end"] = time.time() - start_at
            time.sleep(a.settle)
        guard.done.set()
        guard.join()
        res["guard"] = None if guard.tripped_at is None else guard.tripped_at - start_at
        res["hwm"] = status_mib(pid, "VmHWM")
        res["rss"], res["busy"] = rss.samples, busy.samples
        res["after_batch"] = normal_batch(kind, base, run_id)
        res["attempts"] = [x for o in outcomes for x in o.get("attempts", [])]
        res["client_errors"] = [o["error"] for o in outcomes if o.get("error")]
        res["pid"] = pid
        port = host_port(base)[1]
    log = work / f"{'labledger' if kind == 'labledger' else 'mlflow'}-server-{port}.log"
    res["log"] = log_problems(log)
    return res


def status_mem_available_mib() -> float | None:
    """MemAvailable of /proc/meminfo in MiB: the machine is shared, the peer must not
    take what others need."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def main() -> None:
    if len(sys.argv) == 10 and sys.argv[1] == "--child":
        v = sys.argv[2:]
        client(v[0], v[1], v[2], float(v[3]), float(v[4]), int(v[5]), int(v[6]), v[7])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 s, 64 MiB bodies")
    parser.add_argument("--seconds", type=float, help="of oversized requests (default 30)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--body-mib", type=int, help="each body (default 250)")
    parser.add_argument("--no-body-n", type=int, default=20, help="tries of (a)")
    parser.add_argument("--settle", type=float, default=5.0, help="s sampled after the load")
    parser.add_argument(
        "--flat-mib",
        type=float,
        help="LabLedger's RSS may rise at most this much (default: one body limit, 16 MiB, "
        "per client)",
    )
    parser.add_argument(
        "--peer-rss-cap-mib",
        type=float,
        help="stop the clients when the peer's RSS passes this (default: 8192, or half the "
        "memory available at the start if less)",
    )
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.load_start = load_average()
    a.seconds = a.seconds or (8 if a.quick else 30)
    if a.peer_rss_cap_mib is None:
        a.peer_rss_cap_mib = min(8192.0, (status_mem_available_mib() or 16384.0) / 2)
    a.body_mib = a.body_mib or (64 if a.quick else 250)
    a.flat_mib = a.flat_mib or a.clients * MAX_REQUEST_BODY / MIB
    mpy = None if a.no_mlflow else mlflow_python()
    with scratch_dir("oversized", keep=a.keep) as work:
        results = [measure("labledger", work, a)]
        if mpy:
            results.append(measure("mlflow", work, a))
    ok = report(results, a, package_version(mpy, "mlflow") if mpy else None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
