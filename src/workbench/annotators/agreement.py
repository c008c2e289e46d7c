"""Inter-annotator agreement over the long ``annotations`` table.

Items may have different numbers of annotations. An item with a single
annotation carries no information about agreement: it is excluded from every
statistic here and counted (``single_annotation_items``).

Statistics, for a set of items each labeled by two or more annotators:

``percent_agreement``
    Mean over items of the share of agreeing annotator pairs,
    ``sum_c n_ic (n_ic - 1) / (n_i (n_i - 1))`` (Fleiss' and Gwet's observed agreement).
``krippendorff_alpha``
    Krippendorff's alpha for nominal data, from the coincidence matrix
    (handles any number of annotations per item).
``fleiss_kappa``
    Fleiss' kappa. It is defined for a constant number of annotations per
    item; when the number varies it is computed on the items with the most
    common number (``fleiss_items`` items rated by ``fleiss_raters``), and
    ``fleiss_subset`` says so.
``gwet_ac1``
    Gwet's AC1, robust to class imbalance (where kappa-type statistics drop
    although annotators agree), with chance agreement
    ``sum_c pi_c (1 - pi_c) / (K - 1)`` over the ``K`` known classes.

Percent agreement is always reported beside a chance-corrected statistic:
under class imbalance kappa and alpha can be low while annotators agree on
nearly everything.

Per class: *specific agreement* (given that one annotator chose the class,
the share of the other annotators of the item who chose it too) and alpha for
the class against all the others. Per guideline version: the annotations made
under that version. Per week: the items whose first annotation falls in that
ISO week, with all their annotations. Pairwise: Cohen's kappa for each
annotator pair sharing at least ``min_shared`` items.

All of it is counting over integer codes (``numpy.bincount``), linear in the
number of annotations (pairwise: in the number of annotator pairs per item).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..inputs.annotations import AnnotationSet, read_annotations
from ..inputs.weeks import iso_week_labels
from ..results import json_safe
from ..store import Store

MIN_SHARED_ITEMS = 20


# -- the statistics --------------------------------------------------------------


def label_counts(item: np.ndarray, label: np.ndarray, n_items: int, n_classes: int) -> np.ndarray:
    """``(items, classes)`` matrix of how many annotations gave each class to each item."""
    flat = np.bincount(item * n_classes + label, minlength=n_items * n_classes)
    return flat.reshape(n_items, n_classes).astype(float)


def agreement_from_counts(counts: np.ndarray) -> dict:
    """Agreement statistics from an ``(items, classes)`` count matrix.

    Rows with fewer than two annotations are excluded (and counted). The
    number of classes ``K`` used for Gwet's AC1 is the number of columns.
    """
    counts = np.asarray(counts, dtype=float)
    k = counts.shape[1]
    n_i = counts.sum(axis=1)
    single = int(np.sum(n_i == 1))
    c = counts[n_i >= 2]
    n = n_i[n_i >= 2]
    out: dict = {
        "items": int(len(n)),
        "annotations": int(n.sum()),
        "single_annotation_items": single,
        "mean_annotations_per_item": json_safe(float(n.mean())) if len(n) else None,
    }
    if len(n) == 0:
        return out | {
            "percent_agreement": None,
            "krippendorff_alpha": None,
            "fleiss_kappa": None,
            "fleiss_items": 0,
            "fleiss_raters": None,
            "fleiss_subset": False,
            "gwet_ac1": None,
        }
    # Per-item sums of squares carry everything: agreeing ordered pairs are sum_c n_ic^2 - n_i.
    sq = np.einsum("ij,ij->i", c, c)
    pa = float(np.mean((sq - n) / (n * (n - 1))))
    # Krippendorff's alpha (nominal): only the trace of the coincidence matrix and its margins matter.
    o_trace = float(np.sum((sq - n) / (n - 1)))
    n_c = c.sum(axis=0)
    total = n_c.sum()
    denom = total**2 - np.sum(n_c**2)
    alpha = 1 - (total - 1) * (total - o_trace) / denom if denom > 0 else np.nan
    # Fleiss' kappa on the items with the most common number of annotations.
    freq = np.bincount(n.astype(np.int64))
    raters = float(np.argmax(freq))
    n_sizes = int(np.count_nonzero(freq))
    same = n == raters
    sub_items = int(same.sum())
    p_j = (c[same].sum(axis=0) if n_sizes > 1 else n_c) / (sub_items * raters)
    p_bar = np.mean((sq[same] - raters) / (raters * (raters - 1)))
    pe = np.sum(p_j**2)
    fleiss = (p_bar - pe) / (1 - pe) if pe < 1 else np.nan
    # Gwet's AC1.
    pi = (c.T @ (1.0 / n)) / len(n)
    pe_g = np.sum(pi * (1 - pi)) / (k - 1) if k > 1 else np.nan
    ac1 = (pa - pe_g) / (1 - pe_g) if k > 1 and pe_g < 1 else np.nan
    return out | {
        "percent_agreement": pa,
        "krippendorff_alpha": json_safe(float(alpha)),
        "fleiss_kappa": json_safe(float(fleiss)),
        "fleiss_items": sub_items,
        "fleiss_raters": int(raters),
        "fleiss_subset": bool(n_sizes > 1),
        "gwet_ac1": json_safe(float(ac1)),
    }


def per_class_agreement(counts: np.ndarray, classes) -> pd.DataFrame:
    """Specific agreement and one-vs-rest alpha per class (items with two or more annotations)."""
    counts = np.asarray(counts, dtype=float)
    n_i = counts.sum(axis=1)
    multi = n_i >= 2
    c = counts if multi.all() else counts[multi]
    n = n_i[multi]
    w = 1.0 / (n - 1)
    sq = (c * c).sum(axis=0)
    n_c = c.sum(axis=0)
    total = n.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        specific = (sq - n_c) / (c.T @ (n - 1))
        csq_w = (c * c).T @ w
        c_w = c.T @ w
        o_cc = csq_w - c_w
        # sum_i w_i (n_i - c_ic)(n_i - c_ic - 1), expanded so that no (items x classes) temporary is needed
        o_rr = np.sum(w * (n * n - n)) - c.T @ (w * (2 * n - 1)) + csq_w
        n_r = total - n_c
        alpha = 1 - (total - 1) * (total - o_cc - o_rr) / (total**2 - n_c**2 - n_r**2)
    return pd.DataFrame(
        {
            "class": list(classes),
            "annotations": n_c.astype(int),
            "items_with_class": (c > 0).sum(axis=0).astype(int),
            "specific_agreement": specific,
            "alpha_vs_rest": alpha,
        }
    )


def pairwise_cohen_kappa(
    item: np.ndarray,
    annotator: np.ndarray,
    label: np.ndarray,
    *,
    n_annotators: int,
    n_classes: int,
    min_shared: int = MIN_SHARED_ITEMS,
) -> pd.DataFrame:
    """Cohen's kappa for every annotator pair that labeled at least ``min_shared`` items in common.

    Returns annotator codes ``a < b`` with ``shared_items``, ``percent_agreement`` and ``cohen_kappa``.
    """
    key = item * n_annotators + annotator
    if len(key) > 1 and np.any(key[1:] < key[:-1]):
        order = np.argsort(key, kind="stable")
        it, an, la = item[order], annotator[order], label[order]
    else:
        it, an, la = item, annotator, label
    starts = np.flatnonzero(np.r_[True, it[1:] != it[:-1]])
    sizes = np.diff(np.r_[starts, len(it)])
    size_of = np.repeat(sizes, sizes)
    rank = np.arange(len(it)) - np.repeat(starts, sizes)
    left_parts, right_parts = [], []
    rows = np.flatnonzero(size_of - rank > 1)
    d = 1
    while len(rows):
        left_parts.append(rows)
        right_parts.append(rows + d)
        d += 1
        rows = rows[size_of[rows] - rank[rows] > d]
    empty = pd.DataFrame(columns=["a", "b", "shared_items", "percent_agreement", "cohen_kappa"])
    if not left_parts:
        return empty
    left = np.concatenate(left_parts)
    right = np.concatenate(right_parts)
    a, b = an[left], an[right]  # a < b: sorted by annotator within item, one label per (item, annotator)
    la_, lb_ = la[left], la[right]
    pair = a * n_annotators + b
    if n_annotators**2 <= 50_000_000:
        all_counts = np.bincount(pair, minlength=n_annotators**2)
        uniq = np.flatnonzero(all_counts)
        cnt = all_counts[uniq]
        lookup = np.full(n_annotators**2, -1)
        lookup[uniq] = np.arange(len(uniq))
        inv = lookup[pair]
    else:
        uniq, inv, cnt = np.unique(pair, return_inverse=True, return_counts=True)
    keep = cnt >= min_shared
    if not keep.any():
        return empty
    new_id = np.full(len(uniq), -1)
    new_id[keep] = np.arange(keep.sum())
    p = new_id[inv]
    sel = p >= 0
    p, la_, lb_ = p[sel], la_[sel], lb_[sel]
    m = int(keep.sum())
    n = cnt[keep].astype(float)
    agree = np.bincount(p, weights=(la_ == lb_).astype(float), minlength=m)
    rows_m = np.bincount(p * n_classes + la_, minlength=m * n_classes).reshape(m, n_classes)
    cols_m = np.bincount(p * n_classes + lb_, minlength=m * n_classes).reshape(m, n_classes)
    po = agree / n
    pe = (rows_m * cols_m).sum(axis=1) / n**2
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
    return pd.DataFrame(
        {
            "a": uniq[keep] // n_annotators,
            "b": uniq[keep] % n_annotators,
            "shared_items": cnt[keep],
            "percent_agreement": po,
            "cohen_kappa": kappa,
        }
    )


# -- the result ---------------------------------------------------------------------

_GROUP_COLUMNS = [
    "items",
    "annotations",
    "single_annotation_items",
    "percent_agreement",
    "krippendorff_alpha",
    "gwet_ac1",
    "fleiss_kappa",
    "fleiss_items",
    "fleiss_raters",
]


@dataclass(frozen=True)
class Agreement:
    """Agreement statistics overall, per class, per guideline version, per week and per annotator pair."""

    overall: dict
    per_class: pd.DataFrame
    per_version: pd.DataFrame
    per_week: pd.DataFrame
    pairwise: pd.DataFrame
    classes: tuple[str, ...]
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Per-class agreement, keyed by ``class``: ``class, annotations, items_with_class,
        specific_agreement, alpha_vs_rest``."""
        return self.per_class.copy()

    def to_dict(self) -> dict:
        return json_safe(
            {
                "overall": self.overall,
                "per_class": self.per_class,
                "per_guideline_version": self.per_version,
                "per_week": self.per_week,
                "pairwise": self.pairwise,
                "classes": list(self.classes),
                "notes": list(self.notes),
                "params": self.params,
            }
        )

    def summary_lines(self, *, week=None) -> list[str]:
        """Overall agreement, ``week`` against the week before (when given), and the least agreed classes."""
        o = self.overall
        lines = []
        if o["percent_agreement"] is not None:
            lines.append(
                f"Annotators agree on {o['percent_agreement']:.1%} of label pairs; Krippendorff's alpha "
                f"{o['krippendorff_alpha']:.3f} and Gwet's AC1 {o['gwet_ac1']:.3f} (chance-corrected), over "
                f"{o['items']:,} items with two or more annotations."
            )
        weekly = self.per_week
        if week is not None and len(weekly):
            this = weekly[weekly["week"] == str(week)]
            prev = weekly[weekly["week"] < str(week)].tail(1)
            if (
                len(this)
                and len(prev)
                and this["percent_agreement"].notna().all()
                and prev["percent_agreement"].notna().all()
            ):
                a, b = this.iloc[0], prev.iloc[0]
                d_pa = a["percent_agreement"] - b["percent_agreement"]
                d_alpha = a["krippendorff_alpha"] - b["krippendorff_alpha"]
                lines.append(
                    f"This week: {a['percent_agreement']:.1%} agreement, alpha {a['krippendorff_alpha']:.3f} "
                    f"({d_pa * 100:+.1f} points and {d_alpha:+.3f} against {b['week']})."
                )
        worst = self.per_class.sort_values("specific_agreement").head(2)
        if len(worst):
            lines.append(
                "Least agreed classes: "
                + ", ".join(f"{r['class']} ({r['specific_agreement']:.1%})" for _, r in worst.iterrows())
                + "."
            )
        return lines

    def trend_chart(self):
        """Percent agreement and a chance-corrected statistic per week, on one axis."""
        from .charts import agreement_trend_chart

        return agreement_trend_chart(self)


