"""Consensus labels, annotator quality, calibration on gold, and annotator drift.

Consensus methods
-----------------
``mv``
    Majority vote, with the tie rule of :mod:`workbench.inputs.vote`
    (most votes; then the label whose first annotation is earliest; then the
    lexicographically smallest label). Quality: the share of the item's
    annotations that gave the consensus label.
``ds``
    Dawid-Skene (crowd-kit's ``DawidSkene``): one confusion matrix per
    annotator, estimated by EM. Quality: the posterior probability of the
    consensus label.
``crowdlab``
    Cleanlab's CROWDLAB, which weighs each annotator and the model's predicted
    probabilities by their estimated trustworthiness; computed over the long
    table by :mod:`workbench.crowd_sparse` (same results as Cleanlab's dense
    implementation). Quality: CROWDLAB's consensus quality score. Needs the
    ``predictions`` table; items without predictions get the majority vote.
``auto`` (the default)
    Without enough gold, this rule:

    1. predictions exist and, on the items with two or more annotations, the
       model agrees with the majority vote more often than two annotators
       agree with each other (percent agreement) by at least
       ``model_margin`` (0.08): ``crowdlab``;
    2. else, annotators gave a median of at least ``ds_min_labels`` (10)
       labels each, enough to estimate a confusion matrix per annotator:
       ``ds``;
    3. else ``mv``.

    With at least ``min_gold`` (30) annotated gold items, each method's
    accuracy on them is measured; the rule's method is kept unless another
    method is significantly more accurate on the gold items (exact one-sided
    McNemar test on the items where the two disagree, p < 0.05), in which
    case the most accurate such method is chosen. A handful of gold items
    does not overturn the rule by chance.

    ``bench/bench_crowd.py`` checks the rule on public crowdsourcing data sets
    (CF, MS, SP, ZenCrowd), with simulated predictions of known accuracy for
    CROWDLAB: the chosen method is at least as accurate as Dawid-Skene on
    each.

Annotator quality
-----------------
Per annotator: number of labels, a quality score (CROWDLAB's annotator
quality; for ``ds`` the estimated accuracy ``sum_c prior_c P(label=c|true=c)``;
for ``mv`` agreement with consensus on items with two or more annotations),
agreement with the consensus, accuracy on gold items with a Wilson 95%
confidence interval, and a flag with its reason when gold accuracy is below
``gold_threshold`` (0.75) on at least ``min_gold_labels`` (20) gold labels
(re-calibration needed), or when quality declined significantly (drift).
``kind`` is ``human`` unless the annotator id matches a pattern of another
kind under ``[annotators] kinds`` in ``workbench.toml``, e.g.
``kinds = {model = ["gpt-*"]}``; ``gold_threshold`` and ``min_gold_labels``
can be set there too.

Drift: per annotator and ISO week, agreement with the consensus on items with
two or more annotations, compared with the annotator's earlier weeks (those not
already flagged) by a one-sided two-proportion z-test; a week is flagged when
p < ``drift_alpha`` (0.01) and the drop is at least ``drift_min_drop`` (0.15),
with at least 10 labels in the week and in the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .choices import CONSENSUS_METHODS
from .errors import BadInputError
from .inputs.annotations import AnnotationSet, annotator_kinds, read_annotations
from .inputs.predictions import Predictions, read_gold, read_predictions
from .inputs.vote import majority_vote_codes as majority_vote_codes_of
from .inputs.weeks import Week, iso_week_labels
from .store import Store

METHODS = ("mv", "ds", "crowdlab")
METHOD_CHOICES = CONSENSUS_METHODS
MIN_GOLD_FOR_AUTO = 30
DS_MIN_LABELS = 10
MODEL_MARGIN = 0.08
GOLD_SIGNIFICANCE = 0.05
GOLD_THRESHOLD = 0.75
MIN_GOLD_LABELS = 20
DRIFT_ALPHA = 0.01
DRIFT_MIN_DROP = 0.15
DRIFT_MIN_LABELS = 10
CONSENSUS_COLUMNS = ["item_id", "consensus_label", "consensus_quality", "n_annotations", "agreement", "method"]
ANNOTATOR_COLUMNS = [
    "annotator_id",
    "kind",
    "n_labels",
    "quality",
    "agreement_with_consensus",
    "gold_accuracy",
    "gold_ci_low",
    "gold_ci_high",
    "flagged",
    "flag_reason",
]


# -- inputs ------------------------------------------------------------------------


# -- consensus -----------------------------------------------------------------------


@dataclass(frozen=True)
class MethodResult:
    """One consensus method's output, aligned with the sorted item and annotator ids."""

    label: np.ndarray  # class codes per item
    quality: np.ndarray  # per item
    annotator_quality: np.ndarray  # per annotator
    notes: tuple[str, ...] = ()


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
        return {
            "method": self.method,
            "requested": self.requested,
            "reason": self.reason,
            "gold_accuracy": self.gold_accuracy,
            "items": len(self.frame),
            "classes": list(self.classes),
            "notes": list(self.notes),
            "params": self.params,
        }


