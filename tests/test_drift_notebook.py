"""notebooks/drift.py runs as a script, exports to HTML with its outputs, and serves as an app."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser_page, export_html, run_script, served_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "drift.py"


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "drift.html"
    result = export_html(NOTEBOOK, demo_store_path, tmp_path, out)
    assert result.returncode == 0, result.stderr  # marimo exits non-zero when a cell raised
    page = out.read_text()
    assert "input features drifted" in page
    assert "100%" in page  # the default current week (2026-W47) has every feature drifted
    assert page.count("\\u003Cmarimo-vega") >= 4  # distribution, top drifted, drifted share, heatmap
    assert "2026-W46" in page  # the weekly heatmap's data
    assert "Press the button to render it" in page  # Evidently's report waits behind its button


@pytest.mark.browser
def test_serves_with_marimo_run_in_a_real_browser(demo_store_path, tmp_path):
    with served_notebook(NOTEBOOK, demo_store_path, tmp_path) as url:
        with browser_page() as (page, _errors):
            page.goto(url)
            page.get_by_text("input features drifted").first.wait_for(timeout=90_000)
            page.locator("canvas").nth(3).wait_for(timeout=90_000)
            # A week before the planted shift: nothing drifts at the dataset level.
            box = page.get_by_role("textbox").nth(1)
            box.fill("2026-W44")
            box.press("Enter")
            page.get_by_text("items in 2026-W44").first.wait_for(timeout=90_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            n_charts = page.locator("canvas").count()
            page.get_by_text(str(demo_store_path)).first.wait_for(timeout=30_000)  # it says which store it reads
            # A bad window typed into a widget: the CLI's message, on the page, where the output would be.
            reference = page.get_by_role("textbox").nth(0)
            reference.fill("last week")
            reference.press("Enter")
            page.get_by_text("is not a window").first.wait_for(timeout=90_000)
        assert n_charts >= 4
