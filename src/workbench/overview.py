"""Dataset overview: volume, label coverage, weekly throughput, latency, active annotators.

Everything here is an ibis expression executed by the store's backend; only
the aggregated results (a row per class, week or annotator-week) reach pandas.
Notebook loaders live in :mod:`workbench.loaders.overview`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pandas as pd

from .inputs.weeks import Week, latest_week
from .inputs.weeks import week_labels as _week_label
from .results import json_safe
from .store import Store


@dataclass(frozen=True)
class Overview:
    """The dataset overview up to and including ``week``.

    Frames are small (a row per class, week, or annotator-week); ``kpis`` holds
    the headline numbers for the dataset and for ``week`` itself.
    """

    week: str
    kpis: dict
    coverage: pd.DataFrame  # per class
    completeness: pd.DataFrame  # items by number of annotations
    weekly: pd.DataFrame  # per ISO week
    annotator_weeks: pd.DataFrame  # per annotator and ISO week
    filters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The weekly series, keyed by ``week`` (ISO week, e.g. ``2026-W41``): annotations, items annotated,
        active annotators, latency and duration where the data has them, items created."""
        return self.weekly.copy()

    def to_dict(self) -> dict:
        return json_safe(
            {
                "week": self.week,
                "kpis": self.kpis,
                "filters": self.filters,
                "coverage": self.coverage,
                "completeness": self.completeness,
                "weekly": self.weekly,
            }
        )

    def summary_lines(self) -> list[str]:
        """Volume, coverage, this week's throughput against the week before, latency, the least covered class."""
        k = self.kpis
        lines = [
            f"{k['items']:,} items, {k['annotated_items']:,} annotated "
            f"({k['annotated_items'] / max(k['items'], 1):.1%}), {k['unannotated_items']:,} waiting for a label.",
            f"{k['annotations']:,} annotations by {k['annotators']} annotators over {k['classes']} classes; "
            f"{k['gold_items']:,} gold items; predictions for {k['predictions']:,} items.",
        ]
        prev = k["previous_week_annotations"]
        change = "" if not prev else f" ({(k['week_annotations'] - prev) / prev:+.0%} on the week before)"
        lines.append(
            f"This week: {k['week_annotations']:,} annotations{change}, {k['week_items_created']:,} new items, "
            f"{k['week_active_annotators']} active annotators."
        )
        if k["week_median_latency_h"] is not None:
            lines.append(f"Median labeling latency this week: {k['week_median_latency_h']:.1f} h from item creation.")
        least = self.coverage.sort_values("items_labeled").head(1)
        if len(least):
            row = least.iloc[0]
            lines.append(
                f"Least covered class: {row['class']} ({int(row['items_labeled'])} items labeled, "
                f"{row['share_of_annotations']:.1%} of annotations)."
            )
        return lines

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "coverage": self.coverage,
            "completeness": self.completeness,
            "weekly": self.weekly,
            "annotator_weeks": self.annotator_weeks,
        }


