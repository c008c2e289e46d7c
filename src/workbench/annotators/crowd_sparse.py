"""CROWDLAB consensus, annotator quality and ActiveLab scores over the long annotations table.

Cleanlab's :func:`cleanlab.multiannotator.get_label_quality_multiannotator` and
:func:`cleanlab.multiannotator.get_active_learning_scores` take a dense
items x annotators table, so their time and memory grow with
``items x annotators``: a workforce of 1,000 annotators on 1M items is out of
reach. Every quantity CROWDLAB needs is, however, a sum over the annotations
that exist. This module computes the same estimates from three aligned integer
arrays (item, annotator, label: one entry per annotation) and the ``(items,
classes)`` predicted probabilities, in time and memory linear in the number of
annotations plus ``items x classes``.

The results equal Cleanlab's (``consensus_method="best_quality"``,
``quality_method="crowdlab"``, default ``get_label_quality_scores``
settings) to floating-point rounding; ``tests/test_crowd_sparse.py`` checks
this to 1e-6. One deliberate difference: Cleanlab breaks a majority-vote tie
that survives all its rules with an unseeded ``np.random.choice``; here that
last step uses ``seed``.

Why our own code here: neither Cleanlab nor crowd-kit offers a sparse
CROWDLAB; the formulas follow the CROWDLAB and ActiveLab papers
(Goh, Tkachenko, Mueller 2022, 2023) as implemented by Cleanlab 2.9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLIPPING_LOWER_BOUND = 1e-6  # Cleanlab's lower clip for weights and error rates
SMALL_CONST = 1e-30  # Cleanlab's clip before taking logs of probabilities
COARSE_TEMPERATURES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0, 3.0, 5.0, 8.0)
FINE_SEARCH_SIZE = 4


@dataclass(frozen=True)
class LongLabels:
    """Annotations as aligned integer codes, one entry per annotation.

    ``item[k]`` in ``0..n_items-1``, ``annotator[k]`` in ``0..n_annotators-1``,
    ``label[k]`` in ``0..n_classes-1``. An annotator labels an item at most once.
    """

    item: np.ndarray
    annotator: np.ndarray
    label: np.ndarray
    n_items: int
    n_annotators: int
    n_classes: int

    @classmethod
    def from_arrays(cls, item, annotator, label, *, n_items=None, n_annotators=None, n_classes=None) -> LongLabels:
        item = np.asarray(item, dtype=np.int64)
        annotator = np.asarray(annotator, dtype=np.int64)
        label = np.asarray(label, dtype=np.int64)
        if not (len(item) == len(annotator) == len(label)):
            raise ValueError("item, annotator and label must have the same length")
        return cls(
            item=item,
            annotator=annotator,
            label=label,
            n_items=int(n_items if n_items is not None else item.max() + 1),
            n_annotators=int(n_annotators if n_annotators is not None else annotator.max() + 1),
            n_classes=int(n_classes if n_classes is not None else label.max() + 1),
        )

    @classmethod
    def from_dense(cls, labels_multiannotator: np.ndarray) -> LongLabels:
        """From Cleanlab's dense ``(items, annotators)`` layout (NaN = not labeled)."""
        dense = np.asarray(labels_multiannotator, dtype=float)
        rows, cols = np.nonzero(~np.isnan(dense))
        return cls.from_arrays(
            rows, cols, dense[rows, cols].astype(np.int64), n_items=dense.shape[0], n_annotators=dense.shape[1]
        )

    def label_counts(self) -> np.ndarray:
        """``(items, classes)`` number of annotations giving each class."""
        flat = np.bincount(self.item * self.n_classes + self.label, minlength=self.n_items * self.n_classes)
        return flat.reshape(self.n_items, self.n_classes).astype(float)

    def num_annotations(self) -> np.ndarray:
        return np.bincount(self.item, minlength=self.n_items)


@dataclass(frozen=True)
class CrowdlabResult:
    """Position-aligned CROWDLAB estimates (callers key them by item and annotator id)."""

    consensus_label: np.ndarray  # (items,)
    consensus_quality: np.ndarray  # (items,)
    annotator_agreement: np.ndarray  # (items,) share of an item's annotations equal to the consensus
    num_annotations: np.ndarray  # (items,)
    post_pred_probs: np.ndarray  # (items, classes)
    annotator_quality: np.ndarray  # (annotators,)
    agreement_with_consensus: np.ndarray  # (annotators,)
    num_labeled: np.ndarray  # (annotators,)
    annotator_weight: np.ndarray  # (annotators,)
    model_weight: float
    label_quality: np.ndarray  # (annotations,) quality of each individual label


def _weighted_sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(index, weights=weights, minlength=size)


