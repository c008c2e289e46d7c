"""Charts of the annotator report and the agreement statistics (Altair, imported when a chart is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .drift import DRIFT_MIN_LABELS

if TYPE_CHECKING:
    from .agreement import Agreement
    from .quality import AnnotatorReport


def annotator_quality_chart(report: AnnotatorReport):
    """Quality and agreement with consensus per annotator; flagged annotators in red."""
    import altair as alt

    data = report.annotators[
        ["annotator_id", "quality", "agreement_with_consensus", "gold_accuracy", "flagged", "n_labels"]
    ]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("quality:Q", title="annotator quality", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("annotator_id:N", sort="x", title=None),
            color=alt.Color(
                "flagged:N", scale=alt.Scale(domain=[False, True], range=["#4c78a8", "#e45756"]), title="flagged"
            ),
            tooltip=[
                "annotator_id",
                "n_labels",
                alt.Tooltip("quality:Q", format=".3f"),
                alt.Tooltip("agreement_with_consensus:Q", format=".3f"),
                alt.Tooltip("gold_accuracy:Q", format=".3f"),
            ],
        )
        .properties(title="Annotator quality", width=420, height=alt.Step(16))
    )


def annotator_drift_chart(
    report: AnnotatorReport, *, annotators: list[str] | None = None, min_labels: int = DRIFT_MIN_LABELS
):
    """Weekly agreement with the others' majority per annotator; the weeks of a decline are marked.

    Annotator-weeks with fewer than ``min_labels`` labels on multi-annotated items are left out (too noisy).
    """
    import altair as alt

    data = report.drift
    data = data[data["labels"] >= min_labels]
    if annotators is not None:
        data = data[data["annotator_id"].isin(annotators)]
    flagged = set(report.flagged()["annotator_id"])
    data = data.assign(status=np.where(data["annotator_id"].isin(flagged), "flagged", "other"))
    base = alt.Chart(data).encode(
        x=alt.X("week:O", title="ISO week"),
        y=alt.Y("agreement:Q", title="agreement with the others' majority", scale=alt.Scale(zero=False)),
        detail="annotator_id:N",
    )
    lines = base.mark_line(opacity=0.6).encode(
        color=alt.Color(
            "status:N", scale=alt.Scale(domain=["other", "flagged"], range=["#bbbbbb", "#e45756"]), title=None
        ),
        tooltip=["annotator_id", "week", "labels", alt.Tooltip("agreement:Q", format=".3f")],
    )
    points = (
        base.transform_filter(alt.datum.declined)
        .mark_point(size=80, color="#e45756", filled=True)
        .encode(
            tooltip=[
                "annotator_id",
                "week",
                alt.Tooltip("agreement:Q", format=".3f"),
                alt.Tooltip("baseline:Q", format=".3f"),
                alt.Tooltip("since_agreement:Q", format=".3f"),
                alt.Tooltip("p_adjusted:Q", format=".1g"),
            ]
        )
    )
    return (lines + points).properties(
        title="Annotator agreement per week (dots: weeks of a decline, BH-controlled)", width=520, height=240
    )


def confusion_chart(confusion: pd.DataFrame, annotator_id: str):
    """Heatmap of an annotator's labels against the consensus."""
    import altair as alt

    return (
        alt.Chart(confusion)
        .mark_rect()
        .encode(
            x=alt.X("consensus_label:N", title="consensus label"),
            y=alt.Y("label:N", title=f"{annotator_id}'s label"),
            color=alt.Color("count:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["label", "consensus_label", "count"],
        )
        .properties(title=f"{annotator_id} against consensus", width=300, height=300)
    )


def agreement_trend_chart(agreement: Agreement):
    """Weekly percent agreement, Krippendorff's alpha and Gwet's AC1."""
    import altair as alt

    frame = agreement.per_week
    if frame.empty:
        frame = pd.DataFrame({"week": [], "percent_agreement": [], "krippendorff_alpha": [], "gwet_ac1": []})
    long = frame.melt(
        id_vars=["week"],
        value_vars=["percent_agreement", "krippendorff_alpha", "gwet_ac1"],
        var_name="statistic",
        value_name="value",
    )
    long["statistic"] = long["statistic"].map(
        {"percent_agreement": "percent agreement", "krippendorff_alpha": "Krippendorff alpha", "gwet_ac1": "Gwet AC1"}
    )
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="ISO week (of the item's first annotation)"),
            y=alt.Y("value:Q", title="agreement", scale=alt.Scale(zero=False)),
            color=alt.Color("statistic:N", title=None),
            tooltip=["week", "statistic", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(title="Agreement per week", width=520, height=220)
    )


def per_class_chart(agreement: Agreement):
    """Specific agreement per class (the share of co-annotators who chose the class too)."""
    import altair as alt

    return (
        alt.Chart(agreement.per_class)
        .mark_bar()
        .encode(
            x=alt.X("specific_agreement:Q", title="specific agreement", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("class:N", sort="x", title=None),
            tooltip=[
                "class",
                "annotations",
                alt.Tooltip("specific_agreement:Q", format=".3f"),
                alt.Tooltip("alpha_vs_rest:Q", format=".3f"),
            ],
        )
        .properties(title="Agreement per class", width=420, height=alt.Step(18))
    )
