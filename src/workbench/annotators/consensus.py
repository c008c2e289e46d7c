"""Consensus labels: the methods' results keyed by item id, and the ``auto`` rule choosing among them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..choices import CONSENSUS_METHODS
from ..errors import BadInputError
from ..inputs.annotations import AnnotationSet, read_annotations
from ..inputs.predictions import Predictions, read_gold, read_predictions
from ..results import json_safe
from ..store import Store
from .agreement import agreement_from_counts, label_counts
from .methods import MethodResult, _codes, _model_agreement, _run_crowdlab, _run_ds, _run_mv

METHODS = ("mv", "ds", "crowdlab")
METHOD_CHOICES = CONSENSUS_METHODS
MIN_GOLD_FOR_AUTO = 30
DS_MIN_LABELS = 10
MODEL_MARGIN = 0.08
GOLD_SIGNIFICANCE = 0.05
CONSENSUS_COLUMNS = ["item_id", "consensus_label", "consensus_quality", "n_annotations", "agreement", "method"]


@dataclass(frozen=True)
class Consensus:
    """Consensus labels keyed by item id, the method used and why it was chosen.

    ``frame`` has the columns ``item_id, consensus_label, consensus_quality,
    n_annotations, agreement, method``.
    """

    frame: pd.DataFrame
    method: str
    requested: str
    reason: str
    gold_accuracy: dict[str, float | None]
    annotator_quality: pd.Series  # by annotator id, of the chosen method
    classes: tuple[str, ...]
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """``item_id, consensus_label, consensus_quality, n_annotations, agreement, method``.

        ``attrs["method"]`` and ``attrs["reason"]`` say which method was used and why.
        """
        out = self.frame.copy()
        out.attrs["method"] = self.method
        out.attrs["reason"] = self.reason
        return out

    def label_of(self) -> pd.Series:
        """Consensus label by item id."""
        return self.frame.set_index("item_id")["consensus_label"]

    def to_dict(self) -> dict:
        return json_safe(
            {
                "method": self.method,
                "requested": self.requested,
                "reason": self.reason,
                "gold_accuracy": self.gold_accuracy,
                "items": len(self.frame),
                "classes": list(self.classes),
                "notes": list(self.notes),
                "params": self.params,
            }
        )

    def summary_lines(self) -> list[str]:
        """The method used and why."""
        return [f"Consensus: {self.method} ({self.reason})."]


def consensus_from_annotations(
    annotations: AnnotationSet,
    *,
    method: str = "auto",
    predictions: Predictions | None = None,
    gold: pd.Series | None = None,
    min_gold: int = MIN_GOLD_FOR_AUTO,
    ds_min_labels: int = DS_MIN_LABELS,
    model_margin: float = MODEL_MARGIN,
    seed: int = 0,
) -> Consensus:
    """Consensus labels from a cleaned annotation set (see the module docstring for the methods)."""
    if method not in METHOD_CHOICES:
        raise BadInputError(
            f"--method {method!r} is not a consensus method; choose one of {', '.join(METHOD_CHOICES)}."
        )
    item, annotator, label, items, annotators = _codes(annotations)
    k = len(annotations.classes)
    n_ann = np.bincount(item, minlength=len(items))
    multi = n_ann >= 2
    notes = list(annotations.notes)
    if predictions is not None:
        notes += list(predictions.notes)

    cache: dict[str, MethodResult] = {}

    def run(name: str) -> MethodResult:
        if name not in cache:
            if name == "mv":
                cache[name] = _run_mv(annotations, item, annotator, label, items, k)
            elif name == "ds":
                cache[name] = _run_ds(annotations, item, annotator, label, items, annotators, k, seed=seed)
            else:
                cache[name] = _run_crowdlab(
                    annotations, item, annotator, label, items, annotators, k, predictions, seed=seed
                )
        return cache[name]

    crowdlab_ok = predictions is not None and bool(multi.any())
    # The rule used without enough gold.
    labels_per_annotator = np.bincount(annotator)
    median_labels = float(np.median(labels_per_annotator))
    model_agree = (
        _model_agreement(predictions, items, run("mv").label, multi) if crowdlab_ok and method == "auto" else None
    )
    pair_agree = None
    if model_agree is not None:
        pair_agree = agreement_from_counts(label_counts(item, label, len(items), k))["percent_agreement"]
    if model_agree is not None and pair_agree is not None and model_agree >= pair_agree + model_margin:
        rule_method = "crowdlab"
        rule_reason = (
            f"the model agrees with the majority vote on {model_agree:.1%} of multi-annotated items, "
            f"more than annotators agree with each other ({pair_agree:.1%}) by at least {model_margin:.0%}, "
            "so CROWDLAB can use its predictions"
        )
    elif median_labels >= ds_min_labels:
        rule_method = "ds"
        rule_reason = (
            f"annotators gave a median of {median_labels:.0f} labels each (>= {ds_min_labels}), enough for "
            "Dawid-Skene to estimate each one's confusions"
            + ("" if predictions is not None else "; no predictions for CROWDLAB")
            + (
                f"; the model agrees with the majority vote on only {model_agree:.1%} of multi-annotated items "
                f"(annotators agree with each other on {pair_agree:.1%})"
                if model_agree is not None and pair_agree is not None
                else ""
            )
        )
    else:
        rule_method = "mv"
        rule_reason = (
            f"annotators gave a median of {median_labels:.0f} labels each (< {ds_min_labels}), too few for "
            "Dawid-Skene" + ("" if predictions is not None else "; no predictions for CROWDLAB")
        )

    gold_acc: dict[str, float | None] = {}
    gold_codes = None
    n_gold = 0
    if gold is not None and len(gold):
        g = gold.reindex(items)
        known = g.notna().to_numpy() & g.isin(annotations.classes).to_numpy()
        gold_codes = np.where(known, pd.Categorical(g, categories=list(annotations.classes)).codes, -1)
        n_gold = int(known.sum())
        outside = int((g.notna() & ~g.isin(annotations.classes)).sum())
        if outside:
            notes.append(
                f"{outside:,} gold label(s) in table 'gold', column 'label', are not known classes "
                f"({', '.join(annotations.classes)}); those gold items are not used."
            )
        never = int((~gold.index.isin(items)).sum())
        if never:
            notes.append(
                f"{never:,} gold item(s) were never annotated (or only with unknown labels); they are not used."
            )

    if method == "crowdlab" and predictions is None:
        raise BadInputError(
            "--method crowdlab needs predicted probabilities, but the store has no 'predictions' table. "
            "Ingest predictions.parquet with one proba_<label> column per class, or use --method ds or mv."
        )
    if method != "auto":
        chosen, reason = method, f"requested with --method {method}"
    elif n_gold >= min_gold:
        candidates = [m for m in ("mv", "ds", "crowdlab") if m != "crowdlab" or crowdlab_ok]
        for m in candidates:
            res = run(m)
            gold_acc[m] = float(np.mean(res.label[gold_codes >= 0] == gold_codes[gold_codes >= 0]))
        from scipy.stats import binomtest

        on_gold = gold_codes >= 0
        right = {m: run(m).label[on_gold] == gold_codes[on_gold] for m in candidates}
        better = {}
        for m in candidates:
            if m == rule_method:
                continue
            wins = int(np.sum(right[m] & ~right[rule_method]))
            losses = int(np.sum(~right[m] & right[rule_method]))
            if wins > losses and binomtest(wins, wins + losses, 0.5, alternative="greater").pvalue < GOLD_SIGNIFICANCE:
                better[m] = gold_acc[m]
        scores = ", ".join(f"{m} {gold_acc[m]:.3f}" for m in candidates)
        if better:
            chosen = max(better, key=better.get)
            reason = (
                f"significantly more accurate than the no-gold rule's choice ({rule_method}) on {n_gold} "
                f"annotated gold items ({scores})"
            )
        else:
            chosen = rule_method
            reason = (
                f"accuracy on {n_gold} annotated gold items ({scores}) shows no method significantly better than "
                f"the rule's choice; {rule_reason}"
            )
    else:
        chosen = rule_method
        why = f"only {n_gold} annotated gold item(s) (< {min_gold})" if gold is not None else "no gold items"
        reason = f"{why}; {rule_reason}"
        if predictions is None:
            notes.append("No predictions table: CROWDLAB was not considered (it needs predicted probabilities).")

    res = run(chosen)
    if gold_codes is not None and chosen not in gold_acc and n_gold:
        gold_acc[chosen] = float(np.mean(res.label[gold_codes >= 0] == gold_codes[gold_codes >= 0]))
    notes += list(res.notes)
    cls_names = np.asarray(annotations.classes, dtype=object)
    agreement = np.bincount(item, weights=(label == res.label[item]), minlength=len(items)) / n_ann
    frame = pd.DataFrame(
        {
            "item_id": items.to_numpy(),
            "consensus_label": cls_names[res.label],
            "consensus_quality": res.quality,
            "n_annotations": n_ann,
            "agreement": agreement,
            "method": chosen,
        }
    )
    return Consensus(
        frame=frame,
        method=chosen,
        requested=method,
        reason=reason,
        gold_accuracy=gold_acc,
        annotator_quality=pd.Series(res.annotator_quality, index=annotators, name="quality"),
        classes=annotations.classes,
        notes=tuple(notes),
        params={
            "method": method,
            "min_gold": min_gold,
            "ds_min_labels": ds_min_labels,
            "model_margin": model_margin,
            "seed": seed,
            "model_version": predictions.model_version if predictions is not None else None,
        },
    )


def consensus_labels(
    store: Store,
    *,
    method: str = "auto",
    classes: list[str] | None = None,
    min_gold: int = MIN_GOLD_FOR_AUTO,
    seed: int = 0,
) -> Consensus:
    """Consensus label per annotated item, from the store's annotations.

    Parameters
    ----------
    store : Store
    method : {"auto", "mv", "ds", "crowdlab"}
        See the module docstring; ``auto`` picks by gold accuracy when at least
        ``min_gold`` annotated gold items exist, else by a documented rule.
    classes : list of str, optional
        Known classes (default: the predictions' classes, else every label annotated).
    seed : int
        Seed of the last-resort random tie break inside CROWDLAB.

    Returns
    -------
    Consensus
        ``.to_frame()`` gives ``item_id, consensus_label, consensus_quality,
        n_annotations, agreement, method``; ``.method`` and ``.reason`` say
        which method was used and why.

    Examples
    --------
    >>> with Store.open("data/workbench.duckdb", read_only=True) as store:  # doctest: +SKIP
    ...     consensus = consensus_labels(store)
    >>> consensus.method, consensus.reason  # doctest: +SKIP
    """
    annotations = read_annotations(store, classes=classes)
    predictions = read_predictions(store, annotations.classes)
    gold = read_gold(store)
    return consensus_from_annotations(
        annotations, method=method, predictions=predictions, gold=gold, min_gold=min_gold, seed=seed
    )
