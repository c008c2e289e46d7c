"""Annotator quality: agreement with the others' majority, gold accuracy judged by its Wilson interval,
speeders, label-mix divergence, declines, and the flags with their reasons."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..inputs.annotations import AnnotationSet, annotator_kinds
from ..inputs.weeks import iso_week_labels
from ..results import json_safe
from .consensus import Consensus
from .drift import DECLINE_FDR, DRIFT_MIN_DROP, annotator_drift
from .peers import (
    LABEL_MIX_MIN_DIVERGENCE,
    SPEEDER_MIN_LABELS,
    SPEEDER_RATIO,
    label_mix_divergence,
    others_majority,
    speed_ratios,
)

GOLD_THRESHOLD = 0.75
GOLD_CONFIDENCE = 0.95
GOLD_STATUSES = ("below", "ok", "undecided", "no_gold")
ANNOTATOR_COLUMNS = [
    "annotator_id",
    "kind",
    "n_labels",
    "quality",
    "agreement_with_consensus",
    "agreement_items",
    "gold_accuracy",
    "gold_ci_low",
    "gold_ci_high",
    "gold_labels",
    "gold_status",
    "gold_labels_needed",
    "declined_from_week",
    "duration_ratio",
    "speeder",
    "label_mix_divergence",
    "label_mix_p_adjusted",
    "flagged",
    "flag_reason",
]


def wilson_interval(successes: np.ndarray, n: np.ndarray, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions, element-wise (NaN where ``n`` is 0).

    A thin vectorised wrapper of statsmodels' ``proportion_confint(method="wilson")``: the reference
    implementation the tests compare with, so the interval has one definition rather than a copy of its
    formula here; the wrapper only keeps ``n == 0`` (no gold labels) as NaN instead of a division warning.
    """
    from statsmodels.stats.proportion import proportion_confint

    n = np.asarray(n, dtype=float)
    s = np.asarray(successes, dtype=float)
    low = np.full(np.broadcast(s, n).shape, np.nan)
    high = low.copy()
    ok = np.broadcast_to(n > 0, low.shape)
    if ok.any():
        s_ok, n_ok = np.broadcast_to(s, low.shape)[ok], np.broadcast_to(n, low.shape)[ok]
        low[ok], high[ok] = proportion_confint(s_ok, n_ok, alpha=1 - confidence, method="wilson")
    return low, high


