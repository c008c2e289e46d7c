"""Evidently's drift methods: their statistics, default thresholds and drift rules, and which one a column gets.

Method choice follows Evidently 0.7 (``get_stattest``'s defaults): for
references of at most 1,000 rows, K-S for numeric columns with more than 5
distinct values, chi-square (more than 2 values) or Z-test (2 or fewer) for
the rest, all at p < 0.05; above 1,000 rows, the Wasserstein distance normed
by the reference standard deviation (numeric, more than 5 values) or the
Jensen-Shannon distance (the rest), drifted at >= 0.1. Text: the domain
classifier against the 95th percentile of random classifiers (small
references) or an absolute ROC AUC of 0.55.

Beyond Evidently's methods, ``chisquare_2sample`` is the contingency
chi-square on the reference's and the current window's counts
(``scipy.stats.chi2_contingency``): unlike Evidently's ``chisquare``, which
takes the reference's shares as exact, it counts the reference's own sampling
noise. It is the default for label and prediction drift
(:data:`LABEL_METHOD`), which sit outside the dataset verdict; features keep
Evidently's choice unless a column asks for it.

Each statistic is of one kind: a ``p_value`` (drifted when below its
threshold), a ``distance`` (drifted when at or above it) or a ``roc_auc`` (the
text domain classifier's, drifted when above the threshold on the same scale:
0.55 for ``abs_text_content_drift``, the random classifiers' percentile for
``perc_text_content_drift``).
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_REFERENCE = 1000  # Evidently: references above this many rows switch to distance measures
LABEL_METHOD = "chisquare_2sample"  # default for label and prediction drift (outside the dataset verdict)
STATISTIC_KINDS = ("p_value", "distance", "roc_auc")


NUMERIC, CATEGORICAL, TEXT = "numeric", "categorical", "text"
KINDS = (NUMERIC, CATEGORICAL, TEXT)


@dataclass(frozen=True)
class Method:
    """A drift test: Evidently's name, what its statistic is, its default threshold and drift rule.

    ``short_name`` is what sentences call it (``two-sample chi-square``).
    """

    name: str
    display_name: str
    default_threshold: float
    statistic: str  # "p_value", "distance" or "roc_auc"
    kinds: tuple[str, ...]
    short_name: str = ""

    def compared_with(self, threshold: float, detail: dict | None = None) -> float | None:
        """The number the statistic is compared with, on the statistic's own scale: the threshold, except for
        ``perc_text_content_drift``, whose threshold (0.95) is a percentile of random classifiers' ROC AUC and
        whose statistic is compared with that percentile's AUC (``None`` when no classifier was fitted)."""
        if self.name == "perc_text_content_drift":
            cutoff = (detail or {}).get("random_auc_percentile")
            return None if cutoff is None else float(cutoff)
        return float(threshold)

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
        Method("ks", "K-S p_value", 0.05, "p_value", (NUMERIC,), "K-S"),
        Method("chisquare", "chi-square p_value", 0.05, "p_value", (CATEGORICAL, NUMERIC), "chi-square"),
        Method("z", "Z-test p_value", 0.05, "p_value", (CATEGORICAL, NUMERIC), "Z-test"),
        Method("wasserstein", "Wasserstein distance (normed)", 0.1, "distance", (NUMERIC,), "Wasserstein (normed)"),
        Method("jensenshannon", "Jensen-Shannon distance", 0.1, "distance", (CATEGORICAL, NUMERIC), "Jensen-Shannon"),
        Method(
            "perc_text_content_drift", "Percentile text content drift", 0.95, "roc_auc", (TEXT,), "domain classifier"
        ),
        Method("abs_text_content_drift", "Absolute text content drift", 0.55, "roc_auc", (TEXT,), "domain classifier"),
        Method(
            "chisquare_2sample",
            "two-sample chi-square p_value",
            0.05,
            "p_value",
            (CATEGORICAL, NUMERIC),
            "two-sample chi-square",
        ),
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


def _number(x: float, digits: int) -> str:
    text = f"{x:.{digits}g}"
    if "e" in text:  # 3e-05 -> 3e-5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _pair(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with two significant digits, or more where two would show unequal numbers as equal."""
    for digits in range(2, 7):
        sa, sb = _number(a, digits), _number(b, digits)
        if sa != sb or a == b:
            return sa, sb
    return sa, sb


def _relation(a: float, b: float) -> str:
    return "<" if a < b else (">" if a > b else "=")


def comparison(
    method: str,
    statistic: float,
    compared_with: float | None,
    *,
    threshold: float | None = None,
    p_adjusted: float | None = None,
) -> str:
    """The statistic against what it is compared with, naming the method: ``K-S p = 3e-5 < 0.05``,
    ``Jensen-Shannon distance 0.21 > 0.1``, ``domain classifier ROC AUC 0.83 > 0.62 (the 95th percentile of
    random classifiers' ROC AUC)``. With ``p_adjusted`` (Benjamini-Hochberg), the adjusted p-value is the one
    compared."""
    m = METHODS[method]
    name = m.short_name or method
    if compared_with is None:
        return f"{name} ROC AUC {_number(statistic, 2)} (no classifier fitted: nothing tells the windows apart)"
    if m.statistic == "p_value":
        if p_adjusted is not None:
            adj, cut = _pair(p_adjusted, compared_with)
            return f"{name} p = {_number(statistic, 2)}, BH-adjusted {adj} {_relation(p_adjusted, compared_with)} {cut}"
        stat, cut = _pair(statistic, compared_with)
        return f"{name} p = {stat} {_relation(statistic, compared_with)} {cut}"
    stat, cut = _pair(statistic, compared_with)
    if m.statistic == "distance":
        return f"{name} distance {stat} {_relation(statistic, compared_with)} {cut}"
    text = f"{name} ROC AUC {stat} {_relation(statistic, compared_with)} {cut}"
    if method == "perc_text_content_drift" and threshold is not None:
        text += f" (the {_number(100 * threshold, 3)}th percentile of random classifiers' ROC AUC)"
    return text
