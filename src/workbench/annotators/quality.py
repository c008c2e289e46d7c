"""Annotator quality: agreement with the consensus, accuracy on gold with its Wilson interval, and flags."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..inputs.annotations import AnnotationSet, annotator_kinds
from ..inputs.weeks import iso_week_labels
from ..results import json_safe
from .consensus import Consensus
from .drift import DRIFT_ALPHA, DRIFT_MIN_DROP, annotator_drift

GOLD_THRESHOLD = 0.75
MIN_GOLD_LABELS = 20
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

    def to_frame(self) -> pd.DataFrame:
        """A row per annotator, keyed by ``annotator_id``: :data:`ANNOTATOR_COLUMNS` plus ``gold_labels`` and
        ``declined_from_week``, flagged annotators first."""
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
        """The consensus used, each flagged annotator with the reason, and the accuracy on gold."""
        lines = self.consensus.summary_lines()
        flagged = self.flagged()
        if len(flagged):
            for r in flagged.itertuples():
                lines.append(f"Flagged {r.annotator_id}: {r.flag_reason}.")
        else:
            lines.append("No annotator is flagged.")
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