def compute_agreement_from_set(annotations: AnnotationSet, *, min_shared: int = MIN_SHARED_ITEMS) -> Agreement:
    """Agreement statistics of a cleaned :class:`AnnotationSet`."""
    item, annotator, label, items, annotators = annotations.codes()
    k = len(annotations.classes)
    counts = label_counts(item, label, len(items), k)
    overall = agreement_from_counts(counts)
    overall["annotators"] = len(annotators)
    overall["duplicates_dropped"] = annotations.duplicates_dropped
    overall["unknown_labels_dropped"] = annotations.unknown_labels_dropped
    per_class = per_class_agreement(counts, annotations.classes)
    frame = annotations.frame

    rows = []
    if "guideline_version" in frame.columns:
        version_code, versions = pd.factorize(frame["guideline_version"].fillna("(none)"), sort=True)
        for v, name in enumerate(versions):
            sel = version_code == v
            sub = label_counts(item[sel], label[sel], len(items), k)
            rows.append({"guideline_version": name} | agreement_from_counts(sub))
    per_version = pd.DataFrame(rows)
    if len(per_version):
        per_version = per_version[["guideline_version", *_GROUP_COLUMNS]]

    rows = []
    if "created_at" in frame.columns and frame["created_at"].notna().any():
        # Each item belongs to the ISO week of its first annotation, with all its annotations.
        ts = frame["created_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        ts = np.where(pd.isna(frame["created_at"]).to_numpy(), np.iinfo(np.int64).max, ts)
        first = np.full(len(items), np.iinfo(np.int64).max)
        np.minimum.at(first, item, ts)
        has = first != np.iinfo(np.int64).max
        week_of_item = np.full(len(items), None, dtype=object)
        week_of_item[has] = iso_week_labels(pd.Series(first[has].astype("datetime64[ns]"))).to_numpy()
        week_code, weeks = pd.factorize(pd.Series(week_of_item), sort=True)
        for w, name in enumerate(weeks):
            rows.append({"week": name} | agreement_from_counts(counts[week_code == w]))
    per_week = pd.DataFrame(rows)
    if len(per_week):
        per_week = per_week[["week", *_GROUP_COLUMNS]]

    pairs = pairwise_cohen_kappa(
        item, annotator, label, n_annotators=len(annotators), n_classes=k, min_shared=min_shared
    )
    if len(pairs):
        pairs.insert(0, "annotator_a", annotators[pairs["a"].to_numpy()])
        pairs.insert(1, "annotator_b", annotators[pairs["b"].to_numpy()])
        pairs = pairs.drop(columns=["a", "b"]).reset_index(drop=True)
    else:
        pairs = pd.DataFrame(columns=["annotator_a", "annotator_b", "shared_items", "percent_agreement", "cohen_kappa"])
    notes = list(annotations.notes)
    if overall["single_annotation_items"]:
        notes.append(
            f"{overall['single_annotation_items']:,} item(s) have a single annotation: agreement is undefined for "
            "them, so they are left out of the agreement statistics."
        )
    if overall["fleiss_subset"]:
        notes.append(
            f"Fleiss' kappa needs the same number of annotations per item; it is computed on the "
            f"{overall['fleiss_items']:,} items with {overall['fleiss_raters']} annotations."
        )
    return Agreement(
        overall=overall,
        per_class=per_class,
        per_version=per_version,
        per_week=per_week,
        pairwise=pairs,
        classes=annotations.classes,
        notes=tuple(notes),
        params={"min_shared_items": min_shared, "classes": list(annotations.classes)},
    )


def compute_agreement(
    store: Store, *, classes: list[str] | None = None, min_shared: int = MIN_SHARED_ITEMS
) -> Agreement:
    """Agreement statistics of the store's annotations.

    Examples
    --------
    >>> with Store.open("data/workbench.duckdb", read_only=True) as store:  # doctest: +SKIP
    ...     agreement = compute_agreement(store)
    >>> agreement.overall["krippendorff_alpha"]  # doctest: +SKIP
    """
    return compute_agreement_from_set(read_annotations(store, classes=classes), min_shared=min_shared)
