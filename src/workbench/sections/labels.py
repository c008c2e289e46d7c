"""Report section: label health, noisiest classes, confused pairs, likely label errors, dataset issues."""

from __future__ import annotations

import ibis
import pandas as pd

from .. import labels as lq
from ..dataset_issues import dataset_issues_chart, find_dataset_issues
from ..errors import BadInputError
from ..inputs.weeks import Week
from ..report import Section, SectionResult
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
    if new:
        flagged_new = int(result.issues.loc[result.issues["item_id"].isin(new), "is_label_issue"].sum())
        summary.append(
            f"Items first labeled this week: {len(new):,}, of which {flagged_new:,} are flagged as likely wrong."
        )
    figs = [lq.class_health_chart(result), lq.confusion_chart(result), lq.score_distribution_chart(result)]
    for key in ("annotator", "guideline_version", "source"):
        if key in result.slices and len(result.slices[key]) > 1:
            figs.append(lq.slice_chart(result, key))
    tables = {
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
    return SectionResult(summary=summary, kpis=kpis, charts=figs, tables=tables, show=show, notes=notes)


SECTION = Section(key="labels", title="Label errors and label health", order=20, build=build)
