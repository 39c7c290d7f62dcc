"""Validation of the wire batch and of project names: errors name the offending field."""

from __future__ import annotations

import math
from typing import Any

import pytest

from labledger.core import limits
from labledger.core.batches import parse_batch
from labledger.core.entities import Batch
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.validation import check_project_name


def one_metric(key: str = "loss", **columns: Any) -> dict[str, Any]:
    cols: dict[str, Any] = {"steps": [0], "timestamps": [1_700_000_000_000], "values": [0.5]}
    cols.update(columns)
    return {"metrics": {key: cols}}


def rejected(body: object, cls: type[InvalidInputError] = InvalidInputError) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        parse_batch(body)
    assert type(info.value) is cls
    return info.value


# -- happy path ----------------------------------------------------------------------------


def test_parse_batch_returns_columns_params_and_tags_of_a_valid_batch():
    body = {
        "batch_id": "w1-0",
        "metrics": {
            "loss": {"steps": [0, 1, 2], "timestamps": [10, 20, 30], "values": [1.0, 0.5, 0.25]},
            "val/acc": {"steps": [2], "timestamps": [30], "values": [0.9]},
        },
        "params": {"lr": "0.001", "optimizer.name": "adam", "empty": ""},
        "tags": {"team": "vision"},
    }
    assert parse_batch(body) == Batch(
        batch_id="w1-0",
        metrics={
            "loss": ([0, 1, 2], [10, 20, 30], [1.0, 0.5, 0.25]),
            "val/acc": ([2], [30], [0.9]),
        },
        params={"lr": "0.001", "optimizer.name": "adam", "empty": ""},
        tags={"team": "vision"},
    )


@pytest.mark.parametrize("body", [{}, {"metrics": None, "params": None, "tags": None}])
def test_parse_batch_accepts_an_empty_batch(body):
    assert parse_batch(body) == Batch(batch_id=None, metrics={}, params={}, tags={})


def test_parse_batch_converts_integer_values_to_float_and_integral_float_steps_to_int():
    batch = parse_batch(one_metric(steps=[3.0], timestamps=[5.0], values=[2]))
    steps, stamps, values = batch.metrics["loss"]
    assert (steps, stamps, values) == ([3], [5], [2.0])
    assert (type(steps[0]), type(stamps[0]), type(values[0])) == (int, int, float)


def test_parse_batch_accepts_the_extremes_of_the_64_bit_step_range():
    batch = parse_batch(
        one_metric(steps=[limits.MIN_STEP, limits.MAX_STEP], timestamps=[0, 0], values=[1.0, 2.0])
    )
    assert batch.metrics["loss"][0] == [limits.MIN_STEP, limits.MAX_STEP]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NaN", math.nan),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        (math.nan, math.nan),
        (math.inf, math.inf),
        (-math.inf, -math.inf),
    ],
)
def test_parse_batch_accepts_non_finite_values_as_strings_or_floats(value, expected):
    (got,) = parse_batch(one_metric(values=[value])).metrics["loss"][2]
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


# -- errors naming the field ---------------------------------------------------------------


def test_parse_batch_names_an_unknown_top_level_field():
    err = rejected({"metrics": {}, "metric": {}})
    assert err.details["field"] == "metric"


def test_parse_batch_names_the_metric_and_column_of_an_unknown_column_field():
    err = rejected(one_metric(value=[1.0]))
    assert err.details["field"].startswith("metrics.loss")
    assert "metrics.loss.value" in err.message


@pytest.mark.parametrize("column", ["timestamps", "values"])
def test_parse_batch_rejects_columns_of_different_lengths(column):
    err = rejected(one_metric(**{column: [1, 2]}))
    assert err.details["field"] == f"metrics.loss.{column}"


@pytest.mark.parametrize("column", ["steps", "timestamps", "values"])
def test_parse_batch_rejects_a_missing_or_non_array_column(column):
    assert rejected(one_metric(**{column: None})).details["field"] == f"metrics.loss.{column}"
    assert rejected(one_metric(**{column: "0"})).details["field"] == f"metrics.loss.{column}"


