"""Report section: label health, noisiest classes, confused pairs, likely label errors, dataset issues."""

from __future__ import annotations

import ibis
import pandas as pd

from .. import labels as lq
from ..dataset_issues import dataset_issues_chart, find_dataset_issues
from ..errors import BadInputError
from ..inputs.weeks import Week
from ..report import Action, Cost, Section, SectionResult
from ..store import Store

TOP = 25


def _labeled_in_week(store: Store, week: Week) -> set[str]:
    """Items whose first annotation falls in ``week``."""
    ann = store.data("annotations")
    if "created_at" not in ann.columns:
        return set()
    first = ann.group_by("item_id").aggregate(first=ann.created_at.min())
    first = first.filter((first["first"] >= ibis.literal(week.start)) & (first["first"] < ibis.literal(week.end)))
    return set(first.select("item_id").execute()["item_id"])


def build(store: Store, week: Week) -> SectionResult | None:
    if not store.has("annotations"):
        return None
    try:
        result = lq.compute_label_quality(store, until=week.end)
    except BadInputError as exc:
        return SectionResult(summary=[f"Label errors were not computed: {exc}"])
    c = result.counts
    summary = result.summary_lines()
    new = _labeled_in_week(store, week)
    issues = result.issues
    flagged = issues[issues["is_label_issue"]]
    week_issues = flagged[flagged["item_id"].isin(new)]
    if new:
        summary.append(
            f"Items first labeled this week: {len(new):,}, of which {len(week_issues):,} are flagged as likely wrong."
        )
    figs = [lq.class_health_chart(result), lq.confusion_chart(result), lq.score_distribution_chart(result)]
    for key in ("annotator", "guideline_version", "source"):
        if key in result.slices and len(result.slices[key]) > 1:
            figs.append(lq.slice_chart(result, key))
    tables = {
        "week_issues": week_issues,
        "classes": result.classes,
        "confused_pairs": result.confused_pairs.head(10),
        "top_issues": result.to_frame().head(TOP),
        "slices": pd.concat(result.slices.values(), ignore_index=True) if result.slices else pd.DataFrame(),
    }
    show = ["classes", "confused_pairs", "top_issues"]
    notes = [
        f"Given labels: {result.params['consensus']}. Probabilities: {result.params['probabilities']}. "
        f"Ranked by {result.params['rank_by']} (lower label quality = more likely wrong); "
        f"flagged by Cleanlab's {result.params['filter_by']} filter."
    ]
    kpis = {
        "label_health_score": round(result.health_score, 4),
        "label_issues": c["label_issues"],
        "scored_items": c["scored_items"],
        "skipped_unlabeled": c["skipped_unlabeled"],
        "noisiest_class": result.classes["class"].iloc[0] if len(result.classes) else None,
        "top_confused_pair": (
            f"{result.confused_pairs['class_a'].iloc[0]}/{result.confused_pairs['class_b'].iloc[0]}"
            if len(result.confused_pairs)
            else None
        ),
    }
    try:
        issues = find_dataset_issues(store)
    except BadInputError as exc:
        notes.append(f"Dataset issues were not checked: {exc}")
    else:
        summary += issues.summary_lines(compact=True)
        tables["dataset_issues"] = issues.summary
        show.append("dataset_issues")
        figs.append(dataset_issues_chart(issues))
        found = issues.summary.set_index("issue_type")["items"]
        kpis.update(
            {f"dataset_{t}": int(found[t]) for t in ("outlier", "near_duplicate", "split_leakage") if t in found}
        )
    status, reason, actions, costs = _verdict(store, result, flagged, week_issues)
    return SectionResult(
        summary=summary,
        kpis=kpis,
        charts=figs,
        tables=tables,
        show=show,
        notes=notes,
        status=status,
        status_reason=reason,
        actions=actions,
        headline={"label_health_score": "up", "label_issues": "down"},
        costs=costs,
    )


def _verdict(store: Store, result, flagged: pd.DataFrame, week_issues: pd.DataFrame):
    """Status against the gate's label-health threshold, the actions, and where the likely errors sit."""
    from ..gate import gate_thresholds

    limit = gate_thresholds()["min_label_health"]
    score = result.health_score
    status = "red" if score < limit else ("amber" if score < limit + 0.05 else "green")
    reason = f"label health {score:.1%} (the gate needs {limit:.0%}); {len(flagged):,} likely label errors"
    actions = []
    if len(week_issues):
        actions.append(
            Action(
                f"Re-check the {len(week_issues):,} items first labeled this week that are likely wrong",
                "labels_week_issues.csv",
                3,
            )
        )
    if len(result.confused_pairs) and store.guidelines() is None:  # with guidelines, the gap analysis says it
        top = result.confused_pairs.iloc[0]
        actions.append(
            Action(
                f"Clarify {top['class_a']} versus {top['class_b']} in the guidelines: the most confused pair "
                f"({int(top['items']):,} items)",
                "#section-labels",
                2,
            )
        )
    split = {}
    items = store.data("items")
    if "split" in items.columns and len(flagged):
        ids = ibis.memtable(pd.DataFrame({"item_id": flagged["item_id"].astype(str)}))
        split = dict(items.semi_join(ids, "item_id").select("item_id", "split").execute().to_numpy().tolist())
    earlier = flagged[~flagged["item_id"].isin(week_issues["item_id"])]
    in_train = int(sum(split.get(i) == "train" for i in earlier["item_id"]))
    costs = [
        Cost("labeled this week (fix now, at annotation time)", len(week_issues), 1.0),
        Cost("labeled earlier, not in the training split", len(earlier) - in_train, 1.0),
        Cost("in the training split (10x once trained on)", in_train, 10.0),
    ]
    return status, reason, actions, costs


SECTION = Section(key="labels", title="Label errors and label health", order=20, build=build)
