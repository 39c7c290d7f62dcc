"""The SDK transport is one part per resource, each with an HTTP and a local implementation
found by name: a resource registered in ``Transport`` without both would fail only when a
user first opened a transport of the missing kind."""

from __future__ import annotations

import inspect
from typing import get_type_hints

import pytest

from labledger.sdk.transport import RESOURCES, Transport
from labledger.sdk.transport.base import implementation


def _protocol_methods(protocol: type) -> list[str]:
    return [
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and inspect.isfunction(value)
    ]


def test_the_resources_are_the_parts_the_sdk_uses() -> None:
    assert RESOURCES == (
        "runs",
        "search",
        "artifacts",
        "provenance",
        "audit",
        "registry",
        "experiments",
    )


@pytest.mark.parametrize("kind", ["http", "local"])
@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_has_an_implementation_of_every_method(kind: str, resource: str) -> None:
    protocol = get_type_hints(Transport)[resource]
    cls = implementation(kind, resource)
    assert protocol in cls.__mro__  # so mypy checks it against the protocol
    methods = _protocol_methods(protocol)
    assert methods, f"{protocol.__name__} declares no methods"
    for name in methods:
        assert getattr(cls, name) is not getattr(protocol, name), (
            f"{cls.__name__} does not implement {name} (it would return None)"
        )
        taken = inspect.signature(getattr(cls, name)).parameters
        declared = inspect.signature(getattr(protocol, name)).parameters
        assert list(taken.values()) == list(declared.values()), (
            f"{cls.__name__}.{name} does not take what {protocol.__name__} says"
        )


def test_a_transport_refuses_a_missing_or_unknown_part() -> None:
    class Nothing:
        def close(self) -> None:
            pass

    parts = {name: object() for name in RESOURCES}
    with pytest.raises(ValueError):
        Transport(Nothing(), {k: v for k, v in parts.items() if k != "runs"})
    with pytest.raises(ValueError):
        Transport(Nothing(), {**parts, "notebooks": object()})