def _codes(annotations: AnnotationSet):
    item, annotator, label, items, annotators = annotations.codes()
    return item, annotator, label, items, annotators


def majority_vote_codes(annotations: AnnotationSet) -> tuple[np.ndarray, np.ndarray]:
    """Majority vote of an annotation set (:mod:`workbench.inputs.vote`'s rule and array form).

    Returns the consensus class code and the share of votes it got, per item
    (items in the order of :meth:`AnnotationSet.codes`).
    """
    item, _, label, items, _ = annotations.codes()
    created = annotations.frame["created_at"].to_numpy() if "created_at" in annotations.frame.columns else None
    cls, share, _ = majority_vote_codes_of(
        item, label, n_items=len(items), classes=annotations.classes, created_at=created
    )
    return cls, share


def _run_mv(annotations: AnnotationSet, item, annotator, label, items, k) -> MethodResult:
    cls, quality = majority_vote_codes(annotations)
    n_ann = np.bincount(item, minlength=len(items))
    multi = n_ann[item] >= 2
    hit = (label == cls[item]) & multi
    m = int(annotator.max()) + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        aq = np.bincount(annotator, weights=hit, minlength=m) / np.bincount(annotator, weights=multi, minlength=m)
    return MethodResult(cls, quality, aq)


def _prediction_rows(predictions: Predictions, items: pd.Index) -> np.ndarray:
    """Row of ``predictions.proba`` for each item, -1 where the item has no prediction."""
    ids = predictions.item_id
    keep = ~ids.duplicated()
    rows = np.flatnonzero(keep)
    idx = ids[keep].get_indexer(items)
    return np.where(idx >= 0, rows[idx], -1)


def _run_ds(annotations: AnnotationSet, item, annotator, label, items, annotators, k, *, seed: int) -> MethodResult:
    from crowdkit.aggregation import DawidSkene

    df = pd.DataFrame({"worker": annotator, "task": item, "label": label})
    ds = DawidSkene(n_iter=100).fit(df)
    probas = ds.probas_.reindex(index=np.arange(len(items)), columns=np.arange(k), fill_value=0.0).to_numpy()
    probas = np.nan_to_num(probas, nan=0.0)
    cls = np.argmax(probas, axis=1)
    quality = probas[np.arange(len(items)), cls]
    priors = ds.priors_.reindex(np.arange(k), fill_value=0.0).to_numpy()
    errors = ds.errors_
    m = len(annotators)
    aq = np.full(m, np.nan)
    diag = {}
    for (w, obs), row in errors.iterrows():
        if obs in row.index:
            diag[(w, obs)] = row[obs]
    for w in range(m):
        aq[w] = sum(priors[c] * diag.get((w, c), 0.0) for c in range(k))
    return MethodResult(cls, quality, aq)


