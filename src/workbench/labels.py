"""Label errors: which given labels are likely wrong, and where they cluster.

Three inputs, each read from the store and recorded in the result:

* **given labels** (:func:`given_labels`): the single annotation of an item, or
  the consensus of several. The default consensus is
  :func:`workbench.inputs.vote.majority_vote`; a caller with a better consensus
  (for example from the annotator models) passes it as a frame.
* **out-of-sample predicted probabilities** (:func:`predicted_probabilities`):
  the ``predictions`` table when present, otherwise K-fold cross-validated
  probabilities of a scikit-learn model on the item features
  (:mod:`workbench.features`).
* the **Cleanlab** options: how to score (``rank_by``) and which items to flag
  (``filter_by``).

:func:`compute_label_quality` returns a :class:`LabelQuality`: one row per
labeled item (``item_id, given_label, suggested_label, label_quality,
is_label_issue, rank``), class-level health (estimated noise rate per class,
the most confused class pairs, an overall health score) and the share of
flagged items sliced by source, split, guideline version and annotator.

The ranking is by ``label_quality`` (lower means more likely wrong), not by the
flag: on real data some of the lowest-scoring items are not flagged.
``normalized_margin`` is the default score because it ranked validated errors
best on the public label-error benchmarks (see ``bench/README.md``);
``confidence_weighted_entropy`` ranks poorly on some of them. The default flag
is Cleanlab's ``confident_learning`` filter, which flagged fewer items at equal
or higher precision than Cleanlab's default ``prune_by_noise_rate`` there.

Example
-------
>>> with Store.open("data/workbench.duckdb", read_only=True) as store:   # doctest: +SKIP
...     result = compute_label_quality(store)
>>> result.to_frame().head()                                             # doctest: +SKIP
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import ibis
import numpy as np
import pandas as pd

from .choices import CONSENSUS_METHODS, FILTER_METHODS, PROBA_SOURCES, RANK_METHODS
from .contract import proba_columns
from .errors import BadInputError
from .inputs.annotations import latest_annotations
from .inputs.predictions import prediction_table
from .inputs.vote import majority_vote_table
from .store import Store

if TYPE_CHECKING:
    import altair as alt

DEFAULT_RANK_BY = "normalized_margin"
DEFAULT_FILTER_BY = "confident_learning"
DEFAULT_FOLDS = 5
GIVEN_BY = CONSENSUS_METHODS


def consensus_for_given_labels(
    store: Store, *, given_by: str = "auto", until: datetime | None = None, seed: int = 0
) -> tuple[pd.DataFrame | None, str | None]:
    """The annotators' consensus to use as given labels, or ``(None, None)`` for plain majority vote.

    ``auto`` is :func:`workbench.annotators.consensus_labels`'s ``auto`` rule
    *without* CROWDLAB: CROWDLAB builds its consensus from the same predicted
    probabilities that then score the labels, so checking labels against it
    would be circular (it can still be asked for with ``crowdlab``). When no
    item has two annotations there is nothing to resolve and the single
    annotations are the given labels.
    """
    if given_by not in GIVEN_BY:
        raise BadInputError(f"--given-by {given_by!r}: choose one of {', '.join(GIVEN_BY)}.")
    if given_by == "mv":
        return None, None
    ann = store.data("annotations")
    if until is not None and "created_at" in ann.columns:
        ann = ann.filter(ann.created_at < ibis.literal(until))
    max_n = ann.group_by("item_id").aggregate(n=ann.count()).n.max().execute()
    if max_n is None or pd.isna(max_n) or int(max_n) < 2:
        return None, None
    from .annotators import consensus_from_annotations
    from .inputs.annotations import read_annotations
    from .inputs.predictions import read_gold, read_predictions

    annotations = read_annotations(store, until=until)
    predictions = read_predictions(store, annotations.classes) if given_by == "crowdlab" else None
    result = consensus_from_annotations(
        annotations, method=given_by, predictions=predictions, gold=read_gold(store), seed=seed
    )
    frame = result.to_frame()
    reason = result.reason or ""
    if given_by == "auto" and store.has("predictions"):
        reason = reason.replace(
            "no predictions for CROWDLAB", "CROWDLAB left out: it would reuse the predictions being checked"
        )
    return frame, f"{result.method} ({reason})" if reason else result.method


OUTPUT_COLUMNS = ("item_id", "given_label", "suggested_label", "label_quality", "is_label_issue", "rank")
WIDTH = 560


# -- given labels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenLabels:
    """The label each annotated item is taken to have.

    ``frame`` has ``item_id``, ``given_label``, ``n_annotations`` and
    ``agreement`` (share of the item's annotations that gave that label).
    ``consensus`` names how several annotations were combined.
    """

    frame: pd.DataFrame
    consensus: str
    n_items: int
    n_unlabeled: int
    classes: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "consensus": self.consensus,
            "n_items": self.n_items,
            "n_labeled": len(self.frame),
            "n_unlabeled": self.n_unlabeled,
            "classes": list(self.classes),
        }


def given_labels(
    store: Store,
    *,
    consensus: pd.DataFrame | None = None,
    consensus_method: str | None = None,
    until: datetime | None = None,
    as_of=None,
) -> GivenLabels:
    """The given label per annotated item.

    Parameters
    ----------
    store : Store
    consensus : DataFrame, optional
        ``item_id``, ``consensus_label`` computed by the caller (for example a
        Dawid-Skene consensus). Without it, items with one annotation keep it
        and items with several get :func:`~workbench.inputs.vote.majority_vote`
        (whose tie rule is documented there).
    consensus_method : str, optional
        Name recorded for a caller-provided ``consensus`` (default
        ``consensus.attrs["method"]``, else the values of its ``method``
        column, else ``"provided by caller"``).
    until : datetime, optional
        Only annotations created before this instant (naive UTC) count.
    as_of : datetime, optional
        Only rows ingested by then count (the store as it was known then).

    Each annotator's latest label of an item counts once
    (:func:`~workbench.inputs.annotations.latest_annotations`).

    Items without annotations are not labeled; they are counted in
    ``n_unlabeled``.
    """
    # One label per annotator and item (the latest), as every capability reads them.
    ann = latest_annotations(store, until=until, as_of=as_of, columns=None)
    items = store.data("items", as_of=as_of)
    if until is not None and "created_at" in items.columns:
        items = items.filter(items.created_at.isnull() | (items.created_at < ibis.literal(until)))
    n_items = int(items.count().execute())
    known = set(ann.select("label").distinct().execute()["label"].dropna())
    if store.has("gold"):
        known |= set(store.data("gold").select("label").distinct().execute()["label"].dropna())
    # min == max tells "every annotation agrees" more cheaply than counting distinct labels.
    per_item = ann.group_by("item_id").aggregate(
        n_annotations=ann.count(), unanimous=ann.label.min() == ann.label.max(), any_label=ann.label.max()
    )
    if consensus is not None:
        frame = _provided_consensus(consensus, per_item, known)
        named = sorted(set(consensus["method"].dropna().astype(str))) if "method" in consensus.columns else []
        method = consensus_method or consensus.attrs.get("method") or ", ".join(named) or "provided by caller"
    else:
        # One pass over the annotations: items where every annotation agrees keep that label;
        # only the disputed items go through majority_vote in memory.
        counts = per_item.order_by("item_id").to_pyarrow()
        item_id = counts.column("item_id").to_numpy(zero_copy_only=False)
        unanimous = counts.column("unanimous").to_numpy(zero_copy_only=False).astype(bool)
        n_annotations = counts.column("n_annotations").to_numpy(zero_copy_only=False)
        all_agree = bool(unanimous.all())
        agreed = pd.DataFrame(
            {
                "item_id": item_id if all_agree else item_id[unanimous],
                "given_label": counts.column("any_label").to_numpy(zero_copy_only=False)[unanimous],
                "n_annotations": n_annotations if all_agree else n_annotations[unanimous],
                "agreement": 1.0,
            }
        )
        if not all_agree:
            disputed_ids = ibis.memtable(pd.DataFrame({"item_id": item_id[~unanimous]}))
            cols = ["item_id", "label"] + (["created_at"] if "created_at" in ann.columns else [])
            mv = (
                majority_vote_table(ann.select(*cols).semi_join(disputed_ids, "item_id"))
                .execute()
                .rename(columns={"consensus_label": "given_label"})
            )
            frame = pd.concat([agreed, mv[["item_id", "given_label", "n_annotations", "agreement"]]], ignore_index=True)
            frame = frame.sort_values("item_id", kind="stable")
        else:
            frame = agreed  # already ordered by item_id
        several = bool((n_annotations > 1).any())
        del counts
        method = "majority_vote" if several else "single annotation"
    if consensus is not None:
        frame = frame.sort_values("item_id", kind="stable")
    if frame["given_label"].isna().any():
        frame = frame.dropna(subset=["given_label"])
    frame = frame.reset_index(drop=True)
    frame["n_annotations"] = frame["n_annotations"].astype(np.int64)
    return GivenLabels(
        frame=frame,
        consensus=str(method),
        n_items=n_items,
        n_unlabeled=max(n_items - len(frame), 0),
        classes=tuple(sorted(known)),
    )


def _provided_consensus(consensus: pd.DataFrame, per_item: ibis.Table, known: set) -> pd.DataFrame:
    missing = [c for c in ("item_id", "consensus_label") if c not in consensus.columns]
    if missing:
        raise BadInputError(
            f"consensus: column(s) {', '.join(missing)} missing; pass a frame with item_id and consensus_label "
            f"(found: {', '.join(map(str, consensus.columns))})."
        )
    frame = consensus[["item_id", "consensus_label"]].rename(columns={"consensus_label": "given_label"}).copy()
    frame["item_id"] = frame["item_id"].astype(str)
    frame["given_label"] = frame["given_label"].map(lambda v: None if pd.isna(v) else str(v))
    dup = frame["item_id"].duplicated()
    if dup.any():
        raise BadInputError(
            f"consensus: {int(dup.sum())} item_id(s) appear more than once "
            f"(e.g. {frame.loc[dup, 'item_id'].iloc[0]!r}); "
            "give one consensus_label per item."
        )
    unknown = sorted(set(frame["given_label"].dropna()) - known)
    if unknown:
        raise BadInputError(
            f"consensus: consensus_label value(s) {', '.join(map(repr, unknown[:5]))} "
            "are not labels in the annotations; "
            f"known labels: {', '.join(sorted(known))}."
        )
    counts = per_item.select("item_id", "n_annotations").execute()
    frame = frame.merge(counts, on="item_id", how="inner")
    frame["agreement"] = np.nan
    return frame


# -- predicted probabilities ----------------------------------------------------------------------


@dataclass(frozen=True)
class PredictedProbabilities:
    """Out-of-sample predicted probabilities, a row per item in ``item_ids`` order, a column per class."""

    item_ids: np.ndarray
    classes: tuple[str, ...]
    matrix: np.ndarray
    source: str  # "predictions" or "cross_validation"
    description: str
    params: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.matrix, columns=[f"proba_{c}" for c in self.classes])
        out.insert(0, "item_id", self.item_ids)
        return out


def predicted_probabilities(
    store: Store,
    given: GivenLabels,
    *,
    source: str = "auto",
    model_version: str | None = None,
    model=None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    progress: bool = False,
) -> PredictedProbabilities:
    """Predicted probabilities for the given-labeled items.

    ``source="auto"`` uses the ``predictions`` table when the store has one,
    otherwise cross-validation (``folds`` folds, ``model`` a scikit-learn
    classifier with ``predict_proba``; default a logistic regression). Items
    without a prediction row are left out (see ``LabelQuality.counts``).

    Raises
    ------
    BadInputError
        Probability columns for labels no annotation uses, given labels
        without a probability column, a single class, fewer labeled items
        than folds, or no features to cross-validate on.
    """
    if source not in PROBA_SOURCES:
        raise BadInputError(f"probability source {source!r} is not one of {', '.join(PROBA_SOURCES)}.")
    labels = given.frame
    present = sorted(labels["given_label"].unique())
    if len(present) < 2:
        only = present[0] if present else "none"
        raise BadInputError(
            f"annotations: the given labels hold a single class ({only!r}); finding label errors needs at least "
            "two classes. Add annotations of the other classes."
        )
    use_table = source == "predictions" or (source == "auto" and store.has("predictions"))
    if use_table:
        if not store.has("predictions"):
            raise BadInputError(
                "predictions: the store has no predictions table; ingest predictions.csv or use cross-validation."
            )
        return _from_predictions(store, given, model_version=model_version)
    return _cross_validated(store, given, model=model, folds=folds, seed=seed, progress=progress)


def _from_predictions(
    store: Store, given: GivenLabels, *, model_version: str | None, as_of=None
) -> PredictedProbabilities:
    t = store.data("predictions", as_of=as_of)
    cols = proba_columns(t.columns)
    known = set(given.classes)
    unknown = [c for c in cols if c not in known]
    if unknown:
        raise BadInputError(
            f"predictions: column {cols[unknown[0]]!r} gives probabilities for label(s) "
            f"{', '.join(map(repr, unknown))} "
            f"that no annotation uses (known labels: {', '.join(given.classes)}). Rename or drop those columns."
        )
    absent = sorted(set(given.frame["given_label"]) - set(cols))
    if absent:
        raise BadInputError(
            f"predictions: no probability column for given label(s) {', '.join(map(repr, absent))}; "
            f"add proba_<label> for every labeled class (found {', '.join(cols.values())})."
        )
    from .inputs.predictions import model_versions

    versions = model_versions(store, as_of=as_of)
    t, chosen = prediction_table(store, model_version=model_version, as_of=as_of)
    classes = tuple(sorted(cols))
    # Arrow straight to NumPy: a (N, K) float array without a wide pandas frame in between.
    # Ordered by item_id like the given labels: when both hold the same items, no re-indexing is needed.
    table = t.select("item_id", *[cols[c] for c in classes]).order_by("item_id").to_pyarrow()
    ids = table.column("item_id").to_numpy(zero_copy_only=False)
    wanted = given.frame["item_id"].to_numpy(dtype=object)
    if len(ids) == len(wanted) and (ids == wanted).all():
        keep = np.ones(len(wanted), dtype=bool)
        take = None
    else:
        index = pd.Index(ids)
        if not index.is_unique:
            dup = index[index.duplicated()][0]
            raise BadInputError(
                f"predictions: item_id {dup!r} has more than one row for the same model_version; keep one row per item."
            )
        pos = index.get_indexer(wanted)
        keep = pos >= 0
        take = pos[keep]
    matrix = np.empty((int(keep.sum()), len(classes)), dtype=np.float64)
    for j, c in enumerate(classes):
        column = table.column(cols[c]).to_numpy(zero_copy_only=False)
        matrix[:, j] = column if take is None else column[take]
    del table
    sums = matrix.sum(axis=1)
    bad = ~(np.isfinite(sums) & (sums > 0))  # a NaN or inf anywhere in a row shows in its sum
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix /= sums[:, None]  # renormalise in place
    if bad.any():
        ex = given.frame["item_id"].to_numpy()[keep][bad][:3]
        raise BadInputError(
            f"predictions: {int(bad.sum())} row(s) have missing or all-zero probabilities "
            f"(e.g. item_id {', '.join(map(repr, ex))}); "
            "fix those rows."
        )
    description = "predictions table" + (f" (model_version {chosen})" if chosen else "")
    return PredictedProbabilities(
        item_ids=given.frame["item_id"].to_numpy(dtype=object)[keep],
        classes=classes,
        matrix=matrix,
        source="predictions",
        description=description,
        params={"model_version": chosen, "stored_model_versions": versions, "missing": int((~keep).sum())},
    )


def default_model(seed: int = 0):
    """The cross-validation model: a multinomial logistic regression (scaled inputs come from features)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=0.1, max_iter=1000, random_state=seed)


