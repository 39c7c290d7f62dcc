"""The fluent API's only global state: the stack of active runs in this process.

``ll.init()`` pushes a run; ``finish()`` removes it wherever it is in the stack.  The
module-level ``log``/``log_params``/``set_tags`` act on the most recent active run.  The
stack is process-wide (shared by threads), like a training script expects; at interpreter
exit every run still open is finished (``failed`` if the interpreter is exiting because of
an uncaught exception).
"""

from __future__ import annotations

import atexit
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labledger.sdk.run import Run

_stack: list[Run] = []
_lock = threading.Lock()
_hooks_installed = False
_uncaught: list[BaseException] = []


def remember(run: Run) -> None:
    global _hooks_installed
    with _lock:
        _stack.append(run)
        if not _hooks_installed:
            _hooks_installed = True
            atexit.register(_finish_all_at_exit)
            previous = sys.excepthook

            def hook(
                exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
            ) -> None:
                _uncaught.append(exc)
                previous(exc_type, exc, tb)

            sys.excepthook = hook


def forget(run: Run) -> None:
    with _lock:
        if run in _stack:
            _stack.remove(run)


def active_run() -> Run | None:
    with _lock:
        return _stack[-1] if _stack else None


def _require() -> Run:
    run = active_run()
    if run is None:
        raise RuntimeError("no active run: call labledger.init() first")
    return run


def log(data: dict[str, Any], step: int | None = None) -> None:
    _require().log(data, step=step)


def log_metric(key: str, value: float, step: int | None = None) -> None:
    _require().log({key: value}, step=step)


def log_params(params: dict[str, Any]) -> None:
    _require().log_params(params)


def log_param(key: str, value: Any) -> None:
    _require().log_params({key: value})


def set_tags(tags: dict[str, Any]) -> None:
    _require().set_tags(tags)


def set_tag(key: str, value: Any) -> None:
    _require().set_tags({key: value})


def finish(status: str = "finished") -> None:
    """Finish the active run (MLflow's ``end_run``)."""
    run = active_run()
    if run is not None:
        run.finish(status)


EXIT_FLUSH_TIMEOUT_S = 120.0


def _finish_all_at_exit() -> None:
    """Finish every open run.  A target that stays unreachable does not hang the exit for
    more than EXIT_FLUSH_TIMEOUT_S per run: what is unsent stays in the spool."""
    status = "failed" if _uncaught else "finished"
    while True:
        run = active_run()
        if run is None:
            return
        try:
            run.finish(status, timeout=EXIT_FLUSH_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - exiting: report, carry on with the others
            forget(run)
            sys.stderr.write(
                f"labledger: could not finish run {run.id}: {exc}\n"
                "labledger: unsent records are kept in the spool; run `labledger sync`\n"
            )
