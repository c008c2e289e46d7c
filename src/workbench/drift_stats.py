"""Drift statistics computed in the store, with Evidently's methods and thresholds.

Evidently's ``DataDriftPreset`` pulls both windows into pandas and tests each
column on the raw values. Here each window is first *summarised* through ibis
expressions that the store's backend executes (DuckDB here, a warehouse
elsewhere): counts, moments, distinct counts, value counts, and a binned
histogram per numeric column holding the count **and the sum** of the values
in each bin. Evidently's tests are then applied to those summaries:

* chi-square, Z-test and Jensen-Shannon need only value counts;
* the normed Wasserstein distance is the integral of ``|F_ref - F_cur|``;
  inside a bin where that difference keeps its sign the integral follows
  exactly from the bin counts and sums, so only bins where the two
  distribution functions cross are resolved on their raw values (a small
  share of the rows); the result equals scipy's to floating-point precision;
* Kolmogorov-Smirnov is Evidently's choice only for references of at most
  1,000 rows: the reference values are pulled (they are few); the current
  window's values are pulled while scipy would compute an exact p-value (at
  most 10,000 rows), and above that the statistic is computed in the store
  (an as-of join of the current values onto the reference values) and the
  p-value from Smirnov's asymptotic distribution, as scipy does;
* free text uses Evidently's domain classifier (TF-IDF + SGD, ROC AUC),
  re-implemented with scikit-learn on the text values.

A current window's values beyond the reference's range keep bins of their
own (1/64 of that range, geometric far out): the statistics fold them into
the two outer bins, the distribution charts regroup them, so charts need no
pass of their own. Windows of at most 10,000 rows also hold their raw numeric
values, and their tests run on those directly.

Method choice follows Evidently 0.7 (``get_stattest``'s defaults): for
references of at most 1,000 rows, K-S for numeric columns with more than 5
distinct values, chi-square (more than 2 values) or Z-test (2 or fewer) for
the rest, all at p < 0.05; above 1,000 rows, the Wasserstein distance normed
by the reference standard deviation (numeric, more than 5 values) or the
Jensen-Shannon distance (the rest), drifted at >= 0.1. Text: the domain
classifier against the 95th percentile of random classifiers (small
references) or an absolute ROC AUC of 0.55.

Why our own code here: Evidently computes on pandas frames in memory; it took
141 s and 2.5 GB for 1M + 1M rows x 20 columns, and its statistics cannot be
pushed down to the backend that holds the data.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
import warnings
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .errors import BadInputError

SMALL_REFERENCE = 1000  # Evidently: references above this many rows switch to distance measures
EXACT_KS_MAX = 10_000  # scipy ks_2samp 'auto': exact p-value when both samples have at most this many rows
N_BINS = 32768  # histogram bins per numeric column (between the reference's min and max); at 1M rows the
# Wasserstein distance is then known to within the tolerance without a second pass over the data
TAIL_BINS = 64  # beyond the reference's range: bins of 1/64 of that range (for the charts) ...
TAIL_LINEAR = 256  # ... for four ranges on each side, then ...
TAIL_PER_DOUBLING = 16  # ... bins growing geometrically, so a far-off value cannot create millions of groups
VALUE_COUNTS_MAX = 20  # numeric columns with at most this many distinct values also get value counts
PULL_LIMIT = 2_000_000  # most raw values pulled per column to resolve bins where the distributions cross
TEXT_MAX_ROWS = 50_000  # larger text windows are sampled (seeded) for the domain classifier
TEXT_MIN_WORDS = 3.0  # a string column averaging at least this many words is free text

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


# -- summaries ---------------------------------------------------------------------------------


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
            key: {
                c: pd.DataFrame({f: z[f"{key}/{i}/{f}"] for f in _HIST_FIELDS}) for i, c in enumerate(meta[key])
            }
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


def prepare(
    table: ir.Table, kinds: dict[str, str], *, order_by: tuple[str, ...] = (), clean: set[str] | None = None
) -> ir.Table:
    """The window's feature columns cast for their kind (numeric to float64, the rest to string).

    NaN and infinities become nulls in the numeric columns named in ``clean``
    (default: those that hold any, found by one query). Columns named in
    ``order_by`` (not features) are kept as ``__order_<i>``.
    """
    cols = {}
    dirty = _non_finite(table, kinds) if clean is None else clean
    for col, kind in kinds.items():
        if kind == NUMERIC:
            x = table[col].cast("float64")
            # NaN and infinities count as missing, as Evidently drops them; aggregates then need no filter.
            # Only columns that hold any get the check (it costs about a third of a histogram pass).
            cols[col] = ibis.ifelse(x.isnan() | x.isinf(), ibis.null("float64"), x) if col in dirty else x
        else:
            cols[col] = table[col].cast("string")
    keep = [c for c in order_by if c in table.columns and c not in kinds]
    for i, c in enumerate(keep):
        cols[f"__order_{i}"] = table[c]
    return _opaque(table.select(**cols))


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def _non_finite(table: ir.Table, kinds: dict[str, str]) -> set[str]:
    """Numeric columns holding NaN or infinities in ``table`` (one query; integer and decimal columns cannot)."""
    maybe = [
        c for c, k in kinds.items()
        if k == NUMERIC and (table[c].type().is_floating() or table[c].type().is_string())
    ]
    if not maybe:
        return set()
    # A sum is NaN or infinite when any value is (half the cost of testing every value); a sum that merely
    # overflows only costs the check it would have saved.
    row = table.aggregate(**{f"s{i}": table[c].cast("float64").sum() for i, c in enumerate(maybe)}).execute()
    sums = row.iloc[0].to_numpy(dtype=float)
    return {c for c, v in zip(maybe, sums, strict=True) if not np.isfinite(v)}  # (an all-null column: NaN too)


def _opaque(table: ir.Table) -> ir.Table:
    """The same rows as a table defined by its SQL (a temporary view where the backend has them), so that the
    many small expressions built on it compile fast: ibis re-walks a window's whole expression tree for every
    derived expression otherwise."""
    try:
        backend = table.get_backend()
        sql = ibis.to_sql(table, dialect=backend.name)
    except Exception:  # backends without SQL: keep the expression
        return table
    name = f"_wb_window_{uuid.uuid4().hex[:12]}"
    try:  # a temporary view (gone with the connection) compiles fastest: later queries refer to it by name
        backend.raw_sql(f'CREATE TEMPORARY VIEW "{name}" AS {sql}')
        return backend.table(name)
    except Exception:
        return backend.sql(sql, dialect=backend.name)


def _valid(x: ir.Value, kind: str) -> ir.BooleanValue:
    """Values that count (a prepared table has already turned NaN and infinities into nulls)."""
    return x.notnull()


PROFILE_SAMPLE = 10_000  # rows of a window sampled for word counts and number-like strings
LONG_MAX_CELLS = 500_000  # histograms of windows up to this many values use one unpivoted query


def split_by(frame: pd.DataFrame, key: str, values: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of ``frame`` for each of ``values`` of its ``key`` column, in one pass (comparing a
    string column once per value costs a scan per column)."""
    groups = dict(tuple(frame.groupby(key, sort=False))) if len(frame) else {}
    return {v: groups.get(v, frame.iloc[:0]) for v in values}