def _cross_validated(
    store, given: GivenLabels, *, model, folds: int, seed: int, progress: bool
) -> PredictedProbabilities:
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from tqdm.auto import tqdm

    from .features import _resolve_kinds, feature_encoder, prepare_features, store_items

    n = len(given.frame)
    if folds < 2:
        raise BadInputError(f"--folds {folds}: cross-validation needs at least 2 folds.")
    if n < folds:
        raise BadInputError(
            f"annotations: only {n} labeled item(s), fewer than the {folds} cross-validation folds. "
            "Label more items, lower --folds, or provide a predictions table."
        )
    y = given.frame["given_label"].to_numpy(dtype=object)
    classes = tuple(sorted(set(y)))
    items = store_items(store, given.frame["item_id"].tolist())
    kinds = _resolve_kinds(items, None)
    X = prepare_features(items, kinds)
    model = default_model(seed) if model is None else model
    index = {c: j for j, c in enumerate(classes)}
    proba = np.zeros((n, len(classes)))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(cv.split(np.zeros(n), y))
    n_encoded = 0
    for train, test in tqdm(splits, desc="cross-validating", unit="fold", disable=not progress):
        # Scaling, one-hot and TF-IDF are fitted on the training folds only: the held-out fold
        # must not shape its own features.
        est = make_pipeline(feature_encoder(kinds), clone(model))
        est.fit(X.iloc[train], y[train])
        p = est.predict_proba(X.iloc[test])
        cols = [index[c] for c in est.classes_]
        proba[np.ix_(test, cols)] = p
        n_encoded = max(n_encoded, len(est[0].get_feature_names_out()))
    proba = proba / proba.sum(axis=1, keepdims=True)
    counts = pd.Series(kinds).value_counts().to_dict()
    kinds_text = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    return PredictedProbabilities(
        item_ids=given.frame["item_id"].to_numpy(dtype=object),
        classes=classes,
        matrix=proba,
        source="cross_validation",
        description=(
            f"{folds}-fold cross-validation of {type(model).__name__} on up to {n_encoded} encoded features "
            f"({kinds_text} column(s), encoded within each fold), seed {seed}"
        ),
        params={
            "model": repr(model),
            "folds": folds,
            "seed": seed,
            "features": {"kinds": kinds, "n_encoded": n_encoded},
            "missing": 0,
        },
    )


