"""Cleanlab on position-aligned arrays: label quality scores and the label-issue flags."""

from __future__ import annotations

import warnings

import numpy as np

from ..choices import FILTER_METHODS, RANK_METHODS
from ..errors import BadInputError

DEFAULT_RANK_BY = "normalized_margin"
DEFAULT_FILTER_BY = "confident_learning"


def _check_methods(rank_by: str, filter_by: str) -> None:
    if rank_by not in RANK_METHODS:
        raise BadInputError(f"--rank-by {rank_by!r} is not one of {', '.join(RANK_METHODS)}.")
    if filter_by not in FILTER_METHODS:
        raise BadInputError(f"--filter-by {filter_by!r} is not one of {', '.join(FILTER_METHODS)}.")


def score_labels(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    rank_by: str = DEFAULT_RANK_BY,
    filter_by: str = DEFAULT_FILTER_BY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cleanlab on position-aligned arrays: ``(label_quality, is_label_issue, confident_joint)``.

    ``labels`` are class indices 0..K-1, ``pred_probs`` an (N, K) array.
    """
    from cleanlab.count import compute_confident_joint
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    _check_methods(rank_by, filter_by)
    labels = np.asarray(labels)
    pred_probs = np.asarray(pred_probs)
    if pred_probs.ndim != 2 or labels.shape != (pred_probs.shape[0],):
        raise BadInputError(
            f"labels (shape {labels.shape}) and pred_probs (shape {pred_probs.shape}) must be (N,) and (N, K)."
        )
    if (
        not np.issubdtype(labels.dtype, np.integer)
        or len(labels)
        and (labels.min() < 0 or labels.max() >= pred_probs.shape[1])
    ):
        raise BadInputError(f"labels must be class indices 0..{pred_probs.shape[1] - 1}.")
    if not np.isfinite(pred_probs.sum(axis=1)).all():
        raise BadInputError("pred_probs holds missing or infinite values.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Cleanlab warns about rare classes; the counts are in the result
        quality = _quality_scores(labels, pred_probs, rank_by, get_label_quality_scores)
        if filter_by == "confident_learning":
            cj, flags = _confident_learning(labels, pred_probs)
        else:
            cj = compute_confident_joint(labels, pred_probs, calibrate=True)
            flags = find_label_issues(labels, pred_probs, filter_by=filter_by, confident_joint=cj, n_jobs=1)
    return np.asarray(quality, dtype=float), np.asarray(flags, dtype=bool), cj


def _quality_scores(labels: np.ndarray, pred_probs: np.ndarray, method: str, fallback) -> np.ndarray:
    """Cleanlab's per-example scores, calling the scoring function directly.

    Equal to ``get_label_quality_scores(labels, pred_probs, method=method)``
    (whose defaults do not adjust the probabilities) without its per-call
    input validation, which costs more than the score itself at 1M items;
    the inputs are validated here once. The tests compare both.
    """
    from cleanlab import rank

    direct = {
        "normalized_margin": getattr(rank, "get_normalized_margin_for_each_label", None),
        "self_confidence": getattr(rank, "get_self_confidence_for_each_label", None),
        "confidence_weighted_entropy": getattr(rank, "get_confidence_weighted_entropy_for_each_label", None),
    }.get(method)
    if direct is None:
        return fallback(labels, pred_probs, method=method)
    return direct(labels, pred_probs)


def _confident_learning(labels: np.ndarray, pred_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cleanlab's ``filter_by="confident_learning"`` with the confident joint computed once, not twice.

    Same steps as ``cleanlab.filter.find_label_issues``: flag the off-diagonal
    examples of the calibrated confident joint, then unflag those whose
    predicted probability of the given label is close to the maximum. The
    tests compare the flags with Cleanlab's own call.
    """
    from cleanlab.count import compute_confident_joint

    try:
        from cleanlab.filter import _reduce_issues
    except ImportError:  # a Cleanlab without the helper: use the public call (computes the joint twice)
        from cleanlab.filter import find_label_issues

        cj = compute_confident_joint(labels, pred_probs, calibrate=True)
        return cj, find_label_issues(labels, pred_probs, filter_by="confident_learning", n_jobs=1)
    cj, off_diagonal = compute_confident_joint(labels, pred_probs, calibrate=True, return_indices_of_off_diagonals=True)
    flags = np.zeros(len(labels), dtype=bool)
    flags[off_diagonal] = True
    flags[_reduce_issues(pred_probs=pred_probs, labels=labels)] = False
    return cj, flags
