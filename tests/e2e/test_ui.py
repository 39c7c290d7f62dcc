"""The web UI in Debian's Chromium against a real server filled by the SDK."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e


def rows(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=run-row]")


def open_project(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.get_by_role("link", name="vision").click()
    page.wait_for_selector("[data-testid=run-row]")


def test_projects_page_lists_projects_with_counts(page, ui_server):
    server, _ = ui_server
    page.goto(server.url)
    table = page.get_by_test_id("projects-table")
    row = table.locator("tbody tr", has_text="vision")
    assert row.locator("td").nth(0).inner_text() == "vision"
    assert row.locator("td").nth(1).inner_text() == "6"  # the Runs column, not any "6"


def test_filter_sort_and_bad_filter_in_the_runs_table(page, ui_server):
    server, _ = ui_server
    open_project(page, server.url)
    assert rows(page).count() == 6
    assert "6 of 6 runs" in page.get_by_test_id("row-count").inner_text()
    page.keyboard.press("/")
    box = page.get_by_test_id("filter-input")
    box.fill("params.optimizer.name = 'adam'")
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 2")
    names = rows(page).locator("a").all_inner_texts()
    assert sorted(names) == ["adam-lr0.001", "adam-lr0.01"]
    assert "filter=" in page.url  # the view is shareable
    box.fill("")
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=run-row]').length === 6")
    page.locator("[data-column='metrics.acc']").click()  # sort descending by acc
    page.wait_for_selector("[data-column='metrics.acc'][data-sort=desc]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=run-row] a').textContent === 'sgd-lr0.1'"
    )
    by_acc = [
        "sgd-lr0.1",
        "sgd-lr0.01",
        "adam-lr0.01",
        "adamw-lr0.003",
        "adam-lr0.001",
        "diverged",
    ]  # the run without acc comes last
    assert rows(page).locator("a").all_inner_texts() == by_acc
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "runs-table.png"))
    box.fill("metrics.acc > ")
    box.press("Enter")
    error = page.get_by_test_id("filter-error")
    error.wait_for()
    assert "position 14" in error.inner_text() and "^" in error.inner_text()


def test_suggestions_complete_field_names(page, ui_server):
    server, _ = ui_server
    open_project(page, server.url)
    box = page.get_by_test_id("filter-input")
    box.click()
    box.type("params.opt")
    suggestions = page.get_by_test_id("filter-suggestions")
    suggestions.wait_for()
    assert "params.optimizer.name" in suggestions.inner_text()
    box.press("Tab")
    assert box.input_value() == "params.optimizer.name"


def test_run_page_shows_overview_params_and_one_chart_per_metric(page, ui_server):
    server, ids = ui_server
    open_project(page, server.url)
    page.get_by_role("link", name="sgd-lr0.1").click()
    page.get_by_test_id("run-name").wait_for()
    assert page.get_by_test_id("run-name").inner_text() == "sgd-lr0.1"
    page.wait_for_selector("[data-testid=chart-acc] canvas")
    panels = page.locator("[data-testid=metric-panel]")
    assert sorted(panels.evaluate_all("els => els.map(e => e.dataset.metric)")) == ["acc", "loss"]
    assert page.get_by_test_id("chart-loss").get_attribute("data-series") == "1"
    page.get_by_test_id("tab-params").click()
    assert (
        page.locator("[data-testid=param][data-key='optimizer.name']")
        .inner_text()
        .endswith("= sgd")
    )
    assert ids["sgd-lr0.1"] in page.url


def test_keyboard_moves_and_opens_runs(page, ui_server):
    from playwright.sync_api import expect

    server, ids = ui_server
    open_project(page, server.url)
    page.locator("body").click(position={"x": 5, "y": 300})
    active = page.locator("[data-testid=run-row].ll-active")  # how the table marks it
    expect(active).to_have_count(0)  # no row is active before a key is pressed

    def press_and_expect(key: str, index: int) -> None:
        page.keyboard.press(key)
        expect(active).to_have_count(1)
        expect(active).to_have_attribute("data-index", str(index))

    press_and_expect("j", 0)  # the first row
    press_and_expect("j", 1)  # down
    press_and_expect("j", 2)
    press_and_expect("k", 1)  # up
    press_and_expect("k", 0)
    press_and_expect("k", 0)  # stays at the top
    press_and_expect("j", 1)
    row = rows(page).nth(1)
    expect(row).to_have_class(re.compile(r"\bll-active\b"))  # the second row, not another
    run_id = active.get_attribute("data-run-id")
    name = active.locator("a").inner_text()
    assert ids[name] == run_id

    page.keyboard.press("x")  # selects the active row for comparison
    expect(active).to_have_class(re.compile(r"\bll-selected\b"))
    expect(active.get_by_role("checkbox")).to_be_checked()
    expect(page.locator("[data-testid=run-row].ll-selected")).to_have_count(1)

    page.keyboard.press("Enter")  # opens the active row's run
    page.get_by_test_id("run-name").wait_for()
    assert page.get_by_test_id("run-name").inner_text() == name
    assert page.url.endswith(f"/runs/{run_id}")


def test_compare_two_runs_highlights_differing_params(page, ui_server):
    server, ids = ui_server
    open_project(page, server.url)
    for name in ("adam-lr0.001", "sgd-lr0.1"):
        page.locator("[data-testid=run-row]", has_text=name).get_by_role("checkbox").check()
    page.get_by_test_id("compare-button").click()
    page.get_by_test_id("param-diff").wait_for()
    lr = page.locator("[data-testid=param-diff-row][data-key=lr]")
    seed = page.locator("[data-testid=param-diff-row][data-key=seed]")
    assert lr.get_attribute("data-differs") == "true"
    assert seed.get_attribute("data-differs") == "false"
    page.wait_for_selector("[data-testid=chart-acc] canvas")
    assert page.get_by_test_id("chart-acc").get_attribute("data-series") == "2"
    assert page.get_by_test_id("parallel-coordinates").get_attribute("data-lines") == "2"
    assert re.search(ids["adam-lr0.001"], page.url)
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)


def test_missing_run_says_what_happened(page, ui_server, console):
    server, _ = ui_server
    console.expect("status of 404")  # the missing run's GET, which this test provokes
    page.goto(f"{server.url}/runs/{'0' * 32}")
    error = page.get_by_test_id("error")
    error.wait_for()
    assert "Run not found" in error.inner_text()
    assert console.errors and all("404" in e for e in console.errors)


def test_bad_filter_in_a_shared_link_shows_the_error_without_a_failed_request(page, ui_server):
    server, _ = ui_server
    page.goto(f"{server.url}/projects/vision?filter=metrics.acc%20%3E%3E%201")
    error = page.get_by_test_id("filter-error")
    error.wait_for()
    assert "position 13" in error.inner_text()


def test_server_going_down_is_reported_not_a_blank_page(page, tmp_path, console):
    from tests.conftest import ServerProcess

    data = tmp_path / "down"
    data.mkdir()
    server = ServerProcess(data)
    server.start()
    try:
        page.goto(server.url)
        page.get_by_test_id("empty").wait_for()  # no projects yet: says so
        assert "No projects yet" in page.get_by_test_id("empty").inner_text()
    finally:
        server.stop()
    console.expect("ERR_CONNECTION_REFUSED")
    page.get_by_role("link", name="LabLedger").click()
    page.evaluate(
        "window.history.pushState({}, '', '/projects/gone'); "
        "window.dispatchEvent(new PopStateEvent('popstate'))"
    )
    error = page.get_by_test_id("error")
    error.wait_for()
    assert "Server unreachable" in error.inner_text()
