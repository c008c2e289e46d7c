"""Altair charts: functions that take a result's small frames and return a chart.

Each chart is aggregated before it is drawn (a row per class, week or
annotator-week), so it stays at a few hundred marks whatever the data size.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

WIDTH = 560


def coverage_chart(coverage: pd.DataFrame) -> alt.Chart:
    """Annotations and distinct items labeled, per class."""
    long = coverage.melt(
        id_vars="class", value_vars=["annotations", "items_labeled"], var_name="measure", value_name="count"
    )
    return (
        alt.Chart(long, title="Label coverage per class")
        .mark_bar()
        .encode(
            y=alt.Y("class:N", sort="-x", title="class"),
            x=alt.X("count:Q", title="count"),
            color=alt.Color("measure:N", title=None),
            yOffset="measure:N",
            tooltip=["class", "measure", "count"],
        )
        .properties(width=WIDTH)
    )


def completeness_chart(completeness: pd.DataFrame) -> alt.Chart:
    """Items by number of annotations received (0 = not labeled yet)."""
    return (
        alt.Chart(completeness, title="Label completeness: items by number of annotations")
        .mark_bar()
        .encode(
            x=alt.X("n_annotations:N", sort=["0", "1", "2", "3+"], title="annotations per item"),
            y=alt.Y("items:Q", title="items"),
            tooltip=["n_annotations", "items", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=WIDTH / 2)
    )


def _weekly_lines(weekly: pd.DataFrame, measures: tuple[str, ...], *, value: str, title: str, fmt: str) -> alt.Chart:
    """One line per measure (a column of ``weekly``) over the ISO weeks."""
    cols = [c for c in measures if c in weekly]
    long = weekly.melt(id_vars="week", value_vars=cols, var_name="measure", value_name=value)
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y(f"{value}:Q"),
            color=alt.Color("measure:N", title=None),
            tooltip=["week", "measure", alt.Tooltip(f"{value}:Q", format=fmt)],
        )
        .properties(width=WIDTH)
    )


def annotations_per_week_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Annotations and items created per ISO week."""
    return _weekly_lines(
        weekly, ("annotations", "items_created"), value="count", title="Annotations and new items per week", fmt=","
    )


def latency_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Median and 90th percentile hours from item creation to annotation, per week."""
    return _weekly_lines(
        weekly,
        ("median_latency_h", "p90_latency_h"),
        value="hours",
        title="Labeling latency (hours from item creation to annotation)",
        fmt=".1f",
    )


def throughput_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Annotations per active annotator and median seconds per annotation, per week."""
    base = alt.Chart(weekly).encode(x=alt.X("week:O", title="ISO week"))
    bars = base.mark_bar(opacity=0.5).encode(
        y=alt.Y("annotations_per_annotator:Q", title="annotations per active annotator"),
        tooltip=["week", alt.Tooltip("annotations_per_annotator:Q", format=".1f")],
    )
    layers = [bars]
    if "median_duration_s" in weekly:
        layers.append(
            base.mark_line(point=True, color="#d62728").encode(
                y=alt.Y("median_duration_s:Q", title="median seconds per annotation"),
                tooltip=["week", "median_duration_s"],
            )
        )
    return alt.layer(*layers).resolve_scale(y="independent").properties(width=WIDTH, title="Labeling throughput")


def annotators_active_chart(annotator_weeks: pd.DataFrame) -> alt.Chart:
    """Annotations per annotator and week: who was active when."""
    return (
        alt.Chart(annotator_weeks, title="Annotators active per week")
        .mark_rect()
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y("annotator_id:N", title="annotator"),
            color=alt.Color("annotations:Q", title="annotations"),
            tooltip=["week", "annotator_id", "annotations"],
        )
        .properties(width=WIDTH)
    )
