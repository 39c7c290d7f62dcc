"""``labledger demo``: fill a store with realistic runs to look at."""

from __future__ import annotations

import math
import random

import click

from labledger.cli._common import reports_errors, tracking_uri_option


def _curve(
    rng: random.Random, steps: int, lr: float, fail_at: int | None
) -> list[tuple[int, dict[str, float]]]:
    out = []
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


@click.command()
@tracking_uri_option
@click.option("--runs-per-project", default=8, show_default=True, type=int)
@click.option("--steps", default=2000, show_default=True, type=int)
@click.option("--seed", default=7, show_default=True, type=int)
@reports_errors
def demo(tracking_uri: str | None, runs_per_project: int, steps: int, seed: int) -> None:
    """Fill a store with demo runs: sweeps, nested and failed runs, long curves."""
    from rich.progress import Progress

    import labledger as ll

    rng = random.Random(seed)
    projects = {"mnist": "cnn", "cifar10": "resnet18", "sentiment": "distilbert"}
    total = len(projects) * runs_per_project
    with Progress() as progress:
        task = progress.add_task("demo runs", total=total)
        for project, arch in projects.items():
            parent = ll.init(
                project=project,
                name=f"{arch}-sweep",
                group="sweep-1",
                tags={"kind": "sweep"},
                tracking_uri=tracking_uri,
                config={"model": {"arch": arch}, "sweep": {"trials": runs_per_project}},
            )
            for trial in range(runs_per_project):
                lr = rng.choice([1e-4, 3e-4, 1e-3, 3e-3])
                batch = rng.choice([32, 64, 128])
                fail_at = rng.randint(steps // 4, steps // 2) if trial == 2 else None
                run = ll.init(
                    project=project,
                    name=f"{arch}-lr{lr:g}-bs{batch}-{trial}",
                    parent=parent,
                    group="sweep-1",
                    tracking_uri=tracking_uri,
                    config={
                        "lr": lr,
                        "batch_size": batch,
                        "model": {"arch": arch, "dropout": rng.choice([0.0, 0.1, 0.3])},
                        "optimizer": {
                            "name": rng.choice(["adam", "sgd", "adamw"]),
                            "betas": [0.9, 0.999],
                        },
                    },
                    tags={"team": rng.choice(["vision", "nlp"]), "dataset": project},
                )
                for step, point in _curve(rng, steps, lr, fail_at):
                    run.log(point, step=step)
                run.finish("failed" if fail_at is not None else "finished")
                progress.advance(task)
            parent.log({"best_acc": rng.uniform(0.85, 0.99)}, step=0)
            parent.finish()
    click.echo(
        f"demo: {total} runs in {len(projects)} projects "
        f"({tracking_uri or ll.Client().settings.tracking_uri})"
    )
