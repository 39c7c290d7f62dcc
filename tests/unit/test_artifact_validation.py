"""Artifact paths, digests and declared entries: bad input names the field and the limit."""

from __future__ import annotations

import hashlib

import pytest

from labledger.core.artifact_validation import (
    check_artifact_path,
    check_media_type,
    media_type_for,
    parse_artifact_entries,
)
from labledger.core.errors import InvalidArtifactPathError, InvalidInputError, LimitExceededError
from labledger.core.limits import MAX_ARTIFACT_PATH, MAX_ARTIFACT_SEGMENT, MAX_ARTIFACTS_PER_REQUEST

D = hashlib.sha256(b"x").hexdigest()


@pytest.mark.parametrize("good", ["a", "a/b/c.txt", "ümlaut/ü.png", "with space/x", "a..b/.hidden"])
def test_good_paths_pass_unchanged(good):
    assert check_artifact_path("path", good) == good


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("", "empty"),
        ("/abs", "relative"),
        ("..", "'..'"),
        ("a/../b", "'..'"),
        ("a/./b", "'.'"),
        ("a//b", "empty"),
        ("a/", "empty"),
        ("a\\b", "separator"),
        ("a\x00b", "NUL"),
        ("a\nb", "control"),
    ],
)
def test_bad_paths_name_the_path_and_the_reason(bad, why):
    with pytest.raises(InvalidArtifactPathError, match=why) as info:
        check_artifact_path("artifacts[3].path", bad)
    assert info.value.details == {"field": "artifacts[3].path", "path": bad}
    assert info.value.http_status == 400


def test_length_limits():
    with pytest.raises(LimitExceededError, match=str(MAX_ARTIFACT_PATH)) as info:
        check_artifact_path("path", "a" * (MAX_ARTIFACT_PATH + 1))
    assert info.value.details["limit"] == MAX_ARTIFACT_PATH
    with pytest.raises(LimitExceededError, match="segment") as info:
        check_artifact_path("path", "d/" + "a" * (MAX_ARTIFACT_SEGMENT + 1))
    assert info.value.details["limit"] == MAX_ARTIFACT_SEGMENT
    assert check_artifact_path("path", "a" * MAX_ARTIFACT_SEGMENT)


def test_the_root_is_allowed_only_where_asked():
    assert check_artifact_path("path", "", allow_empty=True) == ""
    assert check_artifact_path("path", "eval/", allow_empty=True) == "eval"
    with pytest.raises(InvalidInputError, match="must be a string"):
        check_artifact_path("path", 3)


def test_entries_are_checked_field_by_field():
    [e] = parse_artifact_entries([{"path": "m.pt", "digest": D, "size": 1, "step": 7}])
    assert (e.path, e.step, e.media_type) == ("m.pt", 7, "application/octet-stream")  # unknown ext
    cases = [
        ({"path": "a", "digest": "xyz", "size": 1}, "artifacts[0].digest"),
        ({"path": "a", "digest": D.upper(), "size": 1}, "artifacts[0].digest"),
        ({"path": "a", "digest": D, "size": -1}, "artifacts[0].size"),
        ({"path": "a", "digest": D, "size": True}, "artifacts[0].size"),
        ({"path": "a", "digest": D, "size": 1, "media_type": "nope"}, "artifacts[0].media_type"),
        ({"path": "a", "digest": D, "size": 1, "step": 1.5}, "artifacts[0].step"),
        ({"path": "a", "digest": D, "size": 1, "colour": "red"}, "artifacts[0].colour"),
    ]
    for item, field in cases:
        with pytest.raises(InvalidInputError) as info:
            parse_artifact_entries([item])
        assert info.value.details["field"] == field, item
    with pytest.raises(LimitExceededError) as info:
        parse_artifact_entries(
            [{"path": "a", "digest": D, "size": 1}] * (MAX_ARTIFACTS_PER_REQUEST + 1)
        )
    assert info.value.details == {"field": "artifacts", "limit": MAX_ARTIFACTS_PER_REQUEST}


def test_the_last_entry_for_a_path_wins():
    other = hashlib.sha256(b"y").hexdigest()
    entries = parse_artifact_entries(
        [{"path": "a", "digest": D, "size": 1}, {"path": "a", "digest": other, "size": 1}]
    )
    assert [e.digest for e in entries] == [other]


def test_media_types():
    assert check_media_type("m", "text/csv; charset=utf-8") == "text/csv; charset=utf-8"
    with pytest.raises(InvalidInputError):
        check_media_type("m", "text")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("model.pt", "application/octet-stream"),
        ("eval/metrics.csv", "text/csv"),
        ("cfg.yaml", "application/yaml"),
        ("train.log", "text/plain"),
        ("plot.png", "image/png"),
        ("a.svg", "image/svg+xml"),
        ("noext", "application/octet-stream"),
    ],
)
def test_media_types_by_extension_do_not_depend_on_the_host(path, expected):
    assert media_type_for(path) == expected
