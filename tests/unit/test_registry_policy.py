"""Promotion policies: parsing (YAML and JSON, errors with positions), metric gates, names,
the registry's search fields, and the judgement of every gate."""

from __future__ import annotations

import math

import pytest

from labledger.core.entities import DatasetRef, Run, RunStatus
from labledger.core.errors import InvalidInputError, InvalidQueryError
from labledger.core.query import Compare, Field
from labledger.core.registry import (
    Policy,
    check_alias,
    check_model_name,
    load_policy_text,
    parse_gate,
    parse_policy,
)
from labledger.core.registry_query import parse_registry_filter, parse_registry_order
from labledger.services.gates import Candidate, evaluate, failed


def policy(text: str, alias: str | None = "champion") -> Policy:
    return parse_policy(load_policy_text(text), alias=alias)


def test_yaml_and_json_say_the_same_policy_with_the_same_digest():
    yaml_text = """
require: [git.commit, datasets.training]
metrics:
  - "acc >= 0.9"
  - "acc >= champion.acc - 0.002"
approvals: 1
clean_commit: true
sealed: true
"""
    json_text = (
        '{"require": ["git.commit", "datasets.training"], "metrics": ["acc >= 0.9", '
        '"acc >= champion.acc - 0.002"], "approvals": 1, "clean_commit": true, "sealed": true}'
    )
    a, b = policy(yaml_text), policy(json_text)
    assert a == b and a.digest == b.digest
    gate = a.metrics[1]
    assert (gate.metric, gate.op, gate.alias, gate.other, gate.offset) == (
        "acc",
        ">=",
        "champion",
        "acc",
        -0.002,
    )
    assert policy("approvals: 2").digest != a.digest
    assert policy("{}").empty and policy("").empty


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("metrics: [acc >= 0.9\napprovals: 1", {"line": 2}),
        ("approvals: 1\n  bad: [", {"line": 2}),
        ('{"approvals": 1,,}', {"line": 1}),
    ],
)
def test_a_policy_that_does_not_parse_names_its_line_and_column(text, where):
    with pytest.raises(InvalidInputError) as err:
        load_policy_text(text)
    assert err.value.details["field"] == "policy"
    assert err.value.details["line"] == where["line"] and err.value.details["column"] >= 1
    assert f"line {where['line']}" in err.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("colour: blue", "unknown policy key 'colour'"),
        ("drift: {psi: 0.1}", "unknown policy key 'drift' in an alias policy"),
        ("approvals: -1", "approvals must be an integer from 0 to 20"),
        ("approvals: 21", "approvals must be an integer from 0 to 20"),
        ("approvals: true", "approvals must be an integer"),
        ("sealed: 'yes'", "sealed must be true or false"),
        ("metrics: 'acc > 1'", "metrics must be a list"),
        ("metrics: ['acc is big']", "metrics[0] 'acc is big' is not"),
        ("metrics: ['acc > champion']", "metrics[0]"),
        ("metrics: ['acc > 1e999']", "needs finite numbers"),
        ("metrics: ['acc > latest.acc']", "reserved"),
        ("require: [' git.commit']", "require[0]"),
        ("- a list", "policy must be a mapping"),
    ],
)
def test_bad_policies_are_refused_naming_what_is_wrong(text, fragment):
    with pytest.raises(InvalidInputError) as err:
        policy(text)
    assert fragment in err.value.message
    assert err.value.details["field"] == "policy"


def test_a_models_own_policy_holds_drift_thresholds_only():
    assert policy("drift: {psi: 0.3}", alias=None).drift == {"psi": 0.3, "ks": 0.2}
    assert policy("", alias=None).drift == {"psi": 0.2, "ks": 0.2}
    for bad in ("approvals: 1", "drift: {psi: 0}", "drift: {chi: 1}", "drift: {ks: '1'}"):
        with pytest.raises(InvalidInputError):
            policy(bad, alias=None)


def test_gates_compare_as_written_and_nan_never_passes():
    gate = parse_gate("val/acc<champion.val/acc+1e-3")
    assert (gate.metric, gate.op, gate.other, gate.offset) == ("val/acc", "<", "val/acc", 0.001)
    assert parse_gate("loss <= 0.5e1").number == 5.0
    assert parse_gate("x != 1").compare(2.0, 1.0) and not parse_gate("x == 1").compare(2.0, 1.0)
    assert not parse_gate("x >= 0").compare(math.nan, 0.0)


