"""The SDK's batch bodies are strict JSON: non-finite values travel as strings."""

from __future__ import annotations

import json
import math

import orjson

from labledger.sdk.wire import strict_body, wire_values


def test_finite_values_pass_through_without_a_copy():
    values = [0.0, 1.5, -2.0, 1e308, 1e308]  # their sum overflows; each is still finite
    assert wire_values(values) == values
    finite = [0.5, 1.5]
    assert wire_values(finite) is finite


def test_non_finite_values_become_their_wire_strings():
    assert wire_values([1.0, math.nan, math.inf, -math.inf]) == [
        1.0,
        "NaN",
        "Infinity",
        "-Infinity",
    ]


def test_an_old_spool_frame_with_bare_constants_is_re_encoded_strictly():
    old = (
        b'{"batch_id":"w-1.3","metrics":{"m":{"steps":[0,1,2],"timestamps":[1,2,3],'
        b'"values":[NaN,Infinity,-Infinity]}},"params":{"p":"NaN"}}'
    )
    new = strict_body(old)
    doc = orjson.loads(new)  # the server's parser accepts it
    assert doc["metrics"]["m"]["values"] == ["NaN", "Infinity", "-Infinity"]
    assert doc["params"] == {"p": "NaN"} and doc["batch_id"] == "w-1.3"


def test_a_strict_body_is_sent_as_it_is():
    body = json.dumps({"batch_id": "x", "tags": {"t": "no constants here"}}).encode()
    assert strict_body(body) is body