def majority_vote_label(
    labels: LongLabels, pred_probs: np.ndarray | None = None, *, counts: np.ndarray | None = None, seed: int = 0
) -> np.ndarray:
    """Majority vote with Cleanlab's tie rule.

    Ties go, in turn, to: the tied class with the highest predicted
    probability; the tied class least frequent among all annotations; the
    tied class whose annotators agree most (on average) with the untied
    consensus; finally a seeded random choice.
    """
    counts = labels.label_counts() if counts is None else counts
    n, k = counts.shape
    top = counts.max(axis=1)
    modes = counts == top[:, None]
    n_modes = modes.sum(axis=1)
    out = np.argmax(counts, axis=1)
    tied = np.flatnonzero(n_modes > 1)
    if len(tied) == 0:
        return out
    cand = modes[tied].copy()
    # 1. highest predicted probability among tied classes
    if pred_probs is not None:
        p = np.where(cand, pred_probs[tied], -np.inf)
        cand &= p == p.max(axis=1, keepdims=True)
    # 2. least frequent class overall
    unresolved = cand.sum(axis=1) > 1
    if unresolved.any():
        freq = counts.sum(axis=0)
        f = np.where(cand, freq[None, :], np.inf)
        cand = np.where(unresolved[:, None], cand & (f == f.min(axis=1, keepdims=True)), cand)
    # 3. mean agreement (with the untied consensus) of the annotators who gave each tied class
    unresolved = cand.sum(axis=1) > 1
    if unresolved.any():
        nontied = n_modes == 1
        ann_mask = nontied[labels.item]
        agree = (labels.label == out[labels.item]) & ann_mask
        num = _weighted_sum_by(labels.annotator, agree.astype(float), labels.n_annotators)
        den = _weighted_sum_by(labels.annotator, ann_mask.astype(float), labels.n_annotators)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = num / den
        has = den > 0
        acc[~has] = np.mean(acc[has]) if has.any() else np.nan
        rows = tied[unresolved]
        pos = np.full(n, -1)
        pos[rows] = np.arange(len(rows))
        sel = pos[labels.item] >= 0
        key = pos[labels.item[sel]] * k + labels.label[sel]
        s = np.bincount(key, weights=acc[labels.annotator[sel]], minlength=len(rows) * k).reshape(len(rows), k)
        c = np.bincount(key, minlength=len(rows) * k).reshape(len(rows), k)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(cand[unresolved], s / np.maximum(c, 1), -np.inf)
        sub = cand[unresolved] & (score == score.max(axis=1, keepdims=True))
        cand[unresolved] = sub
    # 4. seeded random choice among what is left
    rng = np.random.default_rng(seed)
    choice = np.empty(len(tied), dtype=np.int64)
    n_left = cand.sum(axis=1)
    single = n_left == 1
    choice[single] = np.argmax(cand[single], axis=1)
    for r in np.flatnonzero(~single):
        choice[r] = rng.choice(np.flatnonzero(cand[r]))
    out[tied] = choice
    return out


def _annotator_agreement_with_annotators(labels: LongLabels, counts: np.ndarray, num_ann: np.ndarray) -> np.ndarray:
    """Per annotator: share of the other annotators of the same items who chose the same label."""
    same = counts[labels.item, labels.label] - 1.0
    others = num_ann[labels.item] - 1.0
    num = _weighted_sum_by(labels.annotator, same, labels.n_annotators)
    den = _weighted_sum_by(labels.annotator, others, labels.n_annotators)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    missing = den == 0
    if missing.any():
        out[missing] = np.mean(out[~missing])
    return out


def _consensus_stats(labels: LongLabels, pred_probs, counts, num_ann, consensus, agree_annotators):
    """Cleanlab's ``_get_consensus_stats`` (CROWDLAB) over the long table."""
    n, k = pred_probs.shape
    agreement = counts[np.arange(n), consensus] / num_ann
    multi = num_ann != 1
    consensus_likelihood = np.mean(agreement[multi])
    non_consensus_likelihood = (1 - consensus_likelihood) / (k - 1)
    cons_multi = consensus[multi]
    most_common = np.argmax(np.bincount(cons_multi, minlength=k))
    most_likely_class_error = max(np.mean(cons_multi != most_common), CLIPPING_LOWER_BOUND)
    annotator_error = 1 - agree_annotators
    annotator_weight = np.clip(1 - annotator_error / most_likely_class_error, CLIPPING_LOWER_BOUND, None)
    model_error = np.mean(np.argmax(pred_probs[multi], axis=1) != cons_multi)
    model_weight = max(1 - model_error / most_likely_class_error, CLIPPING_LOWER_BOUND) * np.sqrt(np.mean(num_ann))
    w = annotator_weight[labels.annotator]
    item_weight = _weighted_sum_by(labels.item, w, n)
    by_class = np.bincount(labels.item * k + labels.label, weights=w, minlength=n * k).reshape(n, k)
    post = pred_probs * model_weight + non_consensus_likelihood * item_weight[:, None]
    post += (consensus_likelihood - non_consensus_likelihood) * by_class
    post /= (item_weight + model_weight)[:, None]
    quality = post[np.arange(n), consensus]
    return agreement, quality, post, float(model_weight), annotator_weight


