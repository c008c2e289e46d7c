"""Evidently's drift tests applied to two window summaries, one column at a time.

* chi-square, Z-test and Jensen-Shannon need only value counts, and so does
  the two-sample (contingency) chi-square, which is not Evidently's;
* the normed Wasserstein distance comes from the histograms
  (:mod:`~workbench.drift.wasserstein`);
* Kolmogorov-Smirnov is Evidently's choice only for references of at most
  1,000 rows: the reference values are pulled (they are few); the current
  window's values are pulled while scipy would compute an exact p-value (at
  most 10,000 rows), and above that the statistic is computed in the store
  (an as-of join of the current values onto the reference values) and the
  p-value from Smirnov's asymptotic distribution, as scipy does;
* free text uses Evidently's domain classifier (:mod:`~workbench.drift.text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from ..errors import BadInputError
from .methods import METHODS, NUMERIC, default_method
from .summarising import _value_counts
from .summary import EXACT_KS_MAX, WindowSummary, _valid
from .text import text_domain_classifier, text_values
from .wasserstein import wasserstein_many, wasserstein_normed


@dataclass(frozen=True)
class ColumnStatistic:
    """The drift test of one column: Evidently's method, its statistic, threshold and verdict."""

    column: str
    kind: str
    method: str
    statistic: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    detail: dict = field(default_factory=dict)


def _aligned_counts(ref: pd.Series, cur: pd.Series) -> tuple[list, np.ndarray, np.ndarray]:
    keys = sorted(set(ref.index) | set(cur.index))
    r = ref.reindex(keys, fill_value=0).to_numpy(dtype=float)
    c = cur.reindex(keys, fill_value=0).to_numpy(dtype=float)
    return keys, r, c


def chi_square(ref: pd.Series, cur: pd.Series) -> float:
    """Evidently's chi-square p-value: current counts against reference counts scaled to the current size."""
    from scipy.stats import chisquare

    _, r, c = _aligned_counts(ref, cur)
    f_exp = r * (c.sum() / r.sum())
    with np.errstate(divide="ignore", invalid="ignore"):  # a value new in the current window: p = 0, as Evidently
        return float(chisquare(c, f_exp)[1])


def chi_square_2sample(ref: pd.Series, cur: pd.Series) -> tuple[float, dict]:
    """Two-sample chi-square p-value: the 2 x k contingency table of reference and current counts
    (``scipy.stats.chi2_contingency``, no continuity correction).

    Evidently's :func:`chi_square` takes the reference's shares as exact; this test counts the reference's own
    sampling noise too, so a small reference does not make ordinary weeks look drifted. A value seen in only one
    window counts (its expected count in the other is positive); one value in all gives p = 1.
    """
    from scipy.stats import chi2_contingency

    keys, r, c = _aligned_counts(ref[ref > 0], cur[cur > 0])
    if len(keys) < 2:
        return 1.0, {"chi2": 0.0, "dof": 0}
    chi2, p, dof, _ = chi2_contingency(np.vstack([r, c]), correction=False)
    return float(p), {"chi2": float(chi2), "dof": int(dof)}


def z_test(ref: pd.Series, cur: pd.Series) -> float:
    """Evidently's two-proportion Z-test p-value on the share of values other than the smallest one."""
    from scipy.stats import norm

    ref, cur = ref[ref > 0], cur[cur > 0]
    if len(ref) == 1 and len(cur) == 1 and ref.index[0] == cur.index[0]:
        return 1.0
    keys, r, c = _aligned_counts(ref, cur)
    n1, n2 = r.sum(), c.sum()
    p1, p2 = (n1 - r[0]) / n1, (n2 - c[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - norm.cdf(np.abs(z))))


def jensen_shannon(ref: pd.Series, cur: pd.Series) -> float:
    """Jensen-Shannon distance (natural log) between the two value distributions."""
    from scipy.spatial import distance

    _, r, c = _aligned_counts(ref, cur)
    return float(distance.jensenshannon(r / r.sum(), c / c.sum()))


def ks_test(ref: WindowSummary, cur: WindowSummary, column: str) -> tuple[float, dict]:
    """Two-sample K-S p-value as scipy's ``ks_2samp`` (mode 'auto') computes it."""
    from scipy.stats import distributions, ks_2samp

    r = ref.values.get(column)
    if r is None:
        r = _pull(ref, column)
    n_r, n_c = len(r), cur.profiles[column].n
    if max(n_r, n_c) <= EXACT_KS_MAX:
        c = cur.values.get(column)
        if c is None:
            c = _pull(cur, column)
        res = ks_2samp(r, c)
        return float(res.pvalue), {"ks_statistic": float(res.statistic), "mode": "exact"}
    d = _ks_statistic_in_store(r, cur, column)
    en = n_r * n_c / (n_r + n_c)
    p = float(np.clip(distributions.kstwo.sf(d, np.round(en)), 0, 1))
    return p, {"ks_statistic": d, "mode": "asymp"}


def _pull(summary: WindowSummary, column: str) -> np.ndarray:
    x = summary.table[column]
    v = summary.table.filter(_valid(x, NUMERIC)).select(x=x).execute()["x"].to_numpy(dtype=float)
    return v


