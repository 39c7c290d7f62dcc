"""The SDK's door to a target: one part per resource, picked by the tracking URI.

``Transport`` holds one object per resource (``transport.runs``, ``transport.search``,
``transport.artifacts``, ``transport.provenance``), each a small protocol of its own with
two implementations: ``http_<resource>.py`` talks to a LabLedger server and
``local_<resource>.py`` calls the embedded store's services in-process.  Both return core
entities and raise the same ``TrackerError`` classes.

Adding a resource (the model registry, say) takes three new files and one line here:

- ``<resource>.py``: the protocol, ``<Resource>Transport``;
- ``http_<resource>.py``: ``Http<Resource>(connection: HttpConnection)``;
- ``local_<resource>.py``: ``Local<Resource>(tracker: Tracker)``;
- ``<resource>: <Resource>Transport`` in the body of ``Transport`` below.

The implementations are found by those names when a transport is opened, so a target's
modules load only when a run or client first needs them (``import labledger`` stays free
of httpx and SQLAlchemy).  Each implementation subclasses its protocol, so mypy checks it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from labledger.core.settings import Settings
from labledger.sdk.transport.artifacts import ArtifactsTransport
from labledger.sdk.transport.audit import AuditTransport
from labledger.sdk.transport.experiments import ExperimentsTransport
from labledger.sdk.transport.provenance import ProvenanceTransport
from labledger.sdk.transport.registry import RegistryTransport
from labledger.sdk.transport.runs import RunsTransport
from labledger.sdk.transport.search import SearchTransport

if TYPE_CHECKING:
    import httpx


class Connection(Protocol):
    """What the parts of one transport share (an HTTP client, the embedded services)."""

    def close(self) -> None: ...


class Transport:
    """One part per resource.  Every annotation in this class body registers a resource:
    its name is the attribute, the module suffix and (capitalised) the class suffix."""

    runs: RunsTransport
    search: SearchTransport
    artifacts: ArtifactsTransport
    provenance: ProvenanceTransport
    audit: AuditTransport
    registry: RegistryTransport
    experiments: ExperimentsTransport

    def __init__(self, connection: Connection, parts: Mapping[str, Any]) -> None:
        if set(parts) != set(RESOURCES):
            raise ValueError(f"a transport needs exactly the parts {RESOURCES}")
        self.connection = connection
        for name in RESOURCES:
            setattr(self, name, parts[name])

    def close(self) -> None:
        self.connection.close()


RESOURCES: tuple[str, ...] = tuple(Transport.__annotations__)


def implementation(kind: str, resource: str) -> type[Any]:
    """The class implementing ``resource`` for ``kind`` ("http" or "local")."""
    module = importlib.import_module(f"labledger.sdk.transport.{kind}_{resource}")
    name = kind.capitalize() + "".join(p.capitalize() for p in resource.split("_"))
    cls: type[Any] = getattr(module, name)
    return cls


def compose(kind: str, connection: Connection) -> Transport:
    """A transport whose every part is ``kind``'s implementation over ``connection``."""
    return Transport(
        connection, {name: implementation(kind, name)(connection) for name in RESOURCES}
    )


def open_transport(
    settings: Settings, *, http_transport: httpx.BaseTransport | None = None
) -> Transport:
    """A folder path means the embedded store (in-process services, loaded lazily); an
    ``http(s)://`` URI means a LabLedger server, reached through ``http_transport`` when
    one is given (an app in this process, for tests) instead of the network."""
    if settings.is_remote:
        from labledger.sdk.credentials import token_for
        from labledger.sdk.transport.http import HttpConnection

        token = settings.token or token_for(settings.tracking_uri)
        connection = HttpConnection(settings.tracking_uri, token=token, transport=http_transport)
        return compose("http", connection)
    if http_transport is not None:
        raise ValueError(f"{settings.tracking_uri!r} is not an http(s) URI: no HTTP to send")
    import getpass

    from labledger.core.identity import operator
    from labledger.services.tracker import Tracker

    tracker = Tracker.from_settings(settings)
    try:  # the embedded store's changes are audited as the operating system user's
        return compose("local", tracker.for_principal(operator(getpass.getuser())))
    except BaseException:
        tracker.close()
        raise
