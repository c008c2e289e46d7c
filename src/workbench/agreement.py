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

from .errors import BadInputError
from .store import Store

MIN_SHARED_ITEMS = 20


# -- reading the annotations ---------------------------------------------------


@dataclass(frozen=True)
class AnnotationSet:
    """The annotations a capability works on, cleaned, with what was dropped and why.

    ``frame`` has one row per (item, annotator): when an annotator labeled an
    item more than once, the latest label (by ``created_at``) is kept; without
    timestamps, or at equal timestamps, the alphabetically last label. Labels outside ``classes`` are dropped.
    """

    frame: pd.DataFrame
    classes: tuple[str, ...]
    duplicates_dropped: int = 0
    unknown_labels_dropped: int = 0
    unknown_label_examples: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_items(self) -> int:
        return int(self.frame["item_id"].nunique())

    def codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index, pd.Index]:
        """``(item, annotator, label)`` integer codes and the item and annotator ids they index."""
        item, items = pd.factorize(self.frame["item_id"], sort=True)
        annotator, annotators = pd.factorize(self.frame["annotator_id"], sort=True)
        label = pd.Categorical(self.frame["label"], categories=list(self.classes)).codes.astype(np.int64)
        return item.astype(np.int64), annotator.astype(np.int64), label, pd.Index(items), pd.Index(annotators)


def known_classes(store: Store) -> tuple[str, ...] | None:
    """Classes named by the predictions' ``proba_<label>`` columns, if the store has predictions."""
    from .contract import proba_columns

    if store.has("predictions"):
        cols = proba_columns(store.data("predictions").columns)
        if cols:
            return tuple(sorted(cols))
    return None