def _ks_statistic_in_store(ref_values: np.ndarray, cur: WindowSummary, column: str) -> float:
    """sup |F_ref - F_cur|: the current values counted between consecutive reference values, in the store."""
    edges = np.unique(ref_values)
    n_r = len(ref_values)
    f_ref = np.searchsorted(np.sort(ref_values), edges, side="right") / n_r
    t = cur.table
    x = t[column]
    vals = t.filter(_valid(x, NUMERIC)).select(x=x)
    edge_t = ibis.memtable(pd.DataFrame({"e": edges}))
    joined = vals.asof_join(edge_t, vals.x >= edge_t.e)
    counts = joined.group_by("e").aggregate(n=ibis._.count(), eq=(ibis._.x == ibis._.e).cast("int64").sum()).execute()
    n_c = cur.profiles[column].n
    between = pd.Series(counts["n"].to_numpy(dtype=float), index=counts["e"].to_numpy()).reindex(edges, fill_value=0)
    equal = pd.Series(counts["eq"].to_numpy(dtype=float), index=counts["e"].to_numpy()).reindex(edges, fill_value=0)
    below = n_c - between.sum()
    before = below + np.concatenate([[0.0], np.cumsum(between.to_numpy())[:-1]])  # current values < e_k
    at = before + equal.to_numpy()  # current values <= e_k
    upto_next = before + between.to_numpy()  # current values < e_{k+1}
    d = max(
        below / n_c,
        float(np.max(np.abs(f_ref - at / n_c))),
        float(np.max(np.abs(f_ref - upto_next / n_c))),
    )
    return d


def n_values(ref: WindowSummary, cur: WindowSummary, column: str) -> int:
    """Distinct values over both windows (exact up to ``VALUE_COUNTS_MAX``, else a lower bound above it)."""
    pr, pc = ref.profiles[column], cur.profiles[column]
    if column in ref.value_counts and column in cur.value_counts:
        keys = set(ref.value_counts[column].index) | set(cur.value_counts[column].index)
        return len(keys)
    return max(pr.n_distinct, pc.n_distinct)


def resolve_method(ref: WindowSummary, cur: WindowSummary, column: str, method: str | None = None) -> str:
    """The test for ``column``: ``method`` if given (checked), else Evidently's default for its data."""
    pr, pc = ref.profiles[column], cur.profiles[column]
    kind = pr.kind
    for summary, prof in ((ref, pr), (cur, pc)):
        if prof.n == 0:
            raise BadInputError(
                f"Column '{column}' has no values in window '{summary.label}' ({summary.n_rows:,} rows, all null"
                f"{' or infinite' if kind == NUMERIC else ''}). Drop it with --columns, or choose another window."
            )
    name = method or default_method(kind, pr.n, n_values(ref, cur, column))
    if name not in METHODS:
        raise BadInputError(
            f"Drift method '{name}' for column '{column}' is not supported; use one of {', '.join(METHODS)}."
        )
    if kind not in METHODS[name].kinds:
        raise BadInputError(
            f"Drift method '{name}' does not apply to {kind} column '{column}'; "
            f"it takes {', '.join(METHODS[name].kinds)} columns."
        )
    return name


def column_statistics(
    ref: WindowSummary,
    cur: WindowSummary,
    columns: list[str],
    *,
    methods: dict[str, str | None] | None = None,
    thresholds: dict[str, float | None] | None = None,
    seed: int = 0,
) -> list[ColumnStatistic]:
    """:func:`column_statistic` for several columns, the Wasserstein ones resolved together (fewer queries)."""
    methods = methods or {}
    thresholds = thresholds or {}
    names = {c: resolve_method(ref, cur, c, methods.get(c)) for c in columns}
    w1 = wasserstein_many(ref, cur, [c for c in columns if names[c] == "wasserstein"])
    return [
        column_statistic(ref, cur, c, method=names[c], threshold=thresholds.get(c), seed=seed, _w1=w1.get(c))
        for c in columns
    ]


def column_statistic(
    ref: WindowSummary,
    cur: WindowSummary,
    column: str,
    *,
    method: str | None = None,
    threshold: float | None = None,
    seed: int = 0,
    _w1: tuple[float, dict] | None = None,
) -> ColumnStatistic:
    """Apply Evidently's test for ``column`` (or ``method``) to the two summaries."""
    pr, pc = ref.profiles[column], cur.profiles[column]
    kind = pr.kind
    name = resolve_method(ref, cur, column, method)
    m = METHODS[name]
    thr = m.default_threshold if threshold is None else float(threshold)
    detail: dict = {}
    if name in ("chisquare", "z", "jensenshannon", "chisquare_2sample"):
        rv = ref.value_counts.get(column)
        cv = cur.value_counts.get(column)
        if rv is None or cv is None:
            rv, cv = _counts_now(ref, column), _counts_now(cur, column)
        if name == "chisquare_2sample":
            stat, detail = chi_square_2sample(rv, cv)
        else:
            stat = {"chisquare": chi_square, "z": z_test, "jensenshannon": jensen_shannon}[name](rv, cv)
        drifted = m.drifted(stat, thr)
    elif name == "ks":
        stat, detail = ks_test(ref, cur, column)
        drifted = m.drifted(stat, thr)
    elif name == "wasserstein":
        stat, detail = _w1 if _w1 is not None else wasserstein_normed(ref, cur, column)
        drifted = m.drifted(stat, thr)
    else:
        stat, drifted, detail = text_domain_classifier(
            text_values(ref, column, seed=seed), text_values(cur, column, seed=seed), method=name, threshold=thr
        )
    return ColumnStatistic(
        column=column,
        kind=kind,
        method=name,
        statistic=float(stat),
        threshold=thr,
        drifted=bool(drifted),
        n_reference=pr.n,
        n_current=pc.n,
        detail=detail,
    )


def _counts_now(summary: WindowSummary, column: str) -> pd.Series:
    return _value_counts(summary.table, [column], {column: summary.profiles[column].kind}).get(
        column, pd.Series(dtype=np.int64)
    )


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (statsmodels' ``fdr_bh``)."""
    from statsmodels.stats.multitest import multipletests

    if not p_values:
        return []
    return [float(v) for v in multipletests(p_values, method="fdr_bh")[1]]
