"""The search language: what a filter string parses to, and how bad filters are reported."""

from __future__ import annotations

import pytest

from labledger.core.errors import InvalidInputError, InvalidQueryError
from labledger.core.limits import MAX_QUERY_LENGTH
from labledger.core.query import (
    And,
    Compare,
    Field,
    InList,
    IsNull,
    Not,
    Or,
    OrderKey,
    parse_field,
    parse_filter,
    parse_order_by,
)

ACC = Field("metrics", "acc")


def metric(key: str, op: str = ">", value: float | int = 1) -> Compare:
    return Compare(Field("metrics", key), op, value)


def syntax_error(text: str) -> InvalidQueryError:
    with pytest.raises(InvalidQueryError) as info:
        parse_filter(text)
    return info.value


# -- comparisons ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("metrics.acc = 1", "="),
        ("metrics.acc == 1", "="),
        ("metrics.acc != 1", "!="),
        ("metrics.acc <> 1", "!="),
        ("metrics.acc < 1", "<"),
        ("metrics.acc <= 1", "<="),
        ("metrics.acc > 1", ">"),
        ("metrics.acc >= 1", ">="),
    ],
)
def test_parse_filter_maps_each_comparison_operator_to_its_canonical_form(text, op):
    assert parse_filter(text) == Compare(ACC, op, 1)


def test_parse_filter_accepts_comparison_without_spaces():
    assert parse_filter("metrics.acc>=0.9") == Compare(ACC, ">=", 0.9)


@pytest.mark.parametrize(
    ("text", "op", "pattern"),
    [
        ("name LIKE 'resnet%'", "like", "resnet%"),
        ("name ILIKE 'ResNet%'", "ilike", "ResNet%"),
        ("name NOT LIKE 'debug%'", "not like", "debug%"),
        ("name not ilike '%tmp'", "not ilike", "%tmp"),
    ],
)
def test_parse_filter_parses_like_operators_with_their_negations(text, op, pattern):
    assert parse_filter(text) == Compare(Field("attributes", "name"), op, pattern)


def test_parse_filter_rejects_like_with_a_non_string_pattern():
    with pytest.raises(InvalidQueryError) as info:
        parse_filter("name LIKE 5")
    assert info.value.details["field"] == "attributes.name"


@pytest.mark.parametrize(
    ("text", "values", "negated"),
    [
        ("status IN ('finished', 'failed')", ("finished", "failed"), False),
        ("status NOT IN ('running')", ("running",), True),
        ("status in ('x', NULL)", ("x", None), False),
    ],
)
def test_parse_filter_parses_in_lists(text, values, negated):
    assert parse_filter(text) == InList(Field("attributes", "status"), values, negated)


def test_parse_filter_parses_numbers_in_an_in_list():
    assert parse_filter("metrics.acc not in (1, 2.5, -3)") == InList(ACC, (1, 2.5, -3), True)


def test_parse_filter_rejects_an_empty_in_list():
    assert syntax_error("params.x IN ()").details["position"] == len("params.x IN (")


@pytest.mark.parametrize(
    ("text", "negated"),
    [("tags.team IS NULL", False), ("tags.team is not null", True)],
)
def test_parse_filter_parses_null_checks(text, negated):
    assert parse_filter(text) == IsNull(Field("tags", "team"), negated)


# -- boolean structure ---------------------------------------------------------------------


def test_parse_filter_binds_and_tighter_than_or():
    text = "metrics.a > 1 or metrics.b > 1 and metrics.c > 1"
    assert parse_filter(text) == Or((metric("a"), And((metric("b"), metric("c")))))


def test_parse_filter_groups_with_parentheses_over_precedence():
    text = "(metrics.a > 1 or metrics.b > 1) and metrics.c > 1"
    assert parse_filter(text) == And((Or((metric("a"), metric("b"))), metric("c")))


def test_parse_filter_flattens_a_chain_of_ands():
    text = "metrics.a > 1 and metrics.b > 1 and metrics.c > 1"
    assert parse_filter(text) == And((metric("a"), metric("b"), metric("c")))


def test_parse_filter_applies_not_to_the_next_term_only():
    text = "not metrics.a > 1 and metrics.b > 1"
    assert parse_filter(text) == And((Not(metric("a")), metric("b")))


