"""End-to-end fixtures: a real ``labledger server`` filled through the SDK, and Debian's
Chromium driven by Playwright.  Any console error in the browser fails the test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from labledger.server.spa import STATIC_DIR
from tests.conftest import ServerProcess, skip_or_fail

CHROMIUM = os.environ.get("LABLEDGER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if not (STATIC_DIR / "index.html").exists():
        skip_or_fail("the web UI is not built (cd web && npm ci && npm run build)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleWatch:
    """Collects console errors and uncaught exceptions.  A test that provokes an error on
    purpose (a 404 for a missing run) names it with ``expect``; anything else fails."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []

    def attach(self, page) -> None:  # type: ignore[no-untyped-def]
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def expect(self, fragment: str) -> None:
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(f in e for f in self.expected)]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def page(browser, console):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    console.attach(pg)
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert console.unexpected() == [], f"console errors in the browser: {console.errors}"


def fill(url: str) -> dict[str, str]:
    """A small project through the SDK: a sweep over optimizer and lr, plus one failed run."""
    import labledger as ll

    ids: dict[str, str] = {}
    grid = [("adam", 0.001), ("adam", 0.01), ("sgd", 0.1), ("sgd", 0.01), ("adamw", 0.003)]
    for i, (opt, lr) in enumerate(grid):
        name = f"{opt}-lr{lr}"
        with ll.init(
            project="vision",
            name=name,
            tracking_uri=url,
            config={"optimizer": {"name": opt}, "lr": lr, "seed": 1},
            tags={"team": "cv"},
        ) as run:
            for step in range(400):
                acc = (1 - 1 / (1 + step * lr * 10)) * (0.9 + i / 100)
                run.log({"loss": 1 / (1 + step * lr * 10), "acc": acc}, step=step)
        ids[name] = run.id
    broken = ll.init(
        project="vision",
        name="diverged",
        tracking_uri=url,
        config={"optimizer": {"name": "sgd"}, "lr": 1.0, "seed": 2},
    )
    broken.log({"loss": float("nan")}, step=0)
    broken.finish("failed")
    ids["diverged"] = broken.id
    return ids


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict]]:
    data = tmp_path_factory.mktemp("ui-server")
    server = ServerProcess(data)
    server.start()
    try:  # a fill that fails stops the server too: no process is left behind
        previous = os.environ.get("LABLEDGER_SPOOL_DIR")
        os.environ["LABLEDGER_SPOOL_DIR"] = str(data / "spool")
        try:
            ids = fill(server.url)
        finally:
            if previous is None:
                del os.environ["LABLEDGER_SPOOL_DIR"]
            else:
                os.environ["LABLEDGER_SPOOL_DIR"] = previous
        yield server, ids
    finally:
        server.stop()
