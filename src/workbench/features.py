"""Feature matrices from the ``items`` table: numeric, categorical one-hot, free text TF-IDF.

Every column of ``items`` that the contract treats as a feature
(:func:`workbench.contract.feature_columns`) is encoded by its kind, decided
by the workbench's one rule (:mod:`workbench.inputs.items`, Evidently's):

numeric
    missing values imputed with the column median, then standardised.
categorical
    one-hot, unknown values ignored at transform time, rare values (fewer
    than ``min_frequency`` items) grouped.
text
    TF-IDF over words, at most ``max_text_features`` terms per column.

The encoding is a scikit-learn ``ColumnTransformer`` (:func:`feature_encoder`),
so a cross-validated model fits it inside each fold. Pass
``kinds={"column": "text", ...}`` to override the inferred kinds.

Example
-------
>>> fm = feature_matrix(items_frame)               # doctest: +SKIP
>>> fm.matrix.shape, fm.kinds["note"]              # doctest: +SKIP
((2037, 101), 'text')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import BadInputError
from .inputs.items import CATEGORICAL, KINDS, NUMERIC, TEXT, frame_kinds, read_items

MAX_TEXT_FEATURES = 2000
MIN_FREQUENCY = 5


@dataclass(frozen=True)
class FeatureMatrix:
    """Encoded features, one row per item in ``item_ids`` order.

    ``matrix`` is a SciPy CSR matrix when text or categorical columns are
    present, otherwise a dense float array. ``kinds`` maps each source column
    to ``numeric``, ``categorical`` or ``text``; ``feature_names`` names the
    encoded columns (``<column>=<value>`` for one-hot, ``<column>:<term>`` for
    TF-IDF).
    """

    item_ids: np.ndarray
    matrix: np.ndarray | sp.csr_matrix
    feature_names: tuple[str, ...]
    kinds: dict[str, str]
    params: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def dense(self, *, max_columns: int = 256, seed: int = 0) -> np.ndarray:
        """A dense float32 array, reduced with truncated SVD when wider than ``max_columns``.

        Neighbour searches (outliers, near-duplicates) need dense vectors;
        TF-IDF can be thousands of columns wide, so wide matrices are projected
        onto their ``max_columns`` leading components.
        """
        m = self.matrix
        if m.shape[1] > max_columns:
            from sklearn.decomposition import TruncatedSVD

            k = min(max_columns, m.shape[0] - 1, m.shape[1] - 1)
            return TruncatedSVD(n_components=max(k, 1), random_state=seed).fit_transform(m).astype(np.float32)
        if sp.issparse(m):
            return np.asarray(m.toarray(), dtype=np.float32)
        return np.asarray(m, dtype=np.float32)

    def to_dict(self) -> dict:
        return {
            "n_items": int(self.matrix.shape[0]),
            "n_features": int(self.matrix.shape[1]),
            "numeric_columns": sum(1 for k in self.kinds.values() if k == "numeric"),
            "categorical_columns": [c for c, k in self.kinds.items() if k == "categorical"],
            "text_columns": [c for c, k in self.kinds.items() if k == "text"],
            "params": dict(self.params),
        }


def infer_kinds(frame: pd.DataFrame, *, columns: list[str] | None = None) -> dict[str, str]:
    """Kind of each feature column of an items frame, by the workbench's one rule.

    See :mod:`workbench.inputs.items` (Evidently's ``infer_column_type``);
    timestamps and other types are not features here.
    """
    return frame_kinds(frame, columns)


def _resolve_kinds(items: pd.DataFrame, kinds: dict[str, str] | None) -> dict[str, str]:
    inferred = infer_kinds(items)
    for col, kind in (kinds or {}).items():
        if col not in items.columns:
            raise BadInputError(
                f"items: feature column {col!r} given in kinds= does not exist; columns: {', '.join(items.columns)}."
            )
        if kind not in (*KINDS, "drop"):
            raise BadInputError(f"kinds[{col!r}]={kind!r} is not one of {', '.join(KINDS)} or 'drop'.")
        inferred[col] = kind
    inferred = {c: k for c, k in inferred.items() if k != "drop"}
    # A text column without a single word cannot be vectorised: leave it out.
    for col in [c for c, k in inferred.items() if k == "text"]:
        if not items[col].fillna("").astype(str).str.contains(r"\w\w", regex=True).any():
            del inferred[col]
    if not inferred:
        raise BadInputError(
            "items: there are no feature columns (every column is item_id, split, source, source_model, "
            "created_at or meta_*). Add feature columns to items, or provide a predictions table."
        )
    return inferred


def prepare_features(items: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The feature columns in the types the encoder expects (stateless, so safe before any split).

    Numeric columns become floats (unparseable values missing), categorical
    ones strings with missing values as ``<missing>``, text strings with
    missing values empty.
    """
    out = {}
    for col, kind in kinds.items():
        s = items[col]
        if kind == NUMERIC:
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
        elif kind == CATEGORICAL:
            out[col] = s.astype(object).where(s.notna(), "<missing>").astype(str)
        else:
            out[col] = s.fillna("").astype(str)
    return pd.DataFrame(out, index=items.index)


def feature_encoder(
    kinds: dict[str, str],
    *,
    max_text_features: int = MAX_TEXT_FEATURES,
    min_frequency: int = MIN_FREQUENCY,
):
    """A scikit-learn ``ColumnTransformer`` encoding prepared features (:func:`prepare_features`).

    Numeric: median imputation and standardisation; categorical: one-hot
    (rare values grouped, unknown values ignored); text: TF-IDF per column.
    Put it in a pipeline before the model so that, under cross-validation,
    every statistic (medians, scales, vocabularies) is fitted on the training
    folds only.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    numeric = [c for c, k in kinds.items() if k == NUMERIC]
    if numeric:
        parts.append(
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()),
                numeric,
            )
        )
    for col in [c for c, k in kinds.items() if k == CATEGORICAL]:
        enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=True)
        parts.append((f"categorical:{col}", enc, [col]))
    for col in [c for c, k in kinds.items() if k == TEXT]:
        parts.append((f"text:{col}", TfidfVectorizer(max_features=max_text_features, sublinear_tf=True), col))
    sparse = any(k != NUMERIC for k in kinds.values())
    return ColumnTransformer(parts, sparse_threshold=1.0 if sparse else 0.0)


def _feature_names(encoder) -> list[str]:
    names: list[str] = []
    for name, transformer, cols in encoder.transformers_:
        if name == "remainder":
            continue
        if name == "numeric":
            names += list(cols)
        elif name.startswith("categorical:"):
            col = cols[0]
            names += [f"{col}={v[len(col) + 1 :]}" for v in transformer.get_feature_names_out([col])]
        else:
            names += [f"{cols}:{t}" for t in transformer.get_feature_names_out()]
    return names


def feature_matrix(
    items: pd.DataFrame,
    *,
    kinds: dict[str, str] | None = None,
    max_text_features: int = MAX_TEXT_FEATURES,
    min_frequency: int = MIN_FREQUENCY,
) -> FeatureMatrix:
    """Encode an ``items`` frame's feature columns into a matrix (the encoder fitted on all rows).

    For unsupervised uses (outliers, near-duplicates). Supervised models
    under cross-validation fit :func:`feature_encoder` inside each fold.

    Parameters
    ----------
    items : DataFrame
        With ``item_id`` and feature columns (other contract columns are ignored).
    kinds : dict, optional
        Override the inferred kind of some columns; a column mapped to
        ``"drop"`` is left out.
    max_text_features, min_frequency
        See the module docstring.

    Raises
    ------
    BadInputError
        When the items have no feature columns, or ``kinds`` names an unknown
        column or kind.
    """
    if "item_id" not in items.columns:
        raise BadInputError("items: column 'item_id' is missing; every item needs an id.")
    inferred = _resolve_kinds(items, kinds)
    encoder = feature_encoder(inferred, max_text_features=max_text_features, min_frequency=min_frequency)
    matrix = encoder.fit_transform(prepare_features(items, inferred))
    if sp.issparse(matrix):
        matrix = sp.csr_matrix(matrix)
    return FeatureMatrix(
        item_ids=items["item_id"].to_numpy(dtype=object),
        matrix=matrix,
        feature_names=tuple(_feature_names(encoder)),
        kinds=inferred,
        params={"max_text_features": max_text_features, "min_frequency": min_frequency},
    )


def load_items(store, *, item_ids=None, columns: list[str] | None = None) -> pd.DataFrame:
    """The ``items`` rows (``item_id`` plus feature columns, or ``columns``), as pandas (see :func:`read_items`)."""
    return read_items(store, item_ids=item_ids, columns=columns)


def store_items(store, item_ids) -> pd.DataFrame:
    """The items ``item_ids`` (``item_id`` plus features), in that order; unknown ids are bad input."""
    items = read_items(store, item_ids=item_ids)
    order = pd.Index(items["item_id"]).get_indexer(list(item_ids))
    missing = np.flatnonzero(order < 0)
    if len(missing):
        ex = ", ".join(repr(list(item_ids)[i]) for i in missing[:5])
        raise BadInputError(f"items: {len(missing)} item id(s) are not in the items table (e.g. {ex}).")
    return items.iloc[order].reset_index(drop=True)


def store_feature_matrix(store, *, item_ids=None, **options) -> FeatureMatrix:
    """:func:`feature_matrix` of the store's items (optionally only ``item_ids``), rows in ``item_ids`` order."""
    items = read_items(store) if item_ids is None else store_items(store, item_ids)
    return feature_matrix(items, **options)
