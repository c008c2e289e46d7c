"""The label-quality result and its pipeline: given labels, predicted probabilities, Cleanlab scores, class health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..results import json_safe
from ..store import Store
from .given import consensus_for_given_labels, given_labels
from .health import class_health, issue_slices
from .probabilities import DEFAULT_FOLDS, predicted_probabilities
from .scoring import DEFAULT_FILTER_BY, DEFAULT_RANK_BY, _check_methods, score_labels

OUTPUT_COLUMNS = ("item_id", "given_label", "suggested_label", "label_quality", "is_label_issue", "rank")


@dataclass(frozen=True)
class LabelQuality:
    """Label errors and label health for one store, keyed by ``item_id``.

    ``issues``: a row per scored item, ordered by ``rank`` (1 = most likely
    wrong). ``classes``: a row per class with the estimated noise rate.
    ``confused_pairs``: class pairs by estimated overlap. ``confusion``:
    given-vs-suggested counts. ``slices``: issue rates per source, split,
    guideline version and annotator (when those columns exist).
    ``counts`` and ``params`` say what was scored, what was skipped and how.
    """

    issues: pd.DataFrame
    classes: pd.DataFrame
    confused_pairs: pd.DataFrame
    confusion: pd.DataFrame
    slices: dict[str, pd.DataFrame]
    health_score: float
    counts: dict
    params: dict

    def to_frame(self) -> pd.DataFrame:
        """The ranked issue table: ``item_id, given_label, suggested_label, label_quality, is_label_issue, rank``."""
        return self.issues[list(OUTPUT_COLUMNS)].copy()

    def to_dict(self, *, top: int = 10) -> dict:
        """A JSON-safe summary with the parameters used (not the full issue table)."""
        return json_safe(
            {
                "health_score": self.health_score,
                "counts": self.counts,
                "params": self.params,
                "classes": self.classes,
                "confused_pairs": self.confused_pairs.head(top),
                "top_issues": self.to_frame().head(top),
                "slices": self.slices,
            }
        )

    def summary_lines(self) -> list[str]:
        c, p = self.counts, self.params
        lines = [
            f"Predicted probabilities: {p['probabilities']}.",
            f"Given labels: {p['consensus']} ({c['labeled_items']:,} labeled items of {c['items']:,}; "
            f"{c['skipped_unlabeled']:,} unlabeled skipped"
            + (f"; {c['skipped_no_prediction']:,} without a prediction skipped" if c["skipped_no_prediction"] else "")
            + ").",
            f"Label health score {self.health_score:.3f}: {c['label_issues']:,} of {c['scored_items']:,} scored items "
            f"flagged ({c['label_issues'] / max(c['scored_items'], 1):.1%}); "
            f"ranked by {p['rank_by']}, flagged by {p['filter_by']}.",
        ]
        worst = self.classes.sort_values("noise_rate", ascending=False).head(3)
        if len(worst):
            lines.append(
                "Noisiest classes: "
                + ", ".join(f"{r['class']} ({r['noise_rate']:.1%})" for _, r in worst.iterrows())
                + "."
            )
        if len(self.confused_pairs):
            lines.append(
                "Most confused pairs: "
                + ", ".join(
                    f"{r['class_a']}/{r['class_b']} ({int(r['items'])})"
                    for _, r in self.confused_pairs.head(3).iterrows()
                )
                + "."
            )
        return lines


def compute_label_quality(
    store: Store,
    *,
    consensus: pd.DataFrame | None = None,
    consensus_method: str | None = None,
    given_by: str = "mv",
    source: str = "auto",
    model_version: str | None = None,
    model=None,
    folds: int = DEFAULT_FOLDS,
    rank_by: str = DEFAULT_RANK_BY,
    filter_by: str = DEFAULT_FILTER_BY,
    seed: int = 0,
    until: datetime | None = None,
    slices: bool = True,
    progress: bool = False,
) -> LabelQuality:
    """Find likely label errors and summarise label health.

    Parameters
    ----------
    store : Store
    consensus, consensus_method, until
        See :func:`given_labels`.
    given_by : {"mv", "auto", "ds", "crowdlab"}
        Without ``consensus``, how items with several annotations get their
        given label: see :func:`consensus_for_given_labels`. The default is
        majority vote: CROWDLAB (what the annotators' ``auto`` picks when
        predictions exist) would check labels against a consensus built from
        the very predictions doing the checking, and on the demo's gold items
        majority vote (0.908) beats Dawid-Skene (0.892), the next choice.
    source, model_version, model, folds, seed
        See :func:`predicted_probabilities`.
    rank_by : {"normalized_margin", "self_confidence", "confidence_weighted_entropy"}
        Cleanlab's label quality score used for ``label_quality`` and ``rank``.
    filter_by : str
        Cleanlab's ``find_label_issues`` filter deciding ``is_label_issue``
        (default ``confident_learning``; Cleanlab's own default is
        ``prune_by_noise_rate``).
    slices : bool
        Compute issue rates per source, split, guideline version and annotator.

    Raises
    ------
    BadInputError
        See :func:`predicted_probabilities`; also an unknown ``rank_by`` or
        ``filter_by``. Nothing is written.
    """
    _check_methods(rank_by, filter_by)
    if consensus is None:
        consensus, consensus_method = consensus_for_given_labels(store, given_by=given_by, until=until, seed=seed)
    given = given_labels(store, consensus=consensus, consensus_method=consensus_method, until=until)
    if given.frame.empty:
        raise BadInputError(
            "annotations: no item has a label yet, so there is nothing to check. Ingest annotations first."
        )
    probs = predicted_probabilities(
        store, given, source=source, model_version=model_version, model=model, folds=folds, seed=seed, progress=progress
    )
    # probs.item_ids follow given.frame's order (by item_id), possibly with rows left out.
    if len(probs.item_ids) == len(given.frame):
        given_str = given.frame["given_label"].to_numpy(dtype=object)
    else:
        given_str = given.frame.set_index("item_id")["given_label"].reindex(probs.item_ids).to_numpy(dtype=object)
    y = pd.Categorical(given_str, categories=list(probs.classes)).codes.astype(np.int64)
    if len(np.unique(y)) < 2:
        raise BadInputError(
            "annotations: the items with predictions hold a single given class; need at least two classes."
        )
    quality, flags, cj = score_labels(y, probs.matrix, rank_by=rank_by, filter_by=filter_by)
    class_arr = np.asarray(probs.classes, dtype=object)
    suggested_code = probs.matrix.argmax(axis=1)
    suggested = class_arr[suggested_code]
    order = np.argsort(quality, kind="stable")  # ties keep item_id order
    issues = pd.DataFrame(
        {
            "item_id": probs.item_ids[order],
            "given_label": given_str[order],
            "suggested_label": suggested[order],
            "label_quality": quality[order],
            "is_label_issue": flags[order],
            "rank": np.arange(1, len(order) + 1, dtype=np.int64),
        }
    )
    health = class_health(y, probs.matrix, probs.classes, flags=flags, confident_joint=cj)
    slice_frames = issue_slices(store, issues, until=until) if slices else {}
    counts = {
        "items": given.n_items,
        "labeled_items": len(given.frame),
        "scored_items": len(issues),
        "skipped_unlabeled": given.n_unlabeled,
        "skipped_no_prediction": int(probs.params.get("missing", 0)),
        "label_issues": int(flags.sum()),
        "classes": len(probs.classes),
    }
    params = {
        "consensus": given.consensus,
        "probabilities": probs.description,
        "probability_source": probs.source,
        "probability_params": {k: v for k, v in probs.params.items() if k != "missing"},
        "rank_by": rank_by,
        "filter_by": filter_by,
        "seed": seed,
        "until": until.isoformat() if until is not None else None,
        "classes": list(probs.classes),
    }
    return LabelQuality(
        issues=issues,
        classes=health.classes,
        confused_pairs=health.confused_pairs,
        confusion=health.confusion,
        slices=slice_frames,
        health_score=health.health_score,
        counts=counts,
        params=params,
    )
