"""The search complexity limits (core.query_limits), checked before any SQL is built."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from labledger.core.errors import InvalidQueryError
from labledger.core.limits import MAX_QUERY_LENGTH
from labledger.core.query import (
    Compare,
    Field,
    InList,
    Not,
    OrderKey,
    check_filter,
    parse_filter,
    parse_order_by,
)
from labledger.core.query_limits import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_PREDICATES,
    MAX_IN_VALUES,
    MAX_LIKE_PATTERN,
    MAX_ORDER_KEYS,
    QUERY_LIMITS,
    check_tree,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "search.md"
ACC = Field("metrics", "acc")


def refused(text: str | None, order_by: list[str] | None = None) -> InvalidQueryError:
    with pytest.raises(InvalidQueryError) as info:
        check_filter(text, order_by)
    return info.value


def assert_names_limit(error: InvalidQueryError, name: str, field: str = "filter") -> None:
    assert name in error.message
    assert str(QUERY_LIMITS[name]) in error.message
    assert error.details["field"] == field
    assert error.details["limit"] == QUERY_LIMITS[name]


# -- nesting depth --------------------------------------------------------------------------


def test_not_nested_up_to_the_depth_limit_parses():
    node = parse_filter("not " * MAX_FILTER_DEPTH + "metrics.acc > 1")
    for _ in range(MAX_FILTER_DEPTH):
        assert isinstance(node, Not)
        node = node.item
    assert node == Compare(ACC, ">", 1)


@pytest.mark.parametrize("times", [MAX_FILTER_DEPTH + 1, 50, 2_400])
def test_not_nested_beyond_the_limit_is_refused_without_recursion_error(times):
    text = "NOT " * times + "metrics.acc > 1"
    error = refused(text)
    assert_names_limit(error, "MAX_FILTER_DEPTH")
    assert error.details["position"] == text.index("metrics")  # the comparison nested


def test_and_or_nesting_counts_each_operator_level():
    text = "metrics.acc > 1"
    for level in range(MAX_FILTER_DEPTH):
        op = "and" if level % 2 else "or"
        text = f"metrics.b{level} > 1 {op} ({text})"
    parse_filter(text)
    assert_names_limit(refused(f"not ({text})"), "MAX_FILTER_DEPTH")


def test_a_flat_chain_is_one_level_however_long():
    text = " and ".join(f"metrics.m{i} > 1" for i in range(MAX_FILTER_PREDICATES))
    assert len(parse_filter(text).items) == MAX_FILTER_PREDICATES  # type: ignore[union-attr]


def test_parentheses_around_one_comparison_do_not_nest_anything():
    depth = (MAX_QUERY_LENGTH - len("metrics.acc > 1")) // 2
    text = "(" * depth + "metrics.acc > 1" + ")" * depth
    assert parse_filter(text) == Compare(ACC, ">", 1)


def test_ten_thousand_levels_of_parentheses_are_refused_by_length():
    error = refused("(" * 10_000 + "metrics.acc > 1" + ")" * 10_000)
    assert error.details == {"field": "filter", "limit": MAX_QUERY_LENGTH}
    assert "MAX_QUERY_LENGTH" in error.message


def test_the_tree_check_never_recurses_even_past_the_length_limit():
    import lark

    tree = lark.Tree("compare", [lark.Tree("field", [lark.Token("FIELD", "metrics.a")])])
    for _ in range(200_000):
        tree = lark.Tree("not_", [tree])
    with pytest.raises(InvalidQueryError, match="MAX_FILTER_DEPTH"):
        check_tree(tree)


# -- predicates, IN lists, LIKE patterns ------------------------------------------------------


def test_predicates_up_to_the_limit_parse_and_one_more_is_refused_at_its_position():
    preds = [f"params.p{i} = {i}" for i in range(MAX_FILTER_PREDICATES + 1)]
    parse_filter(" or ".join(preds[:-1]))
    text = " or ".join(preds)
    error = refused(text)
    assert_names_limit(error, "MAX_FILTER_PREDICATES")
    assert error.details["position"] == text.index(preds[-1])
    assert f"has {MAX_FILTER_PREDICATES + 1} comparisons" in error.message


def test_every_predicate_kind_counts():
    kinds = ["tags.t is null", "tags.t in ('a')", "name like 'a%'", "metrics.a > 1"]
    text = " and ".join(kinds[i % 4] for i in range(MAX_FILTER_PREDICATES + 1))
    assert_names_limit(refused(text), "MAX_FILTER_PREDICATES")


def test_in_lists_up_to_the_limit_parse_and_longer_ones_are_refused_at_the_list():
    values = ", ".join(str(i) for i in range(MAX_IN_VALUES))
    node = parse_filter(f"metrics.acc not in ({values})")
    assert isinstance(node, InList) and len(node.values) == MAX_IN_VALUES
    text = f"tags.t in ({values}, 'one more')"
    error = refused(text)
    assert_names_limit(error, "MAX_IN_VALUES")
    assert error.details["position"] == text.index("(") + 1
    assert f"{MAX_IN_VALUES + 1} values" in error.message


@pytest.mark.parametrize("op", ["like", "not like", "ilike", "NOT ILIKE"])
def test_like_patterns_up_to_the_limit_parse_and_longer_ones_are_refused(op):
    pattern = "%" + "ab" * ((MAX_LIKE_PATTERN - 1) // 2)
    pattern += "_" * (MAX_LIKE_PATTERN - len(pattern))
    assert len(pattern) == MAX_LIKE_PATTERN
    assert parse_filter(f"name {op} '{pattern}'").value == pattern  # type: ignore[union-attr]
    text = f"name {op} '{pattern}x'"
    error = refused(text)
    assert_names_limit(error, "MAX_LIKE_PATTERN")
    assert error.details["position"] == text.index("'")


def test_a_like_pattern_is_measured_after_unquoting():
    escaped = "\\'" * MAX_LIKE_PATTERN  # 2 characters of text per character of pattern
    node = parse_filter(f"name like '{escaped}'")
    assert node.value == "'" * MAX_LIKE_PATTERN  # type: ignore[union-attr]


# -- order keys -------------------------------------------------------------------------------


def test_order_keys_up_to_the_limit_parse_and_more_are_refused():
    keys = [f"metrics.m{i} desc" for i in range(MAX_ORDER_KEYS)]
    assert len(parse_order_by(keys)) == MAX_ORDER_KEYS
    error = refused(None, [*keys, "name"])
    assert_names_limit(error, "MAX_ORDER_KEYS", field="order_by")
    assert error.details == {"field": "order_by", "limit": MAX_ORDER_KEYS}


@pytest.mark.parametrize("times", [MAX_ORDER_KEYS + 1, 32, 64, 1_000])
def test_a_key_repeated_past_the_limit_is_refused(times):
    assert_names_limit(refused(None, ["metrics.acc"] * times), "MAX_ORDER_KEYS", "order_by")


def test_blank_order_items_do_not_count():
    items = ["", "  "] * 10 + ["name"]
    assert parse_order_by(items) == [OrderKey(Field("attributes", "name"), False)]


def test_a_field_given_again_is_dropped_keeping_its_first_direction():
    items = ["metrics.acc desc", "metric.acc asc", "run_name", "attributes.name desc", "status"]
    assert parse_order_by(items) == [
        OrderKey(ACC, True),
        OrderKey(Field("attributes", "name"), False),
        OrderKey(Field("attributes", "status"), False),
    ]


# -- text no database can bind ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("tags.t = '\ud800'", 10),
        ("tags.t = 'ok' or name = 'x\udfff'", 26),
        ("params.`k\udc80` = 'x'", 9),
        ("params.x = 'a\x00b'", 13),
        ("\x00", 0),
    ],
)
def test_a_lone_surrogate_or_nul_in_a_filter_is_refused_with_its_position(text, position):
    assert text[position] == "\x00" or 0xD800 <= ord(text[position]) <= 0xDFFF
    error = refused(text)
    assert error.details == {"field": "filter", "position": position}
    assert "surrogate" in error.message or "NUL" in error.message


@pytest.mark.parametrize("item", ["tags.\ud800", "name\x00 desc", "params.x\udbff"])
def test_a_lone_surrogate_or_nul_in_an_order_key_is_refused(item):
    assert refused(None, [item]).details["field"] == "order_by"


# -- numbers ----------------------------------------------------------------------------------


def test_integers_beyond_64_bits_stay_exact_in_the_tree():
    node = parse_filter("metrics.acc > -99999999999999999999")
    assert node == Compare(ACC, ">", -99999999999999999999)


@pytest.mark.parametrize("literal", ["1e400", "9" * 5000, "-" + "9" * 5000 + ".5"])
def test_numbers_beyond_the_double_range_are_infinite(literal):
    value = parse_filter(f"metrics.acc < {literal}").value  # type: ignore[union-attr]
    assert isinstance(value, float) and math.isinf(value)


# -- the limits themselves ---------------------------------------------------------------------


def test_the_limits_sit_well_under_the_database_ceilings():
    # a search emits at most 2 ORDER BY terms per order key and 2 tie-breakers; SQLite
    # 3.40-3.46.0 crashed at 64 terms and refuses more than 64 tables in a join
    assert 2 * MAX_ORDER_KEYS + 2 <= 64 // 2
    assert MAX_ORDER_KEYS + 2 <= 64 // 2
    # SQLite's parser stack overflowed at 33 nested AND/OR levels (tests measure 16 works)
    assert MAX_FILTER_DEPTH <= 33 // 2
    # every bound value fits SQLite's 32,766 host parameters even without the length limit
    assert MAX_FILTER_PREDICATES * (MAX_IN_VALUES + 3) < 32_766


def test_docs_list_every_limit_with_its_value():
    text = DOCS.read_text()
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([\d,]+) \|", section, flags=re.M))
    assert {k: int(v.replace(",", "")) for k, v in rows.items()} == QUERY_LIMITS
