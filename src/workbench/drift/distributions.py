"""Reference vs current distributions for the charts, regrouped from the drift histograms (no pass of their own)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .methods import NUMERIC
from .summary import WindowSummary

DISPLAY_BINS = 30  # buckets of a numeric distribution chart
TOP_VALUES = 12  # values shown in a categorical distribution chart


def _regroup(hist: pd.DataFrame | None, edges: np.ndarray) -> np.ndarray:
    """Counts of fine bins regrouped onto display bins ``[e_j, e_j+1)``; a fine bin's rows are spread evenly
    over its [min, max] (a single value lands in its display bin), rows below or above the edges go to the
    first or last display bin.

    The fine bins' value ranges do not overlap, so the rows below an edge are a cumulative count up to the
    last bin ending before it, plus a share of the one bin the edge may cut: a sort and two binary searches,
    not a bins x edges matrix.
    """
    counts = np.zeros(len(edges) - 1)
    if hist is None or hist.empty:
        return counts
    order = np.argsort(hist["lo"].to_numpy(dtype=float), kind="stable")
    lows, highs, ns = (hist[k].to_numpy(dtype=float)[order] for k in ("lo", "hi", "n"))
    highs = np.maximum.accumulate(highs)  # (already sorted for disjoint ranges; kept sorted for the search)
    cum = np.concatenate([[0.0], np.cumsum(ns)])
    inner = np.asarray(edges[1:-1], dtype=float)
    k = np.searchsorted(highs, inner, side="left")  # bins [0, k) end before the edge
    below = cum[k]
    cut = np.minimum(k, len(lows) - 1)
    spread = (k < len(lows)) & (lows[cut] < inner) & (highs[cut] > lows[cut])
    share = np.where(spread, (inner - lows[cut]) / np.where(spread, highs[cut] - lows[cut], 1.0), 0.0)
    below = below + ns[cut] * np.clip(share, 0.0, 1.0)
    return np.diff(np.concatenate([[0.0], below, [cum[-1]]]))


def _display_source(summary: WindowSummary, column: str) -> pd.DataFrame | None:
    """The fine bins of ``column`` with its tail bins in place of bins -1 and n, for regrouping onto the
    display bins (a window that moved out of the reference's range keeps its shape there)."""
    hist = summary.histograms.get(column)
    tails = summary.tails.get(column)
    if hist is None or tails is None or tails.empty:
        return hist
    n = summary.bins[column].n
    inside = hist[(hist["bin"] >= 0) & (hist["bin"] < n)]
    return pd.concat([inside, tails], ignore_index=True)


def _distributions(ref: WindowSummary, cur: WindowSummary) -> dict[str, pd.DataFrame]:
    """Reference vs current shares per bucket for every column (charts), regrouped from the drift
    histograms: no further pass over the data. A display bin's count is exact but for the one fine bin
    (1/32,768 of the reference's range) or tail bin (1/64 of it) that straddles each of its edges."""
    out = {}
    for col, pr in ref.profiles.items():
        pc = cur.profiles[col]
        if not pr.n or not pc.n:
            continue
        if pr.kind == NUMERIC and col in ref.bins:
            lo = min(pr.min, pc.min)
            hi = max(pr.max, pc.max)
            edges = np.linspace(lo, hi, DISPLAY_BINS + 1) if hi > lo else np.array([lo, lo + 1.0])
            rows = []
            for window, summary, prof in (("reference", ref, pr), ("current", cur, pc)):
                counts = _regroup(_display_source(summary, col), edges)
                for j, n in enumerate(counts):
                    rows.append(
                        {"window": window, "start": edges[j], "end": edges[j + 1], "share": n / prof.n, "value": None}
                    )
            out[col] = pd.DataFrame(rows)
        elif col in ref.value_counts and col in cur.value_counts:
            r = ref.value_counts[col] / pr.n
            c = cur.value_counts[col] / pc.n
            both = pd.concat([r.rename("reference"), c.rename("current")], axis=1).fillna(0.0)
            both = both.loc[both.max(axis=1).sort_values(ascending=False).index]
            if len(both) > TOP_VALUES:
                rest = both.iloc[TOP_VALUES:].sum()
                both = pd.concat([both.iloc[:TOP_VALUES], pd.DataFrame([rest], index=["(other)"])])
            long = both.reset_index(names="value").melt(id_vars="value", var_name="window", value_name="share")
            long["value"] = long["value"].astype(str)
            out[col] = long
    return out
