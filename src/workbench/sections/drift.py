"""Report section: input drift this week (drifted share, drifted features and since when), label drift."""

from __future__ import annotations

from .. import drift as dr
from ..errors import BadInputError
from ..inputs.weeks import Week, item_weeks
from ..report import Action, Section, SectionResult
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
    status, reason, actions = _verdict(result, summary_frame, str(week), weekly.reference)
    return SectionResult(
        status=status,
        status_reason=reason,
        actions=actions,
        headline={"drifted_share": "down"},
        history={"drifted_share": dict(zip(summary_frame["week"], summary_frame["drifted_share"], strict=True))},
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


def _verdict(result, by_week, week: str, reference: str):
    """Red on dataset drift, amber when some feature, the labels or the predictions moved; the actions."""
    n, k = result.n_drifted, len(result.columns)
    moved_labels = result.label_drift is not None and result.label_drift.drifted
    moved_preds = result.prediction_drift is not None and result.prediction_drift.drifted
    status = "red" if result.dataset_drift else ("amber" if n or moved_labels or moved_preds else "green")
    reason = f"{n} of {k} input features drifted ({result.drifted_share:.0%}) against {reference}"
    actions = []
    if result.dataset_drift:
        since = week
        for w, drifted in zip(by_week["week"][::-1], by_week["dataset_drift"][::-1], strict=True):
            if w > week:
                continue
            if not drifted:
                break
            since = w
        actions.append(
            Action(
                f"Inputs drifted since {since} in {n} of {k} features: route production items to annotation "
                "and check the model on them",
                "#section-drift",
                3,
            )
        )
    elif n:
        actions.append(Action(f"Look into the {n} drifted input feature(s): {', '.join(result.drifted_columns()[:5])}",
                              "#section-drift", 2))
    if moved_labels:
        actions.append(Action(f"The label mix moved this week ({result.label_drift.method}): check the guidelines "
                              "and who labeled", "#section-drift", 2))
    return status, reason, actions


SECTION = Section(key="drift", title="Input drift", order=40, build=build)
