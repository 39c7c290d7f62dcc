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
taken afterwards; "flat": the server's RSS rises at most ``--flat-mib`` (default 64 MiB,
one 16 MiB buffer per client: a chunked body is read up to the limit before it is refused)
and its peak in the last third of (b) is at most 16 MiB over the first third's.

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
import http.client
import math
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    RssSampler,
    child_cmd,
    emit,
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
    scratch_dir,
    status_mib,
    table,
    times_better,
    verdict,
)
from bench._ingest import wait_quiet  # noqa: E402
from bench.concurrency import launch  # noqa: E402

MIB = 2**20
PIECE = MIB  # bytes handed to the socket at a time
ANNOUNCED = 20 * MIB  # (a): the Content-Length announced, nothing sent
LIMIT = 16 * MIB  # LabLedger's MAX_REQUEST_BODY, for the report only
PROBE_EVERY_S = 0.1
ANSWER_TIMEOUT_S = 300.0
PEER_NO_BODY_WAIT_S = 5.0

# (route kind, framing): the four kinds of LabLedger request; MLflow takes the JSON ones
LL_MODES = [("json", "length"), ("json", "chunked"), ("binary", "length"), ("binary", "chunked")]
ML_MODES = [("json", "length"), ("json", "chunked")]


# -- a request over a raw socket -----------------------------------------------------------
def _body_pieces(prefix: bytes, suffix: bytes, total: int, fill: bytes) -> Iterator[bytes]:
    """``total`` bytes: ``prefix``, then ``fill`` repeated, then ``suffix``, in pieces."""
    middle = total - len(prefix) - len(suffix)
    first = prefix + fill[: max(0, min(middle, PIECE - len(prefix)))]
    yield first
    left = middle - (len(first) - len(prefix))
    while left > PIECE:
        yield fill
        left -= PIECE
    yield fill[:left] + suffix


def _framed(pieces: Iterator[bytes], chunked: bool) -> Iterator[bytes]:
    """The body on the wire: as it is, or in chunks of one piece each."""
    for piece in pieces:
        if piece:
            yield (b"%x\r\n" % len(piece)) + piece + b"\r\n" if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def _status(buf: bytes) -> int | None:
    line = buf.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else None


def send_request(
    host: str,
    port: int,
    head: bytes,
    parts: Iterator[bytes] | None,
    timeout: float,
    stop: Path | None = None,
) -> dict[str, Any]:
    """Send the head, then the body as fast as the socket takes it, reading all along; stop
    sending when an answer starts.  Returns what happened: ``status`` (None if no answer),
    ``outcome`` (answer, closed, reset, timeout, aborted), ``t`` (seconds from the head sent
    to the answer or the end), ``sent`` (body bytes handed to the socket by then, socket
    buffers and chunk framing included) and ``close`` (the answer said ``Connection: close``)."""
    out: dict[str, Any] = {"status": None, "outcome": "", "t": 0.0, "sent": 0, "close": False}
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        out["outcome"] = f"connect: {type(exc).__name__}"
        return out
    with sock:
        sock.sendall(head)
        t0 = time.perf_counter()
        sock.setblocking(False)
        buf = b""
        pending = memoryview(b"")
        writing = parts is not None
        body = iter(parts or ())
        checked = 0
        while True:
            elapsed = time.perf_counter() - t0
            if elapsed > timeout:
                out["outcome"] = "timeout"
                break
            if stop is not None and out["sent"] - checked >= 16 * MIB:
                checked = out["sent"]
                if stop.exists():
                    out["outcome"] = "aborted"
                    break
            r, w, _ = select.select([sock], [sock] if writing else [], [], 1.0)
            if r:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    out["outcome"] = "reset"
                    break
                if not data:
                    out["outcome"] = "closed"
                    break
                buf += data
                if b"\r\n\r\n" in buf:
                    out["status"], out["outcome"] = _status(buf), "answer"
                    head_part = buf.split(b"\r\n\r\n", 1)[0].lower()
                    out["close"] = b"\r\nconnection: close" in head_part
                    break
                continue
            if w:
                if not pending:
                    nxt = next(body, None)
                    if nxt is None:
                        writing = False
                        continue
                    pending = memoryview(nxt)
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    writing = False  # the server closed: read what it said, if anything
                    continue
                except BlockingIOError:
                    continue
                out["sent"] += n
                pending = pending[n:]
        out["t"] = time.perf_counter() - t0
    return out


