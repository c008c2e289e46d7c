"""Report section: dataset overview, coverage, weekly volume, latency, annotators."""

from __future__ import annotations

from .. import charts
from ..overview import Week, compute_overview
from ..report import Section, SectionResult
from ..store import Store


def build(store: Store, week: Week) -> SectionResult:
    ov = compute_overview(store, week=week)
    k = ov.kpis
    summary = [
        f"{k['items']:,} items, {k['annotated_items']:,} annotated ({k['annotated_items'] / max(k['items'], 1):.1%}), "
        f"{k['unannotated_items']:,} waiting for a label.",
        f"{k['annotations']:,} annotations by {k['annotators']} annotators over {k['classes']} classes; "
        f"{k['gold_items']:,} gold items; predictions for {k['predictions']:,} items.",
    ]
    prev = k["previous_week_annotations"]
    change = "" if not prev else f" ({(k['week_annotations'] - prev) / prev:+.0%} on the week before)"
    summary.append(
        f"This week: {k['week_annotations']:,} annotations{change}, {k['week_items_created']:,} new items, "
        f"{k['week_active_annotators']} active annotators."
    )
    if k["week_median_latency_h"] is not None:
        summary.append(f"Median labeling latency this week: {k['week_median_latency_h']:.1f} h from item creation.")
    least = ov.coverage.sort_values("items_labeled").head(1)
    if len(least):
        row = least.iloc[0]
        summary.append(
            f"Least covered class: {row['class']} ({int(row['items_labeled'])} items labeled, "
            f"{row['share_of_annotations']:.1%} of annotations)."
        )
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
    return SectionResult(
        summary=summary,
        kpis=kpis,
        charts=figs,
        tables=ov.tables(),
        show=["coverage", "weekly"],
    )


SECTION = Section(key="overview", title="Dataset overview", order=10, build=build)
