"""Charts of a :class:`~workbench.labels.quality.LabelQuality` result (Altair, imported when a chart is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import altair as alt

    from .quality import LabelQuality

WIDTH = 560


def class_health_chart(result: LabelQuality) -> alt.Chart:
    """Estimated noise rate per class (share of the class's given labels estimated wrong)."""
    import altair as alt

    data = result.classes[["class", "items", "flagged", "noise_rate"]]
    return (
        alt.Chart(data, title="Estimated label noise per class")
        .mark_bar()
        .encode(
            y=alt.Y("class:N", sort="-x", title="given class"),
            x=alt.X("noise_rate:Q", axis=alt.Axis(format="%"), title="estimated noise rate"),
            tooltip=["class", "items", "flagged", alt.Tooltip("noise_rate:Q", format=".1%")],
        )
        .properties(width=WIDTH)
    )


def confusion_chart(result: LabelQuality) -> alt.Chart:
    """Heatmap of given versus suggested label (a cell per class pair, item counts)."""
    import altair as alt

    data = result.confusion.copy()
    data["agrees"] = data["given_label"] == data["suggested_label"]
    classes = list(result.params["classes"])
    base = alt.Chart(data, title="Given versus suggested label").encode(
        x=alt.X("suggested_label:N", sort=classes, title="suggested label"),
        y=alt.Y("given_label:N", sort=classes, title="given label"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("items:Q", scale=alt.Scale(type="log", scheme="blues"), title="items"),
        tooltip=["given_label", "suggested_label", "items"],
    )
    text = base.mark_text(fontSize=9).encode(
        text="items:Q", color=alt.condition("datum.agrees", alt.value("white"), alt.value("black"))
    )
    return (cells + text).properties(width=WIDTH * 0.7, height=WIDTH * 0.7)


def score_distribution_chart(result: LabelQuality, *, bins: int = 40) -> alt.Chart:
    """Histogram of ``label_quality`` (pre-binned), flagged and unflagged items stacked."""
    import altair as alt

    q = result.issues["label_quality"].to_numpy()
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, q, side="right") - 1, 0, bins - 1)
    flags = result.issues["is_label_issue"].to_numpy()
    rows = []
    for flagged in (True, False):
        counts = np.bincount(idx[flags == flagged], minlength=bins)
        rows.append(
            pd.DataFrame(
                {
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    "items": counts,
                    "flag": "flagged as label issue" if flagged else "not flagged",
                }
            )
        )
    data = pd.concat(rows, ignore_index=True)
    data = data[data["items"] > 0]
    return (
        alt.Chart(data, title=f"Label quality scores ({result.params['rank_by']})")
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="label quality (lower = more likely wrong)"),
            x2="bin_end:Q",
            y=alt.Y("items:Q", stack=True),
            color=alt.Color("flag:N", title=None, scale=alt.Scale(range=["#d62728", "#9ecae1"])),
            tooltip=["flag", "items", alt.Tooltip("bin_start:Q", format=".3f"), alt.Tooltip("bin_end:Q", format=".3f")],
        )
        .properties(width=WIDTH)
    )


def slice_chart(result: LabelQuality, attribute: str) -> alt.Chart:
    """Issue rate per value of one slice attribute (``source``, ``split``, ``guideline_version``, ``annotator``)."""
    import altair as alt

    data = result.slices[attribute]
    return (
        alt.Chart(data, title=f"Label issue rate by {attribute}")
        .mark_bar()
        .encode(
            y=alt.Y("slice:N", sort="-x", title=attribute),
            x=alt.X("issue_rate:Q", axis=alt.Axis(format="%"), title="share of items flagged"),
            tooltip=["slice", "items", "label_issues", alt.Tooltip("issue_rate:Q", format=".1%")],
        )
        .properties(width=WIDTH / 2)
    )
