"""The signals a queue combines: each is one small function of a :class:`SignalContext`.

A signal returns a frame ``item_id, score, value`` (``score`` in [0, 1], higher means more worth a
human look; ``value`` the raw figure shown in the entry's reasons, ``detail`` optional text), or raises
:class:`SignalUnavailable` saying why it cannot be computed on this store (no predictions, no gold,
no ``gaps`` capability yet). Absent signals are skipped and stated in the queue's ``skipped``.

Add a signal with :func:`register_signal`::

    @register_signal("my_signal", "what it measures")
    def my_signal(ctx: SignalContext) -> pd.DataFrame:
        ...

The built-in signals:

``label_issue``
    Cleanlab's label quality of the given label (:func:`workbench.labels.compute_label_quality`):
    score ``1 - label_quality``.
``consensus``
    Consensus quality and annotator disagreement (:func:`workbench.annotators.consensus_labels`):
    score ``1 - consensus_quality``, raised to the disagreement ``1 - agreement`` when larger; items with
    one annotation carry no disagreement.
``activelab``
    Cleanlab's ActiveLab score, the value of one more annotation
    (:func:`workbench.annotators.active_learning_scores`): score ``1 - activelab_score``.
``uncertainty``
    Model uncertainty on unlabeled production items (``split == production`` when the items have a
    split, else every unlabeled item), from the predictions that count
    (:func:`workbench.inputs.prediction_table`): score ``1 - (p1 - p2)``, one minus the margin between the
    two most likely classes.
``drift_novelty``
    Items of the current window in drifted regions (:func:`workbench.drift.compute_drift` with the
    default windows): per item, the mean over the drifted input columns of how far its value sits in the
    reference's tails (numeric: ``|2 F_ref(x) - 1|``; categorical: 1 for a value rare (< 1%) or unseen in
    the reference). Only when the current window drifted.
``gap``
    Membership in a ranked guideline gap. Plugs in when a ``workbench.gaps`` module provides
    ``gap_items(store) -> DataFrame[item_id, gap_id, score]``; skipped until then.
``stale_guideline``
    Labels made under a guideline version whose governing sections changed since
    (:func:`workbench.guidelines.staleness_frame` on the stored guidelines): score the share of the
    item's labels that are stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import WorkbenchError

SIGNAL_COLUMNS = ("item_id", "score", "value", "detail")


class SignalUnavailable(Exception):
    """A signal cannot be computed on this store; the message says why."""


@dataclass(frozen=True)
class Signal:
    """One registered signal: its name, what it measures, and the function computing it."""

    name: str
    description: str
    compute: Callable[[SignalContext], pd.DataFrame]


SIGNALS: dict[str, Signal] = {}


def register_signal(name: str, description: str):
    """Register ``func(ctx) -> DataFrame[item_id, score, value, detail?]`` as signal ``name``."""

    def wrap(func: Callable[[SignalContext], pd.DataFrame]) -> Callable[[SignalContext], pd.DataFrame]:
        SIGNALS[name] = Signal(name=name, description=description, compute=func)
        return func

    return wrap


@dataclass
class SignalContext:
    """What signals read, computed once and shared: the store, the seed, cached intermediate results."""

    store: object
    seed: int = 0
    model_version: str | None = None
    cache: dict = field(default_factory=dict)

    @cached_property
    def labels(self) -> pd.DataFrame:
        """Per labeled item: ``item_id, label`` (majority vote) and ``n_annotations``."""
        from ..inputs.annotations import latest_annotations
        from ..inputs.vote import majority_vote

        if not self.store.has("annotations"):
            return pd.DataFrame(columns=["item_id", "label", "n_annotations"])
        ann = latest_annotations(self.store).execute()
        if ann.empty:
            return pd.DataFrame(columns=["item_id", "label", "n_annotations"])
        mv = majority_vote(ann)
        counts = ann.groupby("item_id").size().rename("n_annotations")
        return (
            mv[["item_id", "consensus_label"]]
            .rename(columns={"consensus_label": "label"})
            .merge(counts, left_on="item_id", right_index=True)
        )

    @cached_property
    def items(self) -> pd.DataFrame:
        from ..inputs.items import read_items

        cols = self.store.table("items").columns
        keep = [c for c in cols if not c.startswith("wb_")]
        return read_items(self.store, columns=keep)

    @cached_property
    def predictions(self):
        """``(item_id Index, proba matrix, classes, model_version)`` or None without predictions."""
        from ..contract import proba_columns
        from ..inputs.predictions import prediction_table

        if not self.store.has("predictions"):
            return None
        table, version = prediction_table(self.store, model_version=self.model_version)
        cols = proba_columns(table.columns)
        classes = sorted(cols)
        frame = table.select("item_id", *[cols[c] for c in classes]).execute().drop_duplicates("item_id")
        proba = frame[[cols[c] for c in classes]].to_numpy(dtype=float)
        proba = proba / np.clip(proba.sum(axis=1, keepdims=True), 1e-12, None)
        return pd.Index(frame["item_id"]), proba, classes, version


def _frame(item_id, score, value, detail=None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "item_id": np.asarray(item_id, dtype=object),
            "score": np.clip(np.asarray(score, dtype=float), 0.0, 1.0),
            "value": np.asarray(value, dtype=float),
        }
    )
    out["detail"] = detail if detail is not None else None
    return out


def _unavailable(exc: WorkbenchError, what: str) -> SignalUnavailable:
    first = str(exc).split("\n")[0]
    return SignalUnavailable(f"{what}: {first}")


@register_signal("label_issue", "Cleanlab label quality of the given label (1 - label_quality)")
def label_issue(ctx: SignalContext) -> pd.DataFrame:
    from ..labels import compute_label_quality

    if not ctx.store.has("annotations"):
        raise SignalUnavailable("no annotations, so no label to check")
    try:
        result = compute_label_quality(ctx.store, slices=False, seed=ctx.seed, model_version=ctx.model_version)
    except WorkbenchError as exc:
        raise _unavailable(exc, "label quality cannot be computed") from None
    issues = result.issues
    ctx.cache["label_quality"] = result
    detail = [
        f"given {g}, model suggests {s}" if g != s else None
        for g, s in zip(issues["given_label"], issues["suggested_label"], strict=True)
    ]
    return _frame(issues["item_id"], 1.0 - issues["label_quality"], issues["label_quality"], detail)


@register_signal("consensus", "consensus quality and annotator disagreement (1 - quality, 1 - agreement)")
def consensus(ctx: SignalContext) -> pd.DataFrame:
    from ..annotators import consensus_labels

    if not ctx.store.has("annotations"):
        raise SignalUnavailable("no annotations")
    try:
        result = consensus_labels(ctx.store, seed=ctx.seed)
    except WorkbenchError as exc:
        raise _unavailable(exc, "consensus cannot be computed") from None
    frame = result.to_frame()
    ctx.cache["consensus"] = result
    quality = frame["consensus_quality"].astype(float).fillna(1.0)
    agreement = frame["agreement"].astype(float).where(frame["n_annotations"] >= 2, 1.0).fillna(1.0)
    score = np.maximum(1.0 - quality, 1.0 - agreement)
    detail = [f"{result.method}, {n} annotation(s)" for n in frame["n_annotations"]]
    return _frame(frame["item_id"], score, quality, detail)


@register_signal("activelab", "ActiveLab: the value of one more annotation (1 - activelab_score)")
def activelab(ctx: SignalContext) -> pd.DataFrame:
    from ..annotators import active_learning_scores

    if not ctx.store.has("predictions"):
        raise SignalUnavailable("needs predicted probabilities; the store has no predictions table")
    if not ctx.store.has("annotations"):
        raise SignalUnavailable("no annotations")
    try:
        frame = active_learning_scores(ctx.store, seed=ctx.seed)
    except WorkbenchError as exc:
        raise _unavailable(exc, "ActiveLab cannot be computed") from None
    return _frame(frame["item_id"], 1.0 - frame["activelab_score"], frame["activelab_score"])


@register_signal("uncertainty", "model uncertainty on unlabeled production items (1 - top-two margin)")
def uncertainty(ctx: SignalContext) -> pd.DataFrame:
    preds = ctx.predictions
    if preds is None:
        raise SignalUnavailable("needs predicted probabilities; the store has no predictions table")
    ids, proba, classes, _version = preds
    labeled = set(ctx.labels["item_id"])
    items = ctx.items
    pool = items if "split" not in items.columns else items[items["split"] == "production"]
    pool_ids = set(pool["item_id"]) - labeled
    mask = np.asarray([i in pool_ids for i in ids], dtype=bool)
    if not mask.any():
        raise SignalUnavailable(
            "no unlabeled production items with predictions"
            + (" (items with split == production)" if "split" in items.columns else "")
        )
    p = np.sort(proba[mask], axis=1)
    margin = p[:, -1] - (p[:, -2] if p.shape[1] > 1 else 0.0)
    top = np.asarray(classes, dtype=object)[proba[mask].argmax(axis=1)]
    detail = [f"unlabeled, model's top class {t} at {q:.2f}" for t, q in zip(top, p[:, -1], strict=True)]
    return _frame(ids[mask], 1.0 - margin, p[:, -1], detail)


@register_signal("drift_novelty", "items of the current window in drifted regions of the inputs")
def drift_novelty(ctx: SignalContext) -> pd.DataFrame:
    from ..drift import compute_drift
    from ..drift.windows import Window

    if "created_at" not in ctx.items.columns:
        raise SignalUnavailable("items have no created_at, so there are no windows to compare")
    try:
        result = compute_drift(ctx.store, include_labels=False, seed=ctx.seed)
    except WorkbenchError as exc:
        raise _unavailable(exc, "drift cannot be computed") from None
    drifted = [c for c in result.columns if c.drifted and c.kind in ("numeric", "categorical")]
    if not drifted:
        raise SignalUnavailable(f"no input column drifted in {result.current} against {result.reference}")
    items = ctx.items
    ref = _window_rows(items, Window.parse(result.reference, option="reference"))
    cur = _window_rows(items, Window.parse(result.current, option="current"))
    if cur.empty or ref.empty:
        raise SignalUnavailable("the drift windows hold no items")
    parts = []
    for col in drifted:
        if col.column not in items.columns:
            continue
        r, c = ref[col.column], cur[col.column]
        if col.kind == "numeric":
            rv = np.sort(pd.to_numeric(r, errors="coerce").dropna().to_numpy(dtype=float))
            cv = pd.to_numeric(c, errors="coerce").to_numpy(dtype=float)
            f = (np.searchsorted(rv, cv, side="left") + np.searchsorted(rv, cv, side="right")) / (2.0 * len(rv))
            parts.append(np.where(np.isnan(cv), 0.0, np.abs(2 * f - 1)))
        else:
            share = r.astype("string").value_counts(normalize=True)
            parts.append((c.astype("string").map(share).fillna(0.0).to_numpy(dtype=float) < 0.01).astype(float))
    if not parts:
        raise SignalUnavailable("the drifted columns are not item columns")
    novelty = np.mean(parts, axis=0)
    detail = f"{result.current} vs {result.reference}: {len(drifted)} drifted column(s)"
    return _frame(cur["item_id"], novelty, novelty, detail)


def _window_rows(items: pd.DataFrame, window) -> pd.DataFrame:
    if window.is_dates:
        ts = pd.to_datetime(items["created_at"])
        keep = pd.Series(True, index=items.index)
        if window.start is not None:
            keep &= ts >= pd.Timestamp(window.start)
        if window.end is not None:
            keep &= ts < pd.Timestamp(window.end)
    else:
        keep = items[window.column].astype("string") == str(window.value)
    if window.exclude is not None:
        keep &= ~items["item_id"].isin(_window_rows(items, window.exclude)["item_id"])
    return items[keep]


@register_signal("gap", "membership in a ranked guideline gap (needs the gaps capability)")
def gap(ctx: SignalContext) -> pd.DataFrame:
    try:
        from .. import gaps  # type: ignore[attr-defined]
    except ImportError:
        raise SignalUnavailable("no gaps capability yet (workbench.gaps is not installed)") from None
    gap_items = getattr(gaps, "gap_items", None)
    if gap_items is None:
        raise SignalUnavailable("workbench.gaps has no gap_items(store) function")
    try:
        frame = gap_items(ctx.store)
    except WorkbenchError as exc:
        raise _unavailable(exc, "gaps cannot be computed") from None
    if frame is None or len(frame) == 0:
        raise SignalUnavailable("no item is in a ranked guideline gap")
    frame = frame.sort_values("score", ascending=False).drop_duplicates("item_id")
    return _frame(frame["item_id"], frame["score"], frame["score"], [f"gap {g}" for g in frame["gap_id"]])


@register_signal("stale_guideline", "labels made under a guideline version whose rules changed since")
def stale_guideline(ctx: SignalContext) -> pd.DataFrame:
    from ..guidelines import parse_guidelines, staleness_frame
    from ..inputs.annotations import latest_annotations

    text = ctx.store.guidelines()
    if text is None:
        raise SignalUnavailable("the store holds no guidelines")
    if not ctx.store.has("annotations") or "guideline_version" not in ctx.store.table("annotations").columns:
        raise SignalUnavailable("annotations carry no guideline_version")
    try:
        doc = parse_guidelines(text)
    except WorkbenchError as exc:
        raise _unavailable(exc, "the guidelines do not parse") from None
    if not doc.version_names or not doc.sections:
        raise SignalUnavailable("the guidelines declare no versions or sections with history")
    ann = latest_annotations(ctx.store).execute()
    stale = staleness_frame(doc, sorted(ann["label"].dropna().unique()))
    if stale.empty:
        raise SignalUnavailable("no label was made under rules that changed since")
    keys = stale.groupby(["label", "guideline_version"])["section_id"].agg(lambda s: ", ".join(sorted(set(s))))
    joined = ann.join(keys, on=["label", "guideline_version"])
    joined["stale"] = joined["section_id"].notna()
    per_item = joined.groupby("item_id").agg(
        share=("stale", "mean"), sections=("section_id", lambda s: ", ".join(sorted(set(s.dropna()))))
    )
    per_item = per_item[per_item["share"] > 0].reset_index()
    if per_item.empty:
        raise SignalUnavailable("no label was made under rules that changed since")
    detail = [f"sections changed since: {s}" for s in per_item["sections"]]
    return _frame(per_item["item_id"], per_item["share"], per_item["share"], detail)
