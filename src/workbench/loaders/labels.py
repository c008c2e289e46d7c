"""Label-quality and dataset-issues loaders for notebooks and apps: open the store for one call, keep no connection."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..contract import feature_columns
from ..dataset_issues import DatasetIssues, find_dataset_issues
from ..labels import LabelQuality, compute_label_quality, item_context
from ..store import Store


@dataclass(frozen=True)
class LabelQualityView:
    """A :class:`LabelQuality` with the per-item context and the filter choices a notebook offers."""

    result: LabelQuality
    context: pd.DataFrame
    choices: dict[str, list[str]]
    store: str


def load_label_quality(target: str | None = None, **options) -> LabelQualityView:
    """Open the store read-only, run :func:`compute_label_quality` (``options`` passed on) and close it."""
    with Store.open(target, read_only=True) as store:
        result = compute_label_quality(store, **options)
        context = item_context(store)
        name = store.display_target

    def values(col: str, *, split: bool = False) -> list[str]:
        if col not in context:
            return []
        s = context[col].dropna().astype(str)
        if split:
            s = s.str.split(",").explode()
        return sorted(v for v in s.unique() if v)

    choices = {
        "classes": list(result.params["classes"]),
        "annotators": values("annotators", split=True),
        "sources": values("source"),
        "guideline_versions": values("guideline_versions", split=True),
        "weeks": values("week"),
    }
    return LabelQualityView(result=result, context=context, choices=choices, store=name)


def item_details(target: str | None, item_ids, *, max_numeric: int = 8) -> dict[str, pd.DataFrame]:
    """The items and annotations behind ``item_ids`` (for a details panel).

    ``items``: reserved, metadata and non-numeric feature columns, plus at most
    ``max_numeric`` numeric features (wide numeric vectors are summarised by
    their count in ``numeric_features``). ``annotations``: every annotation of
    those items, oldest first.
    """
    ids = [str(i) for i in item_ids]
    with Store.open(target, read_only=True) as store:
        items = store.data("items")
        items = items.filter(items.item_id.isin(ids)).execute()
        ann = store.data("annotations")
        ann = ann.filter(ann.item_id.isin(ids))
        ann = ann.order_by([c for c in ("item_id", "created_at") if c in ann.columns]).execute()

    numeric = [c for c in feature_columns(items.columns) if pd.api.types.is_numeric_dtype(items[c])]
    drop = numeric[max_numeric:] if len(numeric) > max_numeric else []
    items = items.drop(columns=drop)
    if drop:
        items["numeric_features"] = len(numeric)
    order = {v: i for i, v in enumerate(ids)}
    items = items.sort_values("item_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return {"items": items, "annotations": ann.reset_index(drop=True)}


def load_dataset_issues(target: str | None = None, **options) -> DatasetIssues:
    """Open the store read-only, run :func:`~workbench.dataset_issues.find_dataset_issues` (``options`` passed on)
    and close it."""
    with Store.open(target, read_only=True) as store:
        return find_dataset_issues(store, **options)
