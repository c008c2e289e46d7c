"""Report section: input drift this week (drifted share, drifted features and since when), label drift."""

from __future__ import annotations

import pandas as pd

from .. import drift as dr
from ..errors import BadInputError
from ..inputs.weeks import Week
from ..report import Section, SectionResult
from ..store import Store

MAX_LISTED = 8


def _since(frame: pd.DataFrame, column: str, week: str) -> str:
    """First week of the run of drifted weeks that ends at ``week``."""
    rows = frame[(frame["column"] == column) & (frame["week"] <= week)].sort_values("week")
    since = week
    for w, drifted in zip(rows["week"][::-1], rows["drifted"][::-1], strict=True):
        if not drifted:
            break
        since = w
    return since


def build(store: Store, week: Week) -> SectionResult | None:
    if not store.has("items") or "created_at" not in store.table("items").columns:
        return None
    weeks = dr.item_weeks(store)
    if week not in weeks:
        return SectionResult(summary=[f"No items were created in {week}; nothing to compare."])
    n_ref = int(dr.drift_config().get("reference_weeks", dr.REFERENCE_WEEKS))
    if week <= weeks[min(n_ref, len(weeks)) - 1]:
        reference = dr.Window.weeks(weeks[0], weeks[min(n_ref, len(weeks)) - 1])
        return SectionResult(
            summary=[f"{week} is part of the drift reference ({reference}); later weeks are compared with it."]
        )
    try:
        weekly = dr.compute_drift_by_week(store, weeks=[str(w) for w in weeks if w <= week])
    except BadInputError as exc:
        return SectionResult(summary=[f"Drift is not computed for {week}: {exc}"])
    frame = weekly.to_frame()
    result = weekly.result(str(week))
    summary_frame = weekly.summary()
    verdict = "DATASET DRIFT" if result.dataset_drift else "no dataset drift"
    lines = [
        f"{week} against the reference {weekly.reference} ({result.n_reference:,} items): {verdict}; "
        f"{result.n_drifted} of {len(result.columns)} input features drifted ({result.drifted_share:.0%}, "
        f"threshold {result.drift_share:.0%}). Methods and thresholds are Evidently's defaults.",
    ]
    drifted = result.drifted_columns()
    if drifted:
        listed = []
        for name in drifted[:MAX_LISTED]:
            c = result.column(name)
            listed.append(f"{name} ({c.method} {c.statistic:.3g}, since {_since(frame, name, str(week))})")
        more = f" and {len(drifted) - MAX_LISTED} more" if len(drifted) > MAX_LISTED else ""
        lines.append("Drifted features: " + "; ".join(listed) + more + ".")
    earlier = summary_frame[summary_frame["week"] < str(week)]
    if len(earlier):
        trend = ", ".join(f"{w} {s:.0%}" for w, s in zip(earlier["week"], earlier["drifted_share"], strict=True))
        lines.append(f"Drifted share in earlier weeks: {trend}.")
    if result.label_drift is not None:
        c = result.label_drift
        lines.append(
            f"Label distribution (majority label per item, outside the dataset verdict): "
            f"{'drifted' if c.drifted else 'stable'} ({c.method} {c.statistic:.3g}, threshold {c.threshold:g})."
        )
    if result.prediction_drift is not None:
        c = result.prediction_drift
        lines.append(
            f"Predicted labels: {'drifted' if c.drifted else 'stable'} ({c.method} {c.statistic:.3g})."
        )
    features = result.to_frame()
    features = features.sort_values(["drifted", "severity"], ascending=[False, False]).reset_index(drop=True)
    charts = [
        dr.drifted_share_chart(summary_frame, drift_share=result.drift_share),
        dr.drift_heatmap_chart(frame),
        dr.top_drifted_chart(result, n=3),
    ]
    return SectionResult(
        summary=lines,
        kpis={
            "drifted_share": round(result.drifted_share, 4),
            "dataset_drift": result.dataset_drift,
            "drifted_features": result.n_drifted,
            "label_drift": None if result.label_drift is None else result.label_drift.drifted,
        },
        charts=charts,
        tables={"columns": features, "by_week": summary_frame},
        show=["by_week"],
        notes=[
            "Statistics are computed in the store with Evidently's method choice and thresholds; "
            "workbench drift --by week --html writes Evidently's own report on a sample."
        ],
    )


SECTION = Section(key="drift", title="Input drift", order=40, build=build)