@pytest.mark.parametrize("name", ["", "a/b", "a b", "-lead", "x" * 251, "\ud800", "a\x00"])
def test_model_names_are_refused_naming_the_field(name):
    with pytest.raises(InvalidInputError) as err:
        check_model_name(name)
    assert err.value.details["field"] == "model"


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12", "", "1st", "a.b", "x" * 65])
def test_reserved_and_malformed_aliases_are_refused(alias):
    with pytest.raises(InvalidInputError):
        check_alias(alias)


def test_registry_fields_and_order():
    node = parse_registry_filter("run.metrics.acc > 0.9")
    assert node == Compare(Field("metrics", "acc", scope="run"), ">", 0.9)
    assert parse_registry_filter("model.tags.team = 'x'") == Compare(
        Field("tags", "team", scope="model"), "=", "x"
    )
    assert parse_registry_filter("tags.`a b` = 'x'") == Compare(
        Field("tags", "a b", scope="version"), "=", "x"
    )
    assert parse_registry_filter("alias = 'champion'") == Compare(
        Field("attributes", "alias", scope="version"), "=", "champion"
    )
    for bad in ("colour = 1", "run.colour.x = 1", "model.owner = 'x'", "name >"):
        with pytest.raises(InvalidQueryError):
            parse_registry_filter(bad)
    assert [
        (k.field.key, k.descending) for k in parse_registry_order(["version desc", "name"])
    ] == [
        ("version", True),
        ("model", False),
    ]
    for bad in (["acc"], ["version sideways"], ["a b c"]):
        with pytest.raises(InvalidQueryError):
            parse_registry_order(bad)


def candidate(version: int, acc: float | None, **run: object) -> Candidate:
    metrics = {} if acc is None else {"acc": acc}
    found = Run(
        id="0" * 32,
        project="p",
        name="r",
        status=RunStatus.FINISHED,
        start_ms=0,
        metrics=metrics,
        **run,  # type: ignore[arg-type]
    )
    env = {"git": {"commit": "abc123", "dirty": False}}
    data = [DatasetRef(name="train", role="training", uri="u", digest="d" * 64, size=1)]
    return Candidate(version, found, env, data)


def test_every_gate_is_judged_and_each_failure_says_why():
    rules = policy(
        "require: [git.commit, datasets.training, datasets.validation]\n"
        "metrics: ['acc >= 0.9', 'acc >= champion.acc - 0.002', 'loss < 1']\n"
        "approvals: 2\nclean_commit: true\nsealed: true"
    )
    results = evaluate(rules, candidate(3, 0.85), {"champion": candidate(1, 0.86)}, ["bob"], "al")
    assert [r.rule for r in failed(results)] == [
        "require: datasets.validation",
        "acc >= 0.9",
        "acc >= champion.acc - 0.002",
        "loss < 1",
        "approvals: 2",
        "sealed: true",
    ]
    by_rule = {r.rule: r for r in results}
    assert by_rule["acc >= 0.9"].message == "acc is 0.85, needs >= 0.9"
    assert "champion v1 acc 0.86 - 0.002" in by_rule["acc >= champion.acc - 0.002"].message
    assert by_rule["loss < 1"].message == "v3 has no metric 'loss'"
    assert by_rule["approvals: 2"].actual == ["bob"]
    assert by_rule["clean_commit: true"].passed


def test_no_holder_passes_a_comparison_and_the_requesters_approval_does_not_count():
    rules = policy("metrics: ['acc >= champion.acc']\napprovals: 1")
    results = evaluate(rules, candidate(1, 0.5), {"champion": None}, ["al"], "al")
    assert [r.passed for r in results] == [True, False]
    assert "points at no version yet" in results[0].message


def test_a_dirty_tree_or_no_git_fails_clean_commit():
    rules = policy("clean_commit: true")
    dirty = Candidate(1, candidate(1, 1.0).run, {"git": {"commit": "a", "dirty": True}}, [])
    none = Candidate(1, candidate(1, 1.0).run, None, [])
    assert "uncommitted changes" in evaluate(rules, dirty, {}, [], "x")[0].message
    assert "no git commit" in evaluate(rules, none, {}, [], "x")[0].message
