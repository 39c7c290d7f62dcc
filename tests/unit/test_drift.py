"""Drift statistics (core/drift.py): PSI and the approximate KS against reference profiles,
and the validation of the columns a deployment posts."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from labledger.core import drift
from labledger.core.drift import FeatureProfile, check_columns, compare, ks, profile, psi
from labledger.core.errors import InvalidInputError


def normal(seed: int, size: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc=shift, size=size)


def exact_ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample KS statistic by brute force: both empirical CDFs at every sample
    point (the supremum of their difference is reached at one)."""
    points = np.concatenate((a, b))
    cdf_a = (a[None, :] <= points[:, None]).mean(axis=1)
    cdf_b = (b[None, :] <= points[:, None]).mean(axis=1)
    return float(np.abs(cdf_a - cdf_b).max())


def refused(data: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as info:
        check_columns(data)
    assert info.value.error_code == "invalid_input" and info.value.http_status == 400
    return info.value


# -- numeric PSI and KS ----------------------------------------------------------------------


def test_psi_and_ks_are_small_for_two_samples_of_the_same_distribution():
    reference = profile(check_columns({"x": normal(1, 10_000)})["x"])
    values = normal(2, 10_000)
    assert psi(reference, values) < 0.02
    assert ks(reference, values) < 0.03


def test_psi_and_ks_are_large_when_the_mean_shifts_by_one():
    reference = profile(normal(1, 10_000))
    values = normal(2, 10_000, shift=1.0)
    assert psi(reference, values) > 0.5
    assert ks(reference, values) > 0.3


@pytest.mark.parametrize("shift", [0.0, 0.2, 1.0])
def test_ks_is_within_002_of_the_exact_two_sample_statistic(shift):
    a, b = normal(3, 2_000), normal(4, 2_000, shift=shift)
    assert abs(ks(profile(a), b) - exact_ks(np.sort(a), np.sort(b))) < 0.02


def test_ks_sees_a_point_mass_in_the_reference_from_both_sides():
    # Half the reference is exactly 0, half exactly 1.  Quantiles 0..49% are 0, 50% is 0.5
    # and 51..100% are 1, so the CDF through them jumps from 0 to 0.49 at 0, rises linearly
    # to 0.51 at 1 and jumps to 1 there.
    reference = profile(np.array([0.0] * 50 + [1.0] * 50))
    assert ks(reference, np.array([0.0, 1.0])) == pytest.approx(0.01)  # |0.5 - 0.49| at 0
    assert ks(reference, np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.26)  # 0.75 - 0.49
    assert ks(reference, np.array([0.5])) == pytest.approx(0.5)  # either side of 0.5
    assert ks(reference, np.array([-3.0])) == pytest.approx(1.0)
    assert ks(reference, np.array([2.0])) == pytest.approx(1.0)


def test_psi_matches_a_hand_computed_value():
    # Reference bins (-inf, 1], (1, 2], (2, +inf) holding 50, 30 and 20 of 100 values:
    # q = 0.5, 0.3, 0.2.  Production: 1.0 sits on an edge and bins are closed on the right,
    # so it counts in the first bin: 2 + 5 + 3 values, p = 0.2, 0.5, 0.3.
    #   (0.2 - 0.5) * ln(0.2 / 0.5) = -0.3 * -0.916291 = 0.274887
    #   (0.5 - 0.3) * ln(0.5 / 0.3) =  0.2 *  0.510826 = 0.102165
    #   (0.3 - 0.2) * ln(0.3 / 0.2) =  0.1 *  0.405465 = 0.040547
    #   sum                                             = 0.417599
    reference = FeatureProfile("numeric", 100, edges=[1.0, 2.0], counts=[50, 30, 20])
    values = np.array([0.5, 1.0] + [1.5, 1.7, 1.9, 2.0, 2.0] + [2.5, 3.0, 40.0])
    assert psi(reference, values) == pytest.approx(0.417599, abs=2e-6)
    # An empty production bin is floored at 1e-4: p = 0.5, 0.5, 0.0001.
    #   0 + 0.102165 + (0.0001 - 0.2) * ln(0.0001 / 0.2) = 0.102165 + 0.1999 * 7.600902
    #   = 0.102165 + 1.519420 = 1.621585
    assert psi(reference, np.array([0.0, 1.5])) == pytest.approx(1.621585, abs=1e-6)


def test_profile_edges_are_the_reference_deciles_and_counts_fill_every_bin():
    reference = profile(np.arange(1.0, 11.0))  # 1..10: decile k is 1 + 0.9 * k
    assert reference.edges == pytest.approx([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1])
    assert reference.counts == [1] * 10
    assert reference.quantiles == pytest.approx(
        np.quantile(np.arange(1.0, 11.0), np.linspace(0, 1, 101))
    )
    assert (reference.min, reference.max, reference.count) == (1.0, 10.0, 10)


def test_a_constant_feature_profiles_and_drifts_to_another_constant():
    reference = profile(np.full(1_000, 5.0))
    assert reference.edges[-1] == 5.0 and len(reference.edges) == 2  # deduplicated
    assert sum(reference.counts) == 1_000 and reference.std == 0.0
    assert psi(reference, np.full(10, 5.0)) == pytest.approx(0.0, abs=1e-12)
    assert ks(reference, np.full(10, 5.0)) == pytest.approx(0.0)
    for other in (6.0, 4.0):  # above and below the constant
        assert psi(reference, np.full(10, other)) > 5
        assert ks(reference, np.full(10, other)) == 1.0


def test_profile_and_ks_of_a_million_values_match_numpy():
    values = normal(5, 1_000_000, shift=3.0)
    reference = profile(check_columns({"x": values})["x"])
    assert reference.count == 1_000_000 and sum(reference.counts) == 1_000_000
    assert reference.mean == pytest.approx(float(np.mean(values)), rel=1e-12)
    assert reference.std == pytest.approx(float(np.std(values)), rel=1e-12)
    assert (reference.min, reference.max) == (float(values.min()), float(values.max()))
    assert reference.quantiles == pytest.approx(np.quantile(values, np.linspace(0, 1, 101)))
    assert 0 < ks(reference, normal(6, 1_000_000, shift=3.0)) < 0.01
    assert ks(reference, normal(6, 1_000_000, shift=3.5)) > 0.15


def test_values_near_the_float_limit_give_finite_statistics():
    big = 1.7e308  # big - (-big) overflows
    values = np.array([-big, big] * 3)
    reference = profile(values)
    json.dumps(reference.to_dict(), allow_nan=False)
    assert all(math.isfinite(q) for q in reference.quantiles) and reference.quantiles[50] == 0.0
    assert reference.mean == 0.0 and reference.std == pytest.approx(big)
    assert psi(reference, values) == pytest.approx(0.0)
    # 101 values -big and 100 values big: quantiles 0..50% are -big, 51..100% big, so the
    # reference CDF jumps to 0.5 at -big and is 0.505 at 0 (halfway to big, where it is
    # 0.51); production [0, big] is 0 just below 0.
    reference = profile(np.array([-big] * 101 + [big] * 100))
    assert reference.quantiles[50:52] == [-big, big]
    assert ks(reference, np.array([0.0, big])) == pytest.approx(0.505)


# -- categorical ---------------------------------------------------------------------------


def test_categorical_psi_is_zero_for_the_same_shares_and_ks_is_none():
    reference = profile(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    assert reference.kind == "categorical" and reference.quantiles == []
    assert reference.categories == {"a": 50, "b": 30, "c": 20}
    same = ["c"] * 4 + ["b"] * 6 + ["a"] * 10
    assert psi(reference, same) == pytest.approx(0.0, abs=1e-12)
    assert ks(reference, same) is None


def test_an_unseen_category_goes_to_other_and_raises_psi():
    reference = profile(["a"] * 50 + ["b"] * 50)
    baseline = psi(reference, ["a", "b"] * 10)
    # p = 0.4, 0.4, 0.2 against q = 0.5, 0.5, 0.0001 (no __other__ in the reference):
    # 2 * (-0.1 * ln(0.8)) + (0.2 - 0.0001) * ln(0.2 / 0.0001) = 0.044629 + 1.519420
    shifted = psi(reference, ["a", "b"] * 8 + ["d", "e", "d", "f"])
    assert baseline == pytest.approx(0.0, abs=1e-12)
    assert shifted == pytest.approx(1.564049, abs=1e-6)


def test_categorical_profile_keeps_the_most_frequent_and_counts_the_rest_as_other():
    values = [f"c{i:03d}" for i in range(150) for _ in range(i + 1)]  # c149 most frequent
    reference = profile(values)
    assert len(reference.categories) == drift.MAX_CATEGORIES + 1
    assert "c149" in reference.categories and "c000" not in reference.categories
    assert reference.categories[drift.OTHER] == sum(range(1, 51))  # c000..c049
    assert sum(reference.categories.values()) == len(values)
    assert psi(reference, values) == pytest.approx(0.0, abs=1e-12)


def test_a_literal_other_value_counts_with_the_rest():
    values = [f"c{i:03d}" for i in range(100)] * 2 + [drift.OTHER] * 10 + ["rare"]
    reference = profile(values)
    assert reference.categories[drift.OTHER] == 11  # never one of the kept categories
    assert len(reference.categories) == 101 and sum(reference.categories.values()) == 211
    assert psi(reference, [drift.OTHER, "unseen", "c000"]) > 1


def test_bools_are_categorical_strings_and_ints_are_numbers():
    columns = check_columns({"flag": [True, False, True], "n": (1, 2, 3), "a": np.arange(3)})
    assert columns["flag"] == ["True", "False", "True"]
    assert columns["n"].dtype == np.float64 and columns["n"].tolist() == [1.0, 2.0, 3.0]
    assert columns["a"].dtype == np.float64
    assert check_columns({"b": np.array([True, False])})["b"] == ["True", "False"]
    assert check_columns({"s": np.array(["x", "y"])})["s"] == ["x", "y"]


# -- compare -----------------------------------------------------------------------------------


def test_compare_reports_psi_ks_and_count_for_each_posted_feature():
    reference = {
        "x": profile(normal(1, 5_000)),
        "c": profile(["a", "b"] * 100),
        "y": profile(normal(2, 10)),
    }
    result = compare(reference, {"x": normal(3, 400, shift=1.0).tolist(), "c": ["a", "b"] * 200})
    assert set(result) == {"x", "c"}  # "y" was not posted, so it is not compared
    assert result["x"]["count"] == 400 and result["x"]["psi"] > 0.5 and result["x"]["ks"] > 0.3
    assert result["c"] == {"psi": pytest.approx(0.0, abs=1e-12), "ks": None, "count": 400}


def test_compare_refuses_a_feature_the_reference_does_not_have():
    with pytest.raises(InvalidInputError) as info:
        compare({"x": profile(np.arange(5.0)), "y": profile(["a"])}, {"z": [1.0]})
    assert "'z'" in info.value.message and "'x'" in info.value.message
    assert info.value.details == {"field": "data.z", "known": ["x", "y"]}


def test_a_kind_mismatch_is_refused():
    numeric, categorical = profile(np.arange(5.0)), profile(["a", "b"])
    with pytest.raises(InvalidInputError, match="feature 'x'.*strings.*numeric"):
        compare({"x": numeric}, {"x": ["a", "b"]})
    with pytest.raises(InvalidInputError, match="feature 'c'.*numbers.*categorical"):
        compare({"c": categorical}, {"c": [1.0, 2.0]})
    with pytest.raises(InvalidInputError):
        psi(numeric, ["a"])
    with pytest.raises(InvalidInputError):
        ks(categorical, np.array([1.0]))


# -- refused input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "needle"),
    [
        ([1.0, 2.0, float("nan")], "index 2"),
        (np.array([0.0, np.inf]), "index 1"),
        ([1.0, -math.inf], "index 1"),
        ([], "0 values"),
        (np.array([]), "0 values"),
        ([1.0, "a"], "index 1"),
        (["a", 2], "index 1"),
        ([True, 1.0], "index 1"),
        (["a", None], "index 1"),
        ([None, 1.0], "index 0"),
        (np.zeros((2, 2)), "one-dimensional"),
        ([[1.0], [2.0]], "index 0"),
        ("abc", "sequence"),
        ([10**400], "float range"),
        (["x" * 501], "index 0"),
        ([1 + 2j], "complex"),
    ],
)
def test_a_bad_column_is_refused_naming_the_feature_and_the_rule(column, needle):
    error = refused({"feat": column})
    assert "'feat'" in error.message and needle in error.message
    assert error.details["field"] == "data.feat"


def test_columns_of_different_lengths_are_refused_naming_both():
    error = refused({"a": [1.0, 2.0, 3.0], "b": ["x", "y"]})
    assert "'a'" in error.message and "'b'" in error.message
    assert "3" in error.message and "2" in error.message
    assert error.details == {"field": "data.b", "length": 2, "expected": 3}


def test_too_many_values_are_refused():
    error = refused({"big": np.zeros(drift.MAX_VALUES + 1)})
    assert "'big'" in error.message and error.details["limit"] == drift.MAX_VALUES


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([1.0, 2.0], "must map feature names"),
        ({}, "0 features"),
        ({f"f{i}": [1.0] for i in range(drift.MAX_FEATURES + 1)}, "201 features"),
        ({"": [1.0]}, "feature name"),
        ({"a\x00b": [1.0]}, "'a\\x00b'"),
        ({"n" * 251: [1.0]}, "251 characters"),
        ({3: [1.0]}, "feature name"),
    ],
)
def test_bad_mappings_and_feature_names_are_refused(data, needle):
    assert needle in refused(data).message