def crowdlab(labels: LongLabels, pred_probs: np.ndarray, *, seed: int = 0) -> CrowdlabResult:
    """CROWDLAB consensus, consensus quality and annotator quality from long-format labels.

    Equivalent to ``cleanlab.multiannotator.get_label_quality_multiannotator(dense, pred_probs)``
    with its defaults. Every item must have at least one annotation and at
    least one item must have two or more.

    Examples
    --------
    >>> import numpy as np
    >>> lab = LongLabels.from_arrays([0, 0, 1, 1, 2], [0, 1, 0, 1, 0], [1, 1, 0, 1, 0])
    >>> res = crowdlab(lab, np.array([[0.2, 0.8], [0.6, 0.4], [0.9, 0.1]]))
    >>> res.consensus_label.tolist()
    [1, 0, 0]
    """
    pred_probs = np.asarray(pred_probs, dtype=float)
    if pred_probs.shape[0] != labels.n_items or pred_probs.shape[1] < labels.n_classes:
        raise ValueError("pred_probs must have one row per item and one column per class")
    if pred_probs.shape[1] != labels.n_classes:
        labels = LongLabels(
            labels.item, labels.annotator, labels.label, labels.n_items, labels.n_annotators, pred_probs.shape[1]
        )
    counts = labels.label_counts()
    num_ann = labels.num_annotations()
    if (num_ann == 0).any():
        raise ValueError("every item needs at least one annotation")
    if (num_ann <= 1).all():
        raise ValueError("every item has a single annotation; CROWDLAB needs some items with two or more")
    n, k = pred_probs.shape
    agree_annotators = _annotator_agreement_with_annotators(labels, counts, num_ann)

    mv = majority_vote_label(labels, pred_probs, counts=counts, seed=seed)
    _, _, mv_post, _, _ = _consensus_stats(labels, pred_probs, counts, num_ann, mv, agree_annotators)
    top = mv_post.max(axis=1, keepdims=True)
    unique_top = (mv_post == top).sum(axis=1) == 1
    consensus = np.where(unique_top, np.argmax(mv_post, axis=1), mv)
    agreement, quality, post, model_weight, annotator_weight = _consensus_stats(
        labels, pred_probs, counts, num_ann, consensus, agree_annotators
    )

    # Annotator quality: a weighted mix of mean label quality and agreement with consensus on multi-annotated items.
    m = labels.n_annotators
    label_quality = post[labels.item, labels.label]
    num_labeled = np.bincount(labels.annotator, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_lq = _weighted_sum_by(labels.annotator, label_quality, m) / num_labeled
        hit = (labels.label == consensus[labels.item]).astype(float)
        agreement_with_consensus = _weighted_sum_by(labels.annotator, hit, m) / num_labeled
        on_multi = (num_ann[labels.item] != 1).astype(float)
        agree_multi = _weighted_sum_by(labels.annotator, hit * on_multi, m) / _weighted_sum_by(
            labels.annotator, on_multi, m
        )
    avg_num_annotations_frac = np.mean(num_ann) / m
    annotator_weight_adjusted = np.sum(annotator_weight) * avg_num_annotations_frac
    w = model_weight / (model_weight + annotator_weight_adjusted)
    annotator_quality = w * mean_lq + (1 - w) * agree_multi
    return CrowdlabResult(
        consensus_label=consensus,
        consensus_quality=quality,
        annotator_agreement=agreement,
        num_annotations=num_ann,
        post_pred_probs=post,
        annotator_quality=annotator_quality,
        agreement_with_consensus=agreement_with_consensus,
        num_labeled=num_labeled,
        annotator_weight=annotator_weight,
        model_weight=model_weight,
        label_quality=label_quality,
    )


# -- ActiveLab -------------------------------------------------------------------


def _softmax_log(log_p: np.ndarray, temperature: float) -> np.ndarray:
    x = np.exp(log_p / max(temperature, 1e-16))
    return x / x.sum(axis=1, keepdims=True)


def _soft_cross_entropy(empirical: np.ndarray, scaled: np.ndarray) -> float:
    k = scaled.shape[1]
    logs = np.log(np.clip(scaled, SMALL_CONST, None))
    return float(np.mean(-np.sum(empirical * logs, axis=1) / np.log(k)))


def _packed_left(counts: np.ndarray) -> np.ndarray:
    """Each row's non-zero counts moved to the first columns, in class order.

    This reproduces how Cleanlab 2.9 builds the annotators' label shares for
    temperature scaling: ``value_counts`` on float labels fills the counts of
    the classes present into the first positions instead of their own.
    """
    present = counts > 0
    rank = np.cumsum(present, axis=1) - 1
    rows, cols = np.nonzero(present)
    out = np.zeros_like(counts)
    out[rows, rank[rows, cols]] = counts[rows, cols]
    return out


def best_temperature(labels: LongLabels, pred_probs: np.ndarray, *, cleanlab_compatible: bool = True) -> float:
    """Temperature minimising the soft cross-entropy between annotators' label shares and the model.

    Cleanlab's coarse-then-fine grid search (``find_best_temp_scaler``). With
    ``cleanlab_compatible=True`` (the default) the label shares are built the
    way Cleanlab 2.9 builds them (see :func:`_packed_left`), so results match
    Cleanlab's exactly; ``False`` uses each class's own share.
    """
    counts = labels.label_counts()
    if cleanlab_compatible:
        counts = _packed_left(counts)
    empirical = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        log_p = np.where(pred_probs > 0, np.log(np.where(pred_probs > 0, pred_probs, 1.0)), -np.inf)
    coarse = list(COARSE_TEMPERATURES)
    ce = np.array([_soft_cross_entropy(empirical, _softmax_log(log_p, t)) for t in coarse])
    best = int(np.argmin(ce))
    fine = np.array([])
    if best != 0:
        fine = np.append(np.linspace(coarse[best - 1], coarse[best], FINE_SEARCH_SIZE, endpoint=False), fine)
    if best != len(coarse) - 1:
        fine = np.append(fine, np.linspace(coarse[best], coarse[best + 1], FINE_SEARCH_SIZE + 1, endpoint=True))
    ce_fine = np.array([_soft_cross_entropy(empirical, _softmax_log(log_p, t)) for t in fine])
    return float(fine[int(np.argmin(ce_fine))])


def temperature_scale(pred_probs: np.ndarray, temperature: float) -> np.ndarray:
    p = np.clip(pred_probs, SMALL_CONST, None)
    p = p / p.sum(axis=1, keepdims=True)
    out = _softmax_log(np.log(p), temperature)
    return out / out.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class ActiveLabResult:
    """ActiveLab scores (lower = more worth another label), aligned by position."""

    scores: np.ndarray  # (items,) labeled items
    scores_unlabeled: np.ndarray  # (unlabeled items,)
    temperature: float
    model_weight: float
    mean_annotator_weight: float


def activelab(
    labels: LongLabels,
    pred_probs: np.ndarray,
    pred_probs_unlabeled: np.ndarray | None = None,
    *,
    seed: int = 0,
    cleanlab_compatible: bool = True,
) -> ActiveLabResult:
    """ActiveLab scores, equivalent to ``cleanlab.multiannotator.get_active_learning_scores``.

    ``labels`` covers the labeled items (row ``i`` of ``pred_probs``);
    ``pred_probs_unlabeled`` the items nobody labeled yet. ``cleanlab_compatible``
    is passed to :func:`best_temperature`.
    """
    pred_probs = np.asarray(pred_probs, dtype=float)
    n, k = pred_probs.shape
    num_ann = labels.num_annotations()
    if (num_ann == 1).all():
        temperature = 1.0
        label_of_item = np.empty(n, dtype=np.int64)
        label_of_item[labels.item] = labels.label
        quality = pred_probs[np.arange(n), label_of_item]
        model_weight = 1.0
        annotator_weight = np.ones(labels.n_annotators)
    else:
        temperature = best_temperature(labels, pred_probs, cleanlab_compatible=cleanlab_compatible)
        scaled = temperature_scale(pred_probs, temperature)
        res = crowdlab(labels, scaled, seed=seed)
        quality = res.consensus_quality
        model_weight = res.model_weight
        annotator_weight = res.annotator_weight
    avg_w = float(np.mean(annotator_weight))
    item_w = _weighted_sum_by(labels.item, annotator_weight[labels.annotator], n) + model_weight
    scores = (quality * item_w + (1.0 / k) * avg_w) / (item_w + avg_w)
    unl = np.array([])
    if pred_probs_unlabeled is not None and len(pred_probs_unlabeled):
        pu = temperature_scale(np.asarray(pred_probs_unlabeled, dtype=float), temperature)
        unl = (pu.max(axis=1) * model_weight + (1.0 / k) * avg_w) / (model_weight + avg_w)
    return ActiveLabResult(
        scores=scores,
        scores_unlabeled=unl,
        temperature=temperature,
        model_weight=float(model_weight),
        mean_annotator_weight=avg_w,
    )
