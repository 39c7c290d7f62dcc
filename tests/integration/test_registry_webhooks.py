"""Webhooks: queued in the event's own transaction, sent at least once to a real HTTP
receiver, signed, retried after a failure, taken up again after a crash mid-send, replayed
on request; and sent by a real server process."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from labledger.services import webhooks
from labledger.services.tracker import Tracker
from labledger.services.webhooks import WebhookSender
from labledger.store import webhooks as outbox
from tests.conftest import ServerProcess
from tests.integration.test_registry_services import make_run


class Receiver:
    """An HTTP endpoint that answers with the next queued status (then 200) and keeps what
    it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def verified(secret: str, received: dict[str, Any]) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in received["headers"].items()}
    stamp = headers["x-labledger-timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + received["body"], hashlib.sha256)
    assert hmac.compare_digest(headers["x-labledger-signature"], "sha256=" + expected.hexdigest())
    return dict(json.loads(received["body"]))


def test_an_event_is_delivered_signed_after_a_failure(tracker: Tracker, receiver: Receiver):
    run_id = make_run(tracker, 0.9, {"f": b"x"})
    hook = tracker.webhooks.create("p", receiver.url, ["version.registered", "alias.moved"])
    only_drift = tracker.webhooks.create("p", receiver.url + "?drift", ["drift.alert"])
    tracker.models.register_version("m", run_id, "f")
    receiver.statuses = [500]
    sender = WebhookSender(tracker.db)
    assert sender.send_due() == 1  # answered 500: kept, with a pause before the next try
    assert sender.send_due() == 0
    [failed] = tracker.webhooks.deliveries(hook.id)
    assert (failed["state"], failed["attempts"], failed["last_status"]) == ("pending", 1, 500)
    time.sleep(webhooks.backoff_ms(1) / 1000 + 0.1)
    assert sender.send_due() == 1
    [sent] = tracker.webhooks.deliveries(hook.id)
    assert (sent["state"], sent["attempts"], sent["last_status"]) == ("sent", 2, 200)
    assert len(receiver.received) == 2
    event = verified(hook.secret or "", receiver.received[1])
    assert event["event"] == "version.registered"
    assert (event["model"], event["version"], event["run_id"]) == ("m", 1, run_id)
    assert tracker.webhooks.deliveries(only_drift.id) == []  # it asked for drift only
    # a replay sends the same delivery again, under the same id
    tracker.webhooks.replay(hook.id, sent["id"])
    assert sender.send_due() == 1
    ids = [r["headers"]["X-LabLedger-Delivery"] for r in receiver.received]
    assert ids == [str(sent["id"])] * 3
    sender.stop()


def test_nothing_is_lost_by_a_restart_or_a_crash_mid_send(
    tracker: Tracker, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    run_id = make_run(tracker, 0.9, {"f": b"x"})
    hook = tracker.webhooks.create("p", receiver.url)
    tracker.models.register_version("m", run_id, "f")  # no sender runs: queued only
    tracker.promotion.promote("m", 1, "champion")
    first, second = sorted(d["id"] for d in tracker.webhooks.deliveries(hook.id))
    # a process claims the first delivery, then dies before sending it
    monkeypatch.setattr(webhooks, "LEASE_MS", 300)
    assert tracker.db.run_write(lambda c: outbox.claim(c, first, 0, int(time.time() * 1000) + 300))
    restarted = WebhookSender(tracker.db)  # the next process
    assert restarted.send_due() == 1  # the second; the first is leased
    time.sleep(0.4)
    assert restarted.send_due() == 1
    states = {d["id"]: d["state"] for d in tracker.webhooks.deliveries(hook.id)}
    assert states == {first: "sent", second: "sent"}
    events = [verified(hook.secret or "", r)["event"] for r in receiver.received]
    assert sorted(events) == ["alias.moved", "version.registered"]
    restarted.stop()


def test_a_refused_event_and_a_dead_receiver_are_recorded(tracker: Tracker):
    run_id = make_run(tracker, 0.5, {"f": b"x"})
    hook = tracker.webhooks.create("p", "http://127.0.0.1:9/nothing-listens")
    tracker.models.register_version("m", run_id, "f")
    tracker.promotion.set_policy("m", "champion", "metrics: ['acc >= 0.9']")
    with pytest.raises(Exception, match="gate_failed|acc is 0.5"):
        tracker.promotion.promote("m", 1, "champion")
    events = sorted(d["event"] for d in tracker.webhooks.deliveries(hook.id))
    assert events == ["alias.refused", "version.registered"]
    sender = WebhookSender(tracker.db)
    sender.send_due()
    errors = [d["last_error"] for d in tracker.webhooks.deliveries(hook.id)]
    assert all(e and "Connect" in e for e in errors), errors
    sender.stop()


@pytest.mark.slow
def test_a_server_process_sends_its_outbox(tmp_path: Path, receiver: Receiver):
    import labledger as ll

    data = tmp_path / "server"
    data.mkdir()
    proc = ServerProcess(data)
    proc.start()
    try:
        hook = httpx.post(f"{proc.url}/api/v1/projects/p/webhooks", json={"url": receiver.url})
        assert hook.status_code == 404  # the project does not exist yet
        (tmp_path / "w.bin").write_bytes(b"weights")
        run = ll.init(project="p", tracking_uri=proc.url)
        run.log_artifact(tmp_path / "w.bin", "model", copy=True)
        run.finish()
        hook = httpx.post(f"{proc.url}/api/v1/projects/p/webhooks", json={"url": receiver.url})
        assert hook.status_code == 201, hook.text
        made = httpx.post(
            f"{proc.url}/api/v1/models/m/versions", json={"run_id": run.id, "path": "model"}
        )
        assert made.status_code == 201, made.text
        deadline = time.monotonic() + 10
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.received, "the server sent nothing within 10 s"
        event = verified(hook.json()["secret"], receiver.received[0])
        assert (event["event"], event["model"], event["version"]) == ("version.registered", "m", 1)
    finally:
        proc.stop()
