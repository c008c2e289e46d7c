"""Slices of the failures: size, failure rate, lift, significance (Benjamini-Hochberg) and example item ids.

Every count is an ibis expression run in the store (group-bys over :func:`~workbench.gaps.failures.mode_table`
joined to the items); only the aggregated rows (a few per slice) reach memory, where the p-values are computed.

Dimensions:

* ``class``: the item's class (consensus label, or predicted class in the ``production`` mode);
* ``pair``: a confusion pair ``a / b``: the items of either class and their failures; ``n_pair_failed``
  of those failures point from one class to the other, of ``n_pointed`` failures that point at any class;
* categorical feature values (the most frequent :data:`MAX_VALUES` per column), numeric feature bins and
  text-length bins (quantile edges computed in the store, :data:`BINS` bins);
* ``source``, ``split``, ``guideline_version`` and ``annotator`` (an item is in the slice of every version
  and annotator of its annotations).

Statistics, per failure mode (``labeled`` or ``production``):

* ``failure_rate = n_failed / n_items``; ``base_rate`` = the mode's failure rate over all its items;
  ``lift = failure_rate / base_rate``;
* ``p_value``: one-sided binomial test that the slice fails more often than expected. For ``class`` and
  ``pair`` slices the expectation is the base rate; a ``pair`` must also have its failures point at each
  other more often than chance (``pair_share`` against ``chance_share = 1 / (classes - 1)``, binomial), and
  its p-value is the larger of the two. For feature, ``source``, ``split``, version and annotator
  slices it is ``expected_rate``, the rate the slice's own mix of classes and splits predicts (sum over
  (class, split) strata of the slice's items in the stratum times the stratum's failure rate), so a slice
  is not significant merely because it holds many items of a hard class, or of the eval split where model
  errors are counted; ``adjusted_lift = failure_rate / expected_rate``;
* ``p_adjusted``: Benjamini-Hochberg over every slice of at least ``min_size`` items
  (``statsmodels.stats.multitest.multipletests(method="fdr_bh")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

BINS = 5
MAX_VALUES = 30
MIN_SIZE = 20
SLICE_COLUMNS = (
    "mode",
    "dimension",
    "kind",
    "value",
    "column",
    "lo",
    "hi",
    "n_items",
    "n_failed",
    "failure_rate",
    "base_rate",
    "lift",
    "expected_rate",
    "adjusted_lift",
    "p_value",
    "p_adjusted",
)

PAIR_COLUMNS = ("n_pair_failed", "n_pointed", "pair_share", "chance_share")


@dataclass(frozen=True)
class Dimension:
    """A way to slice items: ``kind`` is ``categorical``, ``numeric``, ``text_length`` or ``annotation``."""

    name: str
    kind: str
    column: str
    edges: tuple[float, ...] = ()
    values: tuple[str, ...] = ()


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def bin_label(name: str, lo: float | None, hi: float | None) -> str:
    """``pixel_03 < 2``, ``2 <= pixel_03 < 5``, ``pixel_03 >= 5``: also a condition the guidelines parse."""
    if lo is None:
        return f"{name} < {_fmt(hi)}"
    if hi is None:
        return f"{name} >= {_fmt(lo)}"
    return f"{name} >= {_fmt(lo)} and {name} < {_fmt(hi)}"


def _bounds(edges: tuple[float, ...]) -> list[tuple[float | None, float | None]]:
    cuts = list(edges)
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def value_expr(dim: Dimension, table: ibis.Table) -> ibis.Value:
    """The slice value of each row as a string (null where the column is null or a value is not tracked)."""
    if dim.kind in ("numeric", "text_length"):
        col = table[dim.column]
        x = col.length().cast("float64") if dim.kind == "text_length" else col.cast("float64")
        branches = []
        for lo, hi in _bounds(dim.edges):
            cond = ibis.literal(True)
            if lo is not None:
                cond = cond & (x >= lo)
            if hi is not None:
                cond = cond & (x < hi)
            branches.append((cond, ibis.literal(bin_label(dim.name, lo, hi))))
        return ibis.cases(*branches, else_=ibis.null("string"))
    v = table[dim.column].cast("string")
    if dim.values:
        return ibis.ifelse(v.isin(list(dim.values)), v, ibis.null("string"))
    return v


def slice_predicate(dim: Dimension, value: str, lo, hi, table: ibis.Table) -> ibis.Value:
    """The items of one slice, as an ibis boolean over the items table."""
    if dim.kind in ("numeric", "text_length"):
        x = table[dim.column].length() if dim.kind == "text_length" else table[dim.column]
        cond = x.notnull()
        if lo is not None and not pd.isna(lo):
            cond = cond & (x >= float(lo))
        if hi is not None and not pd.isna(hi):
            cond = cond & (x < float(hi))
        return cond
    return table[dim.column].cast("string") == value


def dimensions(store, *, kinds: dict[str, str], bins: int = BINS, max_values: int = MAX_VALUES) -> list[Dimension]:
    """The dimensions of the store's items: features by kind, plus ``source`` and ``split`` when present."""
    items = store.data("items")
    dims: list[Dimension] = []
    binned = [(c, k) for c, k in kinds.items() if k in ("numeric", "text")]
    qs = [i / bins for i in range(1, bins)]
    if binned:
        aggs = {}
        for j, (c, k) in enumerate(binned):
            x = items[c].length().cast("float64") if k == "text" else items[c].cast("float64")
            for i, q in enumerate(qs):
                aggs[f"q{j}_{i}"] = x.quantile(q)
        row = items.aggregate(**aggs).execute().iloc[0]
        for j, (c, k) in enumerate(binned):
            edges = sorted({float(row[f"q{j}_{i}"]) for i in range(len(qs)) if pd.notna(row[f"q{j}_{i}"])})
            name = f"length({c})" if k == "text" else c
            dims.append(Dimension(name, "text_length" if k == "text" else "numeric", c, tuple(edges)))
    reserved = [c for c in ("source", "split") if c in items.columns]
    for c in [c for c, k in kinds.items() if k == "categorical"] + reserved:
        top = items.group_by(v=items[c].cast("string")).aggregate(n=ibis._.count()).filter(ibis._.v.notnull())
        top = top.order_by([ibis.desc("n"), "v"]).limit(max_values).execute()
        dims.append(Dimension(c, "categorical", c, values=tuple(top["v"])))
    return dims


