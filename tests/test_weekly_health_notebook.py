"""notebooks/weekly_health.py: runs as a script, and serves as a read-only app that shows its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser_page, run_script, served_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "weekly_health.py"


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr


def test_weekly_health_loader_gives_the_report_of_the_default_week(demo_store_path):
    from workbench.loaders.report import load_weekly_health, report_choices

    choices = report_choices(str(demo_store_path))
    assert choices.default == "2026-W47" and choices.weeks[0] == "2026-W40"
    report = load_weekly_health(None, target=str(demo_store_path))
    assert str(report.week) == "2026-W47"
    areas = {s["area"]: s["status"] for s in report.verdict.statuses}
    assert areas["Input drift"] == "red"
    assert any("route production items to annotation" in a["text"] for a in report.verdict.actions)


@pytest.mark.browser
def test_serves_as_an_app_names_its_store_and_shows_a_bad_week_on_the_page(demo_store_path, tmp_path):
    with served_notebook(NOTEBOOK, demo_store_path, tmp_path) as url:
        with browser_page() as (page, _errors):
            page.goto(url)
            page.get_by_text("The weekly standup's report, live").wait_for(timeout=90_000)
            page.get_by_text(str(demo_store_path)).first.wait_for(timeout=30_000)
            page.get_by_text("This week: 2026-W47").first.wait_for(timeout=120_000)
            page.get_by_text("route production items to annotation").first.wait_for(timeout=30_000)
            # a filter changes what is shown
            page.locator("select").first.select_option("2026-W46")
            page.get_by_text("This week: 2026-W46").first.wait_for(timeout=120_000)
            # a bad value typed into a widget: the CLI's message, on the page, in place of the output
            box = page.get_by_placeholder("or type YYYY-Www")
            box.fill("last week")
            box.press("Enter")
            page.get_by_text("is not an ISO week").first.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "weekly_health.png"), full_page=True)
