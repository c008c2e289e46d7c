"""Majority vote: the baseline consensus, in one rule with two forms.

The rule: the label given by the most annotators wins; among tied labels, the
one whose first annotation of the item is earliest (by ``created_at``) wins;
if still tied (no timestamps, or equal ones), the smallest label wins.

Pass one label per annotator and item (:func:`~workbench.inputs.annotations.latest_annotations`
or :func:`~workbench.inputs.annotations.read_annotations` apply that rule).

Two forms give the same answer (tested equal):

* :func:`majority_vote_table`, an ibis expression that runs in the store;
* :func:`majority_vote_codes`, over integer codes in memory, for the
  algorithms that need arrays (consensus methods, agreement);

and :func:`majority_vote` wraps the array form for a small pandas frame.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

_NEVER = np.iinfo(np.int64).max


def majority_vote_codes(
    item: np.ndarray,
    label: np.ndarray,
    *,
    n_items: int,
    classes: tuple[str, ...] | list[str],
    created_at: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Majority vote over integer codes.

    Parameters
    ----------
    item, label : arrays of int
        One entry per annotation: the item's code (``0..n_items-1``) and the
        label's index in ``classes``.
    n_items : int
    classes : sequence of str
        The class names; ties fall to the smallest name.
    created_at : array of datetime64, optional
        When each annotation was made (NaT allowed).

    Returns
    -------
    (label code, share of the item's votes, number of annotations), per item.
    """
    k = len(classes)
    counts = np.bincount(item * k + label, minlength=n_items * k).reshape(n_items, k)
    top = counts.max(axis=1, keepdims=True)
    cand = counts == top
    if created_at is not None:
        ts = np.asarray(created_at, dtype="datetime64[ns]")
        stamp = np.where(np.isnat(ts), _NEVER, ts.astype(np.int64))
        first = np.full(n_items * k, _NEVER, dtype=np.int64)
        np.minimum.at(first, item * k + label, stamp)
        first = np.where(cand, first.reshape(n_items, k), _NEVER)
        cand &= first == first.min(axis=1, keepdims=True)
    name_rank = np.argsort(np.argsort(np.asarray(classes, dtype=object)))
    cls = np.argmin(np.where(cand, name_rank[None, :], k), axis=1).astype(np.int64)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = top[:, 0] / n
    return cls, share, n


def majority_vote(annotations: pd.DataFrame) -> pd.DataFrame:
    """Majority-vote consensus per item of a long pandas frame.

    Parameters
    ----------
    annotations : DataFrame
        ``item_id``, ``label`` and optionally ``created_at``; one row per
        annotator and item.

    Returns
    -------
    DataFrame with one row per item (sorted by ``item_id``): ``item_id``,
    ``consensus_label``, ``n_annotations`` and ``agreement`` (share of the
    item's annotations that gave the consensus label).
    """
    item, items = pd.factorize(annotations["item_id"], sort=True)
    label, classes = pd.factorize(annotations["label"], sort=True)
    created = annotations["created_at"].to_numpy(dtype="datetime64[ns]") if "created_at" in annotations else None
    cls, share, n = majority_vote_codes(
        item.astype(np.int64), label.astype(np.int64), n_items=len(items), classes=list(classes), created_at=created
    )
    return pd.DataFrame(
        {
            "item_id": np.asarray(items, dtype=object),
            "consensus_label": np.asarray(classes, dtype=object)[cls],
            "n_annotations": n.astype(np.int64),
            "agreement": share,
        }
    )


def majority_vote_table(annotations: ibis.Table) -> ibis.Table:
    """Majority vote as an ibis expression: ``item_id, consensus_label, n_annotations, agreement``."""
    timed = "created_at" in annotations.columns
    votes = annotations.group_by(["item_id", "label"]).aggregate(
        votes=ibis._.count(), **({"first_at": annotations.created_at.min()} if timed else {})
    )
    order = [ibis.desc("votes"), *([ibis.asc("first_at", nulls_first=False)] if timed else []), ibis.asc("label")]
    ranked = votes.mutate(
        _rank=ibis.row_number().over(group_by="item_id", order_by=order),
        n_annotations=votes.votes.sum().over(group_by="item_id"),
    )
    best = ranked.filter(ranked._rank == 0)
    return best.select(
        "item_id",
        consensus_label=best.label,
        n_annotations=best.n_annotations.cast("int64"),
        agreement=best.votes / best.n_annotations,
    )
