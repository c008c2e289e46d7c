"""Evidently's drift methods: their statistics, default thresholds and drift rules, and which one a column gets.

Method choice follows Evidently 0.7 (``get_stattest``'s defaults): for
references of at most 1,000 rows, K-S for numeric columns with more than 5
distinct values, chi-square (more than 2 values) or Z-test (2 or fewer) for
the rest, all at p < 0.05; above 1,000 rows, the Wasserstein distance normed
by the reference standard deviation (numeric, more than 5 values) or the
Jensen-Shannon distance (the rest), drifted at >= 0.1. Text: the domain
classifier against the 95th percentile of random classifiers (small
references) or an absolute ROC AUC of 0.55.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_REFERENCE = 1000  # Evidently: references above this many rows switch to distance measures


NUMERIC, CATEGORICAL, TEXT = "numeric", "categorical", "text"
KINDS = (NUMERIC, CATEGORICAL, TEXT)


@dataclass(frozen=True)
class Method:
    """A drift test: Evidently's name, what its statistic is, its default threshold and drift rule."""

    name: str
    display_name: str
    default_threshold: float
    statistic: str  # "p_value", "distance" or "roc_auc"
    kinds: tuple[str, ...]

    def drifted(self, statistic: float, threshold: float, *, text_percentile: float | None = None) -> bool:
        if self.name == "ks":
            return bool(statistic <= threshold)
        if self.statistic == "p_value":
            return bool(statistic < threshold)
        if self.name == "perc_text_content_drift":
            return bool(statistic > text_percentile)
        if self.name == "abs_text_content_drift":
            return bool(statistic > threshold)
        return bool(statistic >= threshold)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", "K-S p_value", 0.05, "p_value", (NUMERIC,)),
        Method("chisquare", "chi-square p_value", 0.05, "p_value", (CATEGORICAL, NUMERIC)),
        Method("z", "Z-test p_value", 0.05, "p_value", (CATEGORICAL, NUMERIC)),
        Method("wasserstein", "Wasserstein distance (normed)", 0.1, "distance", (NUMERIC,)),
        Method("jensenshannon", "Jensen-Shannon distance", 0.1, "distance", (CATEGORICAL, NUMERIC)),
        Method("perc_text_content_drift", "Percentile text content drift", 0.95, "roc_auc", (TEXT,)),
        Method("abs_text_content_drift", "Absolute text content drift", 0.55, "roc_auc", (TEXT,)),
    )
}


def default_method(kind: str, n_reference: int, n_values: int) -> str:
    """Evidently 0.7's default test for a column (``n_values``: distinct values over both windows)."""
    if kind == TEXT:
        return "abs_text_content_drift" if n_reference > SMALL_REFERENCE else "perc_text_content_drift"
    if n_reference <= SMALL_REFERENCE:
        if kind == NUMERIC and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == NUMERIC and n_values > 5:
        return "wasserstein"
    return "jensenshannon"
