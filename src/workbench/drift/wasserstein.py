"""Evidently's Wasserstein distance (normed by the reference's standard deviation), from histograms.

The distance is the integral of ``|F_ref - F_cur|``; inside a bin where that
difference keeps its sign the integral follows exactly from the bin counts and
sums, so only bins where the two distribution functions cross are resolved on
their raw values (a small share of the rows); the result equals scipy's to
floating-point precision.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .methods import NUMERIC
from .summary import Bins, WindowSummary, _valid, split_by

PULL_LIMIT = 2_000_000  # most raw values pulled per column to resolve bins where the distributions cross


REFINE = 32  # sub-bins per bin when a bin where the distributions cross is refined
MAX_REFINE = 3  # refinement levels before the remaining (tiny) error is reported as a bound
PULL_CHEAP = 20_000  # in windows of up to EXACT_ROWS rows, crossing bins with up to this many values are pulled
EXACT_ROWS = 20_000  # (so the statistic is exact where that costs nothing)
PULL_SMALL = 20_000  # crossing bins holding at most this many values are resolved on their raw values
BOUND_TOLERANCE = 2e-4  # stop refining once the normed statistic is known to within this (5x under 1e-3)


def _dense(hist: pd.DataFrame, bins: np.ndarray, offset: int = 0) -> dict[str, np.ndarray]:
    """Count, sum, min and max for the bin numbers ``bins`` (sorted), from a histogram frame."""
    out = {k: np.zeros(len(bins)) for k in ("n", "total")}
    out["min"] = np.full(len(bins), np.inf)
    out["max"] = np.full(len(bins), -np.inf)
    if len(hist):
        b = hist["bin"].to_numpy(dtype=np.int64)
        pos = np.searchsorted(bins, b)
        ok = (pos < len(bins)) & (bins[np.minimum(pos, len(bins) - 1)] == b)
        pos = pos[ok]
        out["n"][pos] = hist["n"].to_numpy(dtype=float)[ok]
        out["total"][pos] = hist["total"].to_numpy(dtype=float)[ok]
        out["min"][pos] = hist["lo"].to_numpy(dtype=float)[ok]
        out["max"][pos] = hist["hi"].to_numpy(dtype=float)[ok]
    return out


def _abs_integrals(left, right, g0, pos: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per bin ``i``: the integral over [left_i, right_i] of |G|, where G starts at ``g0_i`` and jumps by
    ``w`` at the points ``x`` that lie in bin ``pos`` (exact; any number of bins at once)."""
    total = np.abs(g0) * (right - left)
    if len(x) == 0:
        return total
    order = np.lexsort((x, pos))
    pos, x, w = pos[order], x[order], w[order]
    cum = np.cumsum(w)
    first = np.concatenate([[True], pos[1:] != pos[:-1]])
    starts = np.flatnonzero(first)
    before = np.concatenate([[0.0], cum[:-1]])[starts]  # cumulative weight before each bin's first point
    group = np.cumsum(first) - 1
    g = g0[pos] + cum - before[group]
    last = np.concatenate([pos[1:] != pos[:-1], [True]])
    nxt = np.where(last, right[pos], np.concatenate([x[1:], [0.0]]))
    inside = np.bincount(pos, weights=np.abs(g) * (nxt - x), minlength=len(left))
    lead = np.zeros(len(left))
    lead[pos[starts]] = np.abs(g0[pos[starts]]) * (x[starts] - left[pos[starts]])
    has = np.zeros(len(left), dtype=bool)
    has[pos] = True
    return np.where(has, inside + lead, total)


def _segments(left, right, g0, r: dict, c: dict, n_r: int, n_c: int):
    """Per bin: |integral of G| (exact where G keeps its sign or each side holds a single value), the bins
    still unresolved (the distribution functions cross among several distinct values), and an error bound."""
    width = right - left
    signed = g0 * width + (r["n"] * right - r["total"]) / n_r - (c["n"] * right - c["total"]) / n_c
    total = np.abs(signed)
    g_min = g0 - c["n"] / n_c
    g_max = g0 + r["n"] / n_r
    crossing = (g_min < 0) & (g_max > 0) & (width > 0)
    single = crossing & ((r["n"] == 0) | (r["min"] == r["max"])) & ((c["n"] == 0) | (c["min"] == c["max"]))
    idx = np.flatnonzero(single)
    if len(idx):
        pos = np.concatenate([np.arange(len(idx)), np.arange(len(idx))])
        x = np.concatenate(
            [np.where(r["n"][idx] > 0, r["min"][idx], left[idx]), np.where(c["n"][idx] > 0, c["min"][idx], left[idx])]
        )
        w = np.concatenate([r["n"][idx] / n_r, -c["n"][idx] / n_c])
        total[idx] = _abs_integrals(left[idx], right[idx], g0[idx], pos, x, w)
    unresolved = crossing & ~single
    bound = width * np.maximum(np.abs(g_min), np.abs(g_max)) - total
    return total, unresolved, bound


