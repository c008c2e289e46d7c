"""Out-of-sample predicted probabilities: the ``predictions`` table, or K-fold cross-validation on the item features."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..choices import PROBA_SOURCES
from ..contract import proba_columns
from ..errors import BadInputError
from ..inputs.predictions import model_versions, prediction_table
from ..store import Store
from .given import GivenLabels

DEFAULT_FOLDS = 5


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

    from ..features import _resolve_kinds, feature_encoder, prepare_features, store_items

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
