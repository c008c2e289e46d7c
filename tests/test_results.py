"""The result contract, over every capability: frozen, keyed frames, JSON-safe dicts, summary lines,
and the same answer whatever the order of the stored rows, inputs left unchanged."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from workbench.store import Store

WEEK = "2026-W46"


def _build(name: str, store: Store):
    if name == "label_quality":
        from workbench.labels import compute_label_quality

        return compute_label_quality(store), ["item_id"]
    if name == "dataset_issues":
        from workbench.dataset_issues import find_dataset_issues

        return find_dataset_issues(store, max_items=600, seed=0), ["item_id"]
    if name == "consensus":
        from workbench.annotators import consensus_labels

        return consensus_labels(store, method="mv"), ["item_id"]
    if name == "annotator_report":
        from workbench.annotators import compute_annotators

        return compute_annotators(store, method="mv", week=WEEK), ["annotator_id"]
    if name == "agreement":
        from workbench.annotators import compute_agreement

        return compute_agreement(store), ["class"]
    if name == "drift":
        from workbench.drift import compute_drift

        return compute_drift(store, week=WEEK), ["column"]
    if name == "weekly_drift":
        from workbench.drift import compute_drift_by_week

        return compute_drift_by_week(store), ["week", "column"]
    if name == "overview":
        from workbench.overview import compute_overview

        return compute_overview(store, week=WEEK), ["week"]
    raise KeyError(name)


RESULTS = [
    "label_quality",
    "dataset_issues",
    "consensus",
    "annotator_report",
    "agreement",
    "drift",
    "weekly_drift",
    "overview",
]


@pytest.fixture(scope="module")
def shuffled_store_path(demo_dir, tmp_path_factory):
    """The demo with every table's rows in another order (and its files written anew)."""
    folder = tmp_path_factory.mktemp("shuffled") / "demo"
    shutil.copytree(demo_dir, folder)
    for file in folder.glob("*.parquet"):
        frame = pd.read_parquet(file)
        frame.sample(frac=1.0, random_state=7).to_parquet(file, index=False)
    path = folder.parent / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(folder)
    return path


def _comparable(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    frame = frame.sort_values(key, kind="stable").reset_index(drop=True)
    return frame[sorted(frame.columns)]


@pytest.mark.parametrize("name", RESULTS)
def test_result_contract(name, demo_store_path, shuffled_store_path, demo_dir):
    before = {f.name: f.read_bytes() for f in demo_dir.iterdir() if f.is_file()}
    with Store.open(demo_store_path, read_only=True) as store:
        result, key = _build(name, store)
    assert dataclasses.is_dataclass(result) and type(result).__dataclass_params__.frozen, name
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    assert set(key) <= set(frame.columns), (name, list(frame.columns))
    assert not frame.duplicated(key).any(), f"{name}: to_frame() keys are not unique"
    first = result.to_frame()
    pd.testing.assert_frame_equal(frame, first)  # to_frame hands out a frame that callers may change
    frame.drop(columns=frame.columns[-1], inplace=True)  # a caller changing its copy
    pd.testing.assert_frame_equal(result.to_frame(), first)
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN, no numpy scalars
    assert json.loads(text) == data
    lines = result.summary_lines()
    assert lines and all(isinstance(line, str) and line.strip() for line in lines)
    # the same answer on a store whose rows came in another order
    with Store.open(shuffled_store_path, read_only=True) as store:
        again, _ = _build(name, store)
    a, b = _comparable(first, key), _comparable(again.to_frame(), key)
    numeric = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
    pd.testing.assert_frame_equal(a.drop(columns=numeric), b.drop(columns=numeric), check_dtype=False)
    for c in numeric:
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=1e-12, err_msg=c)
    # the inputs (the dataset folder) are untouched
    assert {f.name: f.read_bytes() for f in demo_dir.iterdir() if f.is_file()} == before
