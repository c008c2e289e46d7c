"""Dataset issues through Datalab: planted duplicates, leakage, outliers, nulls, imbalance, sampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.dataset_issues import ISSUE_TYPES, dataset_issues_chart, dataset_issues_from_frame, find_dataset_issues
from workbench.errors import BadInputError


@pytest.fixture(scope="module")
def planted(demo_dir):
    """600 demo items plus planted problems: 5 train items copied into eval, 1 extreme item, 1 empty item."""
    items = pd.read_parquet(demo_dir / "items.parquet")
    base = items[items["split"].isin(["train", "eval"])].head(600).reset_index(drop=True)
    pixels = [c for c in base.columns if c.startswith("pixel_")]
    src = base[base["split"] == "train"].head(5)
    dups = src.copy()
    dups["item_id"] = [f"dup{i}" for i in range(5)]
    dups["split"] = "eval"
    extreme = base.head(1).copy()
    extreme["item_id"] = "extreme"
    extreme[pixels] = 16.0 * (np.arange(64) % 2)
    extreme["device"] = "scanner_a"
    empty = base.head(1).copy()
    empty["item_id"] = "empty"
    empty[pixels] = np.nan
    frame = pd.concat([base, dups, extreme, empty], ignore_index=True)
    return frame, list(zip(src["item_id"], dups["item_id"], strict=True))


@pytest.fixture(scope="module")
def planted_result(planted):
    frame, _ = planted
    labels = pd.DataFrame({"item_id": frame["item_id"], "given_label": ["a"] * (len(frame) - 8) + ["b"] * 8})
    return dataset_issues_from_frame(frame, labels=labels)


def test_summary_has_every_issue_type(planted_result):
    assert planted_result.summary["issue_type"].tolist() == list(ISSUE_TYPES)
    assert not planted_result.sampled
    assert planted_result.n_checked == planted_result.n_items == 607


def test_near_duplicates_and_leakage(planted, planted_result):
    _, pairs = planted
    items = planted_result.items.set_index("item_id")
    for a, b in pairs:
        assert items.loc[a, "is_near_duplicate"] and items.loc[b, "is_near_duplicate"]
        assert items.loc[a, "is_split_leakage"] and items.loc[b, "is_split_leakage"]
    leak = {
        frozenset(p)
        for p in zip(planted_result.leakage["item_id"], planted_result.leakage["other_item_id"], strict=True)
    }
    assert {frozenset(p) for p in pairs} <= leak
    assert set(planted_result.leakage["split"]) | set(planted_result.leakage["other_split"]) == {"train", "eval"}


def test_outlier_null_and_imbalance(planted_result):
    items = planted_result.items.set_index("item_id")
    assert items.loc["extreme", "is_outlier"]
    assert items["outlier_score"].idxmin() == "extreme"
    assert items.loc["empty", "is_null"]
    assert items["is_null"].sum() == 1
    assert items["is_class_imbalance"].sum() == 8
    summary = planted_result.summary.set_index("issue_type")
    assert summary.loc["null", "items"] == 1 and summary.loc["null", "examples"] == "empty"
    assert "extreme" in summary.loc["outlier", "examples"]
    assert summary.loc["split_leakage", "items"] >= 10


def test_sampling_above_max_items(planted):
    frame, _ = planted
    r = dataset_issues_from_frame(frame, max_items=200, seed=1)
    assert r.sampled and r.n_checked == 200 and r.n_items == len(frame)
    assert r.params["seed"] == 1
    again = dataset_issues_from_frame(frame, max_items=200, seed=1)
    assert r.items["item_id"].tolist() == again.items["item_id"].tolist()
    other = dataset_issues_from_frame(frame, max_items=200, seed=2)
    assert r.items["item_id"].tolist() != other.items["item_id"].tolist()
    assert "random sample of 200" in r.summary_lines()[0]


def test_on_demo_store(demo_store):
    r = find_dataset_issues(demo_store, max_items=400)
    assert r.sampled and r.n_checked == 400 and r.n_items == 2037
    assert r.summary.set_index("issue_type").loc["null", "items"] == 0
    assert dataset_issues_chart(r).to_dict()["mark"]["type"] == "bar"
    assert r.to_dict()["summary"][0]["issue_type"] == "outlier"


def test_bad_input():
    with pytest.raises(BadInputError, match="fewer than 2 items"):
        dataset_issues_from_frame(pd.DataFrame({"item_id": ["a"], "x": [1.0]}))
    with pytest.raises(BadInputError, match="max-items"):
        dataset_issues_from_frame(pd.DataFrame({"item_id": ["a", "b"], "x": [1.0, 2.0]}), max_items=1)


def test_straddle_other_column(planted):
    frame, pairs = planted
    frame = frame.copy()
    frame["source"] = "human"
    frame.loc[frame["item_id"].str.startswith("dup"), "source"] = "synthetic"
    frame["split"] = "train"  # no split leakage any more; synthetic copies of human items remain
    r = dataset_issues_from_frame(frame, straddle="source")
    assert {"source", "other_source"} <= set(r.leakage.columns)
    leak = {frozenset(p) for p in zip(r.leakage["item_id"], r.leakage["other_item_id"], strict=True)}
    assert {frozenset(p) for p in pairs} <= leak
    assert r.params["straddle"] == "source"


def test_fast_neighbour_graph_equals_datalabs_own(planted, planted_result):
    frame, _ = planted
    own = dataset_issues_from_frame(
        frame,
        labels=pd.DataFrame({"item_id": frame["item_id"], "given_label": ["a"] * (len(frame) - 8) + ["b"] * 8}),
        fast_neighbors=False,
    )
    for col in ("outlier_score", "near_duplicate_score"):
        np.testing.assert_allclose(planted_result.items[col], own.items[col], atol=1e-5)
    for col in ("is_outlier", "is_near_duplicate", "is_split_leakage"):
        assert (planted_result.items[col] == own.items[col]).all()
