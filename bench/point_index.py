"""What a unique index on metric points would cost (docs/architecture.md, "exactly once").

Inserts 1,000,000 points (10 runs x 5 keys x 20,000 steps, random values) into a SQLite
table shaped like ``metric_points`` three ways — today's index on (run, key, step), a unique
index on (run, key, step, ts), and one on (run, key, step, ts, value) as MLflow keys its
metrics — and prints seconds and bytes per point after a checkpoint, with ratios to today.

    .venv/bin/python -m bench.point_index
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time

LAYOUTS = {
    "today (run, key, step)": ("CREATE INDEX ix ON metric_points (run_pk, key_id, step)", "INSERT"),
    "unique (run, key, step, ts)": (
        "CREATE UNIQUE INDEX ix ON metric_points (run_pk, key_id, step, ts)",
        "INSERT OR IGNORE",
    ),
    "unique (+ value, MLflow's key)": (
        "CREATE UNIQUE INDEX ix ON metric_points (run_pk, key_id, step, ts, value)",
        "INSERT OR IGNORE",
    ),
}


def measure(index_sql: str, verb: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "points.db")
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE metric_points (run_pk BIGINT NOT NULL, key_id BIGINT NOT NULL, "
            "step BIGINT NOT NULL, ts BIGINT NOT NULL, value FLOAT)"
        )
        conn.execute(index_sql)
        rng = random.Random(7)
        started = time.perf_counter()
        for run in range(10):
            for key in range(5):
                rows = [(run, key, s, 1_700_000_000_000 + s, rng.random()) for s in range(20_000)]
                conn.executemany(f"{verb} INTO metric_points VALUES (?, ?, ?, ?, ?)", rows)
                conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return seconds, os.path.getsize(path) / 1_000_000


def main() -> None:
    results = {name: measure(*layout) for name, layout in LAYOUTS.items()}
    base_s, base_b = results["today (run, key, step)"]
    print(f"{'layout':34} {'insert s':>9} {'ratio':>6} {'bytes/pt':>9} {'ratio':>6}")
    for name, (secs, per_point) in results.items():
        print(
            f"{name:34} {secs:9.2f} {secs / base_s:6.2f} {per_point:9.1f} {per_point / base_b:6.2f}"
        )


if __name__ == "__main__":
    main()
