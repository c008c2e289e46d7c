"""The annotations as every capability reads them.

Rules, stated once:

* **One label per annotator and item.** When an annotator labeled the same
  item more than once, the latest label counts: by ``created_at``, then by
  ingestion time (``wb_ingested_at``), then the alphabetically last label.
  The earlier labels stay in the store as history.
* **Known classes.** The classes are those of the predictions' ``proba_``
  columns when the store has predictions, else every label annotated; labels
  outside them are left out and counted in a note.
* **As of.** ``as_of`` (an ingestion instant) shows the store as it was known
  then; ``until`` (a creation instant) keeps annotations created before it.

:func:`latest_annotations` gives the same rows as an ibis expression, for work
that stays in the store; :func:`read_annotations` brings them to memory as
integer codes.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cached_property

import ibis
import numpy as np
import pandas as pd

from ..contract import proba_columns
from ..errors import BadInputError

CODE_COLUMNS = ("_item", "_annotator", "_label")


def latest_annotations(store, *, as_of=None, until=None, columns=None) -> ibis.Table:
    """One row per (item, annotator): the latest label, as an ibis expression.

    ``columns`` selects the columns kept (default: ``item_id, annotator_id,
    label`` and whichever of ``created_at, guideline_version, duration_s``
    exist).
    """
    t = store.data("annotations", as_of=as_of, lineage=True)
    if until is not None and "created_at" in t.columns:
        t = t.filter(t.created_at < ibis.literal(until))
    keep = columns or [
        c
        for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version", "duration_s")
        if c in t.columns
    ]
    order = [ibis.desc(c) for c in ("created_at", "wb_ingested_at") if c in t.columns] + [ibis.desc("label")]
    ranked = t.mutate(_latest=ibis.row_number().over(group_by=["item_id", "annotator_id"], order_by=order))
    return ranked.filter(ranked._latest == 0).select(*keep)


@dataclass(frozen=True)
class AnnotationSet:
    """The annotations a capability works on, cleaned, with what was dropped and why.

    ``frame`` has one row per (item, annotator): when an annotator labeled an
    item more than once, the latest label is kept (module docstring). Labels
    outside ``classes`` are dropped.
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
        """``(item, annotator, label)`` integer codes and the sorted item and annotator ids they index.

        Uses the code columns :func:`read_annotations` has the backend compute
        (``_item``, ``_annotator``, ``_label``) when present; computed once.
        """
        return self._codes

    @cached_property
    def _codes(self):
        frame = self.frame
        if all(c in frame.columns for c in CODE_COLUMNS) and len(frame):
            item = _contiguous(frame["_item"].to_numpy(dtype=np.int64))
            annotator = _contiguous(frame["_annotator"].to_numpy(dtype=np.int64))
            label = frame["_label"].to_numpy(dtype=np.int64)
            items = np.empty(int(item.max()) + 1, dtype=object)
            items[item] = frame["item_id"].to_numpy()
            annotators = np.empty(int(annotator.max()) + 1, dtype=object)
            annotators[annotator] = frame["annotator_id"].to_numpy()
            return item, annotator, label, pd.Index(items), pd.Index(annotators)
        item, items = pd.factorize(frame["item_id"], sort=True)
        annotator, annotators = pd.factorize(frame["annotator_id"], sort=True)
        label = pd.Categorical(frame["label"], categories=list(self.classes)).codes.astype(np.int64)
        return item.astype(np.int64), annotator.astype(np.int64), label, pd.Index(items), pd.Index(annotators)