# -- Cleanlab on arrays --------------------------------------------------------------------------


def _check_methods(rank_by: str, filter_by: str) -> None:
    if rank_by not in RANK_METHODS:
        raise BadInputError(f"--rank-by {rank_by!r} is not one of {', '.join(RANK_METHODS)}.")
    if filter_by not in FILTER_METHODS:
        raise BadInputError(f"--filter-by {filter_by!r} is not one of {', '.join(FILTER_METHODS)}.")


def score_labels(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    rank_by: str = DEFAULT_RANK_BY,
    filter_by: str = DEFAULT_FILTER_BY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cleanlab on position-aligned arrays: ``(label_quality, is_label_issue, confident_joint)``.

    ``labels`` are class indices 0..K-1, ``pred_probs`` an (N, K) array.
    """
    from cleanlab.count import compute_confident_joint
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    _check_methods(rank_by, filter_by)
    labels = np.asarray(labels)
    pred_probs = np.asarray(pred_probs)
    if pred_probs.ndim != 2 or labels.shape != (pred_probs.shape[0],):
        raise BadInputError(
            f"labels (shape {labels.shape}) and pred_probs (shape {pred_probs.shape}) must be (N,) and (N, K)."
        )
    if (
        not np.issubdtype(labels.dtype, np.integer)
        or len(labels)
        and (labels.min() < 0 or labels.max() >= pred_probs.shape[1])
    ):
        raise BadInputError(f"labels must be class indices 0..{pred_probs.shape[1] - 1}.")
    if not np.isfinite(pred_probs.sum(axis=1)).all():
        raise BadInputError("pred_probs holds missing or infinite values.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Cleanlab warns about rare classes; the counts are in the result
        quality = _quality_scores(labels, pred_probs, rank_by, get_label_quality_scores)
        if filter_by == "confident_learning":
            cj, flags = _confident_learning(labels, pred_probs)
        else:
            cj = compute_confident_joint(labels, pred_probs, calibrate=True)
            flags = find_label_issues(labels, pred_probs, filter_by=filter_by, confident_joint=cj, n_jobs=1)
    return np.asarray(quality, dtype=float), np.asarray(flags, dtype=bool), cj


def _quality_scores(labels: np.ndarray, pred_probs: np.ndarray, method: str, fallback) -> np.ndarray:
    """Cleanlab's per-example scores, calling the scoring function directly.

    Equal to ``get_label_quality_scores(labels, pred_probs, method=method)``
    (whose defaults do not adjust the probabilities) without its per-call
    input validation, which costs more than the score itself at 1M items;
    the inputs are validated here once. The tests compare both.
    """
    from cleanlab import rank

    direct = {
        "normalized_margin": getattr(rank, "get_normalized_margin_for_each_label", None),
        "self_confidence": getattr(rank, "get_self_confidence_for_each_label", None),
        "confidence_weighted_entropy": getattr(rank, "get_confidence_weighted_entropy_for_each_label", None),
    }.get(method)
    if direct is None:
        return fallback(labels, pred_probs, method=method)
    return direct(labels, pred_probs)


def _confident_learning(labels: np.ndarray, pred_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cleanlab's ``filter_by="confident_learning"`` with the confident joint computed once, not twice.

    Same steps as ``cleanlab.filter.find_label_issues``: flag the off-diagonal
    examples of the calibrated confident joint, then unflag those whose
    predicted probability of the given label is close to the maximum. The
    tests compare the flags with Cleanlab's own call.
    """
    from cleanlab.count import compute_confident_joint

    try:
        from cleanlab.filter import _reduce_issues
    except ImportError:  # a Cleanlab without the helper: use the public call (computes the joint twice)
        from cleanlab.filter import find_label_issues

        cj = compute_confident_joint(labels, pred_probs, calibrate=True)
        return cj, find_label_issues(labels, pred_probs, filter_by="confident_learning", n_jobs=1)
    cj, off_diagonal = compute_confident_joint(labels, pred_probs, calibrate=True, return_indices_of_off_diagonals=True)
    flags = np.zeros(len(labels), dtype=bool)
    flags[off_diagonal] = True
    flags[_reduce_issues(pred_probs=pred_probs, labels=labels)] = False
    return cj, flags


# -- the result -----------------------------------------------------------------------------------


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

        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

        return {
            "health_score": _json_value(self.health_score),
            "counts": {k: _json_value(v) for k, v in self.counts.items()},
            "params": self.params,
            "classes": records(self.classes),
            "confused_pairs": records(self.confused_pairs.head(top)),
            "top_issues": records(self.to_frame().head(top)),
            "slices": {k: records(v) for k, v in self.slices.items()},
        }

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


def _json_value(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


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
    from cleanlab.dataset import find_overlapping_classes, overall_label_health_score, rank_classes_by_label_quality

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

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = rank_classes_by_label_quality(y, probs.matrix, confident_joint=cj)
        overlap = find_overlapping_classes(y, probs.matrix, confident_joint=cj)
        health = float(overall_label_health_score(y, probs.matrix, confident_joint=cj, verbose=False))
    class_counts = np.bincount(y, minlength=len(probs.classes))
    flagged_counts = np.bincount(y[flags], minlength=len(probs.classes))
    classes = pd.DataFrame(
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
    k = len(probs.classes)
    cells = np.bincount(y * k + suggested_code, minlength=k * k)
    nonzero = np.flatnonzero(cells)
    confusion = pd.DataFrame(
        {"given_label": class_arr[nonzero // k], "suggested_label": class_arr[nonzero % k], "items": cells[nonzero]}
    )

    slice_frames = _slices(store, issues, until=until) if slices else {}
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
        classes=classes,
        confused_pairs=pairs,
        confusion=confusion,
        slices=slice_frames,
        health_score=health,
        counts=counts,
        params=params,
    )


def _slices(store: Store, issues: pd.DataFrame, *, until: datetime | None) -> dict[str, pd.DataFrame]:
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


# -- context for browsing -------------------------------------------------------------------------


def item_context(store: Store, item_ids=None) -> pd.DataFrame:
    """Per-item attributes to filter and inspect issues by.

    One row per item: ``item_id``, ``source``/``split`` when present, ``week``
    (ISO week of the item's first annotation), ``annotators`` and
    ``guideline_versions`` (comma-separated, sorted) and ``labels`` (every
    label given, ``annotator:label``).
    """
    ann = store.data("annotations")
    if item_ids is not None:
        ann = ann.filter(ann.item_id.isin(list(item_ids)))
    # Aggregated in the backend: one row per item reaches pandas.
    order = [ann.created_at, ann.annotator_id] if "created_at" in ann.columns else [ann.annotator_id]
    aggs = {"labels": (ann.annotator_id.concat(":", ann.label)).group_concat(", ", order_by=order)}
    if "created_at" in ann.columns:
        aggs["first_at"] = ann.created_at.min()
    out = ann.group_by("item_id").aggregate(**aggs)
    who = ann.select("item_id", "annotator_id").distinct()
    who = who.group_by("item_id").aggregate(annotators=who.annotator_id.group_concat(",", order_by=who.annotator_id))
    out = out.join(who, "item_id")
    if "guideline_version" in ann.columns:
        gv = ann.filter(ann.guideline_version.notnull()).select("item_id", "guideline_version").distinct()
        gv = gv.group_by("item_id").aggregate(
            guideline_versions=gv.guideline_version.group_concat(",", order_by=gv.guideline_version)
        )
        out = out.left_join(gv, "item_id").drop("item_id_right")
    out = out.order_by("item_id").execute().set_index("item_id")
    out = out[["annotators", "labels", *[c for c in ("guideline_versions", "first_at") if c in out.columns]]]
    if "guideline_versions" in out:
        out["guideline_versions"] = out["guideline_versions"].fillna("")
    if "first_at" in out:
        from .inputs.weeks import Week

        weeks = {ts: str(Week.of(ts)) for ts in out["first_at"].dropna().dt.floor("D").unique()}
        out["week"] = out["first_at"].dt.floor("D").map(weeks)
        out = out.drop(columns="first_at")
    out = out.reset_index()
    items = store.data("items")
    item_cols = [c for c in ("source", "split") if c in items.columns]
    if item_cols:
        it = items.select("item_id", *item_cols)
        if item_ids is not None:
            it = it.filter(it.item_id.isin(list(item_ids)))
        out = out.merge(it.execute(), on="item_id", how="left")
    return out


def filter_issues(
    result: LabelQuality,
    context: pd.DataFrame,
    *,
    classes: list[str] | None = None,
    annotators: list[str] | None = None,
    sources: list[str] | None = None,
    guideline_versions: list[str] | None = None,
    weeks: list[str] | None = None,
    only_flagged: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """The ranked issue table joined with ``context`` and narrowed by the filters (``None`` = no filter).

    A class filter matches the given or the suggested label; annotator and
    guideline filters match an item when any of its annotations does.
    ``limit`` keeps the best-ranked rows only.
    """
    frame = result.to_frame().merge(context, on="item_id", how="left")
    keep = np.ones(len(frame), dtype=bool)
    if classes:
        keep &= (frame["given_label"].isin(classes) | frame["suggested_label"].isin(classes)).to_numpy()
    if sources and "source" in frame:
        keep &= frame["source"].isin(sources).to_numpy()
    if weeks and "week" in frame:
        keep &= frame["week"].isin(weeks).to_numpy()
    for col, wanted in (("annotators", annotators), ("guideline_versions", guideline_versions)):
        if wanted and col in frame:
            sets = frame[col].fillna("").str.split(",")
            keep &= sets.map(lambda s, w=set(wanted): bool(w.intersection(s))).to_numpy()
    if only_flagged:
        keep &= frame["is_label_issue"].to_numpy()
    frame = frame[keep].reset_index(drop=True)
    return frame if limit is None else frame.head(limit)


# -- charts -------------------------------------------------------------------------------------


def class_health_chart(result: LabelQuality) -> alt.Chart:
    """Estimated noise rate per class (share of the class's given labels estimated wrong)."""
    import altair as alt

    data = result.classes[["class", "items", "flagged", "noise_rate"]]
    return (
        alt.Chart(data, title="Estimated label noise per class")
        .mark_bar()
        .encode(
            y=alt.Y("class:N", sort="-x", title="given class"),
            x=alt.X("noise_rate:Q", axis=alt.Axis(format="%"), title="estimated noise rate"),
            tooltip=["class", "items", "flagged", alt.Tooltip("noise_rate:Q", format=".1%")],
        )
        .properties(width=WIDTH)
    )


def confusion_chart(result: LabelQuality) -> alt.Chart:
    """Heatmap of given versus suggested label (a cell per class pair, item counts)."""
    import altair as alt

    data = result.confusion.copy()
    data["agrees"] = data["given_label"] == data["suggested_label"]
    classes = list(result.params["classes"])
    base = alt.Chart(data, title="Given versus suggested label").encode(
        x=alt.X("suggested_label:N", sort=classes, title="suggested label"),
        y=alt.Y("given_label:N", sort=classes, title="given label"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("items:Q", scale=alt.Scale(type="log", scheme="blues"), title="items"),
        tooltip=["given_label", "suggested_label", "items"],
    )
    text = base.mark_text(fontSize=9).encode(
        text="items:Q", color=alt.condition("datum.agrees", alt.value("white"), alt.value("black"))
    )
    return (cells + text).properties(width=WIDTH * 0.7, height=WIDTH * 0.7)


def score_distribution_chart(result: LabelQuality, *, bins: int = 40) -> alt.Chart:
    """Histogram of ``label_quality`` (pre-binned), flagged and unflagged items stacked."""
    import altair as alt

    q = result.issues["label_quality"].to_numpy()
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, q, side="right") - 1, 0, bins - 1)
    flags = result.issues["is_label_issue"].to_numpy()
    rows = []
    for flagged in (True, False):
        counts = np.bincount(idx[flags == flagged], minlength=bins)
        rows.append(
            pd.DataFrame(
                {
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    "items": counts,
                    "flag": "flagged as label issue" if flagged else "not flagged",
                }
            )
        )
    data = pd.concat(rows, ignore_index=True)
    data = data[data["items"] > 0]
    return (
        alt.Chart(data, title=f"Label quality scores ({result.params['rank_by']})")
        .mark_bar()
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="label quality (lower = more likely wrong)"),
            x2="bin_end:Q",
            y=alt.Y("items:Q", stack=True),
            color=alt.Color("flag:N", title=None, scale=alt.Scale(range=["#d62728", "#9ecae1"])),
            tooltip=["flag", "items", alt.Tooltip("bin_start:Q", format=".3f"), alt.Tooltip("bin_end:Q", format=".3f")],
        )
        .properties(width=WIDTH)
    )


def slice_chart(result: LabelQuality, attribute: str) -> alt.Chart:
    """Issue rate per value of one slice attribute (``source``, ``split``, ``guideline_version``, ``annotator``)."""
    import altair as alt

    data = result.slices[attribute]
    return (
        alt.Chart(data, title=f"Label issue rate by {attribute}")
        .mark_bar()
        .encode(
            y=alt.Y("slice:N", sort="-x", title=attribute),
            x=alt.X("issue_rate:Q", axis=alt.Axis(format="%"), title="share of items flagged"),
            tooltip=["slice", "items", "label_issues", alt.Tooltip("issue_rate:Q", format=".1%")],
        )
        .properties(width=WIDTH / 2)
    )


# -- for notebooks and apps: open the store for one call, never keep a connection ------------------


@dataclass(frozen=True)
class LabelQualityView:
    """A :class:`LabelQuality` with the per-item context and the filter choices a notebook offers."""

    result: LabelQuality
    context: pd.DataFrame
    choices: dict[str, list[str]]
    store: str


def load_label_quality(target: str | None = None, **options) -> LabelQualityView:
    """Open the store read-only, run :func:`compute_label_quality` (``options`` passed on) and close it."""
    with Store.open(target, read_only=True) as store:
        result = compute_label_quality(store, **options)
        context = item_context(store)
        name = store.target

    def values(col: str, *, split: bool = False) -> list[str]:
        if col not in context:
            return []
        s = context[col].dropna().astype(str)
        if split:
            s = s.str.split(",").explode()
        return sorted(v for v in s.unique() if v)

    choices = {
        "classes": list(result.params["classes"]),
        "annotators": values("annotators", split=True),
        "sources": values("source"),
        "guideline_versions": values("guideline_versions", split=True),
        "weeks": values("week"),
    }
    return LabelQualityView(result=result, context=context, choices=choices, store=name)


def item_details(target: str | None, item_ids, *, max_numeric: int = 8) -> dict[str, pd.DataFrame]:
    """The items and annotations behind ``item_ids`` (for a details panel).

    ``items``: reserved, metadata and non-numeric feature columns, plus at most
    ``max_numeric`` numeric features (wide numeric vectors are summarised by
    their count in ``numeric_features``). ``annotations``: every annotation of
    those items, oldest first.
    """
    ids = [str(i) for i in item_ids]
    with Store.open(target, read_only=True) as store:
        items = store.data("items")
        items = items.filter(items.item_id.isin(ids)).execute()
        ann = store.data("annotations")
        ann = ann.filter(ann.item_id.isin(ids))
        ann = ann.order_by([c for c in ("item_id", "created_at") if c in ann.columns]).execute()
    from .contract import feature_columns

    numeric = [c for c in feature_columns(items.columns) if pd.api.types.is_numeric_dtype(items[c])]
    drop = numeric[max_numeric:] if len(numeric) > max_numeric else []
    items = items.drop(columns=drop)
    if drop:
        items["numeric_features"] = len(numeric)
    order = {v: i for i, v in enumerate(ids)}
    items = items.sort_values("item_id", key=lambda s: s.map(order)).reset_index(drop=True)
    return {"items": items, "annotations": ann.reset_index(drop=True)}
