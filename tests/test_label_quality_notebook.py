"""notebooks/label_quality.py runs as a script, exports to HTML, and serves as a read-only app."""

from __future__ import annotations

from pathlib import Path

import pytest

from .browser import browser_page, export_html, run_script, served_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "label_quality.py"


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # a read-only notebook writes nothing


def test_fails_clearly_without_a_store(tmp_path):
    result = run_script(NOTEBOOK, tmp_path / "missing.duckdb", tmp_path)
    assert result.returncode != 0
    assert "does not exist" in result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "label_quality.html"
    result = export_html(NOTEBOOK, demo_store_path, tmp_path, out)
    assert result.returncode == 0, result.stderr  # marimo exits non-zero when a cell raised
    page = out.read_text()
    assert "Label quality" in page
    assert "label health score" in page
    assert "Estimated label noise per class" in page
    assert "Given versus suggested label" in page
    assert page.count("marimo-vega") >= 3
    assert "majority_vote" in page and "demo-logreg-v1" in page  # which consensus and probabilities were used


@pytest.mark.browser
def test_serves_with_marimo_run_and_shows_selected_details(demo_store_path, tmp_path):
    with served_notebook(NOTEBOOK, demo_store_path, tmp_path) as url:
        with browser_page() as (page, _errors):
            page.goto(url)
            page.get_by_text("Which given labels are likely wrong").wait_for(timeout=90_000)
            page.get_by_text("Select rows in the table").wait_for(timeout=60_000)
            page.get_by_role("heading", name="Where the errors cluster").scroll_into_view_if_needed()
            page.locator("canvas, svg.marks").nth(2).wait_for(timeout=90_000)  # three charts drawn
            page.get_by_role("heading", name="Ranked issues").scroll_into_view_if_needed()
            # select the first ranked row: the details panel shows that item's annotations
            page.locator("tbody tr").first.locator("button[role='checkbox'], input[type='checkbox']").first.click()
            page.get_by_role("heading", name="Their annotations").wait_for(timeout=60_000)
            selected = page.get_by_role("heading", name="Selected items").inner_text()
            # the annotations table of the selected item (its column header), and the summary line
            page.get_by_text("annotator_id", exact=True).first.wait_for(timeout=60_000)
            page.get_by_text("Label health score 0.857").first.wait_for(timeout=10_000)
            # the heavy Datalab step runs only on demand
            page.get_by_role("button", name="Check dataset issues").click()
            page.get_by_text("Dataset issues (Cleanlab Datalab) on all 2,037 items").wait_for(timeout=90_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        assert selected == "Selected items (1)"