def _contiguous(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered 0..n-1 in the same order (a subset of rows leaves gaps)."""
    present = np.zeros(int(codes.max()) + 1, dtype=bool)
    present[codes] = True
    if present.all():
        return codes
    return (np.cumsum(present) - 1)[codes]


def known_classes(store) -> tuple[str, ...] | None:
    """Classes named by the predictions' ``proba_<label>`` columns, if the store has predictions."""
    if store.has("predictions"):
        cols = proba_columns(store.data("predictions").columns)
        if cols:
            return tuple(sorted(cols))
    return None


def read_annotations(
    store, *, classes: list[str] | tuple[str, ...] | None = None, until=None, as_of=None
) -> AnnotationSet:
    """The store's annotations, one per (item, annotator), labels restricted to known classes.

    ``until`` (naive UTC datetime) keeps only annotations created before it;
    ``as_of`` only those ingested by then.

    ``classes`` defaults to the classes of the predictions' probability
    columns when the store has predictions, else to every label annotated.
    De-duplication, the class filter and the integer codes are computed by the
    store's backend; only the cleaned rows reach pandas.
    """
    t = store.data("annotations", as_of=as_of, lineage=True)
    cols = [c for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version") if c in t.columns]
    t = t.select(*cols, *(["wb_ingested_at"] if "wb_ingested_at" in t.columns else []))
    if until is not None and "created_at" in cols:
        t = t.filter(t.created_at < ibis.literal(until))
    n_total = int(t.count().execute())
    if n_total == 0:
        raise BadInputError(f"Store {store.display_target}: table 'annotations' is empty. Ingest annotations first.")
    if classes is None:
        classes = known_classes(store)
    if classes is None:
        classes = tuple(sorted(t.select("label").distinct().execute()["label"].dropna()))
    classes = tuple(classes)
    # Ids travel once per distinct id; the rows travel as integer codes (ids in sorted order).
    item_codes = t.select("item_id").distinct().mutate(_item=ibis.row_number().over(order_by="item_id"))
    annotator_codes = t.select("annotator_id").distinct()
    annotator_codes = annotator_codes.mutate(_annotator=ibis.row_number().over(order_by="annotator_id"))
    items = item_codes.order_by("_item").execute()["item_id"].to_numpy()
    annotators = annotator_codes.order_by("_annotator").execute()["annotator_id"].to_numpy()
    coded = (
        t.join(item_codes, "item_id")
        .join(annotator_codes, "annotator_id")
        .mutate(_label=t.label.cases(*[(c, i) for i, c in enumerate(classes)], else_=-1))
    )
    rest = [c for c in ("created_at", "guideline_version") if c in cols]
    # Within an (item, annotator) pair the latest label comes first (created_at, then ingestion time, then
    # the alphabetically last label), as in latest_annotations.
    order = (
        ["_item", "_annotator"]
        + [ibis.desc(c) for c in ("created_at", "wb_ingested_at") if c in t.columns]
        + [ibis.desc("label")]
    )
    rows = coded.order_by(order).select("_item", "_annotator", "_label", *rest).execute()
    item = rows["_item"].to_numpy(dtype=np.int64)
    annotator = rows["_annotator"].to_numpy(dtype=np.int64)
    first = np.r_[True, (item[1:] != item[:-1]) | (annotator[1:] != annotator[:-1])]
    notes: list[str] = []
    duplicates = int((~first).sum())
    if duplicates:
        notes.append(
            f"{duplicates:,} annotation(s) repeated an earlier label of the same annotator on the same item; "
            "the latest label of each annotator per item was kept."
        )
    label = rows["_label"].to_numpy(dtype=np.int64)
    unknown = first & (label < 0)
    unknown_n, unknown_ex = int(unknown.sum()), ()
    if unknown_n:
        odd = t.filter(~t.label.isin(classes)).select("label").distinct().order_by("label").limit(5).execute()
        unknown_ex = tuple(odd["label"].astype(str))
        notes.append(
            f"{unknown_n:,} annotation(s) in table 'annotations', column 'label', use labels outside the known "
            f"classes ({', '.join(unknown_ex)}); they were left out. Known classes: {', '.join(classes)}. "
            "Add a proba_<label> column to the predictions or fix the labels."
        )
    keep = first & (label >= 0)
    if not keep.any():
        raise BadInputError(
            f"Store {store.display_target}: no annotation in table 'annotations' has a known class "
            f"({', '.join(classes)}). Check the 'label' column."
        )
    if not keep.all():
        rows = rows.loc[keep].reset_index(drop=True)
        item, annotator, label = item[keep], annotator[keep], label[keep]
    frame = pd.DataFrame(
        {
            "item_id": items[item],
            "annotator_id": annotators[annotator],
            "label": np.asarray(classes, dtype=object)[label],
            **{c: rows[c].to_numpy() for c in rest},
            "_item": item,
            "_annotator": annotator,
            "_label": label,
        }
    )
    return AnnotationSet(
        frame=frame,
        classes=classes,
        duplicates_dropped=duplicates,
        unknown_labels_dropped=unknown_n,
        unknown_label_examples=unknown_ex,
        notes=tuple(notes),
    )


def annotator_kinds(annotator_ids, patterns: dict[str, list[str]] | None = None) -> list[str]:
    """``human`` unless an annotator id matches a glob pattern of another kind.

    ``patterns`` maps a kind to id patterns, e.g. ``{"model": ["gpt-*", "auto-*"]}``;
    by default ``[annotators] kinds`` of ``workbench.toml``. Read here, beside
    the annotations, so that a reader ``as_of`` an earlier time and today's
    agree on who is a human.
    """
    if patterns is None:
        from ..config import load_config

        patterns = load_config().get("annotators", {}).get("kinds", {}) or {}
    out = []
    for a in annotator_ids:
        kind = "human"
        for k, pats in (patterns or {}).items():
            if any(fnmatch.fnmatchcase(str(a), p) for p in pats):
                kind = k
                break
        out.append(kind)
    return out
