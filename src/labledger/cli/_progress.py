"""A progress bar of runs on stderr, shared by ``sync`` and ``import mlflow``: runs done of
those found, the command's own counters, time elapsed; nothing is drawn when stderr is not a
terminal."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self


class RunsProgress:
    def __init__(self, verb: str, counters: str, **start: Any) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn(f"{verb} runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(counters),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("runs", total=None, **start)

    def show(self, total: int | None, completed: int, **counters: Any) -> None:
        self._progress.update(self._task, total=total, completed=completed, **counters)

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