def _long(table: ir.Table, columns: list[str]) -> ir.Table:
    """Unpivot ``columns`` (all of one type) to rows of (column, x): one query serves every column."""
    return table.select(*columns).pivot_longer(columns, names_to="column", values_to="x")


def profile(table: ir.Table, kinds: dict[str, str]) -> tuple[int, dict[str, ColumnProfile]]:
    """Row count and per-column profile of a prepared window (one query per value type).

    Numeric distinct counts are not computed here: :func:`summarise` bounds
    them from the fine histograms (no HyperLogLog pass over every value), and
    columns with few distinct values, and categorical columns, get exact ones
    from their value counts.
    """
    n_rows = int(table.count().execute())
    numeric = [c for c, k in kinds.items() if k == NUMERIC]
    strings = [c for c, k in kinds.items() if k != NUMERIC]
    stats: dict[str, dict] = {}
    if numeric and n_rows * len(numeric) > LONG_MAX_CELLS:
        # Large windows: one wide aggregate (a single scan; the unpivot would copy every value).
        aggs = {}
        for i, c in enumerate(numeric):
            x = table[c]
            aggs |= {f"n{i}": x.count(), f"mean{i}": x.mean(),
                     f"std{i}": x.std(how="pop"), f"min{i}": x.min(), f"max{i}": x.max()}
        row = table.aggregate(**aggs).execute().iloc[0]
        for i, c in enumerate(numeric):
            stats[c] = {k: row[f"{k}{i}"] for k in ("n", "mean", "std", "min", "max")}
        numeric = []
    if numeric:
        long = _long(table, numeric)
        frame = (
            long.group_by("column")
            .aggregate(
                n=long.x.count(),
                mean=long.x.mean(),
                std=long.x.std(how="pop"),
                min=long.x.min(),
                max=long.x.max(),
            )
            .execute()
        )
        stats.update({r["column"]: r for r in frame.to_dict(orient="records")})
    if strings:
        # Counts over every row; word counts and number-like values (text detection, type checks) on a sample.
        counts = table.aggregate(**{f"n{i}": table[c].count() for i, c in enumerate(strings)}).execute().iloc[0]
        long = _long(table.limit(PROFILE_SAMPLE), strings)
        x = long.x
        frame = (
            long.group_by("column")
            .aggregate(w=(x.length() - x.replace(" ", "").length()).mean() + 1, num=x.try_cast("float64").count(),
                       sampled=x.count())
            .execute()
        )
        sample = {r["column"]: r for r in frame.to_dict(orient="records")}
        for i, c in enumerate(strings):
            r = sample.get(c, {})
            stats[c] = {"n": counts[f"n{i}"], "d": 0, "w": r.get("w"),
                        "num": r.get("num"), "sampled": r.get("sampled")}

    def num(v):
        return None if v is None or pd.isna(v) else float(v)

    out = {}
    for col, kind in kinds.items():
        r = stats.get(col, {})
        n = int(r.get("n") or 0) if n_rows else 0
        out[col] = ColumnProfile(
            column=col,
            kind=kind,
            n=n,
            n_null=n_rows - n,
            n_distinct=int(r.get("d") or 0) if n else 0,
            mean=num(r.get("mean")),
            std=num(r.get("std")),
            min=num(r.get("min")),
            max=num(r.get("max")),
            mean_words=num(r.get("w")),
            numeric_strings=None if kind == NUMERIC else int(r.get("num") or 0),
            sampled=None if kind == NUMERIC else int(r.get("sampled") or 0),
        )
    return n_rows, out


