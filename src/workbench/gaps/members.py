"""The items behind each significant gap, for the re-annotation queue's ``gap`` signal and expert tier.

A gap's members: for a ``stale`` gap, the items with a label its section makes stale (those to re-annotate
under the revised guideline); for any other gap naming classes (``a / b`` or one class), the labeled items
whose majority or runner-up label is one of them and that failed (annotators split, a label issue, a
model error). Gaps of feature slices without classes have no members here (the slice is in the gap's
evidence). Each member gets the gap's severity as its score.
"""

from __future__ import annotations

import pandas as pd

from ..inputs.annotations import known_classes, latest_annotations
from .analysis import compute_gaps
from .failures import item_failures
from .mapping import stale_items

MEMBER_COLUMNS = ["item_id", "gap_id", "score"]


def gap_items(store, *, result=None) -> pd.DataFrame:
    """``item_id, gap_id, score``: one row per item and significant gap (``gap_id`` is ``<rank>:<kind>:<section>``)."""
    result = compute_gaps(store, hygiene=False) if result is None else result
    sig = result.significant()
    if sig.empty:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    failures = item_failures(store, label_issues=None)
    failed = failures.filter(failures.annotator_split | failures.label_issue | failures.model_error)
    annotations = latest_annotations(store)
    items = store.data("items")
    frames = []
    for r in sig.itertuples(index=False):
        gap_id = f"{r.rank}:{r.kind}:{r.section_id or '-'}"
        classes = [c.strip() for c in str(r.classes or "").split("/") if c.strip()]
        if r.kind == "stale" and r.section_id and result.guidelines is not None:
            ids = stale_items(result.guidelines, result.guidelines.section(r.section_id), annotations, items,
                              known_classes(store) or classes)
        elif classes:
            cond = failed.consensus_label.isin(classes) | failed.second_label.isin(classes)
            ids = failed.filter(cond).select("item_id").distinct()
        else:
            continue
        frame = ids.execute()
        frames.append(pd.DataFrame({"item_id": frame["item_id"].astype(str), "gap_id": gap_id,
                                    "score": float(r.severity)}))
    if not frames:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    return pd.concat(frames, ignore_index=True)[MEMBER_COLUMNS]


__all__ = ["MEMBER_COLUMNS", "gap_items"]
