"""Run ids: UUIDv7 as 32 lowercase hex characters, ordered by creation time."""

from __future__ import annotations

import re
import time
import uuid
from itertools import pairwise

import pytest

from labledger.core.ids import is_valid_id, new_id, now_ms


def test_new_id_is_32_lowercase_hex_characters():
    assert re.fullmatch(r"[0-9a-f]{32}", new_id())


def test_new_id_is_a_version_7_rfc4122_uuid():
    for _ in range(100):
        parsed = uuid.UUID(hex=new_id())
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_new_id_has_version_nibble_7_and_variant_bits_10():
    value = int(new_id(), 16)
    assert (value >> 76) & 0xF == 0x7
    assert (value >> 62) & 0b11 == 0b10


def test_new_id_is_strictly_increasing_over_many_calls():
    ids = [new_id() for _ in range(10_000)]
    assert all(a < b for a, b in pairwise(ids))
    assert len(set(ids)) == len(ids)


def test_new_id_time_prefix_is_the_current_unix_time_in_ms():
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    prefix_ms = int(value[:12], 16)
    # The prefix may run a few ms ahead after bursts (counter overflow), never behind.
    assert before <= prefix_ms <= after + 100


def test_new_id_from_different_calls_differs_in_random_bits():
    randoms = {int(new_id(), 16) & 0x3FFF_FFFF_FFFF_FFFF for _ in range(50)}
    assert len(randoms) == 50


def test_now_ms_is_unix_time_in_milliseconds():
    assert abs(now_ms() - time.time() * 1000) < 1000


def test_is_valid_id_accepts_a_new_id():
    assert is_valid_id(new_id())


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0" * 31,
        "0" * 33,
        "A" * 32,
        "g" * 32,
        "0190b6a2-7c1e-7abc-8def-0123456789ab",
        " " + "0" * 31,
        None,
        123,
        b"0" * 32,
    ],
)
def test_is_valid_id_rejects_anything_but_32_lowercase_hex(value):
    assert not is_valid_id(value)


def test_is_valid_id_rejects_an_id_with_a_trailing_newline():
    assert not is_valid_id(new_id() + "\n")