def gold_status(
    hits: np.ndarray, n: np.ndarray, *, threshold: float = GOLD_THRESHOLD, confidence: float = GOLD_CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Gold verdict per annotator from the Wilson interval, and how many more gold labels would settle it.

    ``below`` when the whole interval lies below ``threshold``, ``ok`` when it lies wholly at or above it,
    ``undecided`` when it straddles it, ``no_gold`` without gold labels.

    ``gold_labels_needed`` (0 when settled, NaN for ``no_gold`` or an accuracy exactly at the threshold):
    the Wilson interval is the inversion of the score test, so it excludes ``t`` exactly when
    ``|p - t| > z * sqrt(t (1 - t) / n)``; at the observed accuracy ``p`` that holds once
    ``n > z**2 t (1 - t) / (p - t)**2``. The count needed is that smallest ``n`` minus the gold labels
    already given: a planning figure (it assumes the accuracy stays as observed), not a promise.
    """
    from scipy.stats import norm

    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    low, high = wilson_interval(hits, n, confidence=confidence)
    status = np.where(
        n == 0, "no_gold", np.where(high < threshold, "below", np.where(low >= threshold, "ok", "undecided"))
    )
    z = norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        n_settle = np.floor(z**2 * threshold * (1 - threshold) / (p - threshold) ** 2) + 1
    needed = np.where(status == "undecided", np.maximum(n_settle - n, 1), 0.0)
    needed = np.where((status == "no_gold") | ((status == "undecided") & ~np.isfinite(n_settle)), np.nan, needed)
    return status.astype(object), needed


@dataclass(frozen=True)
class AnnotatorReport:
    """Consensus, per-annotator quality and calibration, drift, and the annotations behind them."""

    consensus: Consensus
    annotators: pd.DataFrame  # ANNOTATOR_COLUMNS
    drift: pd.DataFrame
    labels: pd.DataFrame  # item_id, annotator_id, label, consensus_label, others_label, comparable, agrees, week?
    params: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def flagged(self) -> pd.DataFrame:
        return self.annotators[self.annotators["flagged"]]

    def undecided_gold(self) -> pd.DataFrame:
        """Annotators whose gold interval straddles the threshold: too little gold to judge."""
        return self.annotators[self.annotators["gold_status"] == "undecided"]

    def confusion(self, annotator_id: str) -> pd.DataFrame:
        """Counts of (the annotator's label, consensus label) over the annotator's items."""
        sub = self.labels[self.labels["annotator_id"] == annotator_id]
        if sub.empty:
            raise BadInputError(f"Annotator {annotator_id!r} has no annotations in table 'annotations'.")
        out = sub.groupby(["label", "consensus_label"]).size().rename("count").reset_index()
        return out.sort_values("count", ascending=False).reset_index(drop=True)

    def disagreements(self, annotator_id: str) -> pd.DataFrame:
        """The annotator's items whose consensus label differs from the annotator's label."""
        keep = ["item_id", "annotator_id", "label", "consensus_label", "others_label", "created_at", "week"]
        sub = self.labels[
            (self.labels["annotator_id"] == annotator_id) & (self.labels["label"] != self.labels["consensus_label"])
        ]
        sub = sub[[c for c in keep if c in sub.columns]]
        cons = self.consensus.frame.set_index("item_id")
        out = sub.merge(cons[["consensus_quality", "n_annotations", "agreement"]], left_on="item_id", right_index=True)
        return out.sort_values("consensus_quality", ascending=False).reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """A row per annotator, keyed by ``annotator_id``: :data:`ANNOTATOR_COLUMNS`, flagged annotators first."""
        return self.annotators.copy()

    def to_dict(self) -> dict:
        return json_safe(
            {
                "consensus": self.consensus.to_dict(),
                "annotators": self.annotators,
                "drift": self.drift,
                "params": self.params,
                "notes": list(self.notes),
            }
        )

    def summary_lines(self) -> list[str]:
        """The consensus used, each flagged annotator with the reason, too little gold, the accuracy on gold."""
        lines = self.consensus.summary_lines()
        flagged = self.flagged()
        if len(flagged):
            for r in flagged.itertuples():
                lines.append(f"Flagged {r.annotator_id}: {r.flag_reason}.")
        else:
            lines.append("No annotator is flagged.")
        threshold = self.params.get("gold_threshold", GOLD_THRESHOLD)
        undecided = self.undecided_gold()
        if len(undecided):
            each = ", ".join(
                f"{r.annotator_id} ({int(r.gold_labels):,} gold labels, {r.gold_accuracy:.1%}, 95% CI "
                f"{r.gold_ci_low:.1%}-{r.gold_ci_high:.1%}"
                + (
                    f"; ~{int(r.gold_labels_needed):,} more would settle it"
                    if np.isfinite(r.gold_labels_needed)
                    else ""
                )
                + ")"
                for r in undecided.itertuples()
            )
            lines.append(f"Too little gold to judge against {threshold:.0%} (the interval covers it): {each}.")
        gold_rows = self.annotators[self.annotators["gold_labels"] > 0]
        if len(gold_rows):
            acc = np.average(gold_rows["gold_accuracy"], weights=gold_rows["gold_labels"])
            lines.append(
                f"Gold accuracy over {int(gold_rows['gold_labels'].sum()):,} gold labels: {acc:.1%} "
                f"(per annotator {gold_rows['gold_accuracy'].min():.1%} to {gold_rows['gold_accuracy'].max():.1%})."
            )
        return lines

    # charts
    def quality_chart(self):
        from .charts import annotator_quality_chart

        return annotator_quality_chart(self)

    def drift_chart(self):
        from .charts import annotator_drift_chart

        return annotator_drift_chart(self)

    def confusion_chart(self, annotator_id: str):
        from .charts import confusion_chart

        return confusion_chart(self.confusion(annotator_id), annotator_id)


def _fmt_p(p: float) -> str:
    return f"{p:.1g}" if p >= 1e-3 else f"{p:.0e}"


def annotator_report_from(
    annotations: AnnotationSet,
    consensus: Consensus,
    *,
    gold: pd.Series | None = None,
    kinds: dict[str, list[str]] | None = None,
    gold_threshold: float = GOLD_THRESHOLD,
    decline_fdr: float = DECLINE_FDR,
    drift_min_drop: float = DRIFT_MIN_DROP,
    speeder_ratio: float = SPEEDER_RATIO,
    label_mix_min_divergence: float = LABEL_MIX_MIN_DIVERGENCE,
) -> AnnotatorReport:
    """Per-annotator quality, gold calibration, declines, speeders and label-mix divergence, given a consensus.

    ``annotations.frame`` may carry ``duration_s`` (seconds per annotation) for the speeder check.
    Each rule and its defaults are described in :mod:`workbench.annotators`.
    """
    frame = annotations.frame
    item, annotator, label, items, annotator_ids = annotations.codes()
    k = len(annotations.classes)
    classes = np.asarray(annotations.classes, dtype=object)
    cons_label = consensus.label_of()
    labels = frame[
        [
            c
            for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version", "duration_s")
            if c in frame.columns
        ]
    ].copy()
    labels["consensus_label"] = labels["item_id"].map(cons_label).to_numpy()
    others, comparable = others_majority(item, label, n_items=len(items), n_classes=k)
    labels["others_label"] = np.where(comparable, classes[np.maximum(others, 0)], None)
    labels["comparable"] = comparable
    labels["agrees"] = comparable & (others == label)
    if "created_at" in labels.columns:
        labels["week"] = iso_week_labels(labels["created_at"]).to_numpy()
    m = len(annotator_ids)
    n_labels = np.bincount(annotator, minlength=m)
    agreement_items = np.bincount(annotator, weights=comparable, minlength=m).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = np.bincount(annotator, weights=labels["agrees"].to_numpy(), minlength=m) / agreement_items
    agreement = np.where(agreement_items > 0, agreement, np.nan)
    out = pd.DataFrame(
        {
            "annotator_id": np.asarray(annotator_ids, dtype=object),
            "kind": annotator_kinds(annotator_ids, kinds),
            "n_labels": n_labels,
            "quality": pd.Index(annotator_ids).map(consensus.annotator_quality).to_numpy(dtype=float),
            "agreement_with_consensus": agreement,
            "agreement_items": agreement_items,
        }
    )
    # Gold: the Wilson interval decides, however few or many gold labels there are.
    if gold is not None and len(gold):
        gold_label = labels["item_id"].map(gold).to_numpy()
        on_gold = pd.notna(gold_label)
        n_gold = np.bincount(annotator, weights=on_gold, minlength=m).astype(int)
        hits = np.bincount(annotator, weights=on_gold & (labels["label"].to_numpy() == gold_label), minlength=m)
    else:
        n_gold = np.zeros(m, dtype=int)
        hits = np.zeros(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["gold_accuracy"] = np.where(n_gold > 0, hits / np.maximum(n_gold, 1), np.nan)
    out["gold_ci_low"], out["gold_ci_high"] = wilson_interval(hits, n_gold, confidence=GOLD_CONFIDENCE)
    out["gold_labels"] = n_gold
    out["gold_status"], out["gold_labels_needed"] = gold_status(hits, n_gold, threshold=gold_threshold)
    # Declines (change points with BH control over every annotator-week).
    drift = annotator_drift(labels, fdr=decline_fdr, min_drop=drift_min_drop)
    declined = drift[drift["declined"].astype(bool)]
    out["declined_from_week"] = out["annotator_id"].map(declined.groupby("annotator_id")["week"].min()).to_numpy()
    # Speed: the annotator's time over the peers' on the same (consensus) classes.
    if "duration_s" in labels.columns:
        cons_code = pd.Categorical(labels["consensus_label"], categories=list(annotations.classes)).codes
        duration = pd.to_numeric(labels["duration_s"], errors="coerce").to_numpy(dtype=float)
        duration = np.where(cons_code >= 0, duration, np.nan)
        ratio, timed = speed_ratios(annotator, np.maximum(cons_code, 0), duration, n_annotators=m, n_classes=k)
    else:
        ratio, timed = np.full(m, np.nan), np.zeros(m, dtype=int)
    peers_agreement = float(np.nanmedian(agreement)) if np.isfinite(agreement).any() else np.nan
    out["duration_ratio"] = ratio
    out["speeder"] = (
        (timed >= SPEEDER_MIN_LABELS)
        & (np.nan_to_num(ratio, nan=np.inf) < speeder_ratio)
        & (np.nan_to_num(agreement, nan=np.inf) < peers_agreement)
    )
    mix = label_mix_divergence(
        item,
        annotator,
        label,
        n_items=len(items),
        n_annotators=m,
        n_classes=k,
        fdr=decline_fdr,
        min_divergence=label_mix_min_divergence,
    )
    out["label_mix_divergence"] = mix["label_mix_divergence"].to_numpy()
    out["label_mix_p_adjusted"] = mix["label_mix_p_adjusted"].to_numpy()
    reasons: list[str] = []
    for i, r in enumerate(out.itertuples()):
        why = []
        if r.gold_status == "below":
            why.append(
                f"gold: accuracy {r.gold_accuracy:.1%} on {r.gold_labels} gold labels, 95% CI "
                f"{r.gold_ci_low:.1%}-{r.gold_ci_high:.1%} wholly below {gold_threshold:.0%}: re-calibration needed"
            )
        if isinstance(r.declined_from_week, str):
            d = drift[(drift["annotator_id"] == r.annotator_id) & (drift["week"] == r.declined_from_week)].iloc[0]
            why.append(
                f"decline: agreement with the others' majority dropped from {d['baseline']:.1%} "
                f"({int(d['baseline_labels'])} labels before) to {d['since_agreement']:.1%} since "
                f"{r.declined_from_week} ({int(d['since_labels'])} labels), by "
                f"{d['baseline'] - d['since_agreement']:.1%}; BH-adjusted p = {_fmt_p(d['p_adjusted'])} "
                f"< {decline_fdr:g} over {int(drift['p_adjusted'].notna().sum()):,} annotator-week tests"
            )
        if r.speeder:
            why.append(
                f"speeder: median time {r.duration_ratio:.0%} of the peers' on the same classes "
                f"(below {speeder_ratio:.0%}) with agreement {r.agreement_with_consensus:.1%} under the "
                f"annotators' median {peers_agreement:.1%}"
            )
        if mix["label_mix_divergent"].iloc[i]:
            cls = classes[int(mix["over_class"].iloc[i])]
            why.append(
                f"label mix: gives {cls!r} on {mix['own_share'].iloc[i]:.1%} of {int(mix['mix_items'].iloc[i])} "
                f"shared items where the others give it on {mix['peer_share'].iloc[i]:.1%} (divergence "
                f"{r.label_mix_divergence:.2f} >= {label_mix_min_divergence:g}; BH-adjusted p = "
                f"{_fmt_p(r.label_mix_p_adjusted)} < {decline_fdr:g})"
            )
        reasons.append("; ".join(why))
    out["flag_reason"] = reasons
    out["flagged"] = out["flag_reason"] != ""
    out = out[ANNOTATOR_COLUMNS]
    out = out.sort_values(["flagged", "quality"], ascending=[False, True], na_position="last").reset_index(drop=True)
    notes = list(consensus.notes)
    if gold is None or not len(gold):
        notes.append("No gold table: gold accuracy and re-calibration flags are not available.")
    if "duration_s" not in labels.columns or not (timed > 0).any():
        notes.append("No duration_s in the annotations: the speeder check did not run.")
    return AnnotatorReport(
        consensus=consensus,
        annotators=out,
        drift=drift,
        labels=labels,
        params={
            "gold_threshold": gold_threshold,
            "gold_confidence": GOLD_CONFIDENCE,
            "decline_fdr": decline_fdr,
            "drift_min_drop": drift_min_drop,
            "speeder_ratio": speeder_ratio,
            "label_mix_min_divergence": label_mix_min_divergence,
            **consensus.params,
        },
        notes=tuple(dict.fromkeys(notes)),
    )


def with_durations(annotations: AnnotationSet, durations: pd.DataFrame | None) -> AnnotationSet:
    """The annotation set with ``duration_s`` joined on (item_id, annotator_id); unchanged without durations."""
    if durations is None or durations.empty or "duration_s" not in durations.columns:
        return annotations
    d = durations.drop_duplicates(["item_id", "annotator_id"], keep="last").set_index(["item_id", "annotator_id"])
    keys = pd.MultiIndex.from_arrays([annotations.frame["item_id"], annotations.frame["annotator_id"]])
    frame = annotations.frame.assign(duration_s=d["duration_s"].reindex(keys).to_numpy(dtype=float))
    return dataclasses.replace(annotations, frame=frame)
