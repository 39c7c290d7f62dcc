"""The demo's model registry: the best runs of a project registered, a gated champion, a
production deployment and a few days of production batches, one of them drifting."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker

DAY_MS = 86_400_000


def demo_registry(
    tracker: Tracker, project: str, runs: list[tuple[str, float]], now_ms: int
) -> None:
    """``runs``: (run id, final accuracy) of the project's finished runs."""
    if len(runs) < 2:
        return
    rng = random.Random(project)
    model = f"{project}-classifier"
    ranked = sorted(runs, key=lambda r: r[1])[-3:]
    for run_id, _ in ranked:
        tracker.models.register_version(model, run_id, "checkpoints", description="demo")
        features = {
            "pixel_mean": [rng.gauss(0.45, 0.1) for _ in range(2000)],
            "label": [rng.choice("0123456789") for _ in range(2000)],
        }
        tracker.drift.log_reference(run_id, "inputs", features)
    threshold = round(ranked[-1][1] - 0.001, 4)
    tracker.promotion.set_policy(
        model,
        "champion",
        f'metrics:\n  - "acc >= {threshold}"\n  - "acc >= champion.acc - 0.002"\n',
    )
    tracker.promotion.promote(model, len(ranked), "champion")
    tracker.promotion.promote(model, 1, "staging")
    tracker.deployments.record(model, len(ranked), "prod", note="demo rollout")
    for day in range(6, -1, -1):
        shift = 0.25 if day == 0 else 0.0  # today's traffic drifted
        batch = {
            "pixel_mean": [rng.gauss(0.45 + shift, 0.1) for _ in range(1000)],
            "label": [rng.choice("0123456789") for _ in range(1000)],
        }
        tracker.drift.log_production(model, "prod", batch, time_ms=now_ms - day * DAY_MS)