def _binom_sf(f: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X >= f) for X ~ Binomial(n, p); 1 where f is 0."""
    from scipy.stats import binom

    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    out = binom.sf(np.asarray(f) - 1, np.asarray(n), p)
    return np.where(np.asarray(f) <= 0, 1.0, out)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """BH-adjusted p-values (statsmodels' ``fdr_bh``); empty in, empty out."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    if not len(p):
        return p
    return multipletests(p, method="fdr_bh")[1]


def compute_slices(
    modes: ibis.Table,
    items: ibis.Table,
    dims: list[Dimension],
    *,
    annotations: ibis.Table | None = None,
    min_size: int = MIN_SIZE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slice statistics (:data:`SLICE_COLUMNS`, one row per mode and slice) and the per-class counts.

    Returns ``(slices, class_counts)``; ``class_counts`` has ``mode, cls, n, f`` (the per-class failures the
    class-mix expectation uses).
    """
    by_class = modes.group_by(["mode", "cls"]).aggregate(n=ibis._.count(), f=modes.failed.cast("int64").sum())
    classes = by_class.execute()
    classes["rate"] = classes["f"] / classes["n"]
    totals = classes.groupby("mode")[["n", "f"]].sum()
    base = (totals["f"] / totals["n"]).to_dict()
    strata = modes.group_by(["mode", "cls", "stratum"]).aggregate(
        n=ibis._.count(), f=modes.failed.cast("int64").sum()
    ).execute()
    rate = {(m, c, s): f / n for m, c, s, n, f in strata[["mode", "cls", "stratum", "n", "f"]].itertuples(index=False)}

    rows: list[dict] = []
    for r in classes.itertuples(index=False):
        rows.append(_row(r.mode, "class", "class", r.cls, "cls", None, None, r.n, r.f, base[r.mode], base[r.mode]))

    # confusion pairs: the items of both classes; their failures, and how many point from one class to the other
    pf = modes.filter(modes.failed & modes.other.notnull() & (modes.other != modes.cls))
    pointed = pf.group_by(["mode", "cls"]).aggregate(k=ibis._.count()).execute()
    k_of = {(m, c): k for m, c, k in pointed[["mode", "cls", "k"]].itertuples(index=False)}
    pf = pf.mutate(a=ibis.least(pf.cls, pf.other), b=ibis.greatest(pf.cls, pf.other))
    pairs = pf.group_by(["mode", "a", "b"]).aggregate(f=ibis._.count()).execute()
    n_of = {(m, c): (n, f) for m, c, n, f in classes[["mode", "cls", "n", "f"]].itertuples(index=False)}
    n_classes = classes.groupby("mode")["cls"].nunique().to_dict()
    for r in pairs.itertuples(index=False):
        (na, fa), (nb, fb) = n_of.get((r.mode, r.a), (0, 0)), n_of.get((r.mode, r.b), (0, 0))
        row = _row(r.mode, "pair", "pair", f"{r.a} / {r.b}", None, None, None, na + nb, fa + fb,
                   base[r.mode], base[r.mode])
        k = k_of.get((r.mode, r.a), 0) + k_of.get((r.mode, r.b), 0)
        row.update(n_pair_failed=int(r.f), n_pointed=int(k), pair_share=r.f / k if k else 0.0,
                   chance_share=1.0 / max(n_classes.get(r.mode, 2) - 1, 1))
        rows.append(row)

    # attribute slices, one query for all: counts by (mode, dimension, value, class)
    joined = modes.join(items, modes.item_id == items.item_id)
    parts = []
    for i, dim in enumerate(dims):
        parts.append(
            joined.select(mode=joined["mode"], cls=joined.cls, stratum=joined.stratum,
                          failed=joined.failed.cast("int64"), dim=ibis.literal(i), value=value_expr(dim, joined))
        )
    if annotations is not None:
        lab = modes.filter(modes["mode"] == "labeled")
        for name, col in (("guideline_version", "guideline_version"), ("annotator", "annotator_id")):
            if col not in annotations.columns:
                continue
            a = annotations.select(item_id_a=annotations.item_id, value=annotations[col].cast("string")).distinct()
            j = lab.join(a, lab.item_id == a.item_id_a)
            dims = [*dims, Dimension(name, "annotation", col)]
            parts.append(j.select(mode=j["mode"], cls=j.cls, stratum=j.stratum, failed=j.failed.cast("int64"),
                                  dim=ibis.literal(len(dims) - 1), value=j.value))
    if parts:
        u = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        u = u.filter(u.value.notnull())
        keys = ["mode", "dim", "value", "cls", "stratum"]
        counts = u.group_by(keys).aggregate(n=ibis._.count(), f=u.failed.sum()).execute()
        counts["r"] = [
            rate.get(k, 0.0) for k in zip(counts["mode"], counts["cls"], counts["stratum"], strict=True)
        ]
        counts["e"] = counts["n"] * counts["r"]
        agg = counts.groupby(["mode", "dim", "value"], as_index=False)[["n", "f", "e"]].sum()
        for r in agg.itertuples(index=False):
            dim = dims[int(r.dim)]
            lo = hi = None
            if dim.kind in ("numeric", "text_length"):
                for blo, bhi in _bounds(dim.edges):
                    if bin_label(dim.name, blo, bhi) == r.value:
                        lo, hi = blo, bhi
            rows.append(
                _row(r.mode, dim.name, dim.kind, r.value, dim.column, lo, hi, r.n, r.f, base[r.mode], r.e / max(r.n, 1))
            )
    out = pd.DataFrame(rows)
    for c in [c for c in SLICE_COLUMNS if c not in ("p_value", "p_adjusted")] + list(PAIR_COLUMNS):
        if c not in out:
            out[c] = np.nan
    out["p_value"] = _binom_sf(out["n_failed"].to_numpy(), out["n_items"].to_numpy(), out["expected_rate"].to_numpy())
    is_pair = (out["kind"] == "pair").to_numpy()
    if is_pair.any():
        # a pair is confused when its items fail more than the base rate AND their failures point at each
        # other more than chance (1 / (classes - 1)): the larger of the two p-values (an intersection-union test)
        p_point = _binom_sf(
            out.loc[is_pair, "n_pair_failed"].to_numpy(dtype=int),
            out.loc[is_pair, "n_pointed"].to_numpy(dtype=int),
            out.loc[is_pair, "chance_share"].to_numpy(dtype=float),
        )
        out.loc[is_pair, "p_value"] = np.maximum(out.loc[is_pair, "p_value"].to_numpy(), p_point)
    out = out[[*SLICE_COLUMNS[:-2], *PAIR_COLUMNS, "p_value"]]
    tested = (out["n_items"] >= min_size).to_numpy()
    out["p_adjusted"] = np.nan
    out.loc[tested, "p_adjusted"] = benjamini_hochberg(out.loc[tested, "p_value"].to_numpy())
    out = out.sort_values(["p_value", "lift"], ascending=[True, False], kind="stable").reset_index(drop=True)
    return out, classes[["mode", "cls", "n", "f"]]


def _row(mode, dimension, kind, value, column, lo, hi, n, f, base, expected) -> dict:
    n, f = int(n), int(f)
    rate = f / n if n else 0.0
    return {
        "mode": mode,
        "dimension": dimension,
        "kind": kind,
        "value": str(value),
        "column": column,
        "lo": lo,
        "hi": hi,
        "n_items": n,
        "n_failed": f,
        "failure_rate": rate,
        "base_rate": float(base),
        "lift": rate / base if base else 0.0,
        "expected_rate": float(expected),
        "adjusted_lift": rate / expected if expected else 0.0,
    }
