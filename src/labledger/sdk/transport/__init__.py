"""The transport the SDK writes and reads through: ``Transport`` (one part per resource)
and ``open_transport(settings)``.  See ``base.py`` for how a resource is added."""

from labledger.sdk.transport.base import RESOURCES, Transport, open_transport

__all__ = ["RESOURCES", "Transport", "open_transport"]
