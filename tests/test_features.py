"""Feature matrices: kinds, encodings against scikit-learn references, alignment, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from workbench.errors import BadInputError
from workbench.features import feature_matrix, infer_kinds, store_feature_matrix


@pytest.fixture(scope="module")
def items(demo_dir) -> pd.DataFrame:
    return pd.read_parquet(demo_dir / "items.parquet")


def test_kinds_on_demo(items):
    kinds = infer_kinds(items)
    assert kinds["device"] == "categorical"
    assert kinds["note"] == "text"
    assert all(kinds[f"pixel_{i:02d}"] == "numeric" for i in range(64))
    assert not {"item_id", "split", "source", "source_model", "created_at", "meta_batch"} & set(kinds)


def test_matrix_blocks(items):
    before = items.copy()
    fm = feature_matrix(items)
    pd.testing.assert_frame_equal(items, before)  # not mutated
    assert sp.issparse(fm.matrix)
    assert fm.shape[0] == len(items)
    assert list(fm.item_ids) == items["item_id"].tolist()
    names = list(fm.feature_names)
    assert names[:64] == [f"pixel_{i:02d}" for i in range(64)]
    devices = sorted(items["device"].unique())
    assert names[64 : 64 + len(devices)] == [f"device={d}" for d in devices]
    assert all(n.startswith("note:") for n in names[64 + len(devices) :])
    dense = fm.matrix.toarray()
    # numeric: standardised
    np.testing.assert_allclose(dense[:, :64].mean(axis=0), 0, atol=1e-9)
    # one-hot: exactly one device per row, matching the value
    onehot = dense[:, 64 : 64 + len(devices)]
    assert (onehot.sum(axis=1) == 1).all()
    assert (np.asarray(devices)[onehot.argmax(axis=1)] == items["device"].to_numpy()).all()
    # TF-IDF equals scikit-learn's with the same settings
    ref = TfidfVectorizer(max_features=2000, sublinear_tf=True).fit_transform(items["note"]).toarray()
    np.testing.assert_allclose(dense[:, 64 + len(devices) :], ref, atol=1e-12)


def test_missing_values_and_overrides():
    frame = pd.DataFrame(
        {
            "item_id": ["a", "b", "c", "d"],
            "x": [1.0, np.nan, 3.0, 5.0],
            "flag": [True, False, True, False],
            "colour": ["red", None, "red", "red"],  # 1 distinct of 3: categorical (2 of 3 would be text)
            "meta_x": [1, 2, 3, 4],
            "split": ["train"] * 4,
        }
    )
    fm = feature_matrix(frame, min_frequency=1)
    assert fm.kinds == {"x": "numeric", "flag": "categorical", "colour": "categorical"}
    dense = fm.matrix.toarray()
    # the NaN is imputed with the median (3.0), then standardised with the others
    x = np.array([1.0, 3.0, 3.0, 5.0])
    np.testing.assert_allclose(dense[:, 0], (x - x.mean()) / x.std())
    assert "colour=<missing>" in fm.feature_names
    assert "flag=True" in fm.feature_names  # bool is categorical, as in Evidently
    fm2 = feature_matrix(frame, kinds={"colour": "drop", "flag": "drop"})
    assert fm2.kinds == {"x": "numeric"}
    assert isinstance(fm2.matrix, np.ndarray)


def test_bad_input():
    with pytest.raises(BadInputError, match="no feature columns"):
        feature_matrix(pd.DataFrame({"item_id": ["a"], "split": ["train"]}))
    with pytest.raises(BadInputError, match="does not exist"):
        feature_matrix(pd.DataFrame({"item_id": ["a"], "x": [1.0]}), kinds={"y": "numeric"})
    with pytest.raises(BadInputError, match="is not one of"):
        feature_matrix(pd.DataFrame({"item_id": ["a"], "x": [1.0]}), kinds={"x": "image"})


def test_dense_reduces_wide_matrices():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    text = [" ".join(rng.choice(words, 6)) for _ in range(300)]
    fm = feature_matrix(pd.DataFrame({"item_id": [f"i{i}" for i in range(300)], "text": text}))
    assert fm.kinds == {"text": "text"} and fm.shape[1] > 256
    dense = fm.dense(max_columns=50)
    assert dense.shape == (300, 50) and dense.dtype == np.float32


def test_store_matrix_follows_requested_order(demo_store, items):
    ids = items["item_id"].iloc[[10, 3, 7]].tolist()
    fm = store_feature_matrix(demo_store, item_ids=ids)
    assert list(fm.item_ids) == ids
    with pytest.raises(BadInputError, match="not in the items table"):
        store_feature_matrix(demo_store, item_ids=["nope"])