def _run_crowdlab(annotations, item, annotator, label, items, annotators, k, predictions: Predictions, *, seed):
    from .crowd_sparse import LongLabels, crowdlab

    pos = _prediction_rows(predictions, items)
    covered = pos >= 0
    notes = []
    if not covered.any():
        raise BadInputError(
            "CROWDLAB needs predicted probabilities for the annotated items, but table 'predictions' has none of "
            "them. Ingest predictions for the annotated items or use --method ds or mv."
        )
    sub_items = np.flatnonzero(covered)
    new_index = np.full(len(items), -1)
    new_index[sub_items] = np.arange(len(sub_items))
    keep = covered[item]
    m = len(annotators)
    lab = LongLabels.from_arrays(
        new_index[item[keep]], annotator[keep], label[keep], n_items=len(sub_items), n_annotators=m, n_classes=k
    )
    if (lab.num_annotations() <= 1).all():
        raise BadInputError(
            "CROWDLAB needs some items with two or more annotations; every item with predictions has one. "
            "Use --method mv or ds."
        )
    proba = predictions.proba[pos[covered]]
    res = crowdlab(lab, proba, seed=seed)
    if covered.all():
        cls, quality = res.consensus_label, res.consensus_quality
    else:
        mv = _run_mv(annotations, item, annotator, label, items, k)
        cls, quality = mv.label.copy(), mv.quality.copy()
    cls[sub_items] = res.consensus_label
    quality[sub_items] = res.consensus_quality
    if (~covered).any():
        notes.append(f"{int((~covered).sum()):,} annotated item(s) have no predictions; they keep the majority vote.")
    aq = res.annotator_quality
    if len(aq) < m:
        aq = np.r_[aq, np.full(m - len(aq), np.nan)]
    return MethodResult(cls, quality, aq, tuple(notes))


def _model_agreement(
    predictions: Predictions, items: pd.Index, mv_label: np.ndarray, multi: np.ndarray
) -> float | None:
    pos = _prediction_rows(predictions, items)
    ok = (pos >= 0) & multi
    if not ok.any():
        return None
    pred = np.argmax(predictions.proba[pos[ok]], axis=1)
    return float(np.mean(pred == mv_label[ok]))


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
        from .agreement import agreement_from_counts, label_counts

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


# -- annotator quality, calibration, drift ------------------------------------------------


