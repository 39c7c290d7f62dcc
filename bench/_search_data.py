"""The search benchmark's data set, its ground truth, and a bulk loader for LabLedger's store.

Loading 100,000 runs through the SDK is too slow for a benchmark, so the rows are written
with SQLAlchemy Core straight into the tables of ``labledger.store.tables``, with the same
semantics as ``store/runs.py`` and ``store/metrics.py``: params with ``value_num`` when the
text is a finite number, one ``latest_metrics`` row per (run, key) carrying ``project_id``,
ids from ``metric_keys``, and a few ``metric_points`` per run and key (the last = latest).
The same rows (written to a CSV file) are loaded into MLflow by bench/peers/mlflow_search.py.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT = "bench"
BASE_MS = 1_767_225_600_000  # 2026-01-01
LRS = ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1"]  # text order = numeric
OPTIMIZERS = ["adam", "sgd", "adamw", "rmsprop"]
BATCH_SIZES = [16, 32, 64, 128, 256]
FIELDS = ["id", "start_ms", "lr", "optimizer", "batch_size", "acc", "loss"]
CHUNK = 5_000

# (name, LabLedger filter, LabLedger order_by, predicate, sort key for the ground truth)
QUERIES: list[dict[str, Any]] = [
    {"name": "Q1 filter + order by metric",
     "filter": "metrics.acc > 0.9 and (params.optimizer = 'adam' or params.batch_size = 64)",
     "order_by": ["metrics.acc desc"],
     "mlflow": {"parts": ["metrics.acc > 0.9 and params.optimizer = 'adam'",
                          "metrics.acc > 0.9 and params.batch_size = '64'"],
                "order_by": ["metrics.acc DESC"], "merge_by_metric": "acc"}},
    {"name": "Q2 filter, order by start time",
     "filter": "metrics.acc > 0.9 and params.optimizer = 'adam'",
     "order_by": ["attributes.start_time desc"],
     "mlflow": {"parts": ["metrics.acc > 0.9 and params.optimizer = 'adam'"],
                "order_by": ["attributes.start_time DESC"]}},
    {"name": "Q3 filter + order by param",
     "filter": "metrics.loss < 0.5",
     "order_by": ["params.lr desc"],
     "mlflow": {"parts": ["metrics.loss < 0.5"], "order_by": ["params.lr DESC"]}},
]


def generate(n: int, path: Path, seed: int = 20_261_126) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({
            "id": uuid.UUID(int=rng.getrandbits(128)).hex, "start_ms": BASE_MS + i * 1000,
            "lr": rng.choice(LRS), "optimizer": rng.choice(OPTIMIZERS),
            "batch_size": rng.choice(BATCH_SIZES), "acc": rng.random(),
            "loss": rng.random() * 2,
        })
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows({k: repr(v) if isinstance(v, float) else v for k, v in r.items()}
                         for r in rows)
    return rows


def expected(rows: list[dict[str, Any]], index: int, limit: int = 100) -> list[Any]:
    """Ground truth of QUERIES[index]: run ids (Q1, Q2) or the lr sequence (Q3, ties)."""
    if index == 0:
        hits = [r for r in rows if r["acc"] > 0.9
                and (r["optimizer"] == "adam" or r["batch_size"] == 64)]
        return [r["id"] for r in sorted(hits, key=lambda r: -r["acc"])[:limit]]
    if index == 1:
        hits = [r for r in rows if r["acc"] > 0.9 and r["optimizer"] == "adam"]
        return [r["id"] for r in sorted(hits, key=lambda r: -r["start_ms"])[:limit]]
    hits = [r for r in rows if r["loss"] < 0.5]
    return sorted((r["lr"] for r in hits), key=float, reverse=True)[:limit]


def points(value: float, steps: int) -> Iterator[tuple[int, float]]:
    """A short history ending at the latest value (both loaders use this)."""
    for s in range(steps):
        yield s, value * (s + 1) / steps


def load_labledger(db_url: str, rows: list[dict[str, Any]], steps: int) -> None:
    from sqlalchemy import insert, select

    from labledger.services.tracker import Tracker
    from labledger.store.tables import (
        latest_metrics,
        metric_keys,
        metric_points,
        params,
        projects,
        runs,
    )

    tracker = Tracker.open(db_url)  # runs the migrations on the empty database
    try:
        with tracker.db.write() as conn:
            conn.execute(insert(projects).values(name=PROJECT, created_ms=BASE_MS))
            pid = conn.execute(select(projects.c.id).where(projects.c.name == PROJECT)).scalar()
            conn.execute(insert(metric_keys), [{"name": "acc"}, {"name": "loss"}])
            kid = dict(conn.execute(select(metric_keys.c.name, metric_keys.c.id)).all())
            for start in range(0, len(rows), CHUNK):
                part = rows[start:start + CHUNK]
                conn.execute(insert(runs), [
                    {"id": r["id"], "project_id": pid, "name": f"run-{start + j}",
                     "status": "finished", "start_ms": r["start_ms"],
                     "end_ms": r["start_ms"] + 60_000, "user_name": "bench",
                     "heartbeat_ms": r["start_ms"] + 60_000} for j, r in enumerate(part)])
                pks = dict(conn.execute(select(runs.c.id, runs.c.pk).where(
                    runs.c.id.in_([r["id"] for r in part]))).all())
                prm, latest, pts = [], [], []
                for r in part:
                    pk, end = pks[r["id"]], r["start_ms"] + 60_000
                    for key in ("lr", "optimizer", "batch_size"):
                        text = str(r[key])
                        num = float(text) if key != "optimizer" else None
                        prm.append({"run_pk": pk, "key": key, "value": text, "value_num": num,
                                    "project_id": pid})
                    for key in ("acc", "loss"):
                        latest.append({"run_pk": pk, "key_id": kid[key], "project_id": pid,
                                       "step": steps - 1, "ts": end, "value": r[key]})
                        pts.extend({"run_pk": pk, "key_id": kid[key], "step": s,
                                    "ts": end - (steps - 1 - s) * 1000, "value": v}
                                   for s, v in points(r[key], steps))
                conn.execute(insert(params), prm)
                conn.execute(insert(latest_metrics), latest)
                conn.execute(insert(metric_points), pts)
    finally:
        tracker.close()
