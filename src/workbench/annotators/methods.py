"""The consensus methods over integer codes: majority vote, Dawid-Skene (crowd-kit) and CROWDLAB (sparse)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..inputs.annotations import AnnotationSet
from ..inputs.predictions import Predictions
from ..inputs.vote import majority_vote_codes as majority_vote_codes_of


@dataclass(frozen=True)
class MethodResult:
    """One consensus method's output, aligned with the sorted item and annotator ids."""

    label: np.ndarray  # class codes per item
    quality: np.ndarray  # per item
    annotator_quality: np.ndarray  # per annotator
    notes: tuple[str, ...] = ()


def _codes(annotations: AnnotationSet):
    item, annotator, label, items, annotators = annotations.codes()
    return item, annotator, label, items, annotators


def majority_vote_codes(annotations: AnnotationSet) -> tuple[np.ndarray, np.ndarray]:
    """Majority vote of an annotation set (:mod:`workbench.inputs.vote`'s rule and array form).

    Returns the consensus class code and the share of votes it got, per item
    (items in the order of :meth:`AnnotationSet.codes`).
    """
    item, _, label, items, _ = annotations.codes()
    created = annotations.frame["created_at"].to_numpy() if "created_at" in annotations.frame.columns else None
    cls, share, _ = majority_vote_codes_of(
        item, label, n_items=len(items), classes=annotations.classes, created_at=created
    )
    return cls, share


def _run_mv(annotations: AnnotationSet, item, annotator, label, items, k) -> MethodResult:
    cls, quality = majority_vote_codes(annotations)
    n_ann = np.bincount(item, minlength=len(items))
    multi = n_ann[item] >= 2
    hit = (label == cls[item]) & multi
    m = int(annotator.max()) + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        aq = np.bincount(annotator, weights=hit, minlength=m) / np.bincount(annotator, weights=multi, minlength=m)
    return MethodResult(cls, quality, aq)


def _prediction_rows(predictions: Predictions, items: pd.Index) -> np.ndarray:
    """Row of ``predictions.proba`` for each item, -1 where the item has no prediction."""
    ids = predictions.item_id
    keep = ~ids.duplicated()
    rows = np.flatnonzero(keep)
    idx = ids[keep].get_indexer(items)
    return np.where(idx >= 0, rows[idx], -1)


def _run_ds(annotations: AnnotationSet, item, annotator, label, items, annotators, k, *, seed: int) -> MethodResult:
    from .dawid_skene import dawid_skene

    res = dawid_skene(item, annotator, label, n_items=len(items), n_annotators=len(annotators), n_classes=k)
    quality = res.posteriors[np.arange(len(items)), res.labels]
    return MethodResult(res.labels, quality, res.annotator_quality())


def _run_crowdlab(annotations, item, annotator, label, items, annotators, k, predictions: Predictions, *, seed):
    from .crowd_sparse import LongLabels, crowdlab

    pos = _prediction_rows(predictions, items)
    covered = pos >= 0
    notes = []
    if not covered.any():
        raise BadInputError(
            "CROWDLAB needs predicted probabilities for the annotated items, but table 'predictions' has none of "
            "them. Ingest predictions for the annotated items or use --method ds or mv."
        )
    sub_items = np.flatnonzero(covered)
    new_index = np.full(len(items), -1)
    new_index[sub_items] = np.arange(len(sub_items))
    keep = covered[item]
    m = len(annotators)
    lab = LongLabels.from_arrays(
        new_index[item[keep]], annotator[keep], label[keep], n_items=len(sub_items), n_annotators=m, n_classes=k
    )
    if (lab.num_annotations() <= 1).all():
        raise BadInputError(
            "CROWDLAB needs some items with two or more annotations; every item with predictions has one. "
            "Use --method mv or ds."
        )
    proba = predictions.proba[pos[covered]]
    res = crowdlab(lab, proba, seed=seed)
    if covered.all():
        cls, quality = res.consensus_label, res.consensus_quality
    else:
        mv = _run_mv(annotations, item, annotator, label, items, k)
        cls, quality = mv.label.copy(), mv.quality.copy()
    cls[sub_items] = res.consensus_label
    quality[sub_items] = res.consensus_quality
    if (~covered).any():
        notes.append(f"{int((~covered).sum()):,} annotated item(s) have no predictions; they keep the majority vote.")
    aq = res.annotator_quality
    if len(aq) < m:
        aq = np.r_[aq, np.full(m - len(aq), np.nan)]
    return MethodResult(cls, quality, aq, tuple(notes))


def _model_agreement(
    predictions: Predictions, items: pd.Index, mv_label: np.ndarray, multi: np.ndarray
) -> float | None:
    pos = _prediction_rows(predictions, items)
    ok = (pos >= 0) & multi
    if not ok.any():
        return None
    pred = np.argmax(predictions.proba[pos[ok]], axis=1)
    return float(np.mean(pred == mv_label[ok]))
