"""DriftService: reference profiles of training runs, production batches of deployments,
and the drift between them.

A training run stores reference profiles (``log_reference``): per feature a binned histogram,
quantiles and summary statistics (``core/drift.py``), never the rows.  A deployment receives
production values in batches (``log_production``); each batch is one window, compared per
feature with the reference of the version the environment serves: the population stability
index and the Kolmogorov-Smirnov statistic are stored, and when either crosses the model's
thresholds (its own policy, ``drift: {psi, ks}``) an alert is raised naming the deployment,
the version, the run and the features.  A batch that does not check (an unknown feature,
NaN, mismatched lengths) changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labledger.core import drift
from labledger.core.errors import (
    DeploymentNotFoundError,
    InvalidInputError,
    ReferenceNotFoundError,
)
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.registry import check_env, parse_policy
from labledger.core.validation import check_key, check_page_size, check_timestamp
from labledger.services import audit, webhooks
from labledger.services.model_access import RegistryGuarded
from labledger.store import aliases as alias_repo
from labledger.store import deployments as repo
from labledger.store import models as model_repo
from labledger.store import runs as run_repo
from labledger.store.database import Connection

MAX_REFERENCES_PER_RUN = 20


def _thresholds(conn: Connection, model_id: int) -> dict[str, float]:
    stored = alias_repo.get_policy(conn, model_id, "")
    return parse_policy(stored["document"] if stored else {}, alias=None).drift


class DriftService(RegistryGuarded):
    def log_reference(self, run_id: str, name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``data``'s profile (feature -> values) as reference ``name`` of the run
        (replacing an earlier one of that name)."""
        self.allow(Action.WRITE, run_id=run_id)
        name = check_key("name", name)
        columns = drift.check_columns(data)
        profiles = {feature: drift.profile(values).to_dict() for feature, values in columns.items()}

        def apply(conn: Connection) -> None:
            run_pk, project_id = run_repo.get_run_ref(conn, run_id)
            names = repo.reference_names(conn, run_pk)
            if name not in names and len(names) >= MAX_REFERENCES_PER_RUN:
                raise InvalidInputError(
                    f"run {run_id} has {MAX_REFERENCES_PER_RUN} references, the limit",
                    details={"field": "name", "limit": MAX_REFERENCES_PER_RUN},
                )
            repo.save_reference(conn, run_pk, name, profiles, now_ms())
            audit.record_run(
                conn,
                self.principal,
                "run.reference",
                run_id,
                project_id,
                details={"name": name, "features": sorted(profiles)},
            )

        self.db.run_write(apply)
        return {"run_id": run_id, "name": name, "features": profiles}

    def references(self, run_id: str) -> dict[str, dict[str, Any]]:
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            return {n: repo.reference(conn, run_pk, n) for n in repo.reference_names(conn, run_pk)}

    def log_production(
        self,
        name: str,
        env: str,
        data: Mapping[str, Any],
        *,
        reference: str | None = None,
        time_ms: int | None = None,
    ) -> dict[str, Any]:
        """Compare one production batch with the reference of the version ``env`` serves."""
        model = self._model(Action.WRITE, name)
        env = check_env(env)
        reference = check_key("reference", reference) if reference is not None else None
        at = check_timestamp("time_ms", time_ms) if time_ms is not None else now_ms()
        columns = drift.check_columns(data)

        def apply(conn: Connection) -> dict[str, Any]:
            served = repo.current(conn, model["id"], env)
            if served is None:
                raise DeploymentNotFoundError(
                    f"nothing of {model['name']!r} is deployed in {env!r}",
                    details={"model": model["name"], "env": env},
                )
            version = model_repo.versions_by_id(conn, [served["version_id"]])
            run_pk = version[0]["run_pk"] if version else None
            chosen, profiles = self._reference(conn, run_pk, served["run_id"], reference)
            compared = drift.compare(profiles, columns)
            limits = _thresholds(conn, model["id"])
            features: dict[str, dict[str, Any]] = {}
            points = []
            for feature, stats in compared.items():
                psi, ks = float(stats["psi"] or 0.0), stats["ks"]
                alert = psi > limits["psi"] or (ks is not None and float(ks) > limits["ks"])
                features[feature] = {**stats, "alert": alert}
                points.append(
                    {
                        "model_id": model["id"],
                        "env": env,
                        "version": served["version"],
                        "time_ms": at,
                        "feature": feature,
                        "count": int(stats["count"] or 0),
                        "psi": psi,
                        "ks": ks,
                        "alert": alert,
                    }
                )
            repo.add_points(conn, points)
            drifted = {f: s for f, s in features.items() if s["alert"]}
            alert_id = None
            summary = {
                "env": env,
                "version": served["version"],
                "run_id": served["run_id"],
                "reference": chosen,
            }
            if drifted:
                alert_id = repo.add_alert(
                    conn,
                    {
                        "model_id": model["id"],
                        "env": env,
                        "version": served["version"],
                        "run_id": served["run_id"],
                        "time_ms": at,
                        "features": drifted,
                        "thresholds": limits,
                    },
                )
                webhooks.emit(
                    conn,
                    model["project_id"],
                    "drift.alert",
                    {"model": model["name"], **summary, "alert": alert_id, "features": drifted},
                )
            audit.record(
                conn,
                self.principal,
                "deployment.telemetry",
                f"model:{model['name']}",
                project=model["project"],
                run_id=served["run_id"],
                details={**summary, "features": sorted(features), "alert": alert_id},
            )
            return {
                "model": model["name"],
                **summary,
                "time_ms": at,
                "features": features,
                "alert": alert_id,
                "thresholds": limits,
            }

        result: dict[str, Any] = self.db.run_write(apply)
        return result

    @staticmethod
    def _reference(
        conn: Connection, run_pk: int | None, run_id: str, wanted: str | None
    ) -> tuple[str, dict[str, drift.FeatureProfile]]:
        names = repo.reference_names(conn, run_pk) if run_pk is not None else []
        if not names:
            raise ReferenceNotFoundError(
                f"run {run_id} of the deployed version has no reference profile; log one with "
                "run.log_reference(name, data)",
                details={"run_id": run_id},
            )
        if wanted is None:
            if len(names) > 1:
                raise InvalidInputError(
                    f"run {run_id} has several references ({', '.join(names)}); name one",
                    details={"field": "reference", "known": names},
                )
            wanted = names[0]
        if wanted not in names:
            raise ReferenceNotFoundError(
                f"run {run_id} has no reference {wanted!r}; it has {', '.join(names)}",
                details={"field": "reference", "known": names},
            )
        assert run_pk is not None
        stored = repo.reference(conn, run_pk, wanted)
        return wanted, {f: drift.FeatureProfile.from_dict(p) for f, p in stored.items()}

    def drift(
        self, name: str, env: str, *, since_ms: int | None = None, limit: int = 5_000
    ) -> list[dict[str, Any]]:
        """PSI and KS per feature per batch, oldest first."""
        model = self._model(Action.READ, name)
        env = check_env(env)
        limit = check_page_size(limit)
        since = check_timestamp("since", since_ms) if since_ms is not None else None
        with self.db.read() as conn:
            rows = repo.points(conn, model["id"], env, since, limit)
        return [
            {k: r[k] for k in ("time_ms", "version", "feature", "count", "psi", "ks", "alert")}
            for r in rows
        ]

    def alerts(self, name: str, env: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        model = self._model(Action.READ, name)
        env = check_env(env) if env is not None else None
        limit = check_page_size(limit)
        with self.db.read() as conn:
            rows = repo.alerts(conn, model["id"], env, limit)
        return [
            {
                "id": r["id"],
                "model": model["name"],
                "env": r["env"],
                "version": r["version"],
                "run_id": r["run_id"],
                "time_ms": r["time_ms"],
                "features": r["features"],
                "thresholds": r["thresholds"],
            }
            for r in rows
        ]
