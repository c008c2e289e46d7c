"""Annotator decline: change detection on weekly agreement, with false-discovery control across the workforce.

The test. For every annotator and every week ``w`` after their first, the annotator's agreement with the
others' majority from ``w`` on (``w`` to the last week analysed, pooled) is compared with their agreement
before ``w``: a one-sided exact test (Fisher's, computed as the hypergeometric lower tail) that the later
agreement is lower. Every (annotator, week) candidate of the whole workforce is one test, and the p-values
are adjusted together by Benjamini-Hochberg (statsmodels' ``multipletests(method="fdr_bh")``) at
``fdr`` (``[annotators] decline_fdr``, 0.05). An annotator declined when some candidate's adjusted p-value
is below ``fdr`` and its drop is at least ``min_drop`` (0.15); the decline starts at the candidate week with
the smallest adjusted p-value (the most likely change point; the earliest on ties), and every week from it
on is marked declined.

Why this shape:

* BH over all annotator-weeks bounds the expected share of false flags among the flags at ``fdr``, and
  under the global null (nobody declines) the chance of any flag at all. The candidates of one annotator
  share data and are positively correlated, which BH tolerates (Benjamini and Yekutieli, 2001).
* Pooling the weeks since ``w`` gives the test the whole period of a lasting decline, so it says *since
  when*; with data up to the week a decline starts, the test is that week against the earlier ones, so a
  decline is found in the week it starts.
* Exact rather than the two-proportion z-test: BH with thousands of tests needs p-values around 1e-6, where
  the normal approximation of a lower tail of a proportion near 0.9 is far too small (anti-conservative).
  scipy's ``hypergeom.cdf`` is Fisher's one-sided p-value, vectorised.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DECLINE_FDR = 0.05
DRIFT_MIN_DROP = 0.15
DRIFT_MIN_LABELS = 10
DRIFT_COLUMNS = [
    "annotator_id",
    "week",
    "labels",
    "agreement",
    "baseline",
    "baseline_labels",
    "since_agreement",
    "since_labels",
    "p_value",
    "p_adjusted",
    "declined",
]


def decline_scan(
    weekly: pd.DataFrame,
    *,
    fdr: float = DECLINE_FDR,
    min_drop: float = DRIFT_MIN_DROP,
    min_labels: int = DRIFT_MIN_LABELS,
) -> pd.DataFrame:
    """The change-point scan over per annotator-week counts (see the module docstring).

    Parameters
    ----------
    weekly : DataFrame
        ``annotator_id, week, hits, labels``: per annotator and week (weeks sortable as text, ``YYYY-Www``),
        the labels compared and how many agreed.
    fdr : float
        Benjamini-Hochberg false-discovery rate over every (annotator, week) candidate.
    min_drop : float
        Smallest drop (before minus since) that counts as a decline.
    min_labels : int
        A candidate is tested only with at least this many labels before it and since it.

    Returns
    -------
    DataFrame with :data:`DRIFT_COLUMNS`, one row per annotator and week: the week's ``labels`` and
    ``agreement``; ``baseline`` / ``baseline_labels`` (before the week) and ``since_agreement`` /
    ``since_labels`` (the week and after); the candidate's ``p_value`` and BH ``p_adjusted`` (NaN where
    not tested); ``declined`` for the weeks from the annotator's change point on.
    """
    from scipy.stats import hypergeom
    from statsmodels.stats.multitest import multipletests

    if weekly.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    w = weekly.sort_values(["annotator_id", "week"]).reset_index(drop=True)
    hits = w["hits"].to_numpy(dtype=np.int64)
    n = w["labels"].to_numpy(dtype=np.int64)
    g = w.groupby("annotator_id", sort=False)
    cum_h = g["hits"].cumsum().to_numpy() - hits  # before the week
    cum_n = g["labels"].cumsum().to_numpy() - n
    tot_h = g["hits"].transform("sum").to_numpy()
    tot_n = g["labels"].transform("sum").to_numpy()
    since_h, since_n = tot_h - cum_h, tot_n - cum_n
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = hits / n
        baseline = np.where(cum_n > 0, cum_h / np.maximum(cum_n, 1), np.nan)
        since = since_h / since_n
    test = (cum_n >= min_labels) & (since_n >= min_labels)
    p = np.full(len(w), np.nan)
    # P(at most since_h hits among since_n labels | tot_h hits among tot_n): Fisher's exact, lower tail.
    p[test] = hypergeom.cdf(since_h[test], tot_n[test], tot_h[test], since_n[test])
    p_adj = np.full(len(w), np.nan)
    if test.any():
        p_adj[test] = multipletests(p[test], alpha=fdr, method="fdr_bh")[1]
    candidate = test & (p_adj < fdr) & (baseline - since >= min_drop)
    declined = np.zeros(len(w), dtype=bool)
    if candidate.any():
        cand = w.loc[candidate, ["annotator_id", "week"]].assign(p=p_adj[candidate])
        change = cand.sort_values(["p", "week"]).drop_duplicates("annotator_id").set_index("annotator_id")["week"]
        start = w["annotator_id"].map(change)
        declined = start.notna().to_numpy() & (w["week"].to_numpy(dtype=object) >= start.fillna("").to_numpy())
    return pd.DataFrame(
        {
            "annotator_id": w["annotator_id"].to_numpy(),
            "week": w["week"].to_numpy(),
            "labels": n,
            "agreement": agreement,
            "baseline": baseline,
            "baseline_labels": cum_n,
            "since_agreement": since,
            "since_labels": since_n,
            "p_value": p,
            "p_adjusted": p_adj,
            "declined": declined,
        },
        columns=DRIFT_COLUMNS,
    )


def weekly_agreement(labels: pd.DataFrame) -> pd.DataFrame:
    """``annotator_id, week, hits, labels`` from per-annotation ``annotator_id, week, comparable, agrees``."""
    sub = labels[labels["comparable"] & labels["week"].notna()]
    if sub.empty:
        return pd.DataFrame(columns=["annotator_id", "week", "hits", "labels"])
    return (
        sub.assign(hits=sub["agrees"].astype(int))
        .groupby(["annotator_id", "week"], sort=True)
        .agg(hits=("hits", "sum"), labels=("hits", "size"))
        .reset_index()
    )


def annotator_drift(
    labels: pd.DataFrame,
    *,
    fdr: float = DECLINE_FDR,
    min_drop: float = DRIFT_MIN_DROP,
    min_labels: int = DRIFT_MIN_LABELS,
) -> pd.DataFrame:
    """Per annotator and ISO week: agreement with the others' majority, and declines (:func:`decline_scan`).

    ``labels`` is the annotator report's per-annotation frame (``annotator_id, week, comparable, agrees``);
    without timestamps (no ``week``) the result is empty.
    """
    if "week" not in labels.columns:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    return decline_scan(weekly_agreement(labels), fdr=fdr, min_drop=min_drop, min_labels=min_labels)
