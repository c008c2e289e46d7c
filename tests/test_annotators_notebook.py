"""notebooks/annotators.py runs as a script, exports to HTML with its outputs, and serves as an app."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser_page, export_html, run_script, served_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "annotators.py"


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr


def test_fails_clearly_without_a_store(tmp_path):
    result = run_script(NOTEBOOK, tmp_path / "missing.duckdb", tmp_path)
    assert result.returncode != 0
    assert "does not exist" in result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "annotators.html"
    result = export_html(NOTEBOOK, demo_store_path, tmp_path, out)
    assert result.returncode == 0, result.stderr  # marimo exits non-zero when a cell raised
    page = out.read_text()
    assert "Annotators: agreement, consensus and quality" in page
    assert page.count("\\u003Cmarimo-vega") >= 5  # trend, per class, quality, drift, confusion
    assert "Consensus: \\u003Ccode\\u003Ecrowdlab" in page  # the computed consensus method was rendered
    assert "re-calibration needed" in page  # the flagged annotators' reasons are in the table
    assert "2026-W44" in page


@pytest.mark.browser
def test_serves_with_marimo_run_in_a_real_browser(demo_store_path, tmp_path):
    from workbench.loaders.annotators import load_annotators

    first = load_annotators(str(demo_store_path)).default_annotator  # the first flagged annotator (a15 on the demo)
    with served_notebook(NOTEBOOK, demo_store_path, tmp_path) as url:
        with browser_page() as (page, _errors):
            page.goto(url)
            page.get_by_text("which consensus label each item gets").first.wait_for(timeout=90_000)
            page.locator("canvas").nth(4).wait_for(timeout=90_000)
            page.get_by_role("heading", name=f"{first} against the consensus").wait_for(timeout=60_000)
            # Drill into another annotator: the confusion chart and disagreement table follow.
            page.locator("select").nth(1).select_option("a03")
            page.get_by_role("heading", name="a03 against the consensus").wait_for(timeout=60_000)
            # Switch the consensus method: the page recomputes for this visitor.
            page.locator("select").first.select_option("mv")
            page.get_by_text("requested with --method mv").first.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            n_charts = page.locator("canvas").count()
        assert n_charts >= 5
