"""Dawid-Skene over the long annotations table: sparse EM on integer codes.

The same model, initialisation, convergence rule and tie handling as crowd-kit's
``DawidSkene`` (``crowdkit.aggregation.classification.dawid_skene``), without its
pandas joins:

- initialisation: per-item label shares (crowd-kit's ``MajorityVote.fit_predict_proba``,
  every annotation row counted once), priors their mean, then one M-step;
- M-step: per annotator, observed label and true class, the summed posteriors of the
  items the annotator gave that label, clipped below at 1e-10 and normalised over the
  labels *that annotator used* (a label an annotator never gave has no entry);
- E-step: log2 priors (clipped at 1e-10) plus the summed log2 error rates of an item's
  annotations, shifted by the row maximum, exponentiated and normalised;
- stop after ``n_iter`` iterations or when the evidence lower bound per annotation rises
  by less than ``tol``;
- classes nobody used are left out of the model (crowd-kit never sees them) and get
  posterior 0; labels are the first class of highest posterior (crowd-kit's ``idxmax``).

Memory is the long table, a sparse (item x annotator-label) incidence matrix of the same
size, the posteriors (items x classes) and the error rates (annotators x classes²).
Each iteration is two sparse products, linear in the number of annotations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import BadInputError

_EPS = 1e-10  # crowd-kit's _EPS = 10 ** -10


@dataclass(frozen=True)
class DawidSkeneResult:
    """Posteriors, labels, priors and confusion matrices of a Dawid-Skene fit.

    ``posteriors[i, c]`` is the probability that item ``i``'s true class is ``c``;
    ``confusion[w, observed, true]`` the probability that annotator ``w`` gives
    ``observed`` when the true class is ``true`` (0 for labels ``w`` never gave; each
    column sums to 1 over the labels ``w`` gave); ``loss_history`` the evidence lower
    bound per annotation after each iteration, as crowd-kit's ``loss_history_``.
    """

    posteriors: np.ndarray
    labels: np.ndarray
    priors: np.ndarray
    confusion: np.ndarray
    loss_history: tuple[float, ...]

    @property
    def n_iter(self) -> int:
        return len(self.loss_history)

    def annotator_quality(self) -> np.ndarray:
        """Prior-weighted probability of a correct label per annotator: ``sum_c priors[c] * confusion[w, c, c]``."""
        diag = np.diagonal(self.confusion, axis1=1, axis2=2)
        return diag @ self.priors


def dawid_skene(
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    *,
    n_items: int | None = None,
    n_annotators: int | None = None,
    n_classes: int | None = None,
    n_iter: int = 100,
    tol: float = 1e-5,
) -> DawidSkeneResult:
    """Fit Dawid-Skene by EM on ``(item, annotator, label)`` integer codes, one row per annotation.

    Parameters
    ----------
    item, annotator, label : array of int
        Codes from 0, equal length. Pass only annotated items: an item in ``range(n_items)``
        without annotations gets the priors as its posterior and counts in the priors' mean,
        which crowd-kit (that never sees it) does not do.
    n_items, n_annotators, n_classes : int, optional
        Sizes of the code ranges (default: one more than the largest code).
    n_iter, tol : maximum iterations and the stopping tolerance, as crowd-kit's.

    Examples
    --------
    >>> res = dawid_skene(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 1, 0]))
    >>> res.labels.tolist()
    [1, 0]
    """
    from scipy import sparse

    item = np.asarray(item, dtype=np.int64)
    annotator = np.asarray(annotator, dtype=np.int64)
    label = np.asarray(label, dtype=np.int64)
    if not (len(item) == len(annotator) == len(label)):
        raise BadInputError("Dawid-Skene needs item, annotator and label codes of equal length.")
    if len(item) == 0:
        raise BadInputError("Dawid-Skene needs at least one annotation; there are none.")
    if min(item.min(), annotator.min(), label.min()) < 0:
        raise BadInputError("Dawid-Skene needs non-negative codes; a code is negative (a missing label?).")
    n = int(item.max()) + 1 if n_items is None else int(n_items)
    m = int(annotator.max()) + 1 if n_annotators is None else int(n_annotators)
    k_all = int(label.max()) + 1 if n_classes is None else int(n_classes)

    # Classes nobody used are not in crowd-kit's model: fit on the used ones only.
    used = np.flatnonzero(np.bincount(label, minlength=k_all) > 0)
    remap = np.full(k_all, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    lab = remap[label]
    k = len(used)
    n_rows = len(item)

    # Incidence of annotation rows: items x (annotator, observed label) pairs.
    pair = annotator * k + lab
    ones = np.ones(n_rows)
    inc = sparse.csr_matrix((ones, (item, pair)), shape=(n, m * k))  # sums duplicates, as rows count each
    inc_t = inc.T.tocsr()
    observed = np.zeros(m * k, dtype=bool)
    observed[pair] = True
    per_item = np.asarray(inc.sum(axis=1)).ravel()

    # Initialisation: crowd-kit's majority-vote probabilities (label shares per item).
    counts = sparse.csr_matrix((ones, (item, lab)), shape=(n, k)).toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        probas = counts / counts.sum(axis=1, keepdims=True)
    probas = np.nan_to_num(probas, nan=0.0)
    del counts
    priors = probas.mean(axis=0)
    errors, _ = _m_step(inc_t, probas, observed, m, k)

    loss = -np.inf
    history: list[float] = []
    for _ in range(n_iter):
        probas = _e_step(inc, priors, errors, observed)
        priors = probas.mean(axis=0)
        errors, sums = _m_step(inc_t, probas, observed, m, k)
        new_loss = _evidence_lower_bound(sums, probas, per_item, priors, errors, observed) / n_rows
        history.append(new_loss)
        if new_loss - loss < tol:
            break
        loss = new_loss

    # crowd-kit clips the returned posteriors and priors at 1e-10 (in place, in its loss).
    probas = np.maximum(probas, _EPS)
    priors = np.maximum(priors, _EPS)
    labels = used[np.argmax(probas, axis=1)]
    posteriors = np.zeros((n, k_all))
    posteriors[:, used] = probas
    full_priors = np.zeros(k_all)
    full_priors[used] = priors
    confusion = np.zeros((m, k_all, k_all))
    confusion[np.ix_(np.arange(m), used, used)] = np.where(observed.reshape(m, k, 1), errors.reshape(m, k, k), 0.0)
    return DawidSkeneResult(posteriors, labels, full_priors, confusion, tuple(history))


def _m_step(inc_t, probas: np.ndarray, observed: np.ndarray, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Error rates ((annotator, observed label) x true class) from the posteriors, and the raw sums."""
    sums = np.asarray(inc_t @ probas)  # (m*k) x k
    errors = np.maximum(sums, _EPS)
    errors[~observed] = 0.0
    totals = errors.reshape(m, k, k).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        errors = (errors.reshape(m, k, k) / totals).reshape(m * k, k)
    errors[~observed] = 0.0
    return errors, sums


def _e_step(inc, priors: np.ndarray, errors: np.ndarray, observed: np.ndarray) -> np.ndarray:
    log_errors = np.zeros_like(errors)
    log_errors[observed] = np.log2(errors[observed])
    log_lik = np.asarray(inc @ log_errors) + np.log2(np.maximum(priors, _EPS))
    log_lik -= log_lik.max(axis=1, keepdims=True)
    scaled = np.exp2(log_lik, out=log_lik)
    scaled /= scaled.sum(axis=1, keepdims=True)
    return scaled


def _evidence_lower_bound(sums, probas, per_item, priors, errors, observed) -> float:
    """crowd-kit's ``_evidence_lower_bound``: expected joint log-likelihood plus the posteriors' entropy."""
    log_errors = np.zeros_like(errors)
    log_errors[observed] = np.log(errors[observed])
    joint = float(np.sum(sums * log_errors))
    joint += float((per_item @ probas) @ np.log(np.maximum(priors, _EPS)))
    clipped = np.maximum(probas, _EPS)
    entropy = -float(np.sum(np.log(clipped) * clipped))
    return joint + entropy
