"""Report section: agreement with its trend, consensus, flagged annotators, gold accuracy."""

from __future__ import annotations

from ..annotators import ANNOTATOR_COLUMNS, annotators_overview, per_class_chart
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
    summary = result.summary_lines(week=week)
    flagged = report.flagged()
    kpis = {
        "percent_agreement": o["percent_agreement"],
        "krippendorff_alpha": o["krippendorff_alpha"],
        "gwet_ac1": o["gwet_ac1"],
        "consensus_method": consensus.method,
        "flagged_annotators": int(len(flagged)),
        "gold_undecided_annotators": int(len(report.undecided_gold())),
    }
    charts = [agreement.trend_chart(), per_class_chart(agreement), report.quality_chart()]
    if len(report.drift):
        charts.append(report.drift_chart())
    return SectionResult(
        summary=summary,
        kpis=kpis,
        charts=charts,
        tables={
            "annotators": report.annotators[ANNOTATOR_COLUMNS],
            "annotator_overview": report.annotators[
                [
                    "annotator_id",
                    "n_labels",
                    "quality",
                    "agreement_with_consensus",
                    "agreement_items",
                    "gold_accuracy",
                    "gold_ci_low",
                    "gold_ci_high",
                    "gold_labels",
                    "gold_status",
                    "declined_from_week",
                    "duration_ratio",
                    "speeder",
                    "label_mix_divergence",
                    "flagged",
                ]
            ],
            "agreement_weekly": agreement.per_week,
            "agreement_per_class": agreement.per_class,
            "drift": report.drift,
        },
        show=["annotator_overview", "agreement_weekly"],
        notes=list(result.notes),
    )


SECTION = Section(key="annotators", title="Annotators: agreement, consensus and quality", order=30, build=build)
