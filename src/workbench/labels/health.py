"""Class-level label health (noise rate per class, confused pairs, given-vs-suggested counts) and issue slices."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
import pandas as pd

from ..store import Store


@dataclass(frozen=True)
class ClassHealth:
    """Cleanlab's class-level view: a row per class, the confused class pairs and the overall health score."""

    classes: pd.DataFrame
    confused_pairs: pd.DataFrame
    confusion: pd.DataFrame
    health_score: float


def class_health(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    classes: tuple[str, ...],
    *,
    flags: np.ndarray,
    confident_joint: np.ndarray,
) -> ClassHealth:
    """Noise rate per class, overlapping class pairs, given-vs-suggested counts and the health score.

    ``labels`` are class codes into ``classes``, ``pred_probs`` the (N, K)
    probabilities, ``flags`` the label-issue flags and ``confident_joint``
    Cleanlab's confident joint computed while scoring (reused, not recomputed).
    """
    from cleanlab.dataset import find_overlapping_classes, overall_label_health_score, rank_classes_by_label_quality

    y, cj = labels, confident_joint
    class_arr = np.asarray(classes, dtype=object)
    suggested_code = pred_probs.argmax(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = rank_classes_by_label_quality(y, pred_probs, confident_joint=cj)
        overlap = find_overlapping_classes(y, pred_probs, confident_joint=cj)
        health = float(overall_label_health_score(y, pred_probs, confident_joint=cj, verbose=False))
    class_counts = np.bincount(y, minlength=len(classes))
    flagged_counts = np.bincount(y[flags], minlength=len(classes))
    frame = pd.DataFrame(
        {
            "class": class_arr[ranked["Class Index"].to_numpy()],
            "items": class_counts[ranked["Class Index"].to_numpy()],
            "flagged": flagged_counts[ranked["Class Index"].to_numpy()],
            "estimated_issues": ranked["Label Issues"].to_numpy(),
            "noise_rate": ranked["Label Noise"].to_numpy(dtype=float),
            "inverse_noise_rate": ranked["Inverse Label Noise"].to_numpy(dtype=float),
            "class_quality": ranked["Label Quality Score"].to_numpy(dtype=float),
        }
    ).sort_values(["noise_rate", "class"], ascending=[False, True], ignore_index=True)
    pairs = pd.DataFrame(
        {
            "class_a": class_arr[overlap["Class Index A"].to_numpy(dtype=int)],
            "class_b": class_arr[overlap["Class Index B"].to_numpy(dtype=int)],
            "items": overlap["Num Overlapping Examples"].to_numpy(dtype=int),
            "joint_probability": overlap["Joint Probability"].to_numpy(dtype=float),
        }
    )
    pairs = pairs[pairs["items"] > 0].reset_index(drop=True)
    k = len(classes)
    cells = np.bincount(y * k + suggested_code, minlength=k * k)
    nonzero = np.flatnonzero(cells)
    confusion = pd.DataFrame(
        {"given_label": class_arr[nonzero // k], "suggested_label": class_arr[nonzero % k], "items": cells[nonzero]}
    )
    return ClassHealth(classes=frame, confused_pairs=pairs, confusion=confusion, health_score=health)


def issue_slices(store: Store, issues: pd.DataFrame, *, until: datetime | None) -> dict[str, pd.DataFrame]:
    """Issue rates per item attribute (source, split) and per annotation attribute (guideline version, annotator).

    Item-level slices count items; annotation-level slices count the items each
    annotator (or guideline version) labeled, plus the share of their
    annotations that differ from the suggested label.
    """
    scored = ibis.memtable(issues[["item_id", "suggested_label", "label_quality", "is_label_issue"]])
    out: dict[str, pd.DataFrame] = {}
    items = store.data("items")
    for col in ("source", "split"):
        if col not in items.columns:
            continue
        j = scored.join(items.select("item_id", col), "item_id")
        frame = (
            j.group_by(col)
            .aggregate(
                items=j.count(),
                label_issues=j.is_label_issue.cast("int64").sum(),
                mean_label_quality=j.label_quality.mean(),
            )
            .execute()
        )
        out[col] = _finish_slice(frame, col)
    ann = store.data("annotations")
    if until is not None and "created_at" in ann.columns:
        ann = ann.filter(ann.created_at < ibis.literal(until))
    for col in ("guideline_version", "annotator_id"):
        if col not in ann.columns:
            continue
        j = ann.select("item_id", col, "label").join(scored, "item_id")
        per = j.group_by([col, "item_id"]).aggregate(
            n=j.count(),
            disagree=(j.label != j.suggested_label).cast("int64").sum(),
            issue=j.is_label_issue.cast("int64").max(),
            quality=j.label_quality.max(),
        )
        frame = (
            per.group_by(col)
            .aggregate(
                items=per.count(),
                annotations=per.n.sum(),
                label_issues=per.issue.sum(),
                mean_label_quality=per.quality.mean(),
                disagree=per.disagree.sum(),
            )
            .execute()
        )
        frame["disagreement_with_suggested"] = frame["disagree"] / frame["annotations"].clip(lower=1)
        out["annotator" if col == "annotator_id" else col] = _finish_slice(frame.drop(columns="disagree"), col)
    return out


def _finish_slice(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    frame = frame.rename(columns={col: "slice"})
    frame["slice"] = frame["slice"].fillna("(none)").astype(str)
    frame.insert(0, "attribute", "annotator" if col == "annotator_id" else col)
    frame["issue_rate"] = frame["label_issues"] / frame["items"].clip(lower=1)
    for c in ("items", "label_issues", "annotations"):
        if c in frame:
            frame[c] = frame[c].astype(int)
    return frame.sort_values(["issue_rate", "slice"], ascending=[False, True], ignore_index=True)