def _level_index(x: ir.FloatingValue, grids: list[Bins]) -> ir.IntegerValue:
    """Bin index of ``x`` on the finest of nested grids, each bin kept inside its parent bin."""
    idx = grids[0].index(x)
    for parent, grid in zip(grids[:-1], grids[1:], strict=True):
        k = grid.n // parent.n
        raw = ((x - grid.lo) / grid.width).floor().cast("int64")
        idx = ibis.greatest(ibis.least(raw, idx * k + (k - 1)), idx * k)
    return idx


def _in_bins(summary: WindowSummary, column: str, grids: list[Bins], wanted: np.ndarray) -> ir.Table:
    """Rows (bin on the finest grid, x) whose bin on the previous-to-last... grid is in ``wanted``."""
    t = summary.table
    valid = t.filter(_valid(t[column], NUMERIC))
    x = valid[column]
    keys = ibis.memtable(pd.DataFrame({"wanted": np.asarray(wanted, dtype=np.int64)}))
    rows = valid.select(
        parent=_level_index(x, grids[:-1]) if len(grids) > 1 else _level_index(x, grids),
        bin=_level_index(x, grids),
        x=x,
    )
    return rows.join(keys, rows.parent == keys.wanted).select("bin", "x")


class _W1:
    """The normed Wasserstein distance of one column, resolved step by step (see :func:`wasserstein_many`)."""

    def __init__(self, ref: WindowSummary, cur: WindowSummary, column: str) -> None:
        b = ref.bins[column]
        pr, pc = ref.profiles[column], cur.profiles[column]
        self.column, self.b = column, b
        self.n_r, self.n_c = pr.n, pc.n
        numbers = np.arange(-1, b.n + 1)
        r = _dense(ref.histograms[column], numbers)
        c = _dense(cur.histograms[column], numbers)
        e = b.edges()
        left = np.concatenate([[min(b.lo, pc.min)], e])
        right = np.concatenate([[b.lo], e[1:], [max(e[-1], pc.max)]])
        g0 = np.concatenate([[0.0], np.cumsum(r["n"] / self.n_r - c["n"] / self.n_c)[:-1]])
        total, unresolved, bound = _segments(left, right, g0, r, c, self.n_r, self.n_c)
        self.grand = float(total.sum())
        # Bins still to resolve on the current grid (bins -1 and n never cross: F_ref is 0 or 1 there).
        sel = np.flatnonzero(unresolved)
        self.todo = {
            "bin": numbers[sel],
            "left": left[sel],
            "right": right[sel],
            "g0": g0[sel],
            "total": total[sel],
            "bound": bound[sel],
            "count": r["n"][sel] + c["n"][sel],
        }
        self.grids = [b]
        self.pulled = self.levels = 0
        self.remaining_bound = 0.0
        self.norm = max(float(pr.std or 0.0), 0.001)

    def action(self) -> str | None:
        """What resolves the remaining bins next: ``"pull"`` their raw values, ``"refine"`` them, or nothing."""
        if not len(self.todo["bin"]):
            return None
        n_values = float(self.todo["count"].sum())
        bound = float(self.todo["bound"].sum())
        if bound / self.norm <= BOUND_TOLERANCE and (n_values > PULL_CHEAP or self.n_r + self.n_c > EXACT_ROWS):
            return self._stop(bound)
        if n_values <= PULL_SMALL or self.levels >= MAX_REFINE:
            return "pull" if n_values <= PULL_LIMIT else self._stop(bound)
        return "refine"

    def _stop(self, bound: float) -> None:
        self.remaining_bound = bound
        self.todo = {k: v[:0] for k, v in self.todo.items()}
        return None

    def request(self, action: str) -> tuple[list[Bins], np.ndarray]:
        if action == "pull":
            return [*self.grids, self.grids[-1]], self.todo["bin"]  # the finest grid's own bins
        return [*self.grids, Bins(self.b.lo, self.b.hi, self.grids[-1].n * REFINE)], self.todo["bin"]

    def apply_pull(self, rv: pd.DataFrame, cv: pd.DataFrame) -> None:
        t = self.todo
        pos = np.searchsorted(t["bin"], np.concatenate([rv["bin"].to_numpy(), cv["bin"].to_numpy()]))
        x = np.concatenate([rv["x"].to_numpy(dtype=float), cv["x"].to_numpy(dtype=float)])
        w = np.concatenate([np.full(len(rv), 1.0 / self.n_r), np.full(len(cv), -1.0 / self.n_c)])
        exact = _abs_integrals(t["left"], t["right"], t["g0"], pos, x, w)
        self.grand += float(exact.sum() - t["total"].sum())
        self.pulled += len(x)
        self.todo = {k: v[:0] for k, v in t.items()}

    def apply_refine(self, fr: pd.DataFrame, fc: pd.DataFrame) -> None:
        t, b = self.todo, self.b
        grid = Bins(b.lo, b.hi, self.grids[-1].n * REFINE)
        self.grids.append(grid)
        self.levels += 1
        sub = (t["bin"][:, None] * REFINE + np.arange(REFINE)[None, :]).ravel()
        rd, cd = _dense(fr.sort_values("bin"), sub), _dense(fc.sort_values("bin"), sub)
        sl = (b.lo + grid.width * sub).reshape(-1, REFINE)
        sr = np.minimum(b.lo + grid.width * (sub + 1), b.hi).reshape(-1, REFINE)
        sl[:, 0] = t["left"]
        sr[:, -1] = np.minimum(sr[:, -1], t["right"])
        step = (rd["n"] / self.n_r - cd["n"] / self.n_c).reshape(-1, REFINE)
        sg = t["g0"][:, None] + np.concatenate([np.zeros((len(step), 1)), np.cumsum(step, axis=1)[:, :-1]], axis=1)
        st, su, sb = _segments(sl.ravel(), sr.ravel(), sg.ravel(), rd, cd, self.n_r, self.n_c)
        self.grand += float(st.sum() - t["total"].sum())
        keep = np.flatnonzero(su)
        self.todo = {
            "bin": sub[keep],
            "left": sl.ravel()[keep],
            "right": sr.ravel()[keep],
            "g0": sg.ravel()[keep],
            "total": st[keep],
            "bound": sb[keep],
            "count": rd["n"][keep] + cd["n"][keep],
        }

    def result(self) -> tuple[float, dict]:
        detail = {
            "from": "histograms",
            "refinements": self.levels,
            "values_pulled": self.pulled,
            "error_bound": self.remaining_bound / self.norm,
        }
        return self.grand / self.norm, detail


