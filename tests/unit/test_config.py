"""Flattening a nested config into the string params a run stores."""

from __future__ import annotations

import json
from collections import OrderedDict

import numpy as np
import pytest

from labledger.sdk.config import flatten_config, param_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("adam", "adam"),
        ("", ""),
        ("1e-3", "1e-3"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (3, "3"),
        (-7, "-7"),
        (0.001, "0.001"),
        (1.5, "1.5"),
        (float("nan"), "NaN"),
        ([1, 2, 3], "[1, 2, 3]"),
        ((1, "a"), '[1, "a"]'),
        ([], "[]"),
        ([{"k": [True, None]}], '[{"k": [true, null]}]'),
    ],
)
def test_param_text_keeps_strings_and_renders_everything_else_as_json(value, text):
    assert param_text(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.int64(3), "3"),
        (np.int32(-2), "-2"),
        (np.float64(0.1), "0.1"),
        (np.float32(0.5), "0.5"),
        (np.bool_(True), "true"),
        (np.bool_(False), "false"),
    ],
)
def test_param_text_renders_numpy_scalars_like_python_numbers(value, text):
    assert param_text(value) == text


def test_param_text_falls_back_to_str_for_other_objects():
    class Activation:
        def __str__(self) -> str:
            return "relu"

    assert param_text(Activation()) == "relu"


def test_param_text_falls_back_to_str_for_a_list_that_is_not_json():
    assert param_text([{1, 2}]) == "[{1, 2}]"


def test_param_text_renders_a_list_of_numpy_scalars_as_json():
    assert param_text([np.int64(1), np.float64(0.5)]) == "[1, 0.5]"


def test_flatten_config_joins_nested_keys_with_dots():
    config = {"optimizer": {"name": "adam", "betas": {"b1": 0.9, "b2": 0.999}}, "lr": 0.001}
    assert flatten_config(config) == {
        "optimizer.name": "adam",
        "optimizer.betas.b1": "0.9",
        "optimizer.betas.b2": "0.999",
        "lr": "0.001",
    }


def test_flatten_config_renders_leaves_as_param_text():
    config = {"layers": [64, 32], "dropout": None, "amp": True, "epochs": 10, "tag": "x"}
    flat = flatten_config(config)
    assert flat == {
        "layers": "[64, 32]",
        "dropout": "null",
        "amp": "true",
        "epochs": "10",
        "tag": "x",
    }
    assert json.loads(flat["layers"]) == [64, 32]


def test_flatten_config_keeps_an_empty_nested_dict_as_braces():
    assert flatten_config({"model": {"extra": {}}, "aug": {}}) == {"model.extra": "{}", "aug": "{}"}


def test_flatten_config_flattens_any_mapping_type():
    config = OrderedDict(a=OrderedDict(b=1))
    assert flatten_config(config) == {"a.b": "1"}


def test_flatten_config_converts_numpy_scalars_in_nested_config():
    config = {"train": {"lr": np.float32(0.25), "steps": np.int64(100), "ema": np.bool_(False)}}
    assert flatten_config(config) == {
        "train.lr": "0.25",
        "train.steps": "100",
        "train.ema": "false",
    }


def test_flatten_config_stringifies_non_string_keys():
    assert flatten_config({1: {2: "x"}}) == {"1.2": "x"}


@pytest.mark.parametrize("config", [None, {}])
def test_flatten_config_returns_nothing_for_an_empty_config(config):
    assert flatten_config(config) == {}


def test_flatten_config_applies_a_prefix_to_every_key():
    assert flatten_config({"a": {"b": 1}, "c": 2}, prefix="cfg.") == {"cfg.a.b": "1", "cfg.c": "2"}
