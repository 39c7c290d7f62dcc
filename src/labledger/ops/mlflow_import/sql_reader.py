"""An MLflow tracking database as a source: its rows through ``store/mlflow_source.py``
(SQLAlchemy lives in the store), its runs' artifacts from their artifact URIs when those
are folders of this machine (MLflow's default for a database store: ``./mlruns``)."""

from __future__ import annotations

from collections.abc import Iterator

from labledger.core.mlflow_records import History, SourceExperiment, SourceModel, SourceRun
from labledger.ops.mlflow_import.source import ArtifactTree, MlflowSource, local_tree
from labledger.store.mlflow_source import MlflowDatabase


class SqlSource(MlflowSource):
    def __init__(self, uri: str) -> None:
        self.database = MlflowDatabase(uri)
        self.description = self.database.display

    def experiments(self) -> list[SourceExperiment]:
        return self.database.experiments()

    def runs(self, experiment: SourceExperiment) -> Iterator[SourceRun]:
        return self.database.runs(experiment)

    def history(self, run: SourceRun, key: str) -> History:
        return self.database.history(run.id, key)

    def artifacts(self, run: SourceRun) -> ArtifactTree:
        return local_tree(run)

    def models(self) -> list[SourceModel]:
        return self.database.models()

    def close(self) -> None:
        self.database.close()
