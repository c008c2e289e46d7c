"""Each annotator against their peers on the same items: agreement with the others' majority, label mix, speed.

Three comparisons, all leave-one-out (the annotator's own label never counts towards what it is compared
with, so an item only that annotator labelled cannot agree "by construction"):

* :func:`others_majority` -- per annotation, the majority vote of the *other* annotators of the item (items
  where the others tie, or where nobody else labelled, are left out);
* :func:`label_mix_divergence` -- the annotator's label counts against the other annotators' labels on the
  same items: a chi-square test of the 2 x K table (scipy), Benjamini-Hochberg adjusted over annotators
  (statsmodels), and the total-variation distance between the two label mixes as the size of the divergence;
* :func:`speed_ratios` -- per annotation, ``duration_s`` over the median time the other annotators take on
  items of the same (consensus) class; per annotator, the median of those ratios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL_MIX_MIN_ITEMS = 30
LABEL_MIX_MIN_DIVERGENCE = 0.1
SPEEDER_RATIO = 0.2
SPEEDER_MIN_LABELS = 20
_CHUNK = 500_000


def others_majority(item: np.ndarray, label: np.ndarray, *, n_items: int, n_classes: int) -> tuple[np.ndarray, ...]:
    """The majority vote of the other annotators of each annotation's item.

    Parameters
    ----------
    item, label : arrays of int
        One entry per annotation (one label per annotator and item).

    Returns
    -------
    (others_label, comparable)
        ``others_label``: the class code the others' majority gave (-1 where not comparable);
        ``comparable``: True where at least one other annotator labelled the item and their vote has a
        single winner (ties among the others are left out rather than broken by a rule that could favour
        the annotator).
    """
    k = n_classes
    counts = np.bincount(item * k + label, minlength=n_items * k).reshape(n_items, k).astype(np.int32)
    out = np.full(len(item), -1, dtype=np.int64)
    comparable = np.zeros(len(item), dtype=bool)
    # In chunks: the others' counts are an (annotations x classes) array.
    for start in range(0, len(item), _CHUNK):
        sl = slice(start, start + _CHUNK)
        others = counts[item[sl]].copy()
        others[np.arange(len(others)), label[sl]] -= 1
        top = others.max(axis=1)
        single = (others == top[:, None]).sum(axis=1) == 1
        ok = (top > 0) & single
        out[sl] = np.where(ok, others.argmax(axis=1), -1)
        comparable[sl] = ok
    return out, comparable


def label_mix_divergence(
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    *,
    n_items: int,
    n_annotators: int,
    n_classes: int,
    fdr: float = 0.05,
    min_items: int = LABEL_MIX_MIN_ITEMS,
    min_divergence: float = LABEL_MIX_MIN_DIVERGENCE,
) -> pd.DataFrame:
    """Each annotator's label mix against the other annotators' labels on the same items.

    Returns one row per annotator code (``0..n_annotators-1``): ``mix_items`` (items shared with at least
    one other annotator), ``label_mix_divergence`` (total-variation distance between the two mixes, 0 to
    1), ``label_mix_p_value`` (chi-square test of the 2 x K table of counts, scipy's ``chi2_contingency``),
    ``label_mix_p_adjusted`` (Benjamini-Hochberg over the annotators tested, statsmodels),
    ``label_mix_divergent`` (adjusted p below ``fdr`` and divergence at least ``min_divergence``), and
    ``over_class`` / ``own_share`` / ``peer_share``: the class whose share differs most, and both shares.

    The two rows of the table are labels of the same items, so they are positively correlated; the
    chi-square test treats them as independent samples and is therefore conservative (it overstates the
    noise of the difference), which keeps false flags below the configured rate.
    """
    from scipy.stats import chi2_contingency
    from statsmodels.stats.multitest import multipletests

    k = n_classes
    n_ann = np.bincount(item, minlength=n_items)
    shared = n_ann[item] >= 2
    it, an, lab = item[shared], annotator[shared], label[shared]
    counts = np.bincount(item * k + label, minlength=n_items * k).reshape(n_items, k)
    own = np.zeros((n_annotators, k), dtype=np.int64)
    np.add.at(own, (an, lab), 1)
    peer = np.zeros((n_annotators, k), dtype=np.int64)
    for start in range(0, len(it), _CHUNK):
        sl = slice(start, start + _CHUNK)
        np.add.at(peer, an[sl], counts[it[sl]])
    peer -= own
    mix_items = own.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_share = own / mix_items[:, None]
        peer_share = peer / peer.sum(axis=1, keepdims=True)
    diff = own_share - peer_share
    divergence = 0.5 * np.abs(diff).sum(axis=1)
    p = np.full(n_annotators, np.nan)
    for a in np.flatnonzero(mix_items >= min_items):
        table = np.vstack([own[a], peer[a]])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            p[a] = 1.0
            continue
        p[a] = chi2_contingency(table, correction=False).pvalue
    p_adj = np.full(n_annotators, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        p_adj[tested] = multipletests(p[tested], alpha=fdr, method="fdr_bh")[1]
    worst = np.argmax(np.nan_to_num(np.abs(diff), nan=-1.0), axis=1)
    rows = np.arange(n_annotators)
    return pd.DataFrame(
        {
            "mix_items": mix_items,
            "label_mix_divergence": np.where(mix_items > 0, divergence, np.nan),
            "label_mix_p_value": p,
            "label_mix_p_adjusted": p_adj,
            "label_mix_divergent": tested & (p_adj < fdr) & (divergence >= min_divergence),
            "over_class": worst,
            "own_share": own_share[rows, worst],
            "peer_share": peer_share[rows, worst],
        }
    )


def speed_ratios(
    annotator: np.ndarray, class_code: np.ndarray, duration: np.ndarray, *, n_annotators: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per annotator: the median of ``duration / peers' median duration on the same class``, and its count.

    ``class_code`` is the class of each annotation's item (its consensus label), so an annotator who gets
    the slow classes is compared with peers on those classes. The peers' median of a class is the median
    of the other annotators' per-annotator medians on it: each peer counts once, however much they
    labelled, and the annotator's own time never enters their reference. Annotations without a positive
    ``duration_s`` are left out. Returns NaN (and 0) for annotators without timed annotations.
    """
    ok = np.isfinite(duration) & (duration > 0)
    a, c, d = annotator[ok], class_code[ok], duration[ok]
    ratio = np.full(n_annotators, np.nan)
    timed = np.bincount(a, minlength=n_annotators)
    if not len(d):
        return ratio, timed
    per = pd.Series(d).groupby([a, c]).median()
    med = np.full((n_annotators, n_classes), np.nan)
    med[per.index.get_level_values(0), per.index.get_level_values(1)] = per.to_numpy()
    # Peers' reference per (annotator, class): the median of the other rows of the column.
    peers = np.full((n_annotators, n_classes), np.nan)
    for cls in range(n_classes):
        col = med[:, cls]
        have = np.flatnonzero(np.isfinite(col))
        if len(have) < 2:
            continue
        for j in have:
            peers[j, cls] = np.median(col[have[have != j]])
    rel = d / peers[a, c]
    frame = pd.DataFrame({"a": a, "rel": rel}).dropna()
    by = frame.groupby("a")["rel"].median()
    ratio[by.index.to_numpy()] = by.to_numpy()
    return ratio, timed
