"""The background sender: drains the run's queue, spools each batch, ships it, retries.

Order of events for every batch: records leave the in-memory queue -> the batch is appended
to the spool (durable against a crash of this process) -> it is sent with its idempotency
key -> the acknowledgement is appended to the spool.  A retryable failure (server down,
network cut, 5xx) keeps the batch pending on disk and retries with capped exponential
backoff, forever; new records keep flowing to the spool meanwhile, so memory stays bounded.
A rejection (4xx: a param conflict, say) is kept and raised in the training thread at its
next call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from typing import Any

from labledger.core.errors import (
    AuthenticationError,
    PermissionDeniedError,
    TrackerError,
    TransportError,
)
from labledger.sdk.journal import Journal
from labledger.sdk.spool import Frame, SpoolWriter
from labledger.sdk.transport import Transport
from labledger.sdk.wire import wire_values

log = logging.getLogger("labledger.sdk")

MAX_POINTS_PER_BATCH = 50_000
QUEUE_BOUND = 500_000  # queued log() calls before log() waits for the sender
IDLE_WAIT_S = 0.05
MAX_BACKOFF_S = 5.0
HEARTBEAT_S = 30.0  # a quiet run still tells the target it is alive this often


def _encode(body: dict[str, Any], *, plain: bool) -> bytes:
    """A batch's wire body.  ``plain``: only metrics (ints, and finite floats or the strings
    standing for the others), params and tags (text), which orjson writes about 15 times
    faster than json.  An environment or datasets (once a run) may hold a NaN, which orjson
    would write as null: json writes it as a bare word the transport re-encodes strictly."""
    if plain:
        import orjson  # here, not at `import labledger`

        try:
            return orjson.dumps(body)
        except orjson.JSONEncodeError:  # text that is not UTF-8: let the door refuse it
            pass
    return json.dumps(body, separators=(",", ":")).encode()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransportError) or (
        isinstance(exc, TrackerError) and exc.http_status >= 500
    )


def _refused(exc: BaseException) -> bool:
    """The server will not take anything from this credential (expired, revoked, a role
    taken away): sending stops, every batch stays in the spool for `labledger sync`."""
    return isinstance(exc, AuthenticationError | PermissionDeniedError)


class Sender:
    def __init__(
        self,
        run_id: str,
        transport: Transport,
        spool: SpoolWriter,
        journal: Journal | None = None,
        *,
        offline: bool = False,
        spool_errors: str = "raise",
    ) -> None:
        self.run_id = run_id
        self.transport = transport
        self.spool = spool
        self.journal = journal
        self.offline = offline  # spool only: frames wait for `labledger sync`
        self.spool_errors = spool_errors
        self._unspooled: deque[tuple[bytes, int]] = deque()
        self._spool_failing = False
        self.items_spooled = 0  # journal items (points, params, tags) now in spool frames
        self.queue: deque[Any] = deque()
        self.error: TrackerError | None = None
        self.refused: TrackerError | None = None  # set once the server refuses the credential
        self._wake = threading.Event()
        self._stop = False
        self._pending: deque[Frame] = deque()
        self._waiters: list[tuple[int, threading.Event]] = []
        self._thread = threading.Thread(
            target=self._loop, name=f"labledger-sender-{run_id[:8]}", daemon=True
        )
        self.points_sent = 0
        self.batches_sent = 0
        self._last_contact = time.monotonic()
        self._thread.start()

    # -- called from the training thread -------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is acknowledged.  False on timeout."""
        if not self._thread.is_alive():
            return not self._pending and not self.queue
        done = threading.Event()
        self.queue.append(done)
        self._wake.set()
        ok = done.wait(timeout)
        if ok:
            try:
                self.spool.sync()
            except OSError:
                pass
        return ok and self.refused is None

    def close(self, timeout: float | None = None) -> bool:
        ok = self.flush(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=5 if not ok else None)
        return ok

    # -- the sender thread ----------------------------------------------------------------
    def _loop(self) -> None:
        try:
            self._run_loop()
        except BaseException as exc:  # a bug must not leave flush() waiting forever
            log.exception("the sender thread stopped")
            self.error = TrackerError(
                f"the sender thread stopped: {exc!r}; unsent records "
                "stay in the spool for `labledger sync`"
            )
            self._release_waiters(all_=True)
            while self.queue:  # wake flushes queued after the failure
                item = self.queue.popleft()
                if isinstance(item, threading.Event):
                    item.set()

    def _run_loop(self) -> None:
        backoff = spool_backoff = 0.0
        while True:
            if not self.queue and not self._pending and not self._unspooled:
                if self._stop:
                    return
                self._wake.wait(IDLE_WAIT_S)
                self._wake.clear()
                if not self.offline and time.monotonic() - self._last_contact > HEARTBEAT_S:
                    self._heartbeat()
            try:
                self._drain()
            except TrackerError as exc:  # the spool cannot be written: say so, keep trying
                self._spool_failed(exc)
                spool_backoff = min(MAX_BACKOFF_S, spool_backoff * 2 or 0.1)
                self._wake.wait(spool_backoff)
                self._wake.clear()
                continue
            spool_backoff = 0.0
            if self.refused is not None:  # kept in the spool; flushes return at once
                self._release_waiters(all_=True)
                if self._stop:
                    return
                self._wake.wait(IDLE_WAIT_S)
                self._wake.clear()
                continue
            if self._pending:
                if self._send_pending():
                    backoff = 0.0
                else:
                    backoff = min(MAX_BACKOFF_S, backoff * 2 or 0.05)
                    self._wake.wait(backoff)
                    self._wake.clear()
            self._release_waiters()

    def _drain(self) -> None:
        """Move everything queued into spooled batches."""
        self._retry_unspooled()  # a batch the spool refused earlier goes first
        while self.queue:
            metrics: dict[str, tuple[list[int], list[int], list[float]]] = {}
            params: dict[str, str] = {}
            tags: dict[str, str] = {}
            extra: dict[str, Any] = {}  # the environment, datasets: rare, sent as they come
            points = 0
            flush_events: list[threading.Event] = []
            q = self.queue
            items = 0
            while q and points < MAX_POINTS_PER_BATCH:
                item = q.popleft()
                if not isinstance(item, threading.Event):
                    items += 1
                if type(item) is tuple and len(item) == 3:
                    step, ts, data = item
                    for key, value in data.items():
                        cols = metrics.get(key)
                        if cols is None:
                            cols = metrics[key] = ([], [], [])
                        cols[0].append(step)
                        cols[1].append(ts)
                        cols[2].append(value)
                    points += len(data)
                elif isinstance(item, threading.Event):
                    flush_events.append(item)
                    break
                elif item[0] == "p":
                    params.update(item[1])
                elif item[0] == "t":
                    tags.update(item[1])
                elif item[0] == "e":
                    extra["environment"] = item[1]
                else:
                    extra.setdefault("datasets", []).append(item[1])
            if metrics or params or tags or extra:
                self.items_spooled += items
                try:
                    self._spool(metrics, params, tags, extra)
                except TrackerError:
                    for event in reversed(flush_events):  # they wait for this batch
                        q.appendleft(event)
                    raise
            for event in flush_events:
                marker = self._pending[-1].seq if self._pending else -1
                self._waiters.append((marker, event))

    def _spool(
        self,
        metrics: dict[str, tuple[list[int], list[int], list[float]]],
        params: dict[str, str],
        tags: dict[str, str],
        extra: dict[str, Any],
    ) -> None:
        seq = self.spool.next_seq
        # "<writer>-<seq>.<items>": after a crash, sync replays the journal from <items> on
        batch_id = f"{self.spool.batch_id(seq)}.{self.items_spooled}"
        datasets = extra.get("datasets", [])
        body: dict[str, Any] = {"batch_id": batch_id}
        if metrics:
            body["metrics"] = {
                k: {"steps": s, "timestamps": t, "values": wire_values(v)}
                for k, (s, t, v) in metrics.items()
            }
        if params:
            body["params"] = params
        if tags:
            body["tags"] = tags
        if extra.get("environment") is not None:
            body["environment"] = extra["environment"]
        if datasets:
            body["datasets"] = [wire for _, wire in datasets]
        self._unspooled.append((_encode(body, plain=not extra), self.items_spooled))
        self._retry_unspooled()

    def _retry_unspooled(self) -> None:
        """Append batches to the spool; one it cannot take (disk full, permissions) stays
        here, in order, and is tried again: nothing is dropped."""
        while self._unspooled:
            payload, items = self._unspooled[0]
            frame = self.spool.append(payload)  # raises SpoolWriteError
            self._unspooled.popleft()
            if self._spool_failing:
                self._spool_failing = False
                log.warning("the spool %s is writable again", self.spool.log_path)
            if self.journal is not None:
                self.journal.covered(items)
            if self.offline:
                continue
            self._pending.append(frame)

    def _send_pending(self) -> bool:
        while self._pending:
            frame = self._pending[0]
            try:
                body = self.spool.read(frame)
                points = self.transport.runs.log_batch(self.run_id, body)
            except Exception as exc:  # noqa: BLE001 - every failure is either retried or kept
                if _refused(exc):
                    assert isinstance(exc, TrackerError)
                    log.error(
                        "the server refused batch %s; it stays in the spool: %s", frame.seq, exc
                    )
                    self.refused = self.error = exc
                    return False
                if _retryable(exc):
                    log.warning("sending batch %s failed, will retry: %s", frame.seq, exc)
                    return False
                self.error = exc if isinstance(exc, TrackerError) else TrackerError(str(exc))
                log.error("batch %s was rejected: %s", frame.seq, exc)
                points = 0
            self.spool.ack(frame.seq)
            self._last_contact = time.monotonic()
            self._pending.popleft()
            self.points_sent += points
            self.batches_sent += 1
        return True

    def _spool_failed(self, exc: TrackerError) -> None:
        """First failure of an episode: raised at the training thread's next call (or only
        logged with LABLEDGER_SPOOL_ERRORS=warn).  The batch stays in memory and is retried."""
        if self._spool_failing:
            return
        self._spool_failing = True
        log.warning("cannot write the spool, will keep trying: %s", exc)
        if self.spool_errors == "raise":
            self.error = exc

    def _heartbeat(self) -> None:
        """Tell the target this run's process is alive (when nothing else did lately)."""
        self._last_contact = time.monotonic()  # on failure too: try again a period later
        try:
            self.transport.runs.heartbeat(self.run_id)
        except Exception as exc:  # noqa: BLE001 - a missed heartbeat is not an error
            log.info("heartbeat for run %s failed: %s", self.run_id, exc)

    def _release_waiters(self, *, all_: bool = False) -> None:
        if not self._waiters:
            return
        first_pending = self._pending[0].seq if self._pending else None
        keep = []
        for marker, event in self._waiters:
            if all_ or first_pending is None or marker < first_pending:
                event.set()
            else:
                keep.append((marker, event))
        self._waiters = keep

    @property
    def backlog(self) -> int:
        return len(self.queue) + len(self._pending)