def test_parse_filter_applies_not_to_a_parenthesised_group():
    text = "NOT (metrics.a > 1 OR metrics.b > 1)"
    assert parse_filter(text) == Not(Or((metric("a"), metric("b"))))


@pytest.mark.parametrize("word", ["and", "AND", "And", "aNd"])
def test_parse_filter_keywords_are_case_insensitive(word):
    assert parse_filter(f"metrics.a > 1 {word} metrics.b > 1") == And((metric("a"), metric("b")))


def test_parse_filter_accepts_keywords_in_mixed_case_everywhere():
    text = "run_name Ilike 'A%' AnD NoT status In ('x') oR tags.t Is NoT NuLl"
    assert parse_filter(text) == Or(
        (
            And(
                (
                    Compare(Field("attributes", "name"), "ilike", "A%"),
                    Not(InList(Field("attributes", "status"), ("x",), False)),
                )
            ),
            IsNull(Field("tags", "t"), True),
        )
    )


# -- fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("params.optimizer.name = 'adam'", Field("params", "optimizer.name")),
        ("metrics.val/loss = 'adam'", Field("metrics", "val/loss")),
        ("params.`weird key` = 'adam'", Field("params", "weird key")),
        ("params.\"my key\" = 'adam'", Field("params", "my key")),
        ("tags.order = 'adam'", Field("tags", "order")),
        ("tags.note = 'adam'", Field("tags", "note")),
    ],
)
def test_parse_filter_reads_keys_with_dots_slashes_quotes_and_keyword_prefixes(text, field):
    assert parse_filter(text) == Compare(field, "=", "adam")


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("metric", "metrics"),
        ("param", "params"),
        ("tag", "tags"),
        ("attribute", "attributes"),
        ("attr", "attributes"),
        ("Metrics", "metrics"),
    ],
)
def test_parse_field_accepts_singular_and_short_kind_aliases(prefix, kind):
    key = "status" if kind == "attributes" else "x"
    assert parse_field(f"{prefix}.{key}") == Field(kind, key)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("id", "id"),
        ("run_id", "id"),
        ("name", "name"),
        ("run_name", "name"),
        ("status", "status"),
        ("Status", "status"),
        ("user", "user"),
        ("start_time", "start_time"),
        ("end_time", "end_time"),
        ("duration", "duration"),
        ("group", "group"),
        ("parent_id", "parent_id"),
        ("run_key", "run_key"),
    ],
)
def test_parse_field_maps_bare_and_prefixed_attribute_names_to_canonical(name, canonical):
    assert parse_field(name) == Field("attributes", canonical)
    assert parse_field(f"attributes.{name}") == Field("attributes", canonical)


def test_parse_filter_reports_the_field_of_an_unknown_kind():
    with pytest.raises(InvalidQueryError) as info:
        parse_filter("foo.bar = 1")
    assert info.value.details == {"field": "foo.bar"}


def test_parse_filter_reports_the_field_of_an_unknown_attribute():
    with pytest.raises(InvalidQueryError) as info:
        parse_filter("colour = 'red'")
    assert info.value.details == {"field": "colour"}
    assert "status" in info.value.message  # lists the known attributes


def test_parse_field_rejects_an_empty_quoted_key():
    with pytest.raises(InvalidQueryError):
        parse_field("params.``")


# -- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'adam'", "adam"),
        ('"adam"', "adam"),
        ("''", ""),
        (r"'it\'s'", "it's"),
        ("'it''s'", "it's"),
        ('"it\'s"', "it's"),
        (r"'a\\b'", "a\\b"),
        ("'say \"hi\"'", 'say "hi"'),
        ("'a and b'", "a and b"),
    ],
)
def test_parse_filter_unquotes_string_values(literal, value):
    assert parse_filter(f"params.opt = {literal}") == Compare(Field("params", "opt"), "=", value)


def test_parse_filter_unescapes_a_quote_inside_a_double_quoted_value():
    assert parse_filter(r'name = "a\"b"') == Compare(Field("attributes", "name"), "=", 'a"b')


