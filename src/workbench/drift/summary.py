"""A window summarised for drift (:class:`WindowSummary`), its bins, and its archive on disk.

A summary holds what the statistics need from one window: counts, moments,
distinct counts, value counts, and a binned histogram per numeric column with
the count **and the sum** of the values in each bin. A current window's values
beyond the reference's range keep bins of their own (1/64 of that range,
geometric far out): the statistics fold them into the two outer bins, the
distribution charts regroup them, so charts need no pass of their own.
Windows of at most 10,000 rows also hold their raw numeric values, and their
tests run on those directly. :mod:`~workbench.drift.summarising` computes
summaries in the store.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

EXACT_KS_MAX = 10_000  # scipy ks_2samp 'auto': exact p-value when both samples have at most this many rows
N_BINS = 32768  # histogram bins per numeric column (between the reference's min and max); at 1M rows the
# Wasserstein distance is then known to within the tolerance without a second pass over the data
TAIL_BINS = 64  # beyond the reference's range: bins of 1/64 of that range (for the charts) ...
TAIL_LINEAR = 256  # ... for four ranges on each side, then ...
TAIL_PER_DOUBLING = 16  # ... bins growing geometrically, so a far-off value cannot create millions of groups
VALUE_COUNTS_MAX = 20  # numeric columns with at most this many distinct values also get value counts


@dataclass(frozen=True)
class ColumnProfile:
    """Counts and moments of one column in one window (nulls, NaN and infinities excluded)."""

    column: str
    kind: str
    n: int
    n_null: int
    n_distinct: int
    mean: float | None = None
    std: float | None = None  # population standard deviation, as numpy's default
    min: float | None = None
    max: float | None = None
    mean_words: float | None = None
    numeric_strings: int | None = None  # string values that parse as numbers (in a sample of ``sampled``)
    sampled: int | None = None


@dataclass(frozen=True)
class Bins:
    """Equal-width bins between a reference's min and max; bin -1 holds values below, ``n`` values above."""

    lo: float
    hi: float
    n: int

    @property
    def width(self) -> float:
        return (self.hi - self.lo) / self.n if self.hi > self.lo else 1.0

    def index(self, x: ir.FloatingValue) -> ir.IntegerValue:
        raw = ((x - self.lo) / self.width).floor().cast("int64")
        return ibis.cases((x < self.lo, -1), (x > self.hi, self.n), else_=ibis.least(raw, self.n - 1))

    @property
    def tail_width(self) -> float:
        # A one-value reference has no range to scale tails by: everything outside stays in bins -1 and n.
        return (self.hi - self.lo) / TAIL_BINS if self.hi > self.lo else 1e300

    def index_with_tails(self, x: ir.FloatingValue) -> ir.IntegerValue:
        """:meth:`index`, with values outside [lo, hi] kept in bins of their own (see :func:`_tail_index`)."""
        return _tail_index(x, self.lo, self.hi, self.n, self.width, self.tail_width)

    def edges(self) -> np.ndarray:
        e = self.lo + self.width * np.arange(self.n + 1)
        e[-1] = self.hi
        return e


def _tail_index(x, lo, hi, n, width, tail_width) -> ir.IntegerValue:
    """Bin of ``x`` on ``n`` bins over [lo, hi] (scalars or columns), values outside in bins of their own:
    ``-1, -2, ...`` below and ``n, n + 1, ...`` above, each ``tail_width`` wide for four reference ranges,
    then growing geometrically (a far-off value cannot create millions of groups).

    The statistics fold them back into bins -1 and ``n`` (:func:`_fold_tails`); the charts draw from them
    the shape of a window that moved out of the reference's range, without another pass over the data.
    """

    def far(d):  # d > 0, in tail bins; CASE evaluates it only for the rows outside the range
        d = ibis.least(d, 1e300)  # a value near the largest double over a small bin width is infinitely far
        geometric = TAIL_LINEAR + ((d / TAIL_LINEAR).log2() * TAIL_PER_DOUBLING).floor()
        return ibis.ifelse(d < TAIL_LINEAR, d.floor(), geometric).cast("int64")

    raw = ((x - lo) / width).floor().cast("int64")
    return ibis.cases(
        (x < lo, -1 - far((lo - x) / tail_width)),
        (x > hi, n + far((x - hi) / tail_width)),
        else_=ibis.least(raw, n - 1),
    )


