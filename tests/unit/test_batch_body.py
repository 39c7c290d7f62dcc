"""One form of a batch from the sender to either transport: the wire body the spool holds."""

from __future__ import annotations

import math

import orjson
import pytest

from labledger.core.batches import parse_batch
from labledger.core.errors import MalformedBodyError
from labledger.sdk.sender import _encode
from labledger.sdk.transport.local_runs import _decode
from labledger.sdk.wire import wire_values


def test_a_metrics_batch_is_strict_json_the_server_parser_reads_back_exactly() -> None:
    values = [0.1, 1 / 3, 1e-300, math.nan, math.inf, -math.inf, -0.0]
    body = {
        "batch_id": "w-1.7",
        "metrics": {
            "loss": {"steps": list(range(7)), "timestamps": [1] * 7, "values": wire_values(values)}
        },
        "params": {"lr": "0.01", "name": "ünïcode"},
    }
    data = _encode(body, plain=True)
    batch = parse_batch(orjson.loads(data))  # what a server's front door and route do
    assert batch == parse_batch(_decode(data))  # and what the embedded store does
    got = batch.metrics["loss"][2]
    assert got[:3] == values[:3] and math.isnan(got[3]) and got[4:6] == [math.inf, -math.inf]
    assert math.copysign(1, got[6]) == -1.0
    assert batch.params == {"lr": "0.01", "name": "ünïcode"}


def test_an_environment_holding_a_nan_keeps_it_as_a_number_in_the_embedded_store() -> None:
    body = {"batch_id": "w-1.1", "environment": {"gpu": {"temp": math.nan}}}
    doc = _decode(_encode(body, plain=False))
    assert isinstance(doc, dict) and math.isnan(doc["environment"]["gpu"]["temp"])


def test_an_older_spool_frame_with_bare_constants_is_read_by_the_embedded_store() -> None:
    old = (
        b'{"batch_id":"w-1.3",'
        b'"metrics":{"m":{"steps":[0,1],"timestamps":[1,2],"values":[NaN,-Infinity]}}}'
    )
    values = parse_batch(_decode(old)).metrics["m"][2]
    assert math.isnan(values[0]) and values[1] == -math.inf


def test_a_body_that_is_not_json_is_refused_as_a_server_would() -> None:
    with pytest.raises(MalformedBodyError):
        _decode(b'{"batch_id": ')
