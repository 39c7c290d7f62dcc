"""``labledger demo``: fill a store with realistic runs to look at.

Runs are spread over the last two weeks with durations of minutes to hours, so the demo
looks like a real project: sweeps with a parent run, nested trials, a failed run whose loss
went NaN, curves of thousands of steps.  A folder store is written through the services
(so times can be set); a server is written through the SDK.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from labledger.cli._common import reports_errors, tracking_uri_option
from labledger.cli._demo_artifacts import demo_files
from labledger.cli._demo_registry import demo_registry

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker

DAY_MS = 86_400_000


@dataclass
class DemoRun:
    project: str
    name: str
    params: dict[str, str]
    tags: dict[str, str]
    start_ms: int
    step_ms: int
    points: list[tuple[int, dict[str, float]]]
    failed: bool


def _curve(
    rng: random.Random, steps: int, lr: float, fail_at: int | None
) -> list[tuple[int, dict[str, float]]]:
    out: list[tuple[int, dict[str, float]]] = []
    speed = 0.5 + lr * 800
    floor = rng.uniform(0.05, 0.2)
    for step in range(steps):
        if fail_at is not None and step == fail_at:
            out.append((step, {"loss": math.nan}))
            break
        progress = 1 - math.exp(-speed * step / steps * 5)
        loss = floor + (2.3 - floor) * (1 - progress) + rng.gauss(0, 0.03)
        acc = min(0.999, 0.1 + 0.88 * progress + rng.gauss(0, 0.01))
        point = {"loss": loss, "acc": acc}
        if step % 100 == 0:
            point["val_loss"] = loss * rng.uniform(1.02, 1.15)
            point["val_acc"] = acc * rng.uniform(0.95, 0.99)
        out.append((step, point))
    return out


def _trials(
    rng: random.Random, project: str, arch: str, count: int, steps: int, now_ms: int
) -> list[DemoRun]:
    runs = []
    for trial in range(count):
        lr = rng.choice([1e-4, 3e-4, 1e-3, 3e-3])
        batch = rng.choice([32, 64, 128])
        fail_at = rng.randint(steps // 4, steps // 2) if trial == 2 else None
        params = {
            "lr": str(lr),
            "batch_size": str(batch),
            "model.arch": arch,
            "model.dropout": str(rng.choice([0.0, 0.1, 0.3])),
            "optimizer.name": rng.choice(["adam", "sgd", "adamw"]),
            "optimizer.betas": "[0.9, 0.999]",
        }
        start = now_ms - rng.randint(DAY_MS // 24, 14 * DAY_MS)
        runs.append(
            DemoRun(
                project,
                f"{arch}-lr{lr:g}-bs{batch}-{trial}",
                params,
                {"team": rng.choice(["vision", "nlp"]), "dataset": project},
                start,
                rng.randint(200, 2500),
                _curve(rng, steps, lr, fail_at),
                fail_at is not None,
            )
        )
    return runs


def _write_local(uri: str | None, project: str, arch: str, trials: list[DemoRun]) -> None:
    from labledger.core.entities import Batch, RunCreate, RunStatus, RunUpdate
    from labledger.core.settings import Settings
    from labledger.services.tracker import Tracker

    tracker = Tracker.from_settings(Settings.from_env(tracking_uri=uri))
    try:
        first = min(t.start_ms for t in trials)
        parent, _ = tracker.runs.create_run(
            RunCreate(
                project=project,
                name=f"{arch}-sweep",
                group="sweep-1",
                start_ms=first - 60_000,
                tags={"kind": "sweep"},
                params={"model.arch": arch, "sweep.trials": str(len(trials))},
            )
        )
        best = 0.0
        finished: list[tuple[str, float]] = []
        for t in trials:
            run, _ = tracker.runs.create_run(
                RunCreate(
                    project=project,
                    name=t.name,
                    parent_id=parent.id,
                    group="sweep-1",
                    start_ms=t.start_ms,
                    params=t.params,
                    tags=t.tags,
                    user="demo",
                )
            )
            cols: dict[str, tuple[list[int], list[int], list[float]]] = {}
            for step, point in t.points:
                for key, value in point.items():
                    c = cols.setdefault(key, ([], [], []))
                    c[0].append(step)
                    c[1].append(t.start_ms + step * t.step_ms)
                    c[2].append(value)
            tracker.runs.log_batch(run.id, Batch(None, cols, {}, {}))
            _store_files(tracker, run.id, t)
            end = t.start_ms + len(t.points) * t.step_ms
            status = RunStatus.FAILED if t.failed else RunStatus.FINISHED
            tracker.runs.update_run(run.id, RunUpdate(status=status, end_ms=end))
            best = max(best, max(p.get("acc", 0.0) for _, p in t.points))
            if not t.failed:
                finished.append((run.id, t.points[-1][1].get("acc", 0.0)))
        tracker.runs.log_batch(parent.id, Batch(None, {"best_acc": ([0], [first], [best])}, {}, {}))
        tracker.runs.update_run(
            parent.id, RunUpdate(status=RunStatus.FINISHED, end_ms=int(time.time() * 1000))
        )
        demo_registry(tracker, project, finished, int(time.time() * 1000))
    finally:
        tracker.close()


def _store_files(tracker: Tracker, run_id: str, t: DemoRun) -> None:
    from labledger.core.artifact_validation import media_type_for
    from labledger.core.entities import ArtifactEntry

    with tempfile.TemporaryDirectory() as tmp:
        files = demo_files(random.Random(t.name), t.params, t.points, Path(tmp))
        entries = []
        for file, path, step in files:
            digest, size = tracker.artifacts.put_file(file)
            entries.append(ArtifactEntry(path, digest, size, media_type_for(path), step=step))
        tracker.artifacts.declare(run_id, entries)


def _write_remote(uri: str, project: str, arch: str, trials: list[DemoRun]) -> None:
    import labledger as ll

    parent = ll.init(
        project=project,
        name=f"{arch}-sweep",
        group="sweep-1",
        tags={"kind": "sweep"},
        tracking_uri=uri,
        config={"model": {"arch": arch}, "sweep": {"trials": len(trials)}},
    )
    for t in trials:
        run = ll.init(
            project=project,
            name=t.name,
            parent=parent,
            group="sweep-1",
            tracking_uri=uri,
            config=t.params,
            tags=t.tags,
        )
        for step, point in t.points:
            run.log(point, step=step)
        with tempfile.TemporaryDirectory() as tmp:
            files = demo_files(random.Random(t.name), t.params, t.points, Path(tmp))
            for file, path, ckpt_step in files:
                folder = path.rsplit("/", 1)[0] if "/" in path else None
                named = file.with_name(path.rsplit("/", 1)[-1])
                file.rename(named)
                if ckpt_step is None:
                    run.log_artifact(named, path=folder)
                else:
                    run.log_checkpoint(named, step=ckpt_step)
            run.flush()
        run.finish("failed" if t.failed else "finished")
    parent.finish()


@click.command()
@tracking_uri_option
@click.option("--runs-per-project", default=8, show_default=True, type=int)
@click.option("--steps", default=2000, show_default=True, type=int)
@click.option("--seed", default=7, show_default=True, type=int)
@reports_errors
def demo(tracking_uri: str | None, runs_per_project: int, steps: int, seed: int) -> None:
    """Fill a store with demo runs: sweeps, nested and failed runs, long curves."""
    from rich.progress import Progress

    from labledger.core.settings import Settings

    settings = Settings.from_env(tracking_uri=tracking_uri)
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    projects = {"mnist": "cnn", "cifar10": "resnet18", "sentiment": "distilbert"}
    with Progress(transient=True) as progress:
        task = progress.add_task("demo projects", total=len(projects))
        for project, arch in projects.items():
            trials = _trials(rng, project, arch, runs_per_project, steps, now_ms)
            if settings.is_remote:
                _write_remote(settings.tracking_uri, project, arch, trials)
            else:
                _write_local(tracking_uri, project, arch, trials)
            progress.advance(task)
    click.echo(
        f"demo: {len(projects) * (runs_per_project + 1)} runs in {len(projects)} "
        f"projects ({settings.tracking_uri})"
    )
