"""HTTP/1.1 over a raw socket, for benchmarks that must control every byte on the wire.

httpx and http.client send a whole body before they read the answer, so they cannot show a
server answering before it has read the body.  ``send_request`` sends a request head, then
the body piece by piece while reading from the socket all along, and stops sending at the
first byte of an answer: what was sent by then, and how long the answer took, is what
bench/oversized.py reports.  ``Prober`` asks a health route at a fixed pace on fresh
connections (http.client is fine there: no body).
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIB = 2**20
PIECE = MIB  # bytes handed to the socket at a time
STOP_CHECK_BYTES = 16 * MIB  # how often (in bytes sent) a sender looks for its stop file


def host_port(base: str) -> tuple[str, int]:
    """``http://host:port`` -> (host, port)."""
    host, port = base.rsplit("/", 1)[1].rsplit(":", 1)
    return host, int(port)


def request_head(
    method: str, path: str, host: str, port: int, ctype: str, length: int | None
) -> bytes:
    """A request head announcing ``length`` bytes, or a chunked body when ``length`` is
    None."""
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {ctype}\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def body_pieces(prefix: bytes, suffix: bytes, total: int, fill: bytes) -> Iterator[bytes]:
    """``total`` bytes: ``prefix``, then ``fill`` (``PIECE`` bytes) repeated, then
    ``suffix``, in pieces of about ``PIECE`` bytes, made as they are sent."""
    middle = total - len(prefix) - len(suffix)
    first = prefix + fill[: max(0, min(middle, PIECE - len(prefix)))]
    yield first
    left = middle - (len(first) - len(prefix))
    while left > PIECE:
        yield fill
        left -= PIECE
    yield fill[:left] + suffix


def framed(pieces: Iterator[bytes], chunked: bool) -> Iterator[bytes]:
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
    ``outcome`` (answer, closed, reset, timeout, aborted), ``t`` (seconds from sending the
    head to the answer or the end), ``sent`` (body bytes handed to the socket by then, socket
    buffers and chunk framing included) and ``close`` (the answer said ``Connection: close``).
    The sender gives up (``aborted``) once the file ``stop`` exists."""
    out: dict[str, Any] = {"status": None, "outcome": "", "t": 0.0, "sent": 0, "close": False}
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as exc:
        out["outcome"] = f"connect: {type(exc).__name__}"
        return out
    with sock:
        t0 = time.perf_counter()  # before the head: a sender descheduled inside sendall()
        sock.sendall(head)  # must not start its clock after the answer has arrived
        sock.setblocking(False)
        buf = b""
        pending = memoryview(b"")
        writing = parts is not None
        body = iter(parts or ())
        checked = 0
        while True:
            if time.perf_counter() - t0 > timeout:
                out["outcome"] = "timeout"
                break
            if stop is not None and out["sent"] - checked >= STOP_CHECK_BYTES:
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


class Prober:
    """Asks ``path`` every ``every`` s on a new connection, in a thread: ``samples`` is a
    list of (seconds since ``origin``, a ``time.time()``; latency s; status or error)."""

    def __init__(self, base: str, path: str, origin: float, every: float = 0.1) -> None:
        self.host, self.port = host_port(base)
        self.path, self.origin, self.every = path, origin, every
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
            self._stop.wait(max(0.0, self.every - (time.perf_counter() - t0)))

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