def wilson_interval(successes: np.ndarray, n: np.ndarray, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (NaN where ``n`` is 0)."""
    from scipy.stats import norm

    z = norm.ppf(1 - (1 - confidence) / 2)
    n = np.asarray(n, dtype=float)
    s = np.asarray(successes, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def annotator_drift(
    annotations: AnnotationSet,
    consensus: Consensus,
    *,
    alpha: float = DRIFT_ALPHA,
    min_drop: float = DRIFT_MIN_DROP,
    min_labels: int = DRIFT_MIN_LABELS,
) -> pd.DataFrame:
    """Per annotator and ISO week: agreement with consensus on multi-annotated items, and declines.

    Columns: ``annotator_id, week, labels, agreement, baseline, baseline_labels, p_value, declined``.
    """
    from statsmodels.stats.proportion import proportions_ztest

    frame = annotations.frame
    cols = ["annotator_id", "week", "labels", "agreement", "baseline", "baseline_labels", "p_value", "declined"]
    if "created_at" not in frame.columns or frame["created_at"].isna().all():
        return pd.DataFrame(columns=cols)
    cons = consensus.frame.set_index("item_id")
    multi_items = cons.index[cons["n_annotations"].to_numpy() >= 2]
    sub = frame[frame["item_id"].isin(multi_items) & frame["created_at"].notna()]
    hit = (sub["label"].to_numpy() == sub["item_id"].map(cons["consensus_label"]).to_numpy()).astype(int)
    weekly = (
        pd.DataFrame(
            {
                "annotator_id": sub["annotator_id"].to_numpy(),
                "week": iso_week_labels(sub["created_at"]).to_numpy(),
                "hit": hit,
            }
        )
        .groupby(["annotator_id", "week"], sort=True)["hit"]
        .agg(["sum", "count"])
        .reset_index()
    )
    rows = []
    for annotator_id, g in weekly.groupby("annotator_id", sort=True):
        base_hits = base_n = 0
        for _, r in g.iterrows():
            agreement = r["sum"] / r["count"]
            baseline = base_hits / base_n if base_n else np.nan
            p = np.nan
            declined = False
            if base_n >= min_labels and r["count"] >= min_labels and 0 < base_hits + r["sum"] < base_n + r["count"]:
                _, p = proportions_ztest([r["sum"], base_hits], [r["count"], base_n], alternative="smaller")
                declined = bool(p < alpha and baseline - agreement >= min_drop)
            rows.append(
                {
                    "annotator_id": annotator_id,
                    "week": r["week"],
                    "labels": int(r["count"]),
                    "agreement": float(agreement),
                    "baseline": float(baseline) if base_n else np.nan,
                    "baseline_labels": int(base_n),
                    "p_value": float(p) if np.isfinite(p) else np.nan,
                    "declined": declined,
                }
            )
            if not declined:
                base_hits += int(r["sum"])
                base_n += int(r["count"])
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class AnnotatorReport:
    """Consensus, per-annotator quality and calibration, drift, and the annotations behind them."""

    consensus: Consensus
    annotators: pd.DataFrame  # ANNOTATOR_COLUMNS (+ gold_labels, worst_week)
    drift: pd.DataFrame
    labels: pd.DataFrame  # item_id, annotator_id, label, consensus_label, created_at?, week?
    params: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def flagged(self) -> pd.DataFrame:
        return self.annotators[self.annotators["flagged"]]

    def confusion(self, annotator_id: str) -> pd.DataFrame:
        """Counts of (the annotator's label, consensus label) over the annotator's items."""
        sub = self.labels[self.labels["annotator_id"] == annotator_id]
        if sub.empty:
            raise BadInputError(f"Annotator {annotator_id!r} has no annotations in table 'annotations'.")
        out = sub.groupby(["label", "consensus_label"]).size().rename("count").reset_index()
        return out.sort_values("count", ascending=False).reset_index(drop=True)

    def disagreements(self, annotator_id: str) -> pd.DataFrame:
        """The annotator's items whose consensus label differs from the annotator's label."""
        sub = self.labels[
            (self.labels["annotator_id"] == annotator_id) & (self.labels["label"] != self.labels["consensus_label"])
        ]
        cons = self.consensus.frame.set_index("item_id")
        out = sub.merge(cons[["consensus_quality", "n_annotations", "agreement"]], left_on="item_id", right_index=True)
        return out.sort_values("consensus_quality", ascending=False).reset_index(drop=True)

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and not np.isfinite(v):
                return None
            return v

        return {
            "consensus": self.consensus.to_dict(),
            "annotators": [{k: clean(v) for k, v in r.items()} for r in self.annotators.to_dict(orient="records")],
            "drift": [{k: clean(v) for k, v in r.items()} for r in self.drift.to_dict(orient="records")],
            "params": self.params,
            "notes": list(self.notes),
        }

    # charts
    def quality_chart(self):
        return annotator_quality_chart(self)

    def drift_chart(self):
        return annotator_drift_chart(self)

    def confusion_chart(self, annotator_id: str):
        return confusion_chart(self.confusion(annotator_id), annotator_id)


def annotator_report_from(
    annotations: AnnotationSet,
    consensus: Consensus,
    *,
    gold: pd.Series | None = None,
    kinds: dict[str, list[str]] | None = None,
    gold_threshold: float = GOLD_THRESHOLD,
    min_gold_labels: int = MIN_GOLD_LABELS,
    drift_alpha: float = DRIFT_ALPHA,
    drift_min_drop: float = DRIFT_MIN_DROP,
) -> AnnotatorReport:
    """Per-annotator quality, gold calibration and drift, given a consensus."""
    frame = annotations.frame
    cons_label = consensus.label_of()
    labels = frame[
        [c for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version") if c in frame.columns]
    ].copy()
    labels["consensus_label"] = labels["item_id"].map(cons_label).to_numpy()
    if "created_at" in labels.columns:
        labels["week"] = iso_week_labels(labels["created_at"]).to_numpy()
    labels["agrees"] = labels["label"] == labels["consensus_label"]
    g = labels.groupby("annotator_id", sort=True)
    out = pd.DataFrame({"n_labels": g.size(), "agreement_with_consensus": g["agrees"].mean()})
    out.index.name = "annotator_id"
    out = out.reset_index()
    out.insert(1, "kind", annotator_kinds(out["annotator_id"], kinds))
    out.insert(3, "quality", out["annotator_id"].map(consensus.annotator_quality).to_numpy(dtype=float))
    if gold is not None and len(gold):
        gl = labels[labels["item_id"].isin(gold.index)]
        correct = (gl["label"].to_numpy() == gl["item_id"].map(gold).to_numpy()).astype(int)
        gg = pd.DataFrame({"annotator_id": gl["annotator_id"].to_numpy(), "correct": correct}).groupby("annotator_id")[
            "correct"
        ]
        n_gold = out["annotator_id"].map(gg.count()).fillna(0).astype(int).to_numpy()
        hits = out["annotator_id"].map(gg.sum()).fillna(0).to_numpy()
    else:
        n_gold = np.zeros(len(out), dtype=int)
        hits = np.zeros(len(out))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["gold_accuracy"] = np.where(n_gold > 0, hits / np.maximum(n_gold, 1), np.nan)
    low, high = wilson_interval(hits, n_gold)
    out["gold_ci_low"] = low
    out["gold_ci_high"] = high
    out["gold_labels"] = n_gold
    drift = annotator_drift(annotations, consensus, alpha=drift_alpha, min_drop=drift_min_drop)
    reasons: list[str] = []
    for r in out.itertuples():
        why = []
        if r.gold_labels >= min_gold_labels and r.gold_accuracy < gold_threshold:
            why.append(
                f"gold accuracy {r.gold_accuracy:.1%} (95% CI {r.gold_ci_low:.1%}-{r.gold_ci_high:.1%}, "
                f"{r.gold_labels} gold labels) is below {gold_threshold:.0%}: re-calibration needed"
            )
        d = drift[(drift["annotator_id"] == r.annotator_id) & drift["declined"]] if len(drift) else drift
        if len(d):
            first = d.iloc[0]
            why.append(
                f"agreement with consensus dropped from {first['baseline']:.1%} to {first['agreement']:.1%} "
                f"in {first['week']} (p={first['p_value']:.1g}); declined in {len(d)} week(s): "
                + ", ".join(d["week"].tolist())
            )
        reasons.append("; ".join(why))
    out["flag_reason"] = reasons
    out["flagged"] = out["flag_reason"] != ""
    first_decline = (
        drift[drift["declined"]].groupby("annotator_id")["week"].min() if len(drift) else pd.Series(dtype=object)
    )
    out["declined_from_week"] = out["annotator_id"].map(first_decline).to_numpy()
    out = out[[*ANNOTATOR_COLUMNS, "gold_labels", "declined_from_week"]]
    out = out.sort_values(["flagged", "quality"], ascending=[False, True], na_position="last").reset_index(drop=True)
    notes = list(consensus.notes)
    if gold is None or not len(gold):
        notes.append("No gold table: gold accuracy and re-calibration flags are not available.")
    return AnnotatorReport(
        consensus=consensus,
        annotators=out,
        drift=drift,
        labels=labels,
        params={
            "gold_threshold": gold_threshold,
            "min_gold_labels": min_gold_labels,
            "drift_alpha": drift_alpha,
            "drift_min_drop": drift_min_drop,
            **consensus.params,
        },
        notes=tuple(dict.fromkeys(notes)),
    )


def compute_annotators(
    store: Store,
    *,
    method: str = "auto",
    classes: list[str] | None = None,
    gold_threshold: float | None = None,
    min_gold_labels: int | None = None,
    week: str | Week | None = None,
    model_version: str | None = None,
    as_of=None,
    seed: int = 0,
) -> AnnotatorReport:
    """Consensus, annotator quality, calibration on gold and drift for the store's annotations.

    Thresholds default to ``[annotators]`` in ``workbench.toml`` (``gold_threshold``,
    ``min_gold_labels``, ``kinds``), else to this module's constants. ``week``
    (default: every annotation) keeps the annotations made up to its end.
    """
    return annotators_overview(
        store,
        method=method,
        classes=classes,
        gold_threshold=gold_threshold,
        min_gold_labels=min_gold_labels,
        week=week,
        model_version=model_version,
        as_of=as_of,
        seed=seed,
        agreement=False,
    ).report


# -- charts -------------------------------------------------------------------------------


def annotator_quality_chart(report: AnnotatorReport):
    """Quality and agreement with consensus per annotator; flagged annotators in red."""
    import altair as alt

    data = report.annotators[
        ["annotator_id", "quality", "agreement_with_consensus", "gold_accuracy", "flagged", "n_labels"]
    ]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("quality:Q", title="annotator quality", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("annotator_id:N", sort="x", title=None),
            color=alt.Color(
                "flagged:N", scale=alt.Scale(domain=[False, True], range=["#4c78a8", "#e45756"]), title="flagged"
            ),
            tooltip=[
                "annotator_id",
                "n_labels",
                alt.Tooltip("quality:Q", format=".3f"),
                alt.Tooltip("agreement_with_consensus:Q", format=".3f"),
                alt.Tooltip("gold_accuracy:Q", format=".3f"),
            ],
        )
        .properties(title="Annotator quality", width=420, height=alt.Step(16))
    )


def annotator_drift_chart(
    report: AnnotatorReport, *, annotators: list[str] | None = None, min_labels: int = DRIFT_MIN_LABELS
):
    """Weekly agreement with consensus per annotator; weeks with a significant decline are marked.

    Annotator-weeks with fewer than ``min_labels`` labels on multi-annotated items are left out (too noisy).
    """
    import altair as alt

    data = report.drift
    data = data[data["labels"] >= min_labels]
    if annotators is not None:
        data = data[data["annotator_id"].isin(annotators)]
    flagged = set(report.flagged()["annotator_id"])
    data = data.assign(status=np.where(data["annotator_id"].isin(flagged), "flagged", "other"))
    base = alt.Chart(data).encode(
        x=alt.X("week:O", title="ISO week"),
        y=alt.Y("agreement:Q", title="agreement with consensus", scale=alt.Scale(zero=False)),
        detail="annotator_id:N",
    )
    lines = base.mark_line(opacity=0.6).encode(
        color=alt.Color(
            "status:N", scale=alt.Scale(domain=["other", "flagged"], range=["#bbbbbb", "#e45756"]), title=None
        ),
        tooltip=["annotator_id", "week", "labels", alt.Tooltip("agreement:Q", format=".3f")],
    )
    points = (
        base.transform_filter(alt.datum.declined)
        .mark_point(size=80, color="#e45756", filled=True)
        .encode(
            tooltip=[
                "annotator_id",
                "week",
                alt.Tooltip("agreement:Q", format=".3f"),
                alt.Tooltip("baseline:Q", format=".3f"),
                alt.Tooltip("p_value:Q", format=".1g"),
            ]
        )
    )
    return (lines + points).properties(
        title="Annotator agreement per week (dots: significant decline)", width=520, height=240
    )


def confusion_chart(confusion: pd.DataFrame, annotator_id: str):
    """Heatmap of an annotator's labels against the consensus."""
    import altair as alt

    return (
        alt.Chart(confusion)
        .mark_rect()
        .encode(
            x=alt.X("consensus_label:N", title="consensus label"),
            y=alt.Y("label:N", title=f"{annotator_id}'s label"),
            color=alt.Color("count:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["label", "consensus_label", "count"],
        )
        .properties(title=f"{annotator_id} against consensus", width=300, height=300)
    )


# -- for notebooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatorsOverview:
    """Consensus, annotator report and agreement statistics: what the annotators command writes and the
    notebook shows."""

    report: AnnotatorReport
    agreement: object  # workbench.agreement.Agreement
    consensus: Consensus

    @property
    def default_annotator(self) -> str:
        """The annotator to drill into first: the first flagged one, else the lowest quality."""
        return str(self.report.annotators["annotator_id"].iloc[0])


def annotators_overview(
    store: Store,
    *,
    method: str = "auto",
    classes: list[str] | None = None,
    gold_threshold: float | None = None,
    min_gold_labels: int | None = None,
    week: str | Week | None = None,
    model_version: str | None = None,
    as_of=None,
    seed: int = 0,
    agreement: bool = True,
) -> AnnotatorsOverview:
    """The annotators pipeline: consensus, annotator report and agreement statistics.

    The one function behind ``workbench annotators``, the report's annotators
    section and the annotators notebook, so all three flag the same
    annotators on the same store and configuration. Options left as None take
    ``[annotators]`` in ``workbench.toml``, else this module's constants.
    ``week`` keeps the annotations created before its end (default: all).
    """
    from .agreement import compute_agreement_from_set
    from .config import load_config

    cfg = load_config().get("annotators", {})
    until = None
    if week is not None:
        until = (week if isinstance(week, Week) else Week.parse(week)).end
    annotations = read_annotations(store, classes=classes, until=until, as_of=as_of)
    predictions = read_predictions(store, annotations.classes, model_version=model_version, as_of=as_of)
    gold = read_gold(store, as_of=as_of)
    consensus = consensus_from_annotations(annotations, method=method, predictions=predictions, gold=gold, seed=seed)
    report = annotator_report_from(
        annotations,
        consensus,
        gold=gold,
        kinds=cfg.get("kinds"),
        gold_threshold=float(
            gold_threshold if gold_threshold is not None else cfg.get("gold_threshold", GOLD_THRESHOLD)
        ),
        min_gold_labels=int(
            min_gold_labels if min_gold_labels is not None else cfg.get("min_gold_labels", MIN_GOLD_LABELS)
        ),
    )
    return AnnotatorsOverview(
        report=report,
        agreement=compute_agreement_from_set(annotations) if agreement else None,
        consensus=consensus,
    )


def load_annotators(target: str | None = None, *, method: str = "auto") -> AnnotatorsOverview:
    """:func:`annotators_overview` on a store opened read-only for the call (for notebooks)."""
    with Store.open(target, read_only=True) as store:
        return annotators_overview(store, method=method)


# -- re-annotation priority ------------------------------------------------------------------


def active_learning_scores(store: Store, *, classes: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """ActiveLab scores for every item with predictions: lower means another label is worth more.

    Annotated items are scored from their annotations and the predictions;
    items nobody annotated yet from the predictions alone (Cleanlab's
    ``get_active_learning_scores``, computed over the long table by
    :func:`workbench.crowd_sparse.activelab`). Items without predictions are
    not scored.

    Returns a frame with ``item_id, activelab_score, n_annotations, labeled``,
    lowest score first.
    """
    from .crowd_sparse import LongLabels, activelab

    annotations = read_annotations(store, classes=classes)
    predictions = read_predictions(store, annotations.classes)
    if predictions is None:
        raise BadInputError(
            "ActiveLab scores need predicted probabilities, but the store has no 'predictions' table. "
            "Ingest predictions.parquet with one proba_<label> column per class."
        )
    item, annotator, label, items, annotators = annotations.codes()
    pos = _prediction_rows(predictions, items)
    covered = pos >= 0
    new_index = np.full(len(items), -1)
    new_index[covered] = np.arange(int(covered.sum()))
    keep = covered[item]
    lab = LongLabels.from_arrays(
        new_index[item[keep]],
        annotator[keep],
        label[keep],
        n_items=int(covered.sum()),
        n_annotators=len(annotators),
        n_classes=len(annotations.classes),
    )
    unlabeled = ~predictions.item_id.isin(items) & ~predictions.item_id.duplicated()
    res = activelab(lab, predictions.proba[pos[covered]], predictions.proba[np.asarray(unlabeled)], seed=seed)
    labeled_ids = items[covered]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "item_id": labeled_ids.to_numpy(),
                    "activelab_score": res.scores,
                    "n_annotations": lab.num_annotations(),
                    "labeled": True,
                }
            ),
            pd.DataFrame(
                {
                    "item_id": predictions.item_id[np.asarray(unlabeled)].to_numpy(),
                    "activelab_score": res.scores_unlabeled,
                    "n_annotations": 0,
                    "labeled": False,
                }
            ),
        ],
        ignore_index=True,
    )
    return frame.sort_values(["activelab_score", "item_id"], kind="stable").reset_index(drop=True)
