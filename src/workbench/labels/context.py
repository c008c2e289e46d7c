"""Per-item context (annotators, guideline versions, week, source) and the filters a notebook browses issues by."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..inputs.weeks import Week
from ..store import Store

if TYPE_CHECKING:
    from .quality import LabelQuality


def item_context(store: Store, item_ids=None) -> pd.DataFrame:
    """Per-item attributes to filter and inspect issues by.

    One row per item: ``item_id``, ``source``/``split`` when present, ``week``
    (ISO week of the item's first annotation), ``annotators`` and
    ``guideline_versions`` (comma-separated, sorted) and ``labels`` (every
    label given, ``annotator:label``).
    """
    ann = store.data("annotations")
    if item_ids is not None:
        ann = ann.filter(ann.item_id.isin(list(item_ids)))
    # Aggregated in the backend: one row per item reaches pandas.
    order = [ann.created_at, ann.annotator_id] if "created_at" in ann.columns else [ann.annotator_id]
    aggs = {"labels": (ann.annotator_id.concat(":", ann.label)).group_concat(", ", order_by=order)}
    if "created_at" in ann.columns:
        aggs["first_at"] = ann.created_at.min()
    out = ann.group_by("item_id").aggregate(**aggs)
    who = ann.select("item_id", "annotator_id").distinct()
    who = who.group_by("item_id").aggregate(annotators=who.annotator_id.group_concat(",", order_by=who.annotator_id))
    out = out.join(who, "item_id")
    if "guideline_version" in ann.columns:
        gv = ann.filter(ann.guideline_version.notnull()).select("item_id", "guideline_version").distinct()
        gv = gv.group_by("item_id").aggregate(
            guideline_versions=gv.guideline_version.group_concat(",", order_by=gv.guideline_version)
        )
        out = out.left_join(gv, "item_id").drop("item_id_right")
    out = out.order_by("item_id").execute().set_index("item_id")
    out = out[["annotators", "labels", *[c for c in ("guideline_versions", "first_at") if c in out.columns]]]
    if "guideline_versions" in out:
        out["guideline_versions"] = out["guideline_versions"].fillna("")
    if "first_at" in out:
        weeks = {ts: str(Week.of(ts)) for ts in out["first_at"].dropna().dt.floor("D").unique()}
        out["week"] = out["first_at"].dt.floor("D").map(weeks)
        out = out.drop(columns="first_at")
    out = out.reset_index()
    items = store.data("items")
    item_cols = [c for c in ("source", "split") if c in items.columns]
    if item_cols:
        it = items.select("item_id", *item_cols)
        if item_ids is not None:
            it = it.filter(it.item_id.isin(list(item_ids)))
        out = out.merge(it.execute(), on="item_id", how="left")
    return out


def filter_issues(
    result: LabelQuality,
    context: pd.DataFrame,
    *,
    classes: list[str] | None = None,
    annotators: list[str] | None = None,
    sources: list[str] | None = None,
    guideline_versions: list[str] | None = None,
    weeks: list[str] | None = None,
    only_flagged: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """The ranked issue table joined with ``context`` and narrowed by the filters (``None`` = no filter).

    A class filter matches the given or the suggested label; annotator and
    guideline filters match an item when any of its annotations does.
    ``limit`` keeps the best-ranked rows only.
    """
    frame = result.to_frame().merge(context, on="item_id", how="left")
    keep = np.ones(len(frame), dtype=bool)
    if classes:
        keep &= (frame["given_label"].isin(classes) | frame["suggested_label"].isin(classes)).to_numpy()
    if sources and "source" in frame:
        keep &= frame["source"].isin(sources).to_numpy()
    if weeks and "week" in frame:
        keep &= frame["week"].isin(weeks).to_numpy()
    for col, wanted in (("annotators", annotators), ("guideline_versions", guideline_versions)):
        if wanted and col in frame:
            sets = frame[col].fillna("").str.split(",")
            keep &= sets.map(lambda s, w=set(wanted): bool(w.intersection(s))).to_numpy()
    if only_flagged:
        keep &= frame["is_label_issue"].to_numpy()
    frame = frame[keep].reset_index(drop=True)
    return frame if limit is None else frame.head(limit)
