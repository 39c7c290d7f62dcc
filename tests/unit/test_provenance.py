"""Canonical JSON, environment limits, run diffs and required fields (no I/O)."""

from __future__ import annotations

import math

import pytest

from labledger.core.entities import DatasetRef, Run, RunStatus
from labledger.core.errors import InvalidInputError, LimitExceededError
from labledger.core.provenance import canonical_json, check_environment
from labledger.ops.envdiff import diff_runs
from labledger.sdk.capture.environment import parse_parts
from labledger.services.completeness import check_field, missing_fields


def test_canonical_json_is_one_byte_string_per_value():
    a = canonical_json({"b": [1, 2.5, math.nan], "a": {"y": "é", "x": True}})
    b = canonical_json({"a": {"x": True, "y": "é"}, "b": [1, 2.5, math.nan]})
    assert a == b == '{"a":{"x":true,"y":"é"},"b":[1,"2.5","nan"]}'.encode()
    assert canonical_json(0.1 + 0.2) != canonical_json(0.3)  # floats by repr: exact


def test_environment_over_the_limit_is_refused_naming_it():
    with pytest.raises(LimitExceededError) as info:
        check_environment({"blob": "x" * (2 * 2**20)})
    assert info.value.details == {"field": "environment", "limit": 2 * 2**20}
    with pytest.raises(InvalidInputError):
        check_environment(["not", "an", "object"])


def test_capture_setting():
    assert parse_parts("all") == {"git", "packages", "system", "container", "ci", "process"}
    assert parse_parts("none") == frozenset()
    assert parse_parts(" git , system ") == {"git", "system"}
    assert parse_parts("all,-packages,-process") == {"git", "system", "container", "ci"}
    with pytest.raises(InvalidInputError, match="LABLEDGER_CAPTURE has 'gpus'"):
        parse_parts("gpus")


def run(params: dict[str, str]) -> Run:
    return Run("0" * 32, "p", "n", RunStatus.FINISHED, 0, params=params)


def test_diff_of_two_runs_environments():
    env_a = {
        "git": {"commit": "a" * 40, "dirty": False},
        "packages": {"packages": {"numpy": "1.26.4", "torch": "2.3.0", "tqdm": "4.66"}},
        "python": {"version": "3.11.7"},
    }
    env_b = {
        "git": {"commit": "b" * 40, "dirty": False},
        "packages": {"packages": {"numpy": "2.0.0", "torch": "2.3.0", "rich": "13.7"}},
        "python": {"version": "3.11.7"},
    }
    d1 = DatasetRef("train", "training", "u", "1" * 64, 1)
    d2 = DatasetRef("train", "training", "u", "2" * 64, 1)
    diff = diff_runs(run({"lr": "0.1"}), env_a, [d1], run({"lr": "0.2", "seed": "1"}), env_b, [d2])
    assert diff.code == {"commit": ("a" * 40, "b" * 40)}
    assert diff.packages_added == {"rich": "13.7"}
    assert diff.packages_removed == {"tqdm": "4.66"}
    assert diff.packages_changed == {"numpy": ("1.26.4", "2.0.0")}
    assert diff.config == {"lr": ("0.1", "0.2"), "seed": (None, "1")}
    assert diff.python == {} and diff.datasets == {"train (training)": ("1" * 64, "2" * 64)}
    assert not diff.same
    same = diff_runs(run({}), env_a, [d1], run({}), env_a, [d1])
    assert same.same and same.to_dict()["packages"] == {"added": {}, "removed": {}, "changed": {}}


def test_required_fields():
    for good in (
        "params.seed",
        "tags.owner",
        "metrics.acc",
        "datasets",
        "datasets.train",
        "notes",
        "git.commit",
        "container.image_digest",
    ):
        assert check_field(good) == good
    for bad in ("Git.Commit", "params.", "git..commit", "a b"):
        with pytest.raises(InvalidInputError):
            check_field(bad)
    r = run({"seed": "1"})
    env = {"git": {"commit": "a" * 40, "dirty": True}, "container": None}
    required = ["params.seed", "git.commit", "container.image_digest", "datasets", "notes"]
    assert missing_fields(required, r, env, []) == ["container.image_digest", "datasets", "notes"]
    assert missing_fields(["git.commit"], r, None, []) == ["git.commit"]
