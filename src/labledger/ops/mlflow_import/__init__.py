"""``labledger import mlflow``: an MLflow tracking server or store copied into LabLedger.

- ``source.py``: the readers' one interface, and which reader a URI picks;
- ``rest_reader.py``, ``sql_reader.py`` (with ``store/mlflow_source.py``),
  ``folder_reader.py``: a tracking server, its database, an ``mlruns`` folder;
- ``copier.py`` (experiments and runs), ``files.py`` (artifacts), ``registry.py`` (models,
  versions, aliases): the writing, through an SDK transport;
- ``report.py``: the counts read and written.
"""

from __future__ import annotations

from collections.abc import Callable

from labledger.ops.mlflow_import.copier import Context, copy_experiment, copy_runs, plan
from labledger.ops.mlflow_import.opening import open_source
from labledger.ops.mlflow_import.registry import copy_models
from labledger.ops.mlflow_import.report import ROWS, Count, ImportReport
from labledger.ops.mlflow_import.source import MlflowSource
from labledger.sdk.transport import Transport

__all__ = ["ROWS", "Count", "ImportReport", "MlflowSource", "import_mlflow", "open_source"]


def import_mlflow(
    source: MlflowSource,
    transport: Transport,
    *,
    target: str,
    experiments: list[str] | None = None,
    on_progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Copy ``source`` (all experiments, or those named) and its registry through
    ``transport``.  Safe to run again, and to run again after it was interrupted: what is
    there is not written twice.  Errors of single records are in ``report.errors``; an
    unreachable source or target raises."""
    report = ImportReport(source=source.description, target=target)
    ctx = Context(source, transport, report, on_progress or (lambda _report: None))
    selected, runs = plan(ctx, experiments)
    report.runs_total = len(runs)
    ctx.notify(report)
    for exp in selected:
        copy_experiment(ctx, exp)
    copy_runs(ctx, runs)
    copy_models(ctx)
    report.current = ""
    ctx.notify(report)
    return report