def compute_overview(
    store: Store,
    *,
    week: Week | str | None = None,
    classes: list[str] | None = None,
    annotators: list[str] | None = None,
) -> Overview:
    """Compute the overview for ``week`` (default: the latest week with data).

    ``classes`` and ``annotators`` restrict the annotations considered.
    """
    if isinstance(week, str):
        week = Week.parse(week)
    week = week or latest_week(store)
    end = ibis.literal(week.end)

    items = store.table("items")
    ann = store.table("annotations")
    has_item_ts = "created_at" in items.columns
    has_ann_ts = "created_at" in ann.columns
    if has_item_ts:
        items = items.filter(items.created_at.isnull() | (items.created_at < end))
    if has_ann_ts:
        ann = ann.filter(ann.created_at.isnull() | (ann.created_at < end))
    if classes:
        ann = ann.filter(ann.label.isin(list(classes)))
    if annotators:
        ann = ann.filter(ann.annotator_id.isin(list(annotators)))

    # Completeness: items by number of annotations (0 = unlabeled).
    per_item = ann.group_by("item_id").aggregate(n=ann.count())
    joined = items.select("item_id").left_join(per_item, "item_id")
    bucket = joined.n.fill_null(0)
    comp = (
        joined.mutate(n_annotations=ibis.cases((bucket >= 3, "3+"), else_=bucket.cast("string")))
        .group_by("n_annotations")
        .aggregate(items=ibis._.count())
        .execute()
    )
    order = {"0": 0, "1": 1, "2": 2, "3+": 3}
    comp = comp.assign(_o=comp["n_annotations"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    n_items = int(comp["items"].sum())
    comp["share"] = comp["items"] / max(n_items, 1)

    # Coverage per class.
    cov = (
        ann.group_by("label")
        .aggregate(annotations=ann.count(), items_labeled=ann.item_id.nunique(), annotators=ann.annotator_id.nunique())
        .execute()
        .rename(columns={"label": "class"})
    )
    if store.has("gold"):
        gold = store.table("gold").group_by("label").aggregate(gold_items=ibis._.count()).execute()
        cov = cov.merge(gold.rename(columns={"label": "class"}), on="class", how="outer")
    else:
        cov["gold_items"] = 0
    cov = cov.fillna(0)
    for c in ("annotations", "items_labeled", "annotators", "gold_items"):
        cov[c] = cov[c].astype(int)
    total_ann = max(int(cov["annotations"].sum()), 1)
    cov["share_of_annotations"] = cov["annotations"] / total_ann
    cov = cov.sort_values(["annotations", "class"], ascending=[False, True]).reset_index(drop=True)

    # Weekly series (up to and including the report week).
    weekly = pd.DataFrame(columns=["week"])
    annotator_weeks = pd.DataFrame(columns=["week", "annotator_id", "annotations"])
    if has_ann_ts:
        a = ann.filter(ann.created_at.notnull()).mutate(week_start=ann.created_at.truncate("W"))
        it = store.table("items")
        lat = a.left_join(
            it.select("item_id", item_created_at=it.created_at) if has_item_ts else it.select("item_id"), "item_id"
        )
        aggs = {
            "annotations": lat.count(),
            "items_annotated": lat.item_id.nunique(),
            "active_annotators": lat.annotator_id.nunique(),
        }
        if has_item_ts:
            hours = (lat.created_at.epoch_seconds() - lat.item_created_at.epoch_seconds()) / 3600.0
            lat = lat.mutate(latency_h=hours)
            aggs["median_latency_h"] = lat.latency_h.quantile(0.5)
            aggs["p90_latency_h"] = lat.latency_h.quantile(0.9)
        if "duration_s" in ann.columns:
            aggs["median_duration_s"] = lat.duration_s.quantile(0.5)
            aggs["labeling_hours"] = lat.duration_s.sum() / 3600.0
        weekly = (
            lat.group_by("week_start")
            .aggregate(**{k: v if k != "annotations" else lat.count() for k, v in aggs.items()})
            .execute()
        )
        weekly = weekly.sort_values("week_start")
        weekly["annotations_per_annotator"] = weekly["annotations"] / weekly["active_annotators"].clip(lower=1)
        annotator_weeks = a.group_by(["week_start", "annotator_id"]).aggregate(annotations=ibis._.count()).execute()
        annotator_weeks["week"] = _week_label(annotator_weeks["week_start"])
        annotator_weeks = annotator_weeks.drop(columns="week_start").sort_values(["week", "annotator_id"])
        annotator_weeks = annotator_weeks[["week", "annotator_id", "annotations"]].reset_index(drop=True)
    if has_item_ts:
        created = (
            items.filter(items.created_at.notnull())
            .group_by(week_start=items.created_at.truncate("W"))
            .aggregate(items_created=ibis._.count())
            .execute()
        )
        weekly = (
            created
            if weekly.empty or "week_start" not in weekly
            else weekly.merge(created, on="week_start", how="outer")
        )
    if "week_start" in weekly.columns:
        weekly = weekly.sort_values("week_start").reset_index(drop=True)
        weekly.insert(0, "week", _week_label(weekly["week_start"]))
        weekly = weekly.drop(columns="week_start")
        for c in ("annotations", "items_annotated", "active_annotators", "items_created"):
            if c in weekly:
                weekly[c] = weekly[c].fillna(0).astype(int)

    this = weekly[weekly["week"] == str(week)] if "week" in weekly else pd.DataFrame()
    prev = weekly[weekly["week"] == str(week.previous())] if "week" in weekly else pd.DataFrame()

    def pick(frame, col):
        if frame.empty or col not in frame:
            return None
        v = frame[col].iloc[0]
        return None if pd.isna(v) else (int(v) if float(v).is_integer() else round(float(v), 3))

    n_annotated = int(comp.loc[comp["n_annotations"] != "0", "items"].sum())
    kpis = {
        "items": n_items,
        "annotated_items": n_annotated,
        "unannotated_items": n_items - n_annotated,
        "annotations": int(cov["annotations"].sum()),
        "annotators": int(ann.annotator_id.nunique().execute()),
        "classes": int((cov["annotations"] > 0).sum()),
        "gold_items": int(store.table("gold").count().execute()) if store.has("gold") else 0,
        "predictions": int(store.table("predictions").count().execute()) if store.has("predictions") else 0,
        "week_annotations": pick(this, "annotations") or 0,
        "previous_week_annotations": pick(prev, "annotations") or 0,
        "week_items_created": pick(this, "items_created") or 0,
        "week_active_annotators": pick(this, "active_annotators") or 0,
        "week_median_latency_h": pick(this, "median_latency_h"),
        "week_median_duration_s": pick(this, "median_duration_s"),
    }
    return Overview(
        week=str(week),
        kpis=kpis,
        coverage=cov,
        completeness=comp,
        weekly=weekly,
        annotator_weeks=annotator_weeks,
        filters={"classes": list(classes or []), "annotators": list(annotators or [])},
    )
