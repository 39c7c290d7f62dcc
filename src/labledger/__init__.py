"""LabLedger: the experiment tracker whose records you can trust.

``import labledger as ll`` is cheap: no web framework, no SQLAlchemy, no HTTP client.  The
embedded store or the HTTP transport is loaded when the first run or client needs it.

    run = ll.init(project="mnist", config={"lr": 1e-3})
    run.log({"loss": 0.3}, step=1)
    run.finish()
"""

from labledger._version import __version__
from labledger.core.entities import ArtifactEntry, ArtifactState, Project, RunStatus
from labledger.core.entities import Run as RunRecord
from labledger.core.errors import (
    ArtifactChangedError,
    ArtifactCorruptedError,
    ConflictError,
    DatasetChangedError,
    InvalidInputError,
    InvalidQueryError,
    NotFoundError,
    ParamConflictError,
    RunNotFoundError,
    RunSealedError,
    TrackerError,
    TransportError,
)
from labledger.sdk.client import Client, RunList
from labledger.sdk.fluent import (
    active_run,
    finish,
    log,
    log_metric,
    log_param,
    log_params,
    set_tag,
    set_tags,
)
from labledger.sdk.history import MetricHistory, MetricPoint
from labledger.sdk.run import Run
from labledger.sdk.start import init

start_run = init
end_run = finish
log_metrics = log

__all__ = [
    "ArtifactChangedError",
    "ArtifactCorruptedError",
    "ArtifactEntry",
    "ArtifactState",
    "Client",
    "ConflictError",
    "DatasetChangedError",
    "InvalidInputError",
    "InvalidQueryError",
    "MetricHistory",
    "MetricPoint",
    "NotFoundError",
    "ParamConflictError",
    "Project",
    "Run",
    "RunList",
    "RunNotFoundError",
    "RunSealedError",
    "RunRecord",
    "RunStatus",
    "TrackerError",
    "TransportError",
    "__version__",
    "active_run",
    "end_run",
    "finish",
    "init",
    "log",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
    "start_run",
]
