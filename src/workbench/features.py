"""Feature matrices from the ``items`` table: numeric, categorical one-hot, free text TF-IDF.

Every column of ``items`` that the contract treats as a feature
(:func:`workbench.contract.feature_columns`) is encoded by kind:

numeric
    numbers and booleans; missing values imputed with the column median and
    standardised.
categorical
    strings with few words per value; one-hot, unknown values ignored at
    transform time, rare values (fewer than ``min_frequency`` items) grouped.
text
    strings whose values hold several words on average (``text_min_words``);
    TF-IDF over words, at most ``max_text_features`` terms per column.

The kinds are decided from the data and recorded in the result; pass
``kinds={"column": "text", ...}`` to override.

Example
-------
>>> fm = feature_matrix(items_frame)               # doctest: +SKIP
>>> fm.matrix.shape, fm.kinds["note"]              # doctest: +SKIP
((2037, 101), 'text')
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .contract import feature_columns
from .errors import BadInputError

KINDS = ("numeric", "categorical", "text")
TEXT_MIN_WORDS = 3.0
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


def infer_kinds(
    frame: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    text_min_words: float = TEXT_MIN_WORDS,
) -> dict[str, str]:
    """Decide ``numeric`` / ``categorical`` / ``text`` for each feature column of an items frame."""
    cols = feature_columns(frame.columns) if columns is None else list(columns)
    kinds: dict[str, str] = {}
    for col in cols:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            kinds[col] = "numeric"
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            continue  # timestamps are not features here
        values = s.dropna().astype(str)
        if values.empty:
            kinds[col] = "categorical"
            continue
        sample = values.sample(min(len(values), 5000), random_state=0) if len(values) > 5000 else values
        words = sample.str.split().str.len().mean()
        kinds[col] = "text" if words >= text_min_words else "categorical"
    return kinds


def feature_matrix(
    items: pd.DataFrame,
    *,
    kinds: dict[str, str] | None = None,
    max_text_features: int = MAX_TEXT_FEATURES,
    min_frequency: int = MIN_FREQUENCY,
    text_min_words: float = TEXT_MIN_WORDS,
) -> FeatureMatrix:
    """Encode an ``items`` frame's feature columns into a matrix.

    Parameters
    ----------
    items : DataFrame
        With ``item_id`` and feature columns (other contract columns are ignored).
    kinds : dict, optional
        Override the inferred kind of some columns; a column mapped to
        ``"drop"`` is left out.
    max_text_features, min_frequency, text_min_words
        See the module docstring.

    Raises
    ------
    BadInputError
        When the items have no feature columns, or ``kinds`` names an unknown
        column or kind.
    """
    if "item_id" not in items.columns:
        raise BadInputError("items: column 'item_id' is missing; every item needs an id.")
    inferred = infer_kinds(items, text_min_words=text_min_words)
    for col, kind in (kinds or {}).items():
        if col not in items.columns:
            raise BadInputError(
                f"items: feature column {col!r} given in kinds= does not exist; columns: {', '.join(items.columns)}."
            )
        if kind not in (*KINDS, "drop"):
            raise BadInputError(f"kinds[{col!r}]={kind!r} is not one of {', '.join(KINDS)} or 'drop'.")
        inferred[col] = kind
    inferred = {c: k for c, k in inferred.items() if k != "drop"}
    if not inferred:
        raise BadInputError(
            "items: there are no feature columns (every column is item_id, split, source, source_model, "
            "created_at or meta_*). Add feature columns to items, or provide a predictions table."
        )

    blocks: list = []
    names: list[str] = []
    numeric = [c for c, k in inferred.items() if k == "numeric"]
    if numeric:
        values = items[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-empty column: median is NaN, imputed 0
            med = np.nanmedian(values, axis=0) if len(values) else np.zeros(len(numeric))
        med = np.where(np.isnan(med), 0.0, med)
        values = np.where(np.isnan(values), med, values)
        std = values.std(axis=0)
        values = (values - values.mean(axis=0)) / np.where(std > 0, std, 1.0)
        blocks.append(values)
        names += numeric
    sparse_needed = False
    for col in [c for c, k in inferred.items() if k == "categorical"]:
        from sklearn.preprocessing import OneHotEncoder

        enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=True)
        vals = items[[col]].astype(object).where(items[[col]].notna(), "<missing>").astype(str)
        blocks.append(enc.fit_transform(vals))
        names += [f"{col}={v[len(col) + 1 :]}" for v in enc.get_feature_names_out([col])]
        sparse_needed = True
    for col in [c for c, k in inferred.items() if k == "text"]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(max_features=max_text_features, sublinear_tf=True)
        text = items[col].fillna("").astype(str)
        try:
            blocks.append(vec.fit_transform(text))
        except ValueError:  # empty vocabulary: no words at all
            continue
        names += [f"{col}:{t}" for t in vec.get_feature_names_out()]
        sparse_needed = True
    if not blocks:
        raise BadInputError("items: the feature columns hold no usable values (all empty).")
    if sparse_needed:
        matrix = sp.hstack([sp.csr_matrix(b) if not sp.issparse(b) else b for b in blocks], format="csr")
    else:
        matrix = np.hstack(blocks)
    return FeatureMatrix(
        item_ids=items["item_id"].to_numpy(dtype=object),
        matrix=matrix,
        feature_names=tuple(names),
        kinds=inferred,
        params={
            "max_text_features": max_text_features,
            "min_frequency": min_frequency,
            "text_min_words": text_min_words,
        },
    )


def load_items(store, *, item_ids=None, columns: list[str] | None = None) -> pd.DataFrame:
    """The ``items`` rows (``item_id`` plus feature columns, or ``columns``) from a store, as pandas.

    ``item_ids`` restricts the rows (a list, array or an ibis column expression).
    """
    t = store.data("items")
    cols = ["item_id", *(feature_columns(t.columns) if columns is None else [c for c in columns if c != "item_id"])]
    t = t.select(*cols)
    if item_ids is not None:
        ids = list(item_ids)
        t = t.filter(t.item_id.isin(ids))
    return t.execute()


def store_feature_matrix(store, *, item_ids=None, **options) -> FeatureMatrix:
    """:func:`feature_matrix` of the store's items (optionally only ``item_ids``), rows in ``item_ids`` order."""
    items = load_items(store, item_ids=item_ids)
    if item_ids is not None:
        order = pd.Index(items["item_id"]).get_indexer(list(item_ids))
        missing = np.flatnonzero(order < 0)
        if len(missing):
            ex = ", ".join(repr(list(item_ids)[i]) for i in missing[:5])
            raise BadInputError(f"items: {len(missing)} item id(s) are not in the items table (e.g. {ex}).")
        items = items.iloc[order].reset_index(drop=True)
    return feature_matrix(items, **options)
