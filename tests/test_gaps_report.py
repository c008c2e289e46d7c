"""The gaps report section, the notebook loader and notebooks/error_analysis.py."""

from __future__ import annotations

from pathlib import Path

from workbench.inputs.weeks import default_week
from workbench.loaders.gaps import explore_slices, gap_items, load_gaps
from workbench.sections.gaps import SECTION

from .browser import export_html, run_script

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "error_analysis.py"


def test_section_lists_the_top_gaps_and_hygiene(demo_store):
    built = SECTION.build(demo_store, default_week(demo_store))
    assert SECTION.key == "gaps"
    gaps = built.tables["gaps"]
    assert gaps.iloc[0]["section_id"] == "one-vs-seven"
    assert "clarify section one-vs-seven" in " ".join(built.summary)
    assert any("Synthetic quarantine" in line for line in built.summary)
    assert built.kpis["significant_gaps"] == len(gaps) >= 2


def test_loader_keeps_errors_for_the_page(tmp_path):
    view = load_gaps(str(tmp_path / "missing.duckdb"))
    assert view.result is None and view.error


def test_loader_slices_and_items(demo_store_path):
    view = load_gaps(str(demo_store_path), hygiene=False)
    s = explore_slices(view.result, dimensions=["pair"])
    assert s.iloc[0]["value"] == "one / seven"
    ids = view.result.gaps.iloc[0]["example_item_ids"]
    items = gap_items(str(demo_store_path), ids)
    assert sorted(items["item_id"]) == sorted(ids) and items["labels"].notna().all()


def test_notebook_runs_as_a_script_and_exports(demo_store_path, tmp_path):
    result = run_script(NOTEBOOK, demo_store_path, tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "error_analysis.html"
    result = export_html(NOTEBOOK, demo_store_path, tmp_path, out)
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "Ranked gaps" in page and "significant gaps" in page
