"""Consensus labels from many annotations per item.

Majority vote is the baseline every other method is compared with. Its tie
rule is part of the result, so it is stated here: the label given by the most
annotators wins; among tied labels, the one whose first annotation is earliest
(by ``created_at``) wins; if still tied (no timestamps), the lexicographically
smallest label wins.
"""

from __future__ import annotations

import pandas as pd


def majority_vote(annotations: pd.DataFrame) -> pd.DataFrame:
    """Majority-vote consensus per item.

    Parameters
    ----------
    annotations : DataFrame
        Long table with ``item_id``, ``label`` and optionally ``created_at``.

    Returns
    -------
    DataFrame indexed by nothing, one row per item, with columns ``item_id``,
    ``consensus_label``, ``n_annotations`` and ``agreement`` (share of the item's
    annotations that gave the consensus label).
    """
    cols = ["item_id", "label"] + (["created_at"] if "created_at" in annotations.columns else [])
    frame = annotations[cols]
    grouped = frame.groupby(["item_id", "label"], sort=False)
    votes = grouped.size().rename("votes").reset_index()
    if "created_at" in frame.columns:
        first = grouped["created_at"].min().rename("first_at").reset_index()
        votes = votes.merge(first, on=["item_id", "label"])
    else:
        votes["first_at"] = pd.NaT
    totals = frame.groupby("item_id", sort=False).size().rename("n_annotations")
    votes = votes.sort_values(
        ["item_id", "votes", "first_at", "label"], ascending=[True, False, True, True], na_position="last"
    )
    best = votes.drop_duplicates("item_id", keep="first").set_index("item_id")
    out = pd.DataFrame(
        {
            "consensus_label": best["label"],
            "n_annotations": totals.reindex(best.index),
        }
    )
    out["agreement"] = best["votes"] / out["n_annotations"]
    return out.reset_index()
