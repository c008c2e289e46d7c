"""Report section: agreement with its trend, consensus, flagged annotators, gold accuracy."""

from __future__ import annotations

from ..annotators import ANNOTATOR_COLUMNS, annotators_overview, per_class_chart
from ..inputs.weeks import Week
from ..report import Action, Section, SectionResult
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
    status, reason, actions = _verdict(report, o)
    weekly = agreement.per_week.set_index("week") if len(agreement.per_week) else None
    history = {}
    if weekly is not None:
        for key in ("percent_agreement", "krippendorff_alpha"):
            if key in weekly:
                history[key] = weekly[key].dropna().to_dict()
    return SectionResult(
        status=status,
        status_reason=reason,
        actions=actions,
        headline={"krippendorff_alpha": "up", "percent_agreement": "up", "flagged_annotators": "down"},
        history=history,
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


ACTION_OF_RULE = {
    "decline": "recalibrate {a}: {why}",
    "gold": "re-train {a} against the guidelines: {why}",
    "speeder": "review {a}'s pace: {why}",
    "label mix": "check {a}'s use of the classes: {why}",
}


def _verdict(report, overall: dict):
    """Red with a flagged annotator, amber when agreement is below the gate's alpha; one action per flag."""
    from ..gate import gate_thresholds

    flagged = report.flagged()
    alpha = overall.get("krippendorff_alpha")
    limit = gate_thresholds()["min_alpha"]
    low_alpha = alpha is not None and alpha < limit
    status = "red" if len(flagged) else ("amber" if low_alpha else "green")
    names = f": {', '.join(flagged['annotator_id'])}" if len(flagged) else ""
    reason = f"{len(flagged)} flagged annotator(s){names}"
    if alpha is not None:
        reason += f"; Krippendorff's alpha {alpha:.3f} (the gate needs {limit:g})"
    actions = []
    for r in flagged.itertuples(index=False):
        rule, _, why = str(r.flag_reason).partition(": ")
        template = ACTION_OF_RULE.get(rule, "look into {a}: {why}")
        actions.append(Action(template.format(a=r.annotator_id, why=why or r.flag_reason), "#section-annotators",
                              3 if rule in ("decline", "gold") else 2))
    undecided = report.undecided_gold()
    if len(undecided):
        actions.append(Action(f"Add gold items for {', '.join(undecided['annotator_id'][:5])}: too little gold to "
                              "judge their accuracy", "annotators_annotators.csv", 1))
    return status, reason, actions


SECTION = Section(key="annotators", title="Annotators: agreement, consensus and quality", order=30, build=build)
