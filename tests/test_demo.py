"""The demo dataset: deterministic, valid under the contract, and its truth.json consistent with the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.contract import feature_columns, read_dataset
from workbench.demo import TRUTH_SCHEMA, build_demo
from workbench.inputs import majority_vote


def test_demo_follows_the_contract(demo_dir):
    ds = read_dataset(demo_dir)
    assert ds.classes == tuple(sorted(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]))
    items = ds.tables["items"]
    feats = feature_columns(items.columns)
    kinds = {c: str(items[c].dtype) for c in feats}
    assert sum(k == "float64" for k in kinds.values()) == 64  # numeric pixels
    assert "device" in feats and "note" in feats  # categorical and free text
    assert "meta_batch" not in feats and "created_at" not in feats
    assert ds.guidelines is not None and "{#one-vs-seven}" in ds.guidelines


def test_same_seed_same_data_other_seed_other_data():
    a, _, _, ta = build_demo(seed=3)
    b, _, _, tb = build_demo(seed=3)
    c, _, _, _ = build_demo(seed=4)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert ta == tb
    assert not a["annotations"]["label"].equals(c["annotations"]["label"])


def test_truth_has_every_documented_key(truth):
    assert set(truth) == set(TRUTH_SCHEMA)
    assert truth["weeks"] == [f"2026-W{w}" for w in range(40, 48)]


def test_truth_wrong_labels_match_the_annotations(demo_dir, truth):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    mv = majority_vote(ann).set_index("item_id")["consensus_label"]
    true = pd.Series(truth["true_labels"])
    wrong = sorted(mv.index[mv != true.reindex(mv.index)])
    assert wrong == truth["wrong_labels"]
    assert set(truth["planted_flips"]) <= set(truth["wrong_labels"])
    # A realistic but clearly present error rate.
    assert 0.05 < len(wrong) / len(mv) < 0.25


def test_degrading_annotator_really_degrades(demo_dir, truth):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    deg = truth["degrading_annotator"]
    ann["correct"] = ann["label"] == ann["item_id"].map(truth["true_labels"])
    ann["week"] = ann["created_at"].map(lambda t: f"{t.isocalendar()[0]}-W{t.isocalendar()[1]:02d}")
    mine = ann[ann.annotator_id == deg["annotator_id"]]
    before = mine[mine.week < deg["from_week"]]["correct"].mean()
    after = mine[mine.week >= deg["from_week"]]["correct"].mean()
    others_after = ann[(ann.annotator_id != deg["annotator_id"]) & (ann.week >= deg["from_week"])]["correct"].mean()
    assert before > 0.85 and after < 0.65
    assert others_after > 0.8


def test_ambiguous_pair_splits_annotators(demo_dir, truth):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    a, b = truth["ambiguous_pair"]
    ann["true"] = ann["item_id"].map(truth["true_labels"])
    pair = ann[ann.true.isin([a, b])]
    swapped = ((pair.true == a) & (pair.label == b)) | ((pair.true == b) & (pair.label == a))
    assert swapped.mean() > 0.2
    # The pair is confused far more often than any other pair of classes.
    other = ann[~ann.true.isin([a, b]) & (ann.label != ann.true)]
    assert other.groupby(["true", "label"]).size().max() < swapped.sum() / 3


def test_shift_moves_production_inputs_from_its_start(demo_dir, truth):
    items = pd.read_parquet(demo_dir / "items.parquet")
    start = pd.Timestamp(truth["shift"]["start"])
    human = items[items.source == "human"]
    pixels = [c for c in items.columns if c.startswith("pixel_")]
    after = human[human.created_at >= start]
    before = human[human.created_at < start]
    assert (after.split == "production").all() and not (before.split == "production").any()
    assert (after.device == "phone").mean() > 0.6 and (before.device == "phone").sum() == 0
    # Lower contrast: blank pixels get brighter, bright pixels darker.
    assert after["pixel_00"].mean() > before["pixel_00"].mean() + 1.0
    assert np.quantile(after[pixels].to_numpy(), 0.95) < np.quantile(before[pixels].to_numpy(), 0.95) - 1.0


def test_predictions_are_out_of_fold_and_useful(demo_dir, truth):
    preds = pd.read_parquet(demo_dir / "predictions.parquet").set_index("item_id")
    probas = preds.filter(like="proba_")
    np.testing.assert_allclose(probas.sum(axis=1), 1.0, atol=1e-6)
    predicted = probas.idxmax(axis=1).str.removeprefix("proba_")
    true = pd.Series(truth["true_labels"]).reindex(predicted.index)
    assert 0.85 < (predicted == true).mean() < 0.995  # good, but not memorised


def test_gold_and_synthetic_items(demo_dir, truth):
    gold = pd.read_parquet(demo_dir / "gold.parquet")
    items = pd.read_parquet(demo_dir / "items.parquet").set_index("item_id")
    assert sorted(gold.item_id) == truth["gold_items"]
    assert (gold.set_index("item_id")["label"] == pd.Series(truth["true_labels"])[gold.item_id]).all()
    assert sorted(items.index[items.source == "synthetic"]) == truth["synthetic_items"]
    assert items.loc[truth["synthetic_items"], "source_model"].notna().all()
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    assert set(ann.guideline_version) == {"v1", "v2"}
    assert not set(truth["unannotated_items"]) & set(ann.item_id)