def _value_counts(table: ir.Table, columns: list[str], kinds: dict[str, str]) -> dict[str, pd.Series]:
    """Counts per distinct value, for several columns in one query per value type."""
    out: dict[str, pd.Series] = {}
    for numeric in (True, False):
        cols = [c for c in columns if (kinds[c] == NUMERIC) == numeric]
        if not cols:
            continue
        # A union of per-column group-bys, not one group-by over the unpivoted columns: the engine
        # aggregates each column where it lies instead of building (column, value) rows first
        # (DuckDB: 0.01 s instead of 0.3 s for four columns of 1M rows).
        # A numeric column's histogram bound can undercount its distinct values (one far outlier puts the
        # rest in a few bins), so its value counts stop one past what is kept: more rows than that only
        # say "many values" and would be thrown away anyway.
        kind = NUMERIC if numeric else CATEGORICAL
        parts = []
        for c in cols:
            part = table.filter(_valid(table[c], kind)).group_by(
                x=table[c].cast("float64" if numeric else "string")
            ).aggregate(n=ibis._.count())
            if numeric:
                part = part.limit(2 * VALUE_COUNTS_MAX + 1)
            parts.append(part.mutate(column=ibis.literal(c)))
        frame = (ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]).execute()
        for c, part in split_by(frame, "column", cols).items():
            out[c] = pd.Series(part["n"].to_numpy(dtype=np.int64), index=part["x"].to_numpy(), name=c)
    return out