def read_annotations(store: Store, *, classes: list[str] | tuple[str, ...] | None = None) -> AnnotationSet:
    """The store's annotations, one per (item, annotator), labels restricted to known classes.

    ``classes`` defaults to the classes of the predictions' probability
    columns when the store has predictions, else to every label annotated.
    """
    import ibis

    t = store.data("annotations")
    cols = [c for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version") if c in t.columns]
    t = t.select(*cols)
    n_total = int(t.count().execute())
    if n_total == 0:
        raise BadInputError(f"Store {store.target}: table 'annotations' is empty. Ingest annotations first.")
    # Latest first; equal timestamps fall back to the label so the choice is deterministic.
    order = ([ibis.desc("created_at")] if "created_at" in cols else []) + [ibis.desc("label")]
    ranked = t.mutate(_rank=ibis.row_number().over(group_by=["item_id", "annotator_id"], order_by=order))
    frame = ranked.filter(ranked._rank == 0).drop("_rank").execute()
    frame = frame.sort_values(["item_id", "annotator_id"], kind="stable").reset_index(drop=True)
    notes: list[str] = []
    duplicates = n_total - len(frame)
    if duplicates:
        notes.append(
            f"{duplicates:,} annotation(s) repeated an earlier label of the same annotator on the same item; "
            "the latest label of each annotator per item was kept."
        )
    if classes is None:
        classes = known_classes(store)
    unknown_n, unknown_ex = 0, ()
    if classes is None:
        classes = tuple(sorted(frame["label"].dropna().unique()))
    else:
        classes = tuple(classes)
        bad = ~frame["label"].isin(classes)
        if bad.any():
            unknown_n = int(bad.sum())
            unknown_ex = tuple(sorted(frame.loc[bad, "label"].astype(str).unique())[:5])
            notes.append(
                f"{unknown_n:,} annotation(s) in table 'annotations', column 'label', use labels outside the known "
                f"classes ({', '.join(unknown_ex)}); they were left out. Known classes: {', '.join(classes)}. "
                "Add a proba_<label> column to the predictions or fix the labels."
            )
            frame = frame.loc[~bad].reset_index(drop=True)
    if frame.empty:
        raise BadInputError(
            f"Store {store.target}: no annotation in table 'annotations' has a known class "
            f"({', '.join(classes)}). Check the 'label' column."
        )
    return AnnotationSet(
        frame=frame,
        classes=classes,
        duplicates_dropped=duplicates,
        unknown_labels_dropped=unknown_n,
        unknown_label_examples=unknown_ex,
        notes=tuple(notes),
    )


# -- the statistics --------------------------------------------------------------


def label_counts(item: np.ndarray, label: np.ndarray, n_items: int, n_classes: int) -> np.ndarray:
    """``(items, classes)`` matrix of how many annotations gave each class to each item."""
    flat = np.bincount(item * n_classes + label, minlength=n_items * n_classes)
    return flat.reshape(n_items, n_classes).astype(float)


def _nan(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


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
        "mean_annotations_per_item": _nan(n.mean()) if len(n) else None,
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
    pairs_agree = (c * (c - 1)).sum(axis=1)
    p_item = pairs_agree / (n * (n - 1))
    pa = float(p_item.mean())
    # Krippendorff's alpha (nominal): only the diagonal of the coincidence matrix matters.
    o_diag = (c * (c - 1) / (n - 1)[:, None]).sum(axis=0)
    n_c = c.sum(axis=0)
    total = n_c.sum()
    denom = total**2 - np.sum(n_c**2)
    alpha = 1 - (total - 1) * (total - o_diag.sum()) / denom if denom > 0 else np.nan
    # Fleiss' kappa on the items with the most common number of annotations.
    sizes, freq = np.unique(n, return_counts=True)
    raters = sizes[np.argmax(freq)]
    sub = c[n == raters]
    p_j = sub.sum(axis=0) / (len(sub) * raters)
    p_bar = ((sub**2).sum(axis=1) - raters) / (raters * (raters - 1))
    pe = np.sum(p_j**2)
    fleiss = (p_bar.mean() - pe) / (1 - pe) if pe < 1 else np.nan
    # Gwet's AC1.
    pi = (c / n[:, None]).mean(axis=0)
    pe_g = np.sum(pi * (1 - pi)) / (k - 1) if k > 1 else np.nan
    ac1 = (pa - pe_g) / (1 - pe_g) if k > 1 and pe_g < 1 else np.nan
    return out | {
        "percent_agreement": pa,
        "krippendorff_alpha": _nan(alpha),
        "fleiss_kappa": _nan(fleiss),
        "fleiss_items": int(len(sub)),
        "fleiss_raters": int(raters),
        "fleiss_subset": bool(len(sizes) > 1),
        "gwet_ac1": _nan(ac1),
    }


def per_class_agreement(counts: np.ndarray, classes) -> pd.DataFrame:
    """Specific agreement and one-vs-rest alpha per class (items with two or more annotations)."""
    counts = np.asarray(counts, dtype=float)
    n_i = counts.sum(axis=1)
    c = counts[n_i >= 2]
    n = n_i[n_i >= 2]
    rest = n[:, None] - c
    with np.errstate(invalid="ignore", divide="ignore"):
        specific = (c * (c - 1)).sum(axis=0) / (c * (n - 1)[:, None]).sum(axis=0)
        o_cc = (c * (c - 1) / (n - 1)[:, None]).sum(axis=0)
        o_rr = (rest * (rest - 1) / (n - 1)[:, None]).sum(axis=0)
        n_c = c.sum(axis=0)
        n_r = rest.sum(axis=0)
        total = n.sum()
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
    order = np.lexsort((annotator, item))
    it, an, la = item[order], annotator[order], label[order]
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

    def to_dict(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: _json(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        return {
            "overall": {k: _json(v) for k, v in self.overall.items()},
            "per_class": records(self.per_class),
            "per_guideline_version": records(self.per_version),
            "per_week": records(self.per_week),
            "pairwise": records(self.pairwise),
            "classes": list(self.classes),
            "notes": list(self.notes),
            "params": self.params,
        }

    def trend_chart(self):
        """Percent agreement and a chance-corrected statistic per week, on one axis."""
        return agreement_trend_chart(self)


def _json(v):
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def iso_week_labels(timestamps: pd.Series) -> pd.Series:
    """``YYYY-Www`` ISO week of each timestamp (vectorised; missing stays missing)."""
    iso = pd.to_datetime(timestamps).dt.isocalendar()
    text = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    return text.astype(object).where(text.notna(), None)


def _group_stats(frame_codes: dict, mask: np.ndarray, n_classes: int) -> dict:
    item = frame_codes["item"][mask]
    label = frame_codes["label"][mask]
    if len(item) == 0:
        return agreement_from_counts(np.zeros((0, n_classes)))
    uniq, inv = np.unique(item, return_inverse=True)
    return agreement_from_counts(label_counts(inv, label, len(uniq), n_classes))


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
    codes = {"item": item, "label": label}
    frame = annotations.frame

    rows = []
    if "guideline_version" in frame.columns:
        versions = frame["guideline_version"].fillna("(none)").to_numpy()
        for v in sorted(set(versions)):
            rows.append({"guideline_version": v} | _group_stats(codes, versions == v, k))
    per_version = pd.DataFrame(rows, columns=["guideline_version", *_GROUP_COLUMNS]) if rows else pd.DataFrame()
    if len(per_version):
        per_version = per_version[["guideline_version", *_GROUP_COLUMNS]]

    rows = []
    if "created_at" in frame.columns and frame["created_at"].notna().any():
        weeks = iso_week_labels(frame.groupby("item_id")["created_at"].transform("min")).to_numpy()
        for w in sorted({x for x in weeks if x is not None}):
            rows.append({"week": w} | _group_stats(codes, weeks == w, k))
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


# -- charts ----------------------------------------------------------------------------


def agreement_trend_chart(agreement: Agreement):
    """Weekly percent agreement, Krippendorff's alpha and Gwet's AC1."""
    import altair as alt

    frame = agreement.per_week
    if frame.empty:
        frame = pd.DataFrame({"week": [], "percent_agreement": [], "krippendorff_alpha": [], "gwet_ac1": []})
    long = frame.melt(
        id_vars=["week"],
        value_vars=["percent_agreement", "krippendorff_alpha", "gwet_ac1"],
        var_name="statistic",
        value_name="value",
    )
    long["statistic"] = long["statistic"].map(
        {"percent_agreement": "percent agreement", "krippendorff_alpha": "Krippendorff alpha", "gwet_ac1": "Gwet AC1"}
    )
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="ISO week (of the item's first annotation)"),
            y=alt.Y("value:Q", title="agreement", scale=alt.Scale(zero=False)),
            color=alt.Color("statistic:N", title=None),
            tooltip=["week", "statistic", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(title="Agreement per week", width=520, height=220)
    )


def per_class_chart(agreement: Agreement):
    """Specific agreement per class (the share of co-annotators who chose the class too)."""
    import altair as alt

    return (
        alt.Chart(agreement.per_class)
        .mark_bar()
        .encode(
            x=alt.X("specific_agreement:Q", title="specific agreement", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("class:N", sort="x", title=None),
            tooltip=[
                "class",
                "annotations",
                alt.Tooltip("specific_agreement:Q", format=".3f"),
                alt.Tooltip("alpha_vs_rest:Q", format=".3f"),
            ],
        )
        .properties(title="Agreement per class", width=420, height=alt.Step(18))
    )
