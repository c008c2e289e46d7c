"""Report section: agreement with its trend, consensus, flagged annotators, gold accuracy."""

from __future__ import annotations

import numpy as np

from ..agreement import per_class_chart
from ..annotators import ANNOTATOR_COLUMNS, annotators_overview
from ..inputs.weeks import Week
from ..report import Section, SectionResult
from ..store import Store


def build(store: Store, week: Week) -> SectionResult | None:
    if not store.has("annotations"):
        return None
    # The same pipeline (and configuration) as `workbench annotators --week`, so both flag the same annotators.
    ann = store.data("annotations")
    if "created_at" in ann.columns and not int(ann.filter(ann.created_at < week.end).count().execute()):
        return None
    result = annotators_overview(store, week=week)
    consensus, report, agreement = result.consensus, result.report, result.agreement
    o = agreement.overall
    summary = []
    if o["percent_agreement"] is not None:
        summary.append(
            f"Annotators agree on {o['percent_agreement']:.1%} of label pairs; Krippendorff's alpha "
            f"{o['krippendorff_alpha']:.3f} and Gwet's AC1 {o['gwet_ac1']:.3f} (chance-corrected), over "
            f"{o['items']:,} items with two or more annotations."
        )
    weekly = agreement.per_week
    this = weekly[weekly["week"] == str(week)] if len(weekly) else weekly
    prev = weekly[weekly["week"] < str(week)].tail(1) if len(weekly) else weekly
    if len(this) and len(prev) and this["percent_agreement"].notna().all() and prev["percent_agreement"].notna().all():
        a, b = this.iloc[0], prev.iloc[0]
        d_pa = a["percent_agreement"] - b["percent_agreement"]
        d_alpha = a["krippendorff_alpha"] - b["krippendorff_alpha"]
        summary.append(
            f"This week: {a['percent_agreement']:.1%} agreement, alpha {a['krippendorff_alpha']:.3f} "
            f"({d_pa * 100:+.1f} points and {d_alpha:+.3f} against {b['week']})."
        )
    worst = agreement.per_class.sort_values("specific_agreement").head(2)
    if len(worst):
        summary.append(
            "Least agreed classes: "
            + ", ".join(f"{r['class']} ({r['specific_agreement']:.1%})" for _, r in worst.iterrows())
            + "."
        )
    summary.append(f"Consensus: {consensus.method} ({consensus.reason}).")
    flagged = report.flagged()
    if len(flagged):
        for r in flagged.itertuples():
            summary.append(f"Flagged {r.annotator_id}: {r.flag_reason}.")
    else:
        summary.append("No annotator is flagged.")
    gold_rows = report.annotators[report.annotators["gold_labels"] > 0]
    if len(gold_rows):
        acc = np.average(gold_rows["gold_accuracy"], weights=gold_rows["gold_labels"])
        summary.append(
            f"Gold accuracy over {int(gold_rows['gold_labels'].sum()):,} gold labels: {acc:.1%} "
            f"(per annotator {gold_rows['gold_accuracy'].min():.1%} to {gold_rows['gold_accuracy'].max():.1%})."
        )
    kpis = {
        "percent_agreement": o["percent_agreement"],
        "krippendorff_alpha": o["krippendorff_alpha"],
        "gwet_ac1": o["gwet_ac1"],
        "consensus_method": consensus.method,
        "flagged_annotators": int(len(flagged)),
    }
    charts = [agreement.trend_chart(), per_class_chart(agreement), report.quality_chart()]
    if len(report.drift):
        charts.append(report.drift_chart())
    return SectionResult(
        summary=summary,
        kpis=kpis,
        charts=charts,
        tables={
            "annotators": report.annotators[[*ANNOTATOR_COLUMNS, "gold_labels", "declined_from_week"]],
            "annotator_overview": report.annotators[
                [
                    "annotator_id",
                    "n_labels",
                    "quality",
                    "agreement_with_consensus",
                    "gold_accuracy",
                    "gold_ci_low",
                    "gold_ci_high",
                    "gold_labels",
                    "flagged",
                    "declined_from_week",
                ]
            ],
            "agreement_weekly": agreement.per_week,
            "agreement_per_class": agreement.per_class,
            "drift": report.drift,
        },
        show=["annotator_overview", "agreement_weekly"],
        notes=list(dict.fromkeys([*agreement.notes, *report.notes])),
    )


SECTION = Section(key="annotators", title="Annotators: agreement, consensus and quality", order=30, build=build)