def _histograms(
    table: ir.Table, bins: dict[str, Bins], n_rows: int
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Count, sum, min and max of the values per bin for every numeric column, with the tails folded into
    bins -1 and ``n``; and the tail bins apart (for charts).

    Small windows use one unpivoted query (cheap to compile); large ones one
    aggregation per column, unioned, which the backend runs column by column.
    """
    if not bins:
        return {}, {}
    cols = list(bins)
    if n_rows * len(cols) <= LONG_MAX_CELLS:
        spec = ibis.memtable(
            pd.DataFrame(
                {
                    "column": cols,
                    "b_lo": [bins[c].lo for c in cols],
                    "b_hi": [bins[c].hi for c in cols],
                    "b_w": [bins[c].width for c in cols],
                    "b_n": [bins[c].n for c in cols],
                    "b_tw": [bins[c].tail_width for c in cols],
                }
            )
        )
        long = _long(table, cols)
        j = long.filter(_valid(long.x, NUMERIC)).join(spec, "column")
        idx = _tail_index(j.x, j.b_lo, j.b_hi, j.b_n, j.b_w, j.b_tw)
        frame = (
            j.group_by(["column", idx.name("bin")])
            .aggregate(
                n=ibis._.count(), total=j.x.sum(), lo=j.x.min(), hi=j.x.max(),
            )
            .execute()
        )
    else:
        # No filter on missing values: they fall into a bin of their own (NULL, dropped below), which keeps
        # the expression small; compiling a filtered version took longer than a third of running it.
        parts = []
        for c, b in bins.items():
            x = table[c]
            sub = (
                table.group_by(bin=b.index_with_tails(x))
                .aggregate(
                    n=x.count(), total=x.sum(), lo=x.min(), hi=x.max(),
                )
                .mutate(column=ibis.literal(c))
            )
            parts.append(sub)
        frame = ibis.union(*parts, distinct=False).execute() if len(parts) > 1 else parts[0].execute()
        frame = frame[frame["bin"].notna()]
        frame = frame.assign(bin=frame["bin"].astype(np.int64))
    cols = ["bin", "n", "total", "lo", "hi"]
    out, tails = {}, {}
    for c, part in split_by(frame, "column", list(bins)).items():
        out[c], tails[c] = _fold_tails(part[cols].reset_index(drop=True), bins[c].n)
    return out, tails


def summarise(
    table: ir.Table,
    kinds: dict[str, str],
    *,
    label: str,
    bins_from: WindowSummary | None = None,
    n_bins: int = N_BINS,
    order_by: tuple[str, ...] = (),
) -> WindowSummary:
    """Summarise a window (``table`` holds the raw columns; ``order_by`` makes text sampling reproducible).

    Without ``bins_from`` the window is a reference: its histograms use its
    own min and max. A current window is binned on its reference's bins.
    """
    if TEXT not in kinds.values():
        order_by = ()  # the order only serves to sample texts reproducibly
    keep = [c for c in order_by if c in table.columns and c not in kinds]
    numeric = [c for c, k in kinds.items() if k == NUMERIC]
    # A current window's continuous columns get count, mean, min and max from the histogram on the
    # reference's bins (no profile pass).
    from_hist = [
        c
        for c in numeric
        if bins_from is not None and c in bins_from.bins and bins_from.profiles[c].n_distinct > 2 * VALUE_COUNTS_MAX
    ]
    profiled = {c: k for c, k in kinds.items() if c not in from_hist}
    # NaN and infinities are assumed absent (no check of every value) and found from the results: a profiled
    # column's mean, or a histogram's bin sums, are then not finite; those columns are cleaned and summarised
    # again. A backend that refuses the query instead (DuckDB will not cast an infinite bin number) gets a
    # check first.
    dirty: set[str] | None = None
    prepared = prepare(table, kinds, order_by=order_by, clean=set())
    try:
        n_rows, profiles = profile(prepared, profiled)
    except Exception:
        pass
    else:
        dirty = {c for c in numeric if c in profiled and profiles[c].n and not _finite(profiles[c].mean)}
        if dirty:
            prepared = prepare(table, kinds, order_by=order_by, clean=dirty)
            profiles |= profile(prepared, {c: NUMERIC for c in dirty})[1]
    if dirty is None:
        dirty = _non_finite(table, kinds)
        prepared = prepare(table, kinds, order_by=order_by, clean=dirty)
        try:
            n_rows, profiles = profile(prepared, profiled)
        except Exception:
            _explain_huge_values(prepared, [c for c in numeric if c in profiled], label)
            raise

    if bins_from is None:
        bins = {
            c: Bins(profiles[c].min, profiles[c].max, n_bins if profiles[c].max > profiles[c].min else 1)
            for c in numeric
            if profiles[c].n
        }
    else:
        bins = {c: b for c, b in bins_from.bins.items() if c in numeric and (c in from_hist or profiles[c].n)}
    unchecked = [c for c in from_hist if c not in dirty]  # columns no profile has looked at
    try:
        histograms, tails = _histograms(prepared, bins, n_rows) if n_rows else ({}, {})
        refused = False
    except Exception:
        if not unchecked:
            raise
        refused = True
    if unchecked and (refused or not all(_finite(histograms[c]["total"].sum()) for c in unchecked if c in histograms)):
        dirty |= _non_finite(table, {c: NUMERIC for c in unchecked})
        prepared = prepare(table, kinds, order_by=order_by, clean=dirty)
        histograms, tails = _histograms(prepared, bins, n_rows) if n_rows else ({}, {})
    for c in from_hist:
        profiles[c] = _profile_from_histogram(c, histograms.get(c), n_rows)
    # Distinct numeric values, bounded from the fine histograms instead of a HyperLogLog pass over every
    # value: a non-empty bin holds at least one value, one whose min and max differ at least two, and the
    # bound is exact when every bin holds one value. Columns whose bound is small (or that have no
    # histogram) get exact counts from their value counts below.
    for c in numeric:
        if c in from_hist or not profiles[c].n or c not in histograms:
            continue
        h = histograms[c]
        filled = h["n"].to_numpy() > 0
        spread = filled & (h["hi"].to_numpy(dtype=float) > h["lo"].to_numpy(dtype=float))
        profiles[c] = dataclasses.replace(profiles[c], n_distinct=int(filled.sum() + spread.sum()))
    counted = [
        c
        for c, k in kinds.items()
        if c in profiles
        and (
            k == CATEGORICAL
            or (
                k == NUMERIC
                and c not in from_hist
                and profiles[c].n > 0
                and (c not in histograms or profiles[c].n_distinct <= 2 * VALUE_COUNTS_MAX)
            )
        )
    ]
    value_counts = _value_counts(prepared, counted, kinds) if counted and n_rows else {}
    for c, vc in value_counts.items():
        profiles[c] = dataclasses.replace(profiles[c], n_distinct=int((vc > 0).sum()))
    value_counts = {
        c: vc for c, vc in value_counts.items() if kinds[c] == CATEGORICAL or len(vc) <= VALUE_COUNTS_MAX
    }
    values: dict[str, np.ndarray] = {}
    if numeric and 0 < n_rows <= EXACT_KS_MAX:
        frame = prepared.select(*numeric).execute()
        for c in numeric:
            v = frame[c].to_numpy(dtype=float)
            values[c] = v[np.isfinite(v)]
    return WindowSummary(
        label=label,
        n_rows=n_rows,
        profiles=profiles,
        value_counts=value_counts,
        bins=bins,
        histograms=histograms,
        values=values,
        table=prepared,
        order_by=tuple(f"__order_{i}" for i in range(len(keep))),
        tails=tails,
        cleaned=frozenset(dirty),
    )


HUGE = 1e150  # beyond this magnitude squares overflow doubles: no standard deviation can be computed


def _explain_huge_values(table: ir.Table, columns: list[str], label: str) -> None:
    """Raise a clear error when a failed profile comes from values too large to square (usually sentinels
    for missing values); return quietly otherwise, so that the original error stands."""
    if not columns:
        return
    row = table.aggregate(**{f"m{i}": table[c].abs().max() for i, c in enumerate(columns)}).execute().iloc[0]
    huge = [(c, float(row[f"m{i}"])) for i, c in enumerate(columns) if _finite(row[f"m{i}"]) and row[f"m{i}"] > HUGE]
    if huge:
        c, v = huge[0]
        raise BadInputError(
            f"Column '{c}' holds values too large to summarise in window '{label}' (largest magnitude {v:.3g}). "
            "Values near the largest double are usually sentinels for missing values: store them as nulls, "
            "or leave the column out with --columns."
        )


def _profile_from_histogram(column: str, hist: pd.DataFrame | None, n_rows: int) -> ColumnProfile:
    n = int(hist["n"].sum()) if hist is not None else 0
    if not n:
        return ColumnProfile(column=column, kind=NUMERIC, n=0, n_null=n_rows, n_distinct=0)
    return ColumnProfile(
        column=column,
        kind=NUMERIC,
        n=n,
        n_null=n_rows - n,
        n_distinct=-1,  # not counted: the reference has many distinct values, so the union does too
        mean=float(hist["total"].sum()) / n,
        std=None,  # only a reference's standard deviation enters a statistic (the Wasserstein norm)
        min=float(hist["lo"].min()),
        max=float(hist["hi"].max()),
    )


# -- statistics from summaries -----------------------------------------------------------------


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
        x = np.concatenate([np.where(r["n"][idx] > 0, r["min"][idx], left[idx]),
                            np.where(c["n"][idx] > 0, c["min"][idx], left[idx])])
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
    rows = valid.select(parent=_level_index(x, grids[:-1]) if len(grids) > 1 else _level_index(x, grids),
                        bin=_level_index(x, grids), x=x)
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
        self.todo = {"bin": numbers[sel], "left": left[sel], "right": right[sel], "g0": g0[sel],
                     "total": total[sel], "bound": bound[sel], "count": r["n"][sel] + c["n"][sel]}
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
        self.todo = {"bin": sub[keep], "left": sl.ravel()[keep], "right": sr.ravel()[keep], "g0": sg.ravel()[keep],
                     "total": st[keep], "bound": sb[keep], "count": rd["n"][keep] + cd["n"][keep]}

    def result(self) -> tuple[float, dict]:
        detail = {"from": "histograms", "refinements": self.levels, "values_pulled": self.pulled,
                  "error_bound": self.remaining_bound / self.norm}
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


# -- text ----------------------------------------------------------------------------------------


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


# -- one column --------------------------------------------------------------------------------


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
    if name in ("chisquare", "z", "jensenshannon"):
        rv = ref.value_counts.get(column)
        cv = cur.value_counts.get(column)
        if rv is None or cv is None:
            rv, cv = _counts_now(ref, column), _counts_now(cur, column)
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