def _fold_tails(hist: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A histogram with its tail bins folded into bins -1 and ``n`` (what the statistics use), and the
    tail bins themselves (what the charts use)."""
    b = hist["bin"].to_numpy()
    outside = (b < 0) | (b >= n)
    if not outside.any():
        return hist, hist.iloc[:0]
    tails = hist[outside].reset_index(drop=True)
    folded = tails.assign(bin=np.where(tails["bin"].to_numpy() < 0, -1, n))
    sums = {c: "sum" for c in ("n", "total")}
    folded = folded.groupby("bin", as_index=False).agg({**sums, "lo": "min", "hi": "max"})[list(hist.columns)]
    inside = hist[~outside]
    return pd.concat([inside, folded], ignore_index=True).sort_values("bin", ignore_index=True), tails


@dataclass(frozen=True)
class WindowSummary:
    """One window summarised for drift: what is computed once and cached for a reference.

    ``table`` is the ibis expression of the window (columns cast to their
    kind); it is kept so that a comparison can fetch the few raw values it
    needs (crossing bins, small-sample K-S, text).
    """

    label: str
    n_rows: int
    profiles: dict[str, ColumnProfile]
    value_counts: dict[str, pd.Series]  # column -> counts indexed by value
    bins: dict[str, Bins]
    histograms: dict[str, pd.DataFrame]  # column -> bin, n, total (sum), lo, hi (min, max)
    values: dict[str, np.ndarray]  # raw numeric values, only for windows of at most EXACT_KS_MAX rows
    table: ir.Table = field(repr=False, compare=False)
    order_by: tuple[str, ...] = ()
    tails: dict[str, pd.DataFrame] = field(default_factory=dict)  # column -> the bins outside the reference's range
    cleaned: frozenset[str] = frozenset()  # numeric columns holding NaN or infinities (nulls in ``table``)
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # raw values fetched once (text)


_HIST_FIELDS = ("bin", "n", "total", "lo", "hi")


def write_summary(summary: WindowSummary, file) -> None:
    """Write a window summary (not its table) as a NumPy ``.npz`` archive: plain arrays and one JSON
    document, read back without unpickling anything (a cache file can never run code)."""
    arrays: dict[str, np.ndarray] = {}
    meta = {
        "label": summary.label,
        "n_rows": summary.n_rows,
        "order_by": list(summary.order_by),
        "cleaned": sorted(summary.cleaned),
        "profiles": {c: dataclasses.asdict(p) for c, p in summary.profiles.items()},
        "bins": {c: [b.lo, b.hi, b.n] for c, b in summary.bins.items()},
        "value_counts": {
            c: {"values": vc.index.tolist(), "counts": vc.to_numpy(dtype=np.int64).tolist()}
            for c, vc in summary.value_counts.items()
        },
    }
    for key, frames in (("histograms", summary.histograms), ("tails", summary.tails)):
        meta[key] = list(frames)
        for i, frame in enumerate(frames.values()):
            for f in _HIST_FIELDS:
                arrays[f"{key}/{i}/{f}"] = frame[f].to_numpy()
    meta["values"] = list(summary.values)
    for i, v in enumerate(summary.values.values()):
        arrays[f"values/{i}"] = np.asarray(v, dtype=float)
    np.savez(file, meta=np.array(json.dumps(meta)), **arrays)


def read_summary(file, table: ir.Table) -> WindowSummary:
    """A summary written by :func:`write_summary`, bound to ``table`` (the prepared window)."""
    with np.load(file, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        frames = {
            key: {c: pd.DataFrame({f: z[f"{key}/{i}/{f}"] for f in _HIST_FIELDS}) for i, c in enumerate(meta[key])}
            for key in ("histograms", "tails")
        }
        values = {c: z[f"values/{i}"] for i, c in enumerate(meta["values"])}
    return WindowSummary(
        label=meta["label"],
        n_rows=int(meta["n_rows"]),
        profiles={c: ColumnProfile(**p) for c, p in meta["profiles"].items()},
        value_counts={
            c: pd.Series(np.asarray(vc["counts"], dtype=np.int64), index=vc["values"], name=c)
            for c, vc in meta["value_counts"].items()
        },
        bins={c: Bins(float(lo), float(hi), int(n)) for c, (lo, hi, n) in meta["bins"].items()},
        histograms=frames["histograms"],
        values=values,
        table=table,
        order_by=tuple(meta["order_by"]),
        tails=frames["tails"],
        cleaned=frozenset(meta["cleaned"]),
    )


def _valid(x: ir.Value, kind: str) -> ir.BooleanValue:
    """Values that count (a prepared table has already turned NaN and infinities into nulls)."""
    return x.notnull()


def split_by(frame: pd.DataFrame, key: str, values: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of ``frame`` for each of ``values`` of its ``key`` column, in one pass (comparing a
    string column once per value costs a scan per column)."""
    groups = dict(tuple(frame.groupby(key, sort=False))) if len(frame) else {}
    return {v: groups.get(v, frame.iloc[:0]) for v in values}
