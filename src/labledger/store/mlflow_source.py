"""An MLflow tracking database (``sqlite:///…``, ``postgresql://…``) read for
``labledger import mlflow``: MLflow's tables reflected with SQLAlchemy Core (never written;
a SQLite file is opened read-only), rows turned into ``core.mlflow_records``.

MLflow's layout, as its databases hold it: ``experiments`` (+ ``experiment_tags``), ``runs``
(+ ``params``, ``tags``, ``metrics`` with ``is_nan``; NaN is stored as 0 with the flag set),
``registered_models`` (+ ``registered_model_tags``, ``registered_model_aliases``),
``model_versions`` (+ ``model_version_tags``; a deleted version keeps its row with the stage
``Deleted_Internal``).  Recent MLflow versions scope experiments and models by a
``workspace`` column: only the ``default`` workspace is read.  Tables an older MLflow did
not have (aliases, tags) read as empty.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from labledger.core.errors import InvalidInputError, TransportError
from labledger.core.mlflow_records import (
    History,
    SourceExperiment,
    SourceModel,
    SourceRun,
    SourceVersion,
    sorted_history,
    status_name,
)

TABLES = (
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "latest_metrics",
    "registered_models",
    "registered_model_tags",
    "model_versions",
    "model_version_tags",
    "registered_model_aliases",
)
REQUIRED = ("experiments", "runs")
DELETED_VERSION_STAGE = "deleted_internal"
DEFAULT_WORKSPACE = "default"


def _engine_url(uri: str) -> str:
    """The SQLAlchemy URL to read ``uri`` with: SQLite read-only, PostgreSQL through psycopg
    (version 3, LabLedger's driver) whatever driver MLflow's URL names."""
    try:
        url = make_url(uri)
    except ArgumentError as exc:
        raise InvalidInputError(
            f"--from {uri!r} is not a database URL: {exc}", details={"field": "from"}
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = url.database or ""
        if not path or path == ":memory:":
            raise InvalidInputError(
                f"--from {uri!r} names no SQLite file", details={"field": "from"}
            )
        file = Path(path).expanduser()
        if not file.is_file():
            raise InvalidInputError(
                f"--from {uri!r}: no SQLite database at {file}", details={"field": "from"}
            )
        return f"sqlite:///file:{quote(file.resolve().as_posix())}?mode=ro&uri=true"
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise InvalidInputError(
        f"--from {url.drivername}:// databases are not supported: MLflow stores on "
        "sqlite:/// and postgresql:// can be imported",
        details={"field": "from"},
    )


class MlflowDatabase:
    """The rows of one MLflow database; ``close()`` releases its connections."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.engine: Engine = self._connect(uri)
        try:
            present = set(inspect(self.engine).get_table_names())
            missing = [t for t in REQUIRED if t not in present]
            if missing:
                raise InvalidInputError(
                    f"--from {self.display}: not an MLflow tracking database "
                    f"(it has no table {missing[0]!r})",
                    details={"field": "from"},
                )
            self.meta = MetaData()
            self.meta.reflect(self.engine, only=[t for t in TABLES if t in present])
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self._unreadable(exc) from None
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def display(self) -> str:
        return make_url(self.uri).render_as_string(hide_password=True)

    def _connect(self, uri: str) -> Engine:
        url = _engine_url(uri)
        try:
            engine = create_engine(url, connect_args=self._connect_args(url))
            with engine.connect():
                pass
        except NoSuchModuleError:
            raise InvalidInputError(
                "reading a PostgreSQL MLflow store needs psycopg: pip install "
                "'labledger[postgres]'",
                details={"field": "from"},
            ) from None
        except ModuleNotFoundError as exc:
            raise InvalidInputError(
                f"reading {make_url(url).get_backend_name()} needs the {exc.name!r} "
                "package: pip install 'labledger[postgres]'",
                details={"field": "from"},
            ) from None
        except SQLAlchemyError as exc:
            raise TransportError(
                f"cannot read the MLflow database {make_url(uri).render_as_string()}: "
                f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}",
                details={"field": "from"},
            ) from None
        return engine

    @staticmethod
    def _connect_args(url: str) -> dict[str, Any]:
        if url.startswith("postgresql"):
            return {"connect_timeout": int(os.environ.get("PGCONNECT_TIMEOUT", "10"))}
        return {}

    def _unreadable(self, exc: SQLAlchemyError) -> TransportError:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        return TransportError(
            f"cannot read the MLflow database {self.display}: {first[0] if first else exc}",
            details={"field": "from"},
        )

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ----------------------------------------------------------------------------
    def _table(self, name: str) -> Table | None:
        return self.meta.tables.get(name)

    def _rows(self, query: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as exc:
            raise self._unreadable(exc) from None

    def _in_default_workspace(self, table: Table, query: Any) -> Any:
        if "workspace" in table.c:
            return query.where(table.c.workspace == DEFAULT_WORKSPACE)
        return query

    def experiments(self) -> list[SourceExperiment]:
        exp = self.meta.tables["experiments"]
        query = self._in_default_workspace(exp, select(exp)).order_by(exp.c.experiment_id)
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        tag_table = self._table("experiment_tags")
        if tag_table is not None:
            for key, value, exp_id in self._rows(
                select(tag_table.c.key, tag_table.c.value, tag_table.c.experiment_id)
            ):
                tags[str(exp_id)][key] = value or ""
        return [
            SourceExperiment(
                id=str(row.experiment_id),
                name=row.name,
                deleted=(row.lifecycle_stage or "active") != "active",
                artifact_location=row.artifact_location,
                tags=tags.get(str(row.experiment_id), {}),
            )
            for row in self._rows(query)
        ]

    def runs(self, experiment: SourceExperiment) -> Iterator[SourceRun]:
        runs = self.meta.tables["runs"]
        exp_id = int(experiment.id) if experiment.id.isdigit() else experiment.id
        ids = select(runs.c.run_uuid).where(runs.c.experiment_id == exp_id)
        params = self._by_run("params", ids)
        tags = self._by_run("tags", ids)
        keys: dict[str, list[str]] = defaultdict(list)
        # a run's metric keys: one row each in latest_metrics (which MLflow keeps with every
        # point it logs), else the distinct keys of its points
        table = self._table("latest_metrics")
        table = self._table("metrics") if table is None else table
        if table is not None:
            query = select(table.c.run_uuid, table.c.key).where(table.c.run_uuid.in_(ids))
            for run_id, key in self._rows(query.distinct()):
                keys[run_id].append(key)
        query = select(runs).where(runs.c.experiment_id == exp_id).order_by(runs.c.start_time)
        for row in self._rows(query):
            run_tags = tags.get(row.run_uuid, {})
            yield SourceRun(
                id=row.run_uuid,
                experiment_id=experiment.id,
                name=row.name or run_tags.get("mlflow.runName") or "",
                status=status_name(row.status),
                start_ms=row.start_time,
                end_ms=row.end_time,
                user=row.user_id,
                deleted=(row.lifecycle_stage or "active") != "active",
                artifact_uri=row.artifact_uri,
                params=params.get(row.run_uuid, {}),
                tags=run_tags,
                metric_keys=tuple(sorted(keys.get(row.run_uuid, []))),
            )

    def _by_run(self, name: str, ids: Any) -> dict[str, dict[str, str]]:
        table = self._table(name)
        out: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None:
            return out
        query = select(table.c.run_uuid, table.c.key, table.c.value).where(
            table.c.run_uuid.in_(ids)
        )
        for run_id, key, value in self._rows(query):
            out[run_id][key] = value if value is not None else ""
        return out

    def history(self, run_id: str, key: str) -> History:
        metrics = self._table("metrics")
        if metrics is None:
            return History([], [], [])
        nan = metrics.c.is_nan if "is_nan" in metrics.c else None
        columns = [metrics.c.step, metrics.c.timestamp, metrics.c.value]
        query = select(*columns, *([nan] if nan is not None else [])).where(
            metrics.c.run_uuid == run_id, metrics.c.key == key
        )
        points = [
            (
                int(row[0] or 0),
                max(int(row[1] or 0), 0),
                math.nan if (nan is not None and row[3]) else float(row[2]),
            )
            for row in self._rows(query)
        ]
        return sorted_history(points)

    def models(self) -> list[SourceModel]:
        models = self._table("registered_models")
        if models is None:
            return []
        tags = self._keyed("registered_model_tags", ("name",))
        version_tags = self._keyed("model_version_tags", ("name", "version"))
        aliases: dict[str, dict[str, int]] = defaultdict(dict)
        alias_table = self._table("registered_model_aliases")
        if alias_table is not None:
            query = self._in_default_workspace(
                alias_table,
                select(alias_table.c.name, alias_table.c.alias, alias_table.c.version),
            )
            for name, alias, version in self._rows(query):
                aliases[name][alias] = int(version)
        versions: dict[str, list[SourceVersion]] = defaultdict(list)
        version_table = self._table("model_versions")
        if version_table is not None:
            query = self._in_default_workspace(version_table, select(version_table))
            for row in self._rows(query.order_by(version_table.c.version)):
                if (row.current_stage or "").lower() == DELETED_VERSION_STAGE:
                    continue
                versions[row.name].append(
                    SourceVersion(
                        model=row.name,
                        version=int(row.version),
                        run_id=row.run_id or None,
                        source=row.source or "",
                        description=row.description or "",
                        stage=row.current_stage or "None",
                        tags=version_tags.get((row.name, str(row.version)), {}),
                    )
                )
        query = self._in_default_workspace(models, select(models)).order_by(models.c.name)
        return [
            SourceModel(
                name=row.name,
                description=row.description or "",
                tags=tags.get((row.name,), {}),
                aliases=aliases.get(row.name, {}),
                versions=tuple(versions.get(row.name, [])),
            )
            for row in self._rows(query)
        ]

    def _keyed(self, name: str, owner: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, str]]:
        table = self._table(name)
        out: dict[tuple[str, ...], dict[str, str]] = defaultdict(dict)
        if table is None:
            return out
        query = self._in_default_workspace(
            table, select(*(table.c[c] for c in owner), table.c.key, table.c.value)
        )
        for row in self._rows(query):
            out[tuple(str(v) for v in row[: len(owner)])][row[-2]] = row[-1] or ""
        return out