@pytest.mark.parametrize(
    ("columns", "field", "cls"),
    [
        ({"steps": [1.5]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": [math.nan]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": [math.inf]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": ["1"]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": [True]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": [None]}, "metrics.loss.steps", InvalidInputError),
        ({"steps": [limits.MAX_STEP + 1]}, "metrics.loss.steps", LimitExceededError),
        ({"steps": [limits.MIN_STEP - 1]}, "metrics.loss.steps", LimitExceededError),
        ({"steps": [float(2**64)]}, "metrics.loss.steps", LimitExceededError),
        ({"timestamps": [-1]}, "metrics.loss.timestamps", InvalidInputError),
        ({"timestamps": [-1.0]}, "metrics.loss.timestamps", InvalidInputError),
        ({"timestamps": [0.5]}, "metrics.loss.timestamps", InvalidInputError),
        ({"values": [True]}, "metrics.loss.values", InvalidInputError),
        ({"values": [False]}, "metrics.loss.values", InvalidInputError),
        ({"values": ["0.5"]}, "metrics.loss.values", InvalidInputError),
        ({"values": ["nan "]}, "metrics.loss.values", InvalidInputError),
        ({"values": [None]}, "metrics.loss.values", InvalidInputError),
    ],
)
def test_parse_batch_rejects_a_bad_point_naming_its_column(columns, field, cls):
    assert rejected(one_metric(**columns), cls).details["field"] == field


def test_parse_batch_names_the_column_of_a_bad_point_after_good_ones():
    body = one_metric(steps=[0, 1, 2.5], timestamps=[1, 2, 3], values=[1.0, 2.0, 3.0])
    assert rejected(body).details["field"] == "metrics.loss.steps"


@pytest.mark.parametrize(
    ("section", "key", "cls"),
    [
        ("metrics", "x" * (limits.MAX_KEY + 1), LimitExceededError),
        ("metrics", "a\tb", InvalidInputError),
        ("metrics", "a\x00b", InvalidInputError),
        ("metrics", "loss\n", InvalidInputError),
        ("metrics", " loss", InvalidInputError),
        ("metrics", "", InvalidInputError),
        ("params", "x" * (limits.MAX_KEY + 1), LimitExceededError),
        ("params", "a\nb", InvalidInputError),
        ("tags", "x" * (limits.MAX_KEY + 1), LimitExceededError),
        ("tags", "a\x1fb", InvalidInputError),
    ],
)
def test_parse_batch_rejects_bad_keys_naming_the_section(section, key, cls):
    if section == "metrics":
        body: dict[str, Any] = {"metrics": {key: {"steps": [], "timestamps": [], "values": []}}}
    else:
        body = {section: {key: "v"}}
    err = rejected(body, cls)
    assert err.details["field"] == f"{section} key"


def test_parse_batch_reports_the_limit_for_a_too_long_key():
    err = rejected({"params": {"x" * (limits.MAX_KEY + 1): "v"}}, LimitExceededError)
    assert err.details["limit"] == limits.MAX_KEY


def test_parse_batch_accepts_a_key_exactly_at_the_length_limit():
    key = "k" * limits.MAX_KEY
    assert parse_batch({"params": {key: "v"}}).params == {key: "v"}


def test_parse_batch_rejects_more_points_than_the_batch_limit():
    n = limits.MAX_POINTS_PER_BATCH + 1
    err = rejected(
        one_metric(steps=[0] * n, timestamps=[0] * n, values=[0.0] * n), LimitExceededError
    )
    assert err.details == {"field": "metrics", "limit": limits.MAX_POINTS_PER_BATCH}


def test_parse_batch_counts_the_point_limit_across_all_metrics():
    half = limits.MAX_POINTS_PER_BATCH // 2 + 1
    cols = {"steps": [0] * half, "timestamps": [0] * half, "values": [0.0] * half}
    err = rejected({"metrics": {"a": cols, "b": cols}}, LimitExceededError)
    assert err.details["field"] == "metrics"


def test_parse_batch_accepts_exactly_the_point_limit():
    n = limits.MAX_POINTS_PER_BATCH
    batch = parse_batch(one_metric(steps=[0] * n, timestamps=[0] * n, values=[0.0] * n))
    assert batch.point_count == n


@pytest.mark.parametrize(
    ("section", "limit"),
    [("params", limits.MAX_PARAM_VALUE), ("tags", limits.MAX_TAG_VALUE)],
)
def test_parse_batch_rejects_a_value_over_its_length_limit(section, limit):
    err = rejected({section: {"k": "v" * (limit + 1)}}, LimitExceededError)
    assert err.details == {"field": f"{section}.k", "limit": limit, "length": limit + 1}


@pytest.mark.parametrize(
    ("section", "limit"),
    [("params", limits.MAX_PARAM_VALUE), ("tags", limits.MAX_TAG_VALUE)],
)
def test_parse_batch_accepts_a_value_exactly_at_its_length_limit(section, limit):
    assert getattr(parse_batch({section: {"k": "v" * limit}}), section) == {"k": "v" * limit}


@pytest.mark.parametrize("section", ["params", "tags"])
@pytest.mark.parametrize("value", [0.1, 3, True, None, ["a"], {"a": "b"}])
def test_parse_batch_rejects_non_string_param_and_tag_values(section, value):
    assert rejected({section: {"lr": value}}).details["field"] == f"{section}.lr"


@pytest.mark.parametrize(
    ("section", "limit"),
    [("params", limits.MAX_PARAMS_PER_BATCH), ("tags", limits.MAX_TAGS_PER_BATCH)],
)
def test_parse_batch_rejects_too_many_params_or_tags(section, limit):
    err = rejected({section: {f"k{i}": "v" for i in range(limit + 1)}}, LimitExceededError)
    assert err.details["field"] == section


@pytest.mark.parametrize("section", ["metrics", "params", "tags"])
def test_parse_batch_rejects_a_section_that_is_not_an_object(section):
    assert rejected({section: ["a"]}).details["field"] == section


@pytest.mark.parametrize("body", [[], "batch", 3])
def test_parse_batch_rejects_a_body_that_is_not_an_object(body):
    assert rejected(body).details["field"] == "body"


@pytest.mark.parametrize(
    ("batch_id", "cls"),
    [
        (3, InvalidInputError),
        ("", InvalidInputError),
        ("b" * (limits.MAX_BATCH_ID + 1), LimitExceededError),
    ],
)
def test_parse_batch_rejects_a_bad_batch_id(batch_id, cls):
    assert rejected({"batch_id": batch_id}, cls).details["field"] == "batch_id"


# -- project names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["mnist", "MNIST-2", "a", "0day", "my_proj.v2-final", "p" * limits.MAX_PROJECT_NAME]
)
def test_check_project_name_returns_a_valid_name_unchanged(name):
    assert check_project_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-mnist", ".hidden", "_x", "a b", "a/b", "ünï", "a\tb", "a\x00b", " mnist"]
)
def test_check_project_name_rejects_names_outside_the_allowed_alphabet(name):
    with pytest.raises(InvalidInputError) as info:
        check_project_name(name)
    assert info.value.details["field"] == "project"


def test_check_project_name_rejects_a_trailing_newline():
    with pytest.raises(InvalidInputError):
        check_project_name("mnist\n")


def test_check_project_name_rejects_a_too_long_name_with_the_limit():
    with pytest.raises(LimitExceededError) as info:
        check_project_name("p" * (limits.MAX_PROJECT_NAME + 1))
    assert info.value.details["limit"] == limits.MAX_PROJECT_NAME


@pytest.mark.parametrize("name", [None, 3, b"mnist"])
def test_check_project_name_rejects_non_strings(name):
    with pytest.raises(InvalidInputError) as info:
        check_project_name(name)
    assert info.value.details["field"] == "project"
