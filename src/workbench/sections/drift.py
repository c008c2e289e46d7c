"""Report section: input drift this week (drifted share, drifted features and since when), label drift."""

from __future__ import annotations

from .. import drift as dr
from ..errors import BadInputError
from ..inputs.weeks import Week, item_weeks
from ..report import Section, SectionResult
from ..store import Store


def build(store: Store, week: Week) -> SectionResult | None:
    if not store.has("items") or "created_at" not in store.table("items").columns:
        return None
    weeks = item_weeks(store)
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
    features = result.to_frame()
    features = features.sort_values(["drifted", "severity"], ascending=[False, False]).reset_index(drop=True)
    charts = [
        dr.drifted_share_chart(summary_frame, drift_share=result.drift_share),
        dr.drift_heatmap_chart(frame),
        dr.top_drifted_chart(result, n=3),
    ]
    return SectionResult(
        summary=weekly.summary_lines(str(week)),
        kpis={
            "drifted_share": round(result.drifted_share, 4),
            "dataset_drift": result.dataset_drift,
            "drifted_features": result.n_drifted,
            "label_drift": None if result.label_drift is None else result.label_drift.drifted,
            "label_drift_method": None if result.label_drift is None else result.label_drift.method,
        },
        charts=charts,
        tables={"columns": features, "by_week": summary_frame},
        show=["by_week"],
        notes=[
            "Statistics are computed in the store with Evidently's method choice and thresholds for features; "
            "labels and predicted labels use a two-sample chi-square (the reference's own sampling noise counted), "
            "outside the dataset verdict. Each statistic is a p-value (drifted when below its threshold), a "
            "distance (drifted at or above it) or a ROC AUC (drifted above the threshold on the same scale); "
            "the table's statistic_kind and compared_with say which. "
            "workbench drift --by week --html writes Evidently's own report on a sample."
        ],
    )


SECTION = Section(key="drift", title="Input drift", order=40, build=build)