def test_parse_filter_ends_a_single_quoted_value_after_an_escaped_backslash():
    text = r"name = 'a\\' and status = " + '"x"'
    assert parse_filter(text) == And(
        (
            Compare(Field("attributes", "name"), "=", "a\\"),
            Compare(Field("attributes", "status"), "=", "x"),
        )
    )


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("3", 3),
        ("-2", -2),
        ("+3", 3),
        ("0.9", 0.9),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("2.5E-3", 0.0025),
        ("-1e+2", -100.0),
        ("NULL", None),
    ],
)
def test_parse_filter_reads_numbers_and_null(literal, value):
    node = parse_filter(f"metrics.acc = {literal}")
    assert node == Compare(ACC, "=", value)
    assert type(node.value) is type(value)


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", None])
def test_parse_filter_returns_none_for_an_empty_filter(text):
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    "text", ["metrics.acc >", "metrics.acc >= 1 or", "metrics.acc >= 1 and not", "status IS"]
)
def test_parse_filter_reports_end_of_input_position_for_a_trailing_operator(text):
    err = syntax_error(text)
    assert err.details == {"position": len(text), "line": 1, "column": len(text) + 1}


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("(metrics.acc > 1", 16),
        ("metrics.acc > 1)", 15),
        ("((metrics.acc > 1)", 18),
        ("metrics.acc 0.9", 12),
        ("metrics.acc", 11),
        ("name = 'a' name = 'b'", 11),
        ("name = 'unterminated", 7),
        ("metrics.acc > 1 and )", 20),
    ],
)
def test_parse_filter_reports_position_of_unexpected_token(text, position):
    err = syntax_error(text)
    assert err.details["position"] == position
    assert f"position {position}" in err.message


def test_parse_filter_reports_line_and_column_on_a_later_line():
    err = syntax_error("metrics.acc > 0.9\n  and )")
    assert err.details == {"position": 24, "line": 2, "column": 7}


def test_parse_filter_syntax_error_names_what_was_expected():
    assert "comparison operator" in syntax_error("metrics.acc 0.9").message


def test_parse_filter_reports_original_position_after_a_double_quoted_apostrophe():
    text = 'name = "it\'s" )'
    assert syntax_error(text).details["position"] == text.index(")")


def test_parse_filter_rejects_a_query_over_the_length_limit_naming_the_filter():
    with pytest.raises(InvalidQueryError) as info:
        parse_filter("x" * (MAX_QUERY_LENGTH + 1))
    assert isinstance(info.value, InvalidInputError)
    assert info.value.details == {"field": "filter", "limit": MAX_QUERY_LENGTH}


def test_parse_filter_accepts_a_query_exactly_at_the_length_limit():
    head = "name = '"
    text = head + "x" * (MAX_QUERY_LENGTH - len(head) - 1) + "'"
    assert len(text) == MAX_QUERY_LENGTH
    assert parse_filter(text) == Compare(Field("attributes", "name"), "=", "x" * (len(text) - 9))


# -- order by ------------------------------------------------------------------------------


def test_parse_order_by_reads_direction_and_defaults_to_ascending():
    assert parse_order_by(["metrics.acc desc", "name", " start_time ASC "]) == [
        OrderKey(ACC, True),
        OrderKey(Field("attributes", "name"), False),
        OrderKey(Field("attributes", "start_time"), False),
    ]


def test_parse_order_by_keeps_a_quoted_key_that_contains_a_direction_word():
    assert parse_order_by(["params.`a desc`"]) == [OrderKey(Field("params", "a desc"), False)]


@pytest.mark.parametrize("items", [None, [], ["", "   "]])
def test_parse_order_by_returns_no_keys_for_empty_input(items):
    assert parse_order_by(items) == []


@pytest.mark.parametrize("item", ["foo.bar desc", "colour"])
def test_parse_order_by_rejects_unknown_fields(item):
    with pytest.raises(InvalidQueryError):
        parse_order_by([item])


@pytest.mark.parametrize("item", ["metrics.acc SIDEWAYS", "params.lr up", "name downward"])
def test_an_order_by_direction_other_than_asc_or_desc_is_refused(item):
    with pytest.raises(InvalidQueryError, match="ASC or DESC"):
        parse_order_by([item])


def test_a_key_with_spaces_is_ordered_by_in_backticks():
    [key] = parse_order_by(["metrics.`val loss` desc"])
    assert (key.field.key, key.descending) == ("val loss", True)
