"""notebooks/overview.py runs as a script, exports to HTML, and serves as a read-only app."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser_page, export_html, run_script, served_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "overview.py"


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr


def test_runs_as_a_script_and_fails_clearly_without_a_store(tmp_path):
    result = run_script(NOTEBOOK, tmp_path / "missing.duckdb", tmp_path)
    assert result.returncode != 0
    assert "does not exist" in result.stderr and "workbench demo" in result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "overview.html"
    result = export_html(NOTEBOOK, demo_store_path, tmp_path, out)
    assert result.returncode == 0, result.stderr  # marimo exits non-zero when a cell raised
    page = out.read_text()
    assert "Dataset overview" in page
    assert page.count("marimo-vega") >= 6  # the six charts were rendered into the export
    assert "2026-W47" in page


@pytest.mark.browser
def test_serves_with_marimo_run_in_a_real_browser(demo_store_path, tmp_path):
    with served_notebook(NOTEBOOK, demo_store_path, tmp_path) as url:
        with browser_page() as (page, _errors):
            page.goto(url)
            page.get_by_text("What is in the store").wait_for(timeout=90_000)
            # marimo renders outputs in shadow roots; Playwright's locators pierce them.
            page.locator("canvas").nth(5).wait_for(timeout=90_000)
            n_charts = page.locator("canvas").count()
            page.get_by_text("2,037").first.wait_for(timeout=30_000)
            # Interact: pick an earlier week; the library recomputes for this visitor.
            page.locator("select").first.select_option("2026-W43")
            page.get_by_text("annotations in 2026-W43").wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        assert n_charts >= 6
