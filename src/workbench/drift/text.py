"""Free-text drift: Evidently's domain classifier (TF-IDF + SGD, ROC AUC), re-implemented with scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .summary import WindowSummary

TEXT_MAX_ROWS = 50_000  # larger text windows are sampled (seeded) for the domain classifier


def text_values(summary: WindowSummary, column: str, *, seed: int = 0) -> pd.Series:
    """The window's non-null texts, in a reproducible order (sampled above ``TEXT_MAX_ROWS``)."""
    key = ("text", column, seed)
    if key not in summary.memo:
        summary.memo[key] = _fetch_text(summary, column, seed=seed)
    return summary.memo[key]


def _fetch_text(summary: WindowSummary, column: str, *, seed: int) -> pd.Series:
    t = summary.table
    x = t[column]
    sel = t.filter(x.notnull())
    if summary.order_by:
        sel = sel.order_by(list(summary.order_by))
    frame = sel.select(text=x).execute()
    if len(frame) > TEXT_MAX_ROWS:
        frame = frame.sample(TEXT_MAX_ROWS, random_state=seed).sort_index()
    return frame["text"].reset_index(drop=True)


def _roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, scores))


def _random_auc_percentile(y_test: np.ndarray, q: float, *, iterations: int = 1000, seed: int = 42) -> float:
    """Percentile ``q`` of the ROC AUC of random scores (Evidently's seeds; AUC from ranks, no ties)."""
    seeds = np.random.RandomState(seed).randint(0, iterations * 10, size=iterations)
    pos = np.asarray(y_test) == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    aucs = np.empty(iterations)
    chunk = max(1, 2_000_000 // max(len(pos), 1))
    for start in range(0, iterations, chunk):
        block = np.stack([np.random.RandomState(s).rand(len(pos)) for s in seeds[start : start + chunk]])
        ranks = block.argsort(axis=1).argsort(axis=1) + 1.0
        aucs[start : start + chunk] = (ranks[:, pos].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(np.percentile(aucs, q))


def text_domain_classifier(
    ref: pd.Series, cur: pd.Series, *, method: str, threshold: float
) -> tuple[float, bool, dict]:
    """Evidently's text drift: ROC AUC of a classifier telling current texts from reference texts."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    text = pd.concat([ref, cur], ignore_index=True)
    target = np.concatenate([np.zeros(len(ref), dtype=int), np.ones(len(cur), dtype=int)])
    x_train, x_test, y_train, y_test = train_test_split(text, target, test_size=0.5, random_state=42, shuffle=True)
    model = Pipeline(
        [
            ("vectorization", TfidfVectorizer(sublinear_tf=True, max_df=0.5, stop_words="english")),
            (
                "classification",
                SGDClassifier(alpha=0.0001, max_iter=50, penalty="l1", loss="modified_huber", random_state=42),
            ),
        ]
    )
    with warnings.catch_warnings():  # max_iter=50 as Evidently's; it warns on some inputs, as Evidently does
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            model.fit(x_train, y_train)
        except ValueError as exc:  # no word left after stop words and max_df: nothing tells the windows apart
            if "terms remain" not in str(exc) and "empty vocabulary" not in str(exc):
                raise
            return 0.5, False, {"note": "no informative words (all are stop words or in over half the texts)"}
    auc = _roc_auc(y_test, model.predict_proba(x_test)[:, 1])
    if method == "abs_text_content_drift":
        return auc, bool(auc > threshold), {}
    cutoff = _random_auc_percentile(np.asarray(y_test), 100 * threshold)
    return auc, bool(auc > cutoff), {"random_auc_percentile": cutoff}
