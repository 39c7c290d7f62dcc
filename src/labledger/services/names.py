"""Readable default run names such as ``brisk-otter-42``."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber",
    "bold",
    "brisk",
    "calm",
    "clever",
    "crisp",
    "dapper",
    "eager",
    "fluent",
    "gentle",
    "glad",
    "golden",
    "hardy",
    "jolly",
    "keen",
    "lively",
    "lucid",
    "mellow",
    "nimble",
    "quiet",
    "rapid",
    "serene",
    "sharp",
    "silent",
    "steady",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "witty",
)
_NOUNS = (
    "badger",
    "bison",
    "crane",
    "dolphin",
    "eagle",
    "falcon",
    "ferret",
    "gecko",
    "heron",
    "ibex",
    "jaguar",
    "koala",
    "lemur",
    "lynx",
    "marten",
    "moose",
    "narwhal",
    "ocelot",
    "otter",
    "panda",
    "puffin",
    "quail",
    "raven",
    "salmon",
    "seal",
    "tapir",
    "toucan",
    "walrus",
    "wombat",
    "yak",
)


def random_run_name(rng: random.Random | None = None) -> str:
    r = rng or random.Random()
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randint(1, 999)}"
