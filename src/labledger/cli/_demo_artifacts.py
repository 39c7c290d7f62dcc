"""Files for the demo runs: predictions, metrics, a loss plot, a config, a log, checkpoints."""

from __future__ import annotations

import json
import random
from pathlib import Path


def _svg_plot(
    points: list[tuple[int, dict[str, float]]], width: int = 480, height: int = 240
) -> str:
    losses = [(s, p["loss"]) for s, p in points if p.get("loss") == p.get("loss")]  # no NaN
    if not losses:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"/>'
    last = max(losses[-1][0], 1)
    top = max(v for _, v in losses) or 1.0
    stride = max(1, len(losses) // 300)
    coords = " ".join(
        f"{20 + s / last * (width - 40):.1f},{height - 20 - v / top * (height - 40):.1f}"
        for s, v in losses[::stride]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="white"/>'
        f'<polyline fill="none" stroke="#1c7ed6" stroke-width="1.5" points="{coords}"/>'
        f'<text x="24" y="16" font-family="sans-serif" font-size="12">training loss</text></svg>'
    )


def demo_files(
    rng: random.Random,
    params: dict[str, str],
    points: list[tuple[int, dict[str, float]]],
    folder: Path,
) -> list[tuple[Path, str, int | None]]:
    """Write a run's files under ``folder``; returns (file, artifact path, step)."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[tuple[Path, str, int | None]] = []

    def put(name: str, data: str | bytes, step: int | None = None) -> None:
        path = folder / name.replace("/", "__")
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        out.append((path, name, step))

    labels = ["cat", "dog", "bird", "ship", "truck"]
    rows = ["id,label,predicted,score"]
    for i in range(200):
        label = rng.choice(labels)
        predicted = label if rng.random() < 0.85 else rng.choice(labels)
        rows.append(f"{i},{label},{predicted},{rng.uniform(0.3, 1.0):.3f}")
    put("eval/predictions.csv", "\n".join(rows) + "\n")
    final = points[-1][1]
    put("eval/metrics.json", json.dumps({k: round(v, 5) for k, v in final.items()}, indent=2))
    put("plots/loss.svg", _svg_plot(points))
    put("config.yaml", "".join(f"{k}: {v}\n" for k, v in sorted(params.items())))
    log = [f"step {s:>6}  loss {p['loss']:.4f}" for s, p in points[:: max(1, len(points) // 400)]]
    put("logs/train.log", "\n".join(log) + "\n")
    last = points[-1][0]
    for step in (last // 2, last):
        put(f"checkpoints/step-{step}/model.pt", rng.randbytes(4096), step)
    return out
