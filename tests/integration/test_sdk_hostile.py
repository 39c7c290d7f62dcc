"""Hostile input through every SDK entry point that sends data, embedded and over HTTP to the
server app: each bad call raises a ``TrackerError`` naming the field at the call (not later,
when its batch would be refused with the good records around it), the run goes on, and the
store holds exactly the good records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labledger.core.errors import InvalidInputError, TrackerError
from labledger.core.limits import MAX_KEY, MAX_PARAM_VALUE, MAX_TAG_VALUE
from tests.conftest import EmbeddedTarget, InProcessServer

SURROGATE = "a\ud800b"
LOW = "\udfffz"

Call = Callable[[Any], Any]

BAD_CALLS: list[tuple[str, Call]] = [
    ("log key surrogate", lambda r: r.log({SURROGATE: 1.0})),
    ("log key NUL", lambda r: r.log({"a\x00b": 1.0})),
    ("log key too long", lambda r: r.log({"k" * (MAX_KEY + 1): 1.0})),
    ("log key control char", lambda r: r.log({"a\nb": 1.0})),
    ("log key not a string", lambda r: r.log({3: 1.0})),
    ("log value huge int", lambda r: r.log({"m": 10**400})),
    ("log value string", lambda r: r.log({"m": "1.0"})),
    ("log value None", lambda r: r.log({"m": None})),
    ("log value object", lambda r: r.log({"m": object()})),
    ("log step float", lambda r: r.log({"m": 1.0}, step=1.5)),
    ("log step beyond 64 bits", lambda r: r.log({"m": 1.0}, step=2**64)),
    ("log step string", lambda r: r.log({"m": 1.0}, step="3")),
    ("log_metric key surrogate", lambda r: r.log_metric(LOW, 1.0)),
    ("log_params value surrogate", lambda r: r.log_params({"p": SURROGATE})),
    ("log_params key surrogate", lambda r: r.log_params({SURROGATE: "v"})),
    ("log_params value too long", lambda r: r.log_params({"p": "v" * (MAX_PARAM_VALUE + 1)})),
    ("log_params nested surrogate", lambda r: r.log_params({"opt": {"name": LOW}})),
    ("log_param value NUL", lambda r: r.log_param("p", "a\x00")),
    ("log_config value surrogate", lambda r: r.log_config({"a": {"b": SURROGATE}})),
    ("set_tags value surrogate", lambda r: r.set_tags({"t": SURROGATE})),
    ("set_tags value too long", lambda r: r.set_tags({"t": "v" * (MAX_TAG_VALUE + 1)})),
    ("set_tag key surrogate", lambda r: r.set_tag(LOW, "v")),
    ("set_tag key empty", lambda r: r.set_tag("", "v")),
]


@pytest.fixture(params=["embedded", "http"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> EmbeddedTarget | InProcessServer:
    if request.param == "embedded":
        return EmbeddedTarget(tmp_path / "store")
    return request.getfixturevalue("inprocess_http")


def test_every_bad_call_raises_at_the_call_and_writes_nothing(target, tmp_path):
    run = target.init(project="hostile", name="target")
    run.log({"good": 0.0}, step=0)
    run.log_params({"lr": "0.1"})
    for label, call in BAD_CALLS:
        with pytest.raises(TrackerError) as err:
            call(run)
        assert isinstance(err.value, InvalidInputError), (label, err.value)
        assert err.value.details.get("field") or "metric" in str(err.value), (label, err.value)
    run.log({"good": 1.0}, step=1)
    run.set_tag("team", "vision")
    run.finish()  # no batch was refused: every bad record stopped at its call

    with target.client() as client:
        stored = client.get_run(run.id)
        history = client.get_metric_history(run.id, "good")
    assert stored.status.value == "finished" and stored.seal_hash is not None
    assert stored.params == {"lr": "0.1"}
    assert {k: v for k, v in stored.tags.items() if not k.startswith("labledger.")} == {
        "team": "vision"
    }
    assert list(stored.metrics) == ["good"]
    assert list(history.steps) == [0, 1] and list(history.values) == [0.0, 1.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": SURROGATE},
        {"config": {"a": SURROGATE}},
        {"config": {SURROGATE: 1}},
        {"tags": {"t": LOW}},
        {"notes": LOW},
        {"group": SURROGATE},
        {"run_key": SURROGATE},
        {"project": "bad project"},
        {"project": "p" * 300},
        {"name": "n" * 300},
    ],
)
def test_init_refuses_bad_input_before_any_run_exists(target, kwargs):
    args = {"project": "hostile", **kwargs}
    with pytest.raises(InvalidInputError) as err:
        target.init(**args)
    assert err.value.details.get("field"), err.value
    with target.client() as client:  # no run (nor project) was created
        assert [p.name for p in client.list_projects() if p.run_count] == []
