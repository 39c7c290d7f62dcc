"""The registry's published rules are its validators' rules: each pattern and length the
OpenAPI document states for a registry field, judged as Schemathesis and JSON Schema judge
it (ECMA-262, through jsonschema_rs), accepts exactly what the server's check accepts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labledger.core import drift, registry, registry_query
from labledger.core.errors import InvalidInputError
from labledger.server.schemas import registry as schemas

EXAMPLES = settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SPACES = [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()]
EDGES = "aZ09._-/:@[]%?# \t\n\x00\x1f\x7f\x85\xa0\u2000\u3000\ufeffé\U0001f600"
near_edges = st.text(st.sampled_from(EDGES) | st.characters(codec="utf-8"), max_size=12)


def same_verdicts(rule: dict[str, Any], check: Callable[[str], object], value: str) -> None:
    published = jsonschema_rs.validator_for({"type": "string", **rule}).is_valid(value)
    try:
        check(value)
        accepted = True
    except InvalidInputError:  # invalid_query and limit_exceeded are kinds of it
        accepted = False
    assert published == accepted, repr(value)


def _order(value: str) -> None:
    registry_query.parse_registry_order([value])


ORDER_ITEM = {"maxLength": registry_query.MAX_ORDER_ITEM, "pattern": schemas.ORDER_ITEM}
order_items = st.builds(
    lambda lead, word, gap, direction, trail: f"{lead}{word}{gap}{direction}{trail}",
    st.text(st.sampled_from(SPACES[:8] + ["x"]), max_size=2),
    st.sampled_from(["name", "NAME", "Model", "version", "created_time", "size", "créé", ""]),
    st.text(st.sampled_from([" ", "\u3000", "\x0b", "_"]), max_size=2),
    st.sampled_from(["", "asc", "DESC", "Desc", "up", "asc desc"]),
    st.text(st.sampled_from(SPACES[-8:] + ["\x00"]), max_size=2),
)


@EXAMPLES
@given(st.one_of(order_items, near_edges))
def test_order_by_rule_is_parse_registry_order(value: str) -> None:
    same_verdicts(ORDER_ITEM, _order, value)
    same_verdicts(ORDER_ITEM, _order, value + " " * registry_query.MAX_ORDER_ITEM)


URL = {"minLength": 1, "maxLength": registry.MAX_URL, "pattern": schemas.WEBHOOK_URL}
urls = st.builds(
    lambda scheme, host, port, rest: f"{scheme}://{host}{port}{rest}",
    st.sampled_from(["http", "HTTPS", "ftp", "http:", ""]),
    st.sampled_from(
        [
            "h",
            "hooks.example.com",
            "10.0.0.1",
            "256.1.1.1",
            "1-2-3-4",
            "a..b",
            "-a",
            "_x",
            "u:p@h",
            "[::1]",
            "a\uff03b",
            "",
            "h.",
            "xn--d1acufc.xn--p1ai",
            "a" * 64,
        ]
    ),
    st.sampled_from(["", ":80", ":65535", ":65536", ":", ":x"]),
    st.sampled_from(["", "/", "/p?q=1#f", "/a b", "/\t", "?x", "/é", "#", "/\x7f"]),
)


@EXAMPLES
@given(st.one_of(urls, near_edges))
def test_webhook_url_rule_is_check_webhook_url(value: str) -> None:
    same_verdicts(URL, registry.check_webhook_url, value)


@pytest.mark.parametrize(
    ("rule", "check"),
    [
        (schemas.FEATURE_NAME, lambda v: drift.check_columns({v: [1.0]})),
        (
            {"minLength": 1, "maxLength": registry.MAX_MODEL_NAME, "pattern": schemas.MODEL},
            registry.check_model_name,
        ),
        (
            {"minLength": 1, "maxLength": registry.MAX_ALIAS, "pattern": schemas.ALIAS},
            registry.check_alias,
        ),
        (
            {"minLength": 1, "maxLength": registry.MAX_ENV, "pattern": schemas.ENV},
            registry.check_env,
        ),
    ],
    ids=["feature", "model", "alias", "env"],
)
def test_names_rules_are_their_checks(rule: dict[str, Any], check: Callable[[str], object]):
    @EXAMPLES
    @given(st.one_of(near_edges, st.sampled_from(["latest", "v3", "V12", "_a", "a-b", "x" * 251])))
    def judged(value: str) -> None:
        same_verdicts(rule, check, value)
        same_verdicts(rule, check, value * 30)

    judged()