def test_the_field_prefix_is_the_callers():
    with pytest.raises(InvalidInputError) as info:
        check_columns({"x": [math.nan]}, field="reference")
    assert info.value.details == {"field": "reference.x", "index": 0}


# -- the stored form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values", [np.random.default_rng(7).gamma(2.0, size=3_000), np.zeros(5), ["a", "b", "b"]]
)
def test_a_profile_survives_a_json_round_trip(values):
    original = profile(values)
    text = json.dumps(original.to_dict(), allow_nan=False)
    again = FeatureProfile.from_dict(json.loads(text))
    assert again == original
    assert again.to_dict() == original.to_dict()


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"kind": "text"}, "profile.kind"),
        ({"count": 0}, "profile.count"),
        ({"count": True}, "profile.count"),
        ({"edges": [2.0, 1.0]}, "profile.edges"),
        ({"edges": [1.0, math.inf]}, "profile.edges"),
        ({"counts": [1, 2]}, "profile.counts"),
        ({"quantiles": [0.0] * 100}, "profile.quantiles"),
        ({"quantiles": "abc"}, "profile.quantiles"),
        ({"mean": None}, "profile.mean"),
        ({"std": -1.0}, "profile.std"),
    ],
)
def test_from_dict_refuses_an_inconsistent_numeric_profile(change, where):
    data = {**profile(np.arange(100.0)).to_dict(), **change}
    with pytest.raises(InvalidInputError) as info:
        FeatureProfile.from_dict(data)
    assert info.value.details["field"] == where


@pytest.mark.parametrize(
    "categories", [{"a": 1, "b": 1}, {"a": -1, "b": 4}, {"a": "3"}, [("a", 3)], {"x" * 501: 3}]
)
def test_from_dict_refuses_inconsistent_categories(categories):
    data = {**profile(["a", "b", "b"]).to_dict(), "categories": categories}
    with pytest.raises(InvalidInputError) as info:
        FeatureProfile.from_dict(data)
    assert info.value.details["field"].startswith("profile.categories")