def wasserstein_many(ref: WindowSummary, cur: WindowSummary, columns: list[str]) -> dict[str, tuple[float, dict]]:
    """Evidently's Wasserstein distance normed by the reference's std, for several columns, from histograms.

    W1 is the integral of ``|F_ref - F_cur|``. Per bin, the signed integral
    follows from counts and sums; it equals the absolute one unless the two
    functions cross inside the bin. Those bins are refined into sub-bins in
    the store, or resolved on their raw values once few enough remain; the
    result matches scipy's to floating-point precision, or to within the
    reported ``error_bound`` (at most ``BOUND_TOLERANCE``). Each step is one
    query for every column and both windows.
    """
    out: dict[str, tuple[float, dict]] = {}
    for c in columns:
        r, k = ref.values.get(c), cur.values.get(c)
        if r is not None and k is not None:  # small windows hold their values already: exact, no query
            from scipy.stats import wasserstein_distance

            norm = max(float(ref.profiles[c].std or 0.0), 0.001)
            out[c] = (float(wasserstein_distance(r, k)) / norm, {"from": "values", "error_bound": 0.0})
    states = {c: _W1(ref, cur, c) for c in columns if c not in out}
    while True:
        steps: dict[str, list[str]] = {"pull": [], "refine": []}
        for c, st in states.items():
            a = st.action()
            if a:
                steps[a].append(c)
        if not steps["pull"] and not steps["refine"]:
            break
        for action, cols in steps.items():
            if not cols:
                continue
            parts = []
            for c in cols:
                grids, wanted = states[c].request(action)
                for side, summary in (("ref", ref), ("cur", cur)):
                    rows = _in_bins(summary, c, grids, wanted)
                    if action == "refine":
                        x = rows.x
                        rows = rows.group_by("bin").aggregate(n=x.count(), total=x.sum(), lo=x.min(), hi=x.max())
                    parts.append(rows.mutate(column=ibis.literal(c), side=ibis.literal(side)))
            frame = ibis.union(*parts, distinct=False).execute() if len(parts) > 1 else parts[0].execute()
            for c, mine in split_by(frame, "column", cols).items():
                sides = split_by(mine, "side", ["ref", "cur"])
                r, k = sides["ref"], sides["cur"]
                if action == "pull":
                    states[c].apply_pull(r, k)
                else:
                    states[c].apply_refine(r, k)
    return out | {c: st.result() for c, st in states.items()}


def wasserstein_normed(ref: WindowSummary, cur: WindowSummary, column: str) -> tuple[float, dict]:
    """:func:`wasserstein_many` for one column."""
    return wasserstein_many(ref, cur, [column])[column]
