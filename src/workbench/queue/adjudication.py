"""Adjudications and pre-label acceptance, from the labels ``ingest-labels`` brought back.

* :func:`adjudicated_labels`: the label that settles each adjudicated item (the latest expert-tier label).
  :func:`apply_adjudications` makes a consensus frame take it over the crowd's, and say so; the annotators
  capability calls it where it builds consensus.
* :func:`crowd_accuracy_on_adjudicated`: each annotator's gold-style accuracy against adjudicated items
  (their own adjudications left out), to join annotator quality.
* :func:`prelabel_acceptance`: per annotator, how often they kept the model's suggestion, beside the
  model's accuracy on the adjudicated and gold items they labeled. Accepting suggestions far more often
  than the suggestions are right is rubber-stamping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..results import json_safe
from .ingest import ADJUDICATIONS_TABLE, LINEAGE_TABLE

ADJUDICATED_COLUMNS = ("item_id", "label", "annotator_id", "queue_id", "adjudicated_at")
RUBBER_STAMP_MARGIN = 0.15
MIN_PRELABELS = 10
MIN_CHECKED = 5


def adjudicated_labels(store) -> pd.DataFrame:
    """One row per adjudicated item: ``item_id, label, annotator_id, queue_id, adjudicated_at`` (the latest).

    Empty (with those columns) when nothing was adjudicated.
    """
    if not store.has(ADJUDICATIONS_TABLE):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ADJUDICATED_COLUMNS})
    t = store.con.table(ADJUDICATIONS_TABLE).execute()
    t = t.sort_values(["adjudicated_at", "ingested_at", "label"], kind="stable")
    return t.drop_duplicates("item_id", keep="last")[list(ADJUDICATED_COLUMNS)].reset_index(drop=True)


def apply_adjudications(consensus: pd.DataFrame, adjudicated: pd.DataFrame) -> pd.DataFrame:
    """``consensus`` (``item_id, consensus_label, ...``) with adjudicated items taking the adjudicated label.

    Adjudicated items get ``consensus_quality`` 1.0, ``method`` ``"adjudicated"`` and ``adjudicated`` True;
    the crowd's label is kept as ``crowd_label``. The input is not changed.
    """
    out = consensus.copy()
    out["crowd_label"] = out["consensus_label"]
    out["adjudicated"] = False
    if adjudicated.empty:
        return out
    settled = adjudicated.set_index("item_id")["label"]
    hit = out["item_id"].isin(settled.index)
    out.loc[hit, "consensus_label"] = out.loc[hit, "item_id"].map(settled)
    if "consensus_quality" in out.columns:
        out.loc[hit, "consensus_quality"] = 1.0
    if "method" in out.columns:
        out["method"] = out["method"].astype(object)
        out.loc[hit, "method"] = "adjudicated"
    out.loc[hit, "adjudicated"] = True
    return out


def _latest_labels(store) -> pd.DataFrame:
    from ..inputs.annotations import latest_annotations

    return latest_annotations(store, columns=["item_id", "annotator_id", "label"]).execute()


def crowd_accuracy_on_adjudicated(store) -> pd.DataFrame:
    """Per annotator: ``annotator_id, n_adjudicated, adjudicated_accuracy`` against adjudicated items.

    An adjudicator's own label on the item it settled is left out.
    """
    adj = adjudicated_labels(store)
    cols = ["annotator_id", "n_adjudicated", "adjudicated_accuracy"]
    if adj.empty or not store.has("annotations"):
        return pd.DataFrame(columns=cols)
    ann = _latest_labels(store).merge(
        adj[["item_id", "label", "annotator_id"]].rename(columns={"label": "ref", "annotator_id": "by"}), on="item_id"
    )
    ann = ann[ann["annotator_id"] != ann["by"]]
    if ann.empty:
        return pd.DataFrame(columns=cols)
    ann["correct"] = ann["label"] == ann["ref"]
    out = ann.groupby("annotator_id").agg(n_adjudicated=("correct", "size"), adjudicated_accuracy=("correct", "mean"))
    return out.reset_index()


@dataclass(frozen=True)
class PrelabelAcceptance:
    """Pre-label acceptance per annotator; ``to_frame()`` is keyed by ``annotator_id``.

    Columns: ``n_prelabeled`` (labels given with a model suggestion shown), ``acceptance_rate`` (share that
    kept it), ``n_checked`` (of those, on adjudicated or gold items), ``annotator_accuracy`` and
    ``model_accuracy`` there, ``accepted_when_wrong`` (share of the wrong suggestions kept), and
    ``rubber_stamping`` with its ``reason``: acceptance exceeds the model's accuracy by at least
    ``margin`` on at least ``min_prelabels`` suggestions, ``min_checked`` of them checked.
    """

    frame: pd.DataFrame
    margin: float = RUBBER_STAMP_MARGIN
    min_prelabels: int = MIN_PRELABELS
    min_checked: int = MIN_CHECKED
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict:
        return json_safe(
            {
                "annotators": self.frame,
                "margin": self.margin,
                "min_prelabels": self.min_prelabels,
                "min_checked": self.min_checked,
                "notes": self.notes,
            }
        )

    def summary_lines(self) -> list[str]:
        if self.frame.empty:
            return ["pre-label acceptance: no label came back with a model suggestion yet"]
        flagged = self.frame[self.frame["rubber_stamping"]]
        lines = [
            f"pre-label acceptance: {len(self.frame)} annotator(s), overall "
            f"{np.average(self.frame['acceptance_rate'], weights=self.frame['n_prelabeled']):.0%} of suggestions kept"
        ]
        lines += [f"  {r.annotator_id}: {r.reason}" for r in flagged.itertuples()]
        return lines + [f"  note: {n}" for n in self.notes]


def prelabel_acceptance(
    store, *, margin: float = RUBBER_STAMP_MARGIN, min_prelabels: int = MIN_PRELABELS, min_checked: int = MIN_CHECKED
) -> PrelabelAcceptance:
    """Acceptance of the model's suggestions per annotator, beside the model's accuracy on checked items."""
    from ..inputs.predictions import read_gold

    cols = [
        "annotator_id",
        "n_prelabeled",
        "acceptance_rate",
        "n_checked",
        "annotator_accuracy",
        "model_accuracy",
        "accepted_when_wrong",
        "rubber_stamping",
        "reason",
    ]
    if not store.has(LINEAGE_TABLE):
        return PrelabelAcceptance(pd.DataFrame(columns=cols), margin, min_prelabels, min_checked)
    lin = store.con.table(LINEAGE_TABLE).execute()
    lin = lin[lin["suggested_label"].notna()].sort_values("created_at")
    lin = lin.drop_duplicates(["item_id", "annotator_id"], keep="last")
    if lin.empty:
        return PrelabelAcceptance(pd.DataFrame(columns=cols), margin, min_prelabels, min_checked)
    reference = pd.Series(dtype=object)
    gold = read_gold(store)
    if gold is not None:
        reference = gold.astype(str)
    adj = adjudicated_labels(store)
    if len(adj):
        reference = pd.concat([reference, adj.set_index("item_id")["label"]])
        reference = reference[~reference.index.duplicated(keep="last")]
    lin["ref"] = lin["item_id"].map(reference)
    lin["kept"] = lin["suggested_label"] == lin["label"]
    rows = []
    for annotator, g in lin.groupby("annotator_id", sort=True):
        checked = g[g["ref"].notna()]
        wrong = checked[checked["suggested_label"] != checked["ref"]]
        rate = float(g["kept"].mean())
        model_acc = float((checked["suggested_label"] == checked["ref"]).mean()) if len(checked) else np.nan
        own_acc = float((checked["label"] == checked["ref"]).mean()) if len(checked) else np.nan
        kept_wrong = float(wrong["kept"].mean()) if len(wrong) else np.nan
        flag = bool(len(g) >= min_prelabels and len(checked) >= min_checked and rate - model_acc >= margin)
        reason = (
            f"kept {rate:.0%} of {len(g)} suggestions while the model was right on {model_acc:.0%} of the "
            f"{len(checked)} checked items (kept {kept_wrong:.0%} of its wrong ones): rubber-stamping"
            if flag
            else ""
        )
        rows.append([annotator, len(g), rate, len(checked), own_acc, model_acc, kept_wrong, flag, reason])
    return PrelabelAcceptance(pd.DataFrame(rows, columns=cols), margin, min_prelabels, min_checked)
