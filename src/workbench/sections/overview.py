"""Report section: dataset overview, coverage, weekly volume, latency, annotators."""

from __future__ import annotations

from .. import charts
from ..inputs.weeks import Week
from ..overview import compute_overview
from ..report import Section, SectionResult
from ..store import Store


def build(store: Store, week: Week) -> SectionResult:
    ov = compute_overview(store, week=week)
    k = ov.kpis
    summary = ov.summary_lines()
    figs = [charts.coverage_chart(ov.coverage), charts.completeness_chart(ov.completeness)]
    if "annotations" in ov.weekly:
        figs.append(charts.annotations_per_week_chart(ov.weekly))
    if "median_latency_h" in ov.weekly:
        figs.append(charts.latency_chart(ov.weekly))
    if "annotations_per_annotator" in ov.weekly:
        figs.append(charts.throughput_chart(ov.weekly))
    if len(ov.annotator_weeks):
        figs.append(charts.annotators_active_chart(ov.annotator_weeks))
    kpis = {
        "items": k["items"],
        "annotated_items": k["annotated_items"],
        "annotations": k["annotations"],
        "annotators": k["annotators"],
        "classes": k["classes"],
        "week_annotations": k["week_annotations"],
        "week_active_annotators": k["week_active_annotators"],
        "week_median_latency_h": k["week_median_latency_h"],
    }
    weekly = ov.weekly.set_index("week") if "week" in ov.weekly else None
    history = {}
    if weekly is not None:
        if "annotations" in weekly:
            history["week_annotations"] = weekly["annotations"].to_dict()
        if "median_latency_h" in weekly:
            history["week_median_latency_h"] = weekly["median_latency_h"].to_dict()
    return SectionResult(
        summary=summary,
        kpis=kpis,
        charts=figs,
        tables=ov.tables(),
        show=["coverage", "weekly"],
        headline={"week_annotations": "up", "week_median_latency_h": "down"},
        history=history,
    )


SECTION = Section(key="overview", title="Dataset overview", order=10, build=build)
