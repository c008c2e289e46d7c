"""Annotator drift: weekly agreement with the consensus against each annotator's earlier weeks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..inputs.annotations import AnnotationSet
from ..inputs.weeks import iso_week_labels

if TYPE_CHECKING:
    from .consensus import Consensus

DRIFT_ALPHA = 0.01
DRIFT_MIN_DROP = 0.15
DRIFT_MIN_LABELS = 10


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
