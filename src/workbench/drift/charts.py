"""Drift charts: functions of a result (or of weekly drift rows) that return an Altair chart.

Altair is imported inside each function, so importing :mod:`workbench.drift`
does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .configuration import DEFAULT_DRIFT_SHARE

if TYPE_CHECKING:
    import altair as alt

    from .compute import DriftResult

WIDTH = 420
# What a heatmap cell shows: a history stored before statistic_kind and compared_with existed has them as nulls.
_HEATMAP_FIELDS = ["week", "column", "method", "statistic", "statistic_kind", "threshold", "compared_with", "drifted"]


def distribution_chart(result: DriftResult, column: str) -> alt.Chart:
    """Reference vs current distribution of one column (shares per bucket)."""
    import altair as alt

    data = result.distributions.get(column)
    c = result.column(column) if column in {x.column for x in result.columns} else None
    title = column if c is None else f"{column}: {c.verdict} ({c.comparison()})"
    color = alt.Color("window:N", scale=alt.Scale(domain=["reference", "current"], range=["#7f7f7f", "#d62728"]))
    if data is None or data.empty:
        return (
            alt.Chart(pd.DataFrame({"note": ["no distribution (text column)"]}), title=title)
            .mark_text()
            .encode(text="note:N")
        )
    if data["value"].isna().all():
        return (
            alt.Chart(data, title=title)
            .mark_bar(opacity=0.5)
            .encode(
                x=alt.X("start:Q", title=column, bin="binned"),
                x2="end:Q",
                y=alt.Y("share:Q", title="share of rows", stack=None),
                color=color,
                tooltip=["window", alt.Tooltip("start:Q", format=".3g"), alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(width=WIDTH, height=160)
        )
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", title=None, sort="-x"),
            x=alt.X("share:Q", title="share of rows"),
            color=color,
            yOffset="window:N",
            tooltip=["value", "window", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=WIDTH, height=alt.Step(9))
    )


def top_drifted_chart(result: DriftResult, *, n: int = 4) -> alt.VConcatChart | alt.Chart:
    """Distribution overlays of the ``n`` most drifted features (the most severe when none drifted)."""
    import altair as alt

    ranked = sorted(result.columns, key=lambda c: -c.severity)
    chosen = [c.column for c in ranked if c.column in result.distributions][:n]
    charts = [distribution_chart(result, c) for c in chosen]
    if not charts:
        return alt.Chart(pd.DataFrame({"note": ["no features to chart"]})).mark_text().encode(text="note:N")
    return alt.vconcat(*charts).properties(title=f"{result.current} vs {result.reference}: most drifted features")


def drift_heatmap_chart(frame: pd.DataFrame, *, max_columns: int = 40) -> alt.Chart:
    """Features x weeks: each cell's severity (how far past what it is compared with its statistic is; outlined
    cells drifted); with more than ``max_columns`` features, the ones drifted in the most weeks, then nearest
    their thresholds over all weeks (a shift that drifts every feature at once does not hide the ones that
    drifted before it)."""
    import altair as alt

    data = frame[frame["scope"] == "feature"] if "scope" in frame else frame
    title = "Feature drift per week (outlined: drifted)"
    n_features = data["column"].nunique()
    if n_features > max_columns:
        rank = data.assign(capped=data["severity"].clip(upper=3.0), weeks=data["drifted"].astype(int))
        rank = rank.groupby("column")[["weeks", "capped"]].sum().sort_values(["weeks", "capped"], ascending=False)
        data = data[data["column"].isin(rank.index[:max_columns])]
        title = f"Feature drift per week, the {max_columns} most drifted of {n_features} features (outlined: drifted)"
    data = data.assign(severity_capped=data["severity"].clip(upper=3.0))
    return (
        alt.Chart(data[[c for c in _HEATMAP_FIELDS if c in data] + ["severity_capped"]])
        .mark_rect(stroke="black")
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y("column:N", title=None, sort=None, axis=alt.Axis(labelFontSize=10)),
            color=alt.Color(
                "severity_capped:Q", title="severity (> 1 drifted)", scale=alt.Scale(scheme="orangered", domain=[0, 3])
            ),
            strokeWidth=alt.condition("datum.drifted", alt.value(1.5), alt.value(0)),
            tooltip=[
                "week",
                "column",
                "method",
                alt.Tooltip("statistic:Q", format=".3g"),
                alt.Tooltip("statistic_kind:N", title="statistic is a"),
                alt.Tooltip("compared_with:Q", format=".3g", title="compared with"),
                "drifted",
            ],
        )
        .properties(width=WIDTH, height=alt.Step(13), title=title)  # 13 px a row: labels do not overlap
    )


def drifted_share_chart(summary: pd.DataFrame, *, drift_share: float = DEFAULT_DRIFT_SHARE) -> alt.LayerChart:
    """Share of drifted input features per week, with the dataset threshold."""
    import altair as alt

    line = (
        alt.Chart(summary)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y("drifted_share:Q", title="share of drifted features", scale=alt.Scale(domain=[0, 1])),
            tooltip=["week", alt.Tooltip("drifted_share:Q", format=".0%"), "dataset_drift"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [drift_share]})).mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="y:Q")
    return alt.layer(line, rule).properties(width=WIDTH, title="Drifted share of input features per week")
