"""Given labels: the label each annotated item is taken to have (single annotation, majority vote or a consensus)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
import pandas as pd

from ..choices import CONSENSUS_METHODS
from ..errors import BadInputError
from ..inputs.annotations import latest_annotations
from ..inputs.vote import majority_vote_table
from ..store import Store

GIVEN_BY = CONSENSUS_METHODS


def consensus_for_given_labels(
    store: Store, *, given_by: str = "auto", until: datetime | None = None, seed: int = 0
) -> tuple[pd.DataFrame | None, str | None]:
    """The annotators' consensus to use as given labels, or ``(None, None)`` for plain majority vote.

    ``auto`` is :func:`workbench.annotators.consensus_labels`'s ``auto`` rule
    *without* CROWDLAB: CROWDLAB builds its consensus from the same predicted
    probabilities that then score the labels, so checking labels against it
    would be circular (it can still be asked for with ``crowdlab``). When no
    item has two annotations there is nothing to resolve and the single
    annotations are the given labels.
    """
    if given_by not in GIVEN_BY:
        raise BadInputError(f"--given-by {given_by!r}: choose one of {', '.join(GIVEN_BY)}.")
    if given_by == "mv":
        return None, None
    ann = store.data("annotations")
    if until is not None and "created_at" in ann.columns:
        ann = ann.filter(ann.created_at < ibis.literal(until))
    max_n = ann.group_by("item_id").aggregate(n=ann.count()).n.max().execute()
    if max_n is None or pd.isna(max_n) or int(max_n) < 2:
        return None, None
    from ..annotators import consensus_from_annotations
    from ..inputs.annotations import read_annotations
    from ..inputs.predictions import read_gold, read_predictions

    annotations = read_annotations(store, until=until)
    predictions = read_predictions(store, annotations.classes) if given_by == "crowdlab" else None
    result = consensus_from_annotations(
        annotations, method=given_by, predictions=predictions, gold=read_gold(store), seed=seed
    )
    frame = result.to_frame()
    reason = result.reason or ""
    if given_by == "auto" and store.has("predictions"):
        reason = reason.replace(
            "no predictions for CROWDLAB", "CROWDLAB left out: it would reuse the predictions being checked"
        )
    return frame, f"{result.method} ({reason})" if reason else result.method


@dataclass(frozen=True)
class GivenLabels:
    """The label each annotated item is taken to have.

    ``frame`` has ``item_id``, ``given_label``, ``n_annotations`` and
    ``agreement`` (share of the item's annotations that gave that label).
    ``consensus`` names how several annotations were combined.
    """

    frame: pd.DataFrame
    consensus: str
    n_items: int
    n_unlabeled: int
    classes: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "consensus": self.consensus,
            "n_items": self.n_items,
            "n_labeled": len(self.frame),
            "n_unlabeled": self.n_unlabeled,
            "classes": list(self.classes),
        }


def given_labels(
    store: Store,
    *,
    consensus: pd.DataFrame | None = None,
    consensus_method: str | None = None,
    until: datetime | None = None,
    as_of=None,
) -> GivenLabels:
    """The given label per annotated item.

    Parameters
    ----------
    store : Store
    consensus : DataFrame, optional
        ``item_id``, ``consensus_label`` computed by the caller (for example a
        Dawid-Skene consensus). Without it, items with one annotation keep it
        and items with several get :func:`~workbench.inputs.vote.majority_vote`
        (whose tie rule is documented there).
    consensus_method : str, optional
        Name recorded for a caller-provided ``consensus`` (default
        ``consensus.attrs["method"]``, else the values of its ``method``
        column, else ``"provided by caller"``).
    until : datetime, optional
        Only annotations created before this instant (naive UTC) count.
    as_of : datetime, optional
        Only rows ingested by then count (the store as it was known then).

    Each annotator's latest label of an item counts once
    (:func:`~workbench.inputs.annotations.latest_annotations`).

    Items without annotations are not labeled; they are counted in
    ``n_unlabeled``.
    """
    # One label per annotator and item (the latest), as every capability reads them.
    ann = latest_annotations(store, until=until, as_of=as_of, columns=None)
    items = store.data("items", as_of=as_of)
    if until is not None and "created_at" in items.columns:
        items = items.filter(items.created_at.isnull() | (items.created_at < ibis.literal(until)))
    n_items = int(items.count().execute())
    known = set(ann.select("label").distinct().execute()["label"].dropna())
    if store.has("gold"):
        known |= set(store.data("gold").select("label").distinct().execute()["label"].dropna())
    # min == max tells "every annotation agrees" more cheaply than counting distinct labels.
    per_item = ann.group_by("item_id").aggregate(
        n_annotations=ann.count(), unanimous=ann.label.min() == ann.label.max(), any_label=ann.label.max()
    )
    if consensus is not None:
        frame = _provided_consensus(consensus, per_item, known)
        named = sorted(set(consensus["method"].dropna().astype(str))) if "method" in consensus.columns else []
        method = consensus_method or consensus.attrs.get("method") or ", ".join(named) or "provided by caller"
    else:
        # One pass over the annotations: items where every annotation agrees keep that label;
        # only the disputed items go through majority_vote in memory.
        counts = per_item.order_by("item_id").to_pyarrow()
        item_id = counts.column("item_id").to_numpy(zero_copy_only=False)
        unanimous = counts.column("unanimous").to_numpy(zero_copy_only=False).astype(bool)
        n_annotations = counts.column("n_annotations").to_numpy(zero_copy_only=False)
        all_agree = bool(unanimous.all())
        agreed = pd.DataFrame(
            {
                "item_id": item_id if all_agree else item_id[unanimous],
                "given_label": counts.column("any_label").to_numpy(zero_copy_only=False)[unanimous],
                "n_annotations": n_annotations if all_agree else n_annotations[unanimous],
                "agreement": 1.0,
            }
        )
        if not all_agree:
            disputed_ids = ibis.memtable(pd.DataFrame({"item_id": item_id[~unanimous]}))
            cols = ["item_id", "label"] + (["created_at"] if "created_at" in ann.columns else [])
            mv = (
                majority_vote_table(ann.select(*cols).semi_join(disputed_ids, "item_id"))
                .execute()
                .rename(columns={"consensus_label": "given_label"})
            )
            frame = pd.concat([agreed, mv[["item_id", "given_label", "n_annotations", "agreement"]]], ignore_index=True)
            frame = frame.sort_values("item_id", kind="stable")
        else:
            frame = agreed  # already ordered by item_id
        several = bool((n_annotations > 1).any())
        del counts
        method = "majority_vote" if several else "single annotation"
    if consensus is not None:
        frame = frame.sort_values("item_id", kind="stable")
    if frame["given_label"].isna().any():
        frame = frame.dropna(subset=["given_label"])
    frame = frame.reset_index(drop=True)
    frame["n_annotations"] = frame["n_annotations"].astype(np.int64)
    return GivenLabels(
        frame=frame,
        consensus=str(method),
        n_items=n_items,
        n_unlabeled=max(n_items - len(frame), 0),
        classes=tuple(sorted(known)),
    )


def _provided_consensus(consensus: pd.DataFrame, per_item: ibis.Table, known: set) -> pd.DataFrame:
    missing = [c for c in ("item_id", "consensus_label") if c not in consensus.columns]
    if missing:
        raise BadInputError(
            f"consensus: column(s) {', '.join(missing)} missing; pass a frame with item_id and consensus_label "
            f"(found: {', '.join(map(str, consensus.columns))})."
        )
    frame = consensus[["item_id", "consensus_label"]].rename(columns={"consensus_label": "given_label"}).copy()
    frame["item_id"] = frame["item_id"].astype(str)
    frame["given_label"] = frame["given_label"].map(lambda v: None if pd.isna(v) else str(v))
    dup = frame["item_id"].duplicated()
    if dup.any():
        raise BadInputError(
            f"consensus: {int(dup.sum())} item_id(s) appear more than once "
            f"(e.g. {frame.loc[dup, 'item_id'].iloc[0]!r}); "
            "give one consensus_label per item."
        )
    unknown = sorted(set(frame["given_label"].dropna()) - known)
    if unknown:
        raise BadInputError(
            f"consensus: consensus_label value(s) {', '.join(map(repr, unknown[:5]))} "
            "are not labels in the annotations; "
            f"known labels: {', '.join(sorted(known))}."
        )
    counts = per_item.select("item_id", "n_annotations").execute()
    frame = frame.merge(counts, on="item_id", how="inner")
    frame["agreement"] = np.nan
    return frame
