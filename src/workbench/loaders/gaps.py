"""Gap-analysis loaders for notebooks and apps: open the store for one call, keep no connection."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import WorkbenchError
from ..gaps import GapAnalysis, compute_gaps, gaps_config
from ..store import Store


@dataclass(frozen=True)
class GapsView:
    """A :class:`GapAnalysis`, or the error that stopped it (shown on the page), and the store it read."""

    result: GapAnalysis | None
    error: str | None
    store: str | None


def load_gaps(target: str | None = None, **options) -> GapsView:
    """Run :func:`compute_gaps` on the store (``[gaps]`` configuration, then ``options``); errors are kept."""
    try:
        with Store.open(target, read_only=True) as store:
            result = compute_gaps(store, **{**gaps_config(), **options})
            return GapsView(result=result, error=None, store=store.target)
    except WorkbenchError as exc:
        return GapsView(result=None, error=str(exc), store=target)


def explore_slices(result: GapAnalysis, *, dimensions=(), mode: str = "labeled", min_items: int = 20) -> pd.DataFrame:
    """The slices of the chosen dimensions (all when empty) and mode, by p-value."""
    s = result.slices[(result.slices["mode"] == mode) & (result.slices["n_items"] >= min_items)]
    if dimensions:
        s = s[s["dimension"].isin(list(dimensions))]
    cols = ["dimension", "value", "n_items", "n_failed", "failure_rate", "base_rate", "lift", "adjusted_lift",
            "p_adjusted"]
    return s[cols].reset_index(drop=True)


def gap_items(target: str | None, item_ids) -> pd.DataFrame:
    """The example items of a gap with their non-numeric columns and every label given (``label: annotator``)."""
    ids = [str(i) for i in item_ids]
    with Store.open(target, read_only=True) as store:
        items = store.data("items")
        items = items.filter(items.item_id.isin(ids)).execute()
        ann = store.data("annotations")
        ann = ann.filter(ann.item_id.isin(ids)).execute()
    keep = [c for c in items.columns if not pd.api.types.is_float_dtype(items[c])]
    items = items[keep]
    cols = [c for c in ("guideline_version",) if c in ann.columns]
    ann["given"] = ann["label"] + " (" + ann["annotator_id"] + (", " + ann[cols[0]] if cols else "") + ")"
    labels = ann.groupby("item_id")["given"].agg(", ".join).rename("labels")
    return items.merge(labels, left_on="item_id", right_index=True, how="left").reset_index(drop=True)