def _head(method: str, path: str, host: str, port: int, ctype: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {ctype}\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


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
    host, port = base.rsplit("/", 1)[1].rsplit(":", 1)
    modes = LL_MODES if kind == "labledger" else ML_MODES
    stop_file = Path(stop)
    attempts = []
    time.sleep(max(0.0, start_at - time.time()))
    seq = index
    while time.time() < start_at + seconds and not stop_file.exists():
        mode = modes[seq % len(modes)]
        method, path, ctype, prefix, suffix, fill = request_for(kind, run_id, mode, seq)
        chunked = mode[1] == "chunked"
        head = _head(method, path, host, int(port), ctype, None if chunked else size)
        began = time.time() - start_at
        res = send_request(
            host,
            int(port),
            head,
            _framed(_body_pieces(prefix, suffix, size, fill), chunked),
            ANSWER_TIMEOUT_S,
            stop_file,
        )
        res.update(mode="/".join(mode), began=round(began, 3))
        attempts.append(res)
        seq += len(LL_MODES)  # client i takes kinds i, i+4, ...: all four kinds at once
    emit({"attempts": attempts})


# -- the main process ----------------------------------------------------------------------
class Prober:
    """Asks the health route every ``PROBE_EVERY_S`` on a new connection, in a thread:
    ``samples`` is a list of (seconds since ``origin``, latency s, status or error)."""

    def __init__(self, base: str, path: str, origin: float) -> None:
        self.host, port = base.rsplit("/", 1)[1].rsplit(":", 1)
        self.port, self.path, self.origin = int(port), path, origin
        self.samples: list[tuple[float, float, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def probe(self) -> None:
        began = time.time() - self.origin
        t0 = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            conn.request("GET", self.path)
            r = conn.getresponse()
            r.read()
            conn.close()
            status: Any = r.status
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
        self.samples.append((began, time.perf_counter() - t0, status))

    def _loop(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            self.probe()
            self._stop.wait(max(0.0, PROBE_EVERY_S - (time.perf_counter() - t0)))

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


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


def _host_port(base: str) -> tuple[str, int]:
    host, port = base.rsplit("/", 1)[1].rsplit(":", 1)
    return host, int(port)


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
    host, port = _host_port(base)
    path = (
        "/api/2.0/mlflow/runs/log-batch" if kind == "mlflow" else f"/api/v1/runs/{run_id}/batches"
    )
    head = _head("POST", path, host, port, "application/json", ANNOUNCED)
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
    res: dict[str, Any] = {"kind": kind, "modes": ["/".join(m) for m in modes]}
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
        port = _host_port(base)[1]
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


# -- report --------------------------------------------------------------------------------
def _q(xs: list[float], p: float) -> float:
    return percentile(xs, p) if xs else float("nan")


def summary(r: dict[str, Any]) -> dict[str, Any]:
    start = [s[1] for s in r["rss"] if s[0] <= 0]
    during = [s[1] for s in r["rss"] if 0 < s[0] <= r["load_end"]]
    after = [s[1] for s in r["rss"] if s[0] > r["load_end"]]
    att = r["attempts"]
    statuses: dict[str, int] = {}
    for x in att:
        key = str(x["status"]) if x["status"] is not None else x["outcome"]
        statuses[key] = statuses.get(key, 0) + 1
    busy = [s for s in r["busy"] if 0 <= s[0] <= r["load_end"]]
    third = r["load_end"] / 3
    return {
        "rss_first_third": max((s[1] for s in r["rss"] if 0 < s[0] <= third), default=math.nan),
        "rss_last_third": max(
            (s[1] for s in r["rss"] if 2 * third < s[0] <= r["load_end"]), default=math.nan
        ),
        "rss_before": start[-1] if start else r["rss_start"],
        "rss_peak": max(during, default=float("nan")),
        "rss_after": after[-1] if after else float("nan"),
        "statuses": statuses,
        "answers": [x for x in att if x["status"] is not None],
        "busy_lat": [s[1] for s in busy if s[2] == 200],
        "busy_fail": [s for s in busy if s[2] != 200],
        "idle_lat": [s[1] for s in r["idle"] if s[2] == 200],
        "sent": sum(x["sent"] for x in att),
    }


def _statuses(s: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(s["statuses"].items())) or "none"


def _no_body(r: dict[str, Any]) -> str:
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


def mode_rows(r: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for mode in r["modes"]:
        att = [x for x in r["attempts"] if x["mode"] == mode]
        ans = [x for x in att if x["status"] is not None]
        t = [x["t"] for x in ans]
        sent = [x["sent"] / MIB for x in ans]
        codes: dict[str, int] = {}
        for x in att:
            k = str(x["status"]) if x["status"] is not None else x["outcome"]
            codes[k] = codes.get(k, 0) + 1
        rows.append(
            [
                "LabLedger" if r["kind"] == "labledger" else "MLflow",
                mode,
                len(att),
                ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())),
                f"{fmt_s(_q(t, 50))} / {fmt_s(_q(t, 99))} / {fmt_s(max(t, default=float('nan')))}"
                if t
                else "",
                f"{median(sent):.1f} / {max(sent):.1f}" if sent else "",
            ]
        )
    return rows


def report(results: list[dict[str, Any]], a: argparse.Namespace, version: str | None) -> bool:
    header("Oversized bodies", ["python", "-m", "bench.oversized", *sys.argv[1:]], a.load_start)
    peer_text = (
        f"mlflow {version} `mlflow server --workers 1` (SQLite store), its "
        "`/api/2.0/mlflow/runs/log-batch` and `/health`"
        if version
        else "none"
    )
    print(f"- LabLedger: `labledger server` (embedded SQLite, fresh store); peer: {peer_text}")
    print(
        f"- (a) `Content-Length: {ANNOUNCED // MIB} MiB` announced on the JSON batch route, "
        "no body byte sent, over a raw socket; time from the head sent to the answer's "
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
    for r in results:
        r["s"] = summary(r)
    ll_r = next(r for r in results if r["kind"] == "labledger")
    ml_r = next((r for r in results if r["kind"] == "mlflow"), None)
    ours = ll_r["s"]

    def both(name: str, fn: Any, ratio: Any = None) -> list[object]:
        row: list[object] = [name, fn(ll_r)]
        if ml_r is not None:
            row += [fn(ml_r), ratio(ll_r, ml_r) if ratio else ""]
        return row

    def lat(key: str) -> Any:
        def cell(r: dict[str, Any]) -> str:
            xs = r["s"][key]
            return (
                f"{fmt_s(_q(xs, 50))} / {fmt_s(_q(xs, 99))} / "
                f"{fmt_s(max(xs, default=float('nan')))} ({len(xs)})"
            )

        return cell

    def growth(r: dict[str, Any]) -> float:
        return float(max(r["s"]["rss_peak"] - r["s"]["rss_before"], 1.0))

    def health_ratio(o: dict[str, Any], t: dict[str, Any]) -> str:
        x, y = o["s"]["busy_lat"], t["s"]["busy_lat"]
        return f"p50 {times_better(_q(x, 50), _q(y, 50))}, p99 {times_better(_q(x, 99), _q(y, 99))}"

    rows = [
        both(f"(a) {ANNOUNCED // MIB} MiB announced, nothing sent", _no_body),
        both("(b) requests sent", lambda r: f"{len(r['attempts']):,}"),
        both(
            "answers (status: count; closed/reset/timeout: no answer)", lambda r: _statuses(r["s"])
        ),
        both(
            "body bytes handed to the socket, all requests",
            lambda r: f"{r['s']['sent'] / MIB:,.0f} MiB",
        ),
        both(
            "server RSS before / peak / after (MiB)",
            lambda r: (
                f"{r['s']['rss_before']:.0f} / {r['s']['rss_peak']:.0f} / {r['s']['rss_after']:.0f}"
            ),
        ),
        both(
            "server RSS peak in the first / last third of (b) (MiB)",
            lambda r: f"{r['s']['rss_first_third']:.0f} / {r['s']['rss_last_third']:.0f}",
        ),
        both(
            "server RSS growth, peak − before",
            lambda r: f"{r['s']['rss_peak'] - r['s']['rss_before']:+,.0f} MiB",
            lambda o, t: times_better(growth(o), growth(t)),
        ),
        both(
            "server peak RSS (VmHWM, whole life)",
            lambda r: f"{r['hwm']:,.0f} MiB",
            lambda o, t: times_better(o["hwm"], t["hwm"]),
        ),
        both("health p50 / p99 / max (probes), idle", lat("idle_lat")),
        both("health p50 / p99 / max (probes), under (b)", lat("busy_lat"), health_ratio),
        both("health probes failed under (b)", lambda r: str(len(r["s"]["busy_fail"]))),
        both("a normal one-point batch afterwards", lambda r: r["after_batch"]),
        both(
            "server log: tracebacks, ERROR lines",
            lambda r: f"{r['log']['tracebacks']}, {r['log']['errors']}",
        ),
    ]
    if ml_r is not None:
        print(f"The peer's clients stop if its RSS passes {a.peer_rss_cap_mib:,.0f} MiB.")
    if ml_r is not None and ml_r["guard"] is not None:
        rows.append(
            both(
                "RSS cap reached: clients stopped at",
                lambda r: "" if r["guard"] is None else f"{r['guard']:.1f} s",
            )
        )
    headers = ["measure", "LabLedger"] + (["MLflow", "LabLedger better by"] if ml_r else [])
    table(headers, rows)
    print(
        "Per kind of request (time from the head sent to the answer; MiB handed to the "
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
    a_ok = all(x["status"] == 413 for x in ll_r["no_body"])
    b_ok = (
        set(ours["statuses"]) == {"413"}
        and not ll_r["client_errors"]
        and ll_r["after_batch"] == "200"
    )
    rise = ours["rss_peak"] - ours["rss_before"]
    trend = ours["rss_last_third"] - ours["rss_first_third"]
    flat = rise <= a.flat_mib and trend <= LIMIT
    print(
        f"\nBar (issue 11): a {ANNOUNCED // MIB} MiB body refused with 413 before it is read: "
        f"{verdict(a_ok)} ({_no_body(ll_r)}); every oversized request answered 413 and a "
        f"normal batch taken afterwards: {verdict(b_ok)}; server RSS flat under "
        f"{a.clients} clients (peak at most {a.flat_mib:.0f} MiB over the start, i.e. no more "
        f"than one {LIMIT // MIB} MiB buffer per client, and the last third's peak at most "
        f"{LIMIT // MIB} MiB over the first third's): {verdict(flat)} ({rise:+.0f} MiB; "
        f"{trend:+.0f} MiB).\n"
    )
    return a_ok and b_ok and flat


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
        default=64.0,
        help="LabLedger's RSS may rise at most this much (default 64 MiB: 4 x 16 MiB)",
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
    mpy = None if a.no_mlflow else mlflow_python()
    with scratch_dir("oversized", keep=a.keep) as work:
        results = [measure("labledger", work, a)]
        if mpy:
            results.append(measure("mlflow", work, a))
    ok = report(results, a, package_version(mpy, "mlflow") if mpy else None)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
