"""Failures, from what the store holds: one row per item and failure mode, as an ibis expression.

Two modes, each with its own population, so that a slice is never compared with items that could not fail
the same way:

``labeled``
    every item with at least one annotation. It fails when annotators split on it (two or more annotators,
    agreement below 1), when it is a label issue (Cleanlab, :func:`workbench.labels.compute_label_quality`),
    or when it is on the ``eval`` split and the model's top class differs from the consensus (majority vote).
    Its class is the consensus label.
``production``
    every item on the ``production`` split with a prediction. It fails when the model's top probability is
    below ``low_confidence``. Its class is the predicted class.

``other`` is the class a failure points at: the runner-up label for a split, the model's class for a model
error, Cleanlab's suggested label for a label issue, the second most probable class for a low-confidence
prediction. A failure's confusion pair is ``(class, other)``.
"""

from __future__ import annotations

import ibis
import pandas as pd

from ..contract import proba_columns
from ..inputs import latest_annotations, majority_vote_table, prediction_table

MODES = ("labeled", "production")
FAILURE_KINDS = ("annotator_split", "label_issue", "model_error", "low_confidence")
LOW_CONFIDENCE = 0.5


def _top_two(preds: ibis.Table) -> ibis.Table:
    """``item_id, predicted, predicted_p, second`` from the probability columns, computed in the store."""
    cols = proba_columns(preds.columns)
    long = preds.select("item_id", *cols.values()).pivot_longer(
        ibis.selectors.startswith("proba_"), names_to="_col", values_to="_p"
    )
    long = long.mutate(_cls=long._col.substr(len("proba_")))
    ranked = long.mutate(_r=ibis.row_number().over(group_by="item_id", order_by=[ibis.desc("_p"), ibis.asc("_cls")]))
    first = ranked.filter(ranked._r == 0).select("item_id", predicted="_cls", predicted_p="_p")
    second = ranked.filter(ranked._r == 1).select(item_id2="item_id", second="_cls")
    out = first.left_join(second, first.item_id == second.item_id2)
    return out.select("item_id", "predicted", "predicted_p", "second")


def item_failures(
    store,
    *,
    label_issues: pd.DataFrame | None,
    model_version: str | None = None,
    low_confidence: float = LOW_CONFIDENCE,
    until=None,
) -> ibis.Table:
    """One row per item: its class, the failure flags and what each failure points at.

    Columns: ``item_id, split, consensus_label, n_annotations, agreement, second_label, predicted, predicted_p,
    second, is_label_issue, suggested_label, annotator_split, label_issue, model_error, low_confidence``.
    """
    ann = latest_annotations(store, until=until)
    mv = majority_vote_table(ann)
    votes = ann.group_by(["item_id", "label"]).aggregate(_votes=ibis._.count())
    joined = votes.join(mv.select("item_id", "consensus_label"), "item_id")
    runner = joined.filter(joined.label != joined.consensus_label)
    runner = runner.mutate(
        _r=ibis.row_number().over(group_by="item_id", order_by=[ibis.desc("_votes"), ibis.asc("label")])
    )
    runner = runner.filter(runner._r == 0).select(item_id_r="item_id", second_label="label")

    items = store.data("items")
    base = items.select("item_id", split=items.split if "split" in items.columns else ibis.null("string"))
    t = base.left_join(mv, base.item_id == mv.item_id).drop("item_id_right")
    t = t.left_join(runner, t.item_id == runner.item_id_r).drop("item_id_r")
    if store.has("predictions"):
        preds, _ = prediction_table(store, model_version=model_version)
        top = _top_two(preds).rename(item_id_p="item_id")
        t = t.left_join(top, t.item_id == top.item_id_p).drop("item_id_p")
    else:
        t = t.mutate(predicted=ibis.null("string"), predicted_p=ibis.null("float64"), second=ibis.null("string"))
    if label_issues is not None and len(label_issues):
        li = ibis.memtable(
            label_issues[["item_id", "is_label_issue", "suggested_label"]].rename(columns={"item_id": "item_id_l"})
        )
        t = t.left_join(li, t.item_id == li.item_id_l).drop("item_id_l")
    else:
        t = t.mutate(is_label_issue=ibis.null("boolean"), suggested_label=ibis.null("string"))
    labeled = t.consensus_label.notnull()
    return t.mutate(
        annotator_split=(labeled & (t.n_annotations >= 2) & (t.agreement < 1)).fill_null(False),
        label_issue=(labeled & t.is_label_issue).fill_null(False),
        model_error=(labeled & (t.split == "eval") & (t.predicted != t.consensus_label)).fill_null(False),
        low_confidence=((t.split == "production") & (t.predicted_p < low_confidence)).fill_null(False),
    )


def mode_table(failures: ibis.Table) -> ibis.Table:
    """The long table slices group: ``mode, item_id, cls, other, failed, stratum`` (an item may be in both modes).

    ``stratum`` is the item's split: which failures it can have depends on it (model errors only on eval).
    """
    f = failures
    labeled = f.filter(f.consensus_label.notnull())
    failed = labeled.annotator_split | labeled.label_issue | labeled.model_error
    other = (
        ibis.cases(
            (labeled.annotator_split, labeled.second_label),
            (labeled.model_error, labeled.predicted),
            (labeled.label_issue & (labeled.suggested_label != labeled.consensus_label), labeled.suggested_label),
            else_=ibis.null("string"),
        )
    )
    a = labeled.select(
        mode=ibis.literal("labeled"),
        item_id=labeled.item_id,
        cls=labeled.consensus_label,
        other=other,
        failed=failed,
        stratum=labeled.split.cast("string").fill_null("(none)"),
    )
    prod = f.filter((f.split == "production") & f.predicted.notnull())
    b = prod.select(
        mode=ibis.literal("production"),
        item_id=prod.item_id,
        cls=prod.predicted,
        other=ibis.ifelse(prod.low_confidence, prod.second, ibis.null("string")),
        failed=prod.low_confidence,
        stratum=prod.split.cast("string").fill_null("(none)"),
    )
    return a.union(b)
