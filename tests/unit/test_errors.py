"""The error hierarchy: stable codes and statuses, and a lossless trip through a JSON body."""

from __future__ import annotations

import json

import pytest

import labledger.sdk.spool  # noqa: F401  (registers SpoolWriteError, a TrackerError too)
from labledger.core import errors
from labledger.core.errors import TrackerError, error_class_for, error_from_body


def all_error_classes() -> list[type[TrackerError]]:
    found: list[type[TrackerError]] = []
    todo = [TrackerError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


ALL_ERRORS = all_error_classes()


@pytest.mark.parametrize(
    ("cls", "code", "status", "parent"),
    [
        (errors.TrackerError, "internal_error", 500, Exception),
        (errors.InvalidInputError, "invalid_input", 400, errors.TrackerError),
        (errors.InvalidQueryError, "invalid_query", 400, errors.InvalidInputError),
        (errors.MalformedBodyError, "malformed_json", 400, errors.InvalidInputError),
        (errors.LimitExceededError, "limit_exceeded", 400, errors.InvalidInputError),
        (errors.NotFoundError, "not_found", 404, errors.TrackerError),
        (errors.RunNotFoundError, "run_not_found", 404, errors.NotFoundError),
        (errors.ProjectNotFoundError, "project_not_found", 404, errors.NotFoundError),
        (errors.MetricNotFoundError, "metric_not_found", 404, errors.NotFoundError),
        (errors.ConflictError, "conflict", 409, errors.TrackerError),
        (errors.ParamConflictError, "param_conflict", 409, errors.ConflictError),
        (errors.RunKeyConflictError, "run_key_conflict", 409, errors.ConflictError),
        (errors.RunStateError, "run_not_active", 409, errors.ConflictError),
        (errors.SchemaOutdatedError, "schema_outdated", 503, errors.TrackerError),
        (errors.TransportError, "unavailable", 503, errors.TrackerError),
    ],
)
def test_error_classes_have_the_documented_code_status_and_parent(cls, code, status, parent):
    assert cls.error_code == code
    assert cls.http_status == status
    assert cls.__bases__ == (parent,)


def test_every_tracker_error_subclass_has_a_unique_error_code():
    classes = all_error_classes()
    codes = [cls.error_code for cls in classes]
    assert len(classes) >= 16
    assert len(codes) == len(set(codes)), sorted(codes)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_error_from_body_rebuilds_the_same_class_message_and_details(cls):
    original = cls("run 'abc' does not exist", details={"run_id": "abc", "limit": 5})
    body = json.loads(json.dumps(original.to_dict()))  # what crosses the wire
    rebuilt = error_from_body(body)
    assert type(rebuilt) is cls
    assert rebuilt.message == original.message
    assert str(rebuilt) == str(original)
    assert rebuilt.details == original.details


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_error_class_for_maps_each_code_back_to_its_class(cls):
    assert error_class_for(cls.error_code) is cls


def test_to_dict_has_code_message_and_details():
    err = errors.InvalidQueryError("bad", details={"position": 3})
    assert err.to_dict() == {
        "error_code": "invalid_query",
        "message": "bad",
        "details": {"position": 3},
    }


def test_error_without_details_has_an_empty_details_dict():
    assert errors.NotFoundError("gone").details == {}
    assert errors.NotFoundError("gone").to_dict()["details"] == {}


@pytest.mark.parametrize("code", ["no_such_code", "", None])
def test_error_from_body_falls_back_to_tracker_error_for_an_unknown_code(code):
    err = error_from_body({"error_code": code, "message": "boom", "details": {"x": 1}})
    assert type(err) is TrackerError
    assert (err.message, err.details) == ("boom", {"x": 1})


@pytest.mark.parametrize("details", [None, "text", [1, 2]])
def test_error_from_body_replaces_details_that_are_not_an_object(details):
    err = error_from_body({"error_code": "not_found", "message": "m", "details": details})
    assert type(err) is errors.NotFoundError
    assert err.details == {}


def test_error_from_body_accepts_an_empty_body():
    err = error_from_body({})
    assert type(err) is TrackerError
    assert (err.message, err.details) == ("", {})
