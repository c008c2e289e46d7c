"""The weekly report: files, values in its CSVs, section plug-ins, offline rendering in a real browser."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.report import Section, SectionResult, build_report, discover_sections

from .browser import browser_page

runner = CliRunner()


@pytest.fixture(scope="module")
def report(demo_store_path, tmp_path_factory):
    import shutil

    out = tmp_path_factory.mktemp("reports")
    store = out.parent / "report-store.duckdb"  # the report records its KPIs: a copy, not the shared store
    shutil.copy(demo_store_path, store)
    result = runner.invoke(app, ["--store", str(store), "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_report_writes_page_tables_and_summary(report, demo_dir):
    out, output = report
    folder = out / "2026-W47"
    index = folder / "index.html"
    assert str(index.resolve()) in output.replace("\n", "")
    page = index.read_text()
    # Self-contained: no external scripts, styles or images.
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "window.vegaEmbed" in page
    overview = page[page.index("id='section-overview'") :]
    overview = overview[: overview.index("</section>")]
    assert overview.count("<div class='chart'") == 6
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    weekly = pd.read_csv(folder / "overview_weekly.csv")
    assert weekly["annotations"].sum() == len(ann)
    coverage = pd.read_csv(folder / "overview_coverage.csv")
    assert coverage.set_index("class")["annotations"].to_dict() == ann.label.value_counts().to_dict()
    summary = json.loads((folder / "report.json").read_text())
    assert summary["week"] == "2026-W47"
    assert summary["sections"]["overview"]["kpis"]["annotations"] == len(ann)
    assert summary["errors"] == {}
    # the drift verdict tiles read as words, not as the 1/0 a bool formats to
    drift_kpis = summary["sections"]["drift"]["kpis"]
    assert drift_kpis["dataset_drift"] is True
    drift_html = page[page.index("id='section-drift'"):]
    assert "<b>yes</b><span>dataset drift</span>" in drift_html
    # shares read as percentages (the planted shift drifts every input feature in the report's week)
    assert drift_kpis["drifted_share"] == 1.0
    assert "<b>100%</b><span>drifted share</span>" in drift_html
    agreement = summary["sections"]["annotators"]["kpis"]["percent_agreement"]
    assert f"<b>{agreement:.1%}</b><span>percent agreement</span>" in page
    # tables read the same way; the CSVs keep the raw values
    assert "<td>100%</td>" in drift_html and "<td>yes</td>" in drift_html and "<td>True</td>" not in drift_html
    assert pd.read_csv(folder / "drift_by_week.csv")["dataset_drift"].dtype == bool


def test_report_for_a_given_week_only_counts_up_to_it(demo_store_path, tmp_path):
    result = runner.invoke(
        app, ["--store", str(demo_store_path), "report", "--week", "2026-W43", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    weekly = pd.read_csv(tmp_path / "2026-W43" / "overview_weekly.csv")
    assert weekly["week"].tolist() == ["2026-W40", "2026-W41", "2026-W42", "2026-W43"]


@pytest.mark.parametrize(
    "week,message",
    [("2026-46", "YYYY-Www"), ("2027-W10", "outside the data"), ("2026-W60", "no ISO week")],
)
def test_bad_week_exits_2(demo_store_path, tmp_path, week, message):
    result = runner.invoke(app, ["--store", str(demo_store_path), "report", "--week", week, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output
    assert not any(tmp_path.iterdir())


def test_sections_are_discovered_and_ordered():
    sections = discover_sections()
    keys = [s.key for s in sections]
    assert keys[0] == "overview"
    assert [s.order for s in sections] == sorted(s.order for s in sections)


def test_a_failing_section_does_not_hide_the_others(demo_store, tmp_path):
    def broken(store, week):
        raise RuntimeError("capability exploded")

    def extra(store, week):
        return SectionResult(summary=["hello from a plug-in"], tables={"t": pd.DataFrame({"a": [1, 2]})}, show=["t"])

    sections = [
        *discover_sections()[:1],
        Section("broken", "Broken", 50, broken),
        Section("extra", "Extra", 60, extra),
        Section("skip", "Not applicable", 70, lambda store, week: None),
    ]
    result = build_report(demo_store, out=tmp_path, sections=sections)
    assert result.errors == {"broken": "RuntimeError: capability exploded"}
    assert result.sections == ["overview", "extra"]
    assert result.skipped == ["skip"]
    page = result.path.read_text()
    assert "capability exploded" in page and "hello from a plug-in" in page
    assert pd.read_csv(tmp_path / result.week / "extra_t.csv")["a"].tolist() == [1, 2]
    with pytest.raises(RuntimeError):
        build_report(demo_store, out=tmp_path, sections=sections, strict=True)


def test_a_chart_that_cannot_be_drawn_lands_in_its_sections_error_box(demo_store, tmp_path):
    import altair as alt

    def too_many_marks(store, week):  # Altair refuses to embed more than 5,000 rows
        frame = pd.DataFrame({"x": range(6000), "y": range(6000)})
        return SectionResult(summary=["never shown"], charts=[alt.Chart(frame).mark_point().encode(x="x", y="y")])

    sections = [*discover_sections()[:1], Section("big", "Big chart", 50, too_many_marks)]
    result = build_report(demo_store, out=tmp_path, sections=sections)
    assert list(result.errors) == ["big"] and "MaxRowsError" in result.errors["big"]
    assert result.sections == ["overview"]
    assert "could not be computed" in result.path.read_text()


@pytest.mark.browser
def test_report_renders_offline_in_a_real_browser(report):
    out, _ = report
    index = out / "2026-W47" / "index.html"
    with browser_page() as (page, errors):
        requests: list[str] = []
        page.route(
            "**/*",
            lambda route: (
                (requests.append(route.request.url), route.continue_())
                if route.request.url.startswith("file://")
                else (requests.append(route.request.url), route.abort())
            ),
        )
        page.goto(index.as_uri())
        page.wait_for_function(
            "document.querySelectorAll('#section-overview .chart svg').length === 6"
            " && document.querySelectorAll('.chart svg').length === document.querySelectorAll('.chart').length",
            timeout=60_000,
        )
        marks = page.evaluate("document.querySelectorAll('.chart svg .mark-rect path, .chart svg path').length")
        title = page.title()
        verdict = page.locator("#this-week")
        verdict_visible = verdict.is_visible()
        verdict_text = verdict.inner_text()
        tiles = page.locator("#this-week .kpi").count()
        sparks = page.locator("#this-week svg.spark").count()
        statuses = page.locator("#this-week .statuses li").count()
        page.screenshot(path=str(out / "report.png"), full_page=True)
    assert title == "Data health 2026-W47"
    assert verdict_visible and "Actions" in verdict_text and "estimate" in verdict_text.lower()
    # a first run: earlier weeks come from what the sections compute (weekly volume, agreement, drifted share)
    assert statuses >= 3 and tiles >= 4 and sparks >= 3
    assert marks > 50  # bars, lines and heatmap cells were drawn
    assert [u for u in requests if not u.startswith("file://")] == []
    assert errors == []


def test_text_from_the_data_is_escaped_in_the_page(tmp_path):
    from workbench.store import Store

    from .test_contract import write_small

    evil = "<img src=x onerror=alert(1)>"
    folder = write_small(
        tmp_path / "ds",
        annotations=pd.DataFrame(
            {
                "item_id": ["i1", "i1", "i2", "i3", "i4"],
                "annotator_id": [evil, "ann2", evil, "ann2", "ann1"],
                "label": ["cat", "cat", "dog", evil, "bird"],
                "created_at": ["2026-10-05T12:00:00Z"] * 5,
            }
        ),
        gold=None,
        predictions=None,
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest(folder)
        result = build_report(store, out=tmp_path / "r")
    page = result.path.read_text()
    body = page[page.index("<main>") : page.index("</main>")]  # the charts' data travels as JSON in a script
    assert "<img" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_the_first_screen_leads_with_the_verdict_on_the_planted_problems(report, truth):
    out, _ = report
    page = (out / "2026-W47" / "index.html").read_text()
    main = page[page.index("<main>") :]
    verdict = main[main.index("id='this-week'") : main.index("</section>")]
    assert main.index("id='this-week'") < main.index("id='section-overview'")  # before any section
    text = " ".join(verdict.split())
    assert "Inputs drifted since 2026-W46 in 66 of 66 features" in text
    assert f"Recalibrate {truth['degrading_annotator']['annotator_id']}" in text and "since 2026-W44" in text
    a, b = truth["ambiguous_pair"]
    assert "one-vs-seven" in text and ("one / seven" in text or f"{a} from {b}" in text or f"{b} from {a}" in text)
    assert "estimate" in text.lower()
