"""Agreement statistics against reference implementations and on the demo store."""

from __future__ import annotations

import itertools

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from workbench.annotators import (
    agreement_from_counts,
    compute_agreement,
    label_counts,
    pairwise_cohen_kappa,
    per_class_agreement,
)
from workbench.errors import BadInputError
from workbench.inputs import read_annotations
from workbench.store import Store


def _random_long(seed: int, *, n=250, m=7, k=4, per_item=(1, 5)):
    """Random annotations as a dense (annotators, items) matrix with NaN and its long codes."""
    rng = np.random.default_rng(seed)
    dense = np.full((m, n), np.nan)
    for i in range(n):
        truth = rng.integers(k)
        for a in rng.choice(m, rng.integers(*per_item), replace=False):
            dense[a, i] = truth if rng.random() < 0.7 else rng.integers(k)
    ann, item = np.nonzero(~np.isnan(dense))
    return dense, item, ann, dense[ann, item].astype(np.int64)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_equals_krippendorff_package(seed):
    dense, item, _, label = _random_long(seed)
    stats = agreement_from_counts(label_counts(item, label, dense.shape[1], 4))
    assert stats["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(dense, level_of_measurement="nominal"), abs=1e-9
    )


def test_fleiss_equals_statsmodels_with_constant_annotators():
    _, item, _, label = _random_long(1, per_item=(3, 4))
    counts = label_counts(item, label, 250, 4)
    stats = agreement_from_counts(counts)
    assert not stats["fleiss_subset"] and stats["fleiss_raters"] == 3
    assert stats["fleiss_kappa"] == pytest.approx(fleiss_kappa(counts), abs=1e-9)


def test_fleiss_uses_the_most_common_number_of_annotations_when_it_varies():
    _, item, _, label = _random_long(2)
    counts = label_counts(item, label, 250, 4)
    stats = agreement_from_counts(counts)
    sizes = counts.sum(axis=1)
    assert stats["fleiss_subset"]
    subset = counts[sizes == stats["fleiss_raters"]]
    assert stats["fleiss_items"] == len(subset)
    assert stats["fleiss_kappa"] == pytest.approx(fleiss_kappa(subset), abs=1e-9)


def test_percent_agreement_and_gwet_ac1_equal_direct_formulas():
    dense, item, _, label = _random_long(3)
    k = 4
    stats = agreement_from_counts(label_counts(item, label, dense.shape[1], k))
    per_item, shares = [], []
    for i in range(dense.shape[1]):
        labels = dense[:, i][~np.isnan(dense[:, i])]
        if len(labels) < 2:
            continue
        pairs = list(itertools.permutations(range(len(labels)), 2))
        per_item.append(np.mean([labels[a] == labels[b] for a, b in pairs]))
        shares.append([np.mean(labels == c) for c in range(k)])
    pa = np.mean(per_item)
    pi = np.mean(shares, axis=0)
    pe = np.sum(pi * (1 - pi)) / (k - 1)
    assert stats["percent_agreement"] == pytest.approx(pa, abs=1e-12)
    assert stats["gwet_ac1"] == pytest.approx((pa - pe) / (1 - pe), abs=1e-12)
    assert stats["single_annotation_items"] == int((np.sum(~np.isnan(dense), axis=0) == 1).sum())


def test_ac1_stays_high_under_class_imbalance_where_kappa_drops():
    # 200 items, two annotators, 98% on one class, agreement 97%: kappa-type statistics collapse.
    counts = np.zeros((200, 2))
    counts[:194, 0] = 2
    counts[194:197, 1] = 2  # three agreed minority items
    counts[197:, :] = 1  # three disagreements
    stats = agreement_from_counts(counts)
    assert stats["percent_agreement"] == pytest.approx(0.985)
    assert stats["gwet_ac1"] > 0.95
    assert stats["krippendorff_alpha"] < 0.7


def test_pairwise_kappa_equals_sklearn():
    dense, item, ann, label = _random_long(4, m=5)
    pairs = pairwise_cohen_kappa(item, ann, label, n_annotators=5, n_classes=4, min_shared=10)
    assert len(pairs) == 10  # every pair shares plenty of items here
    for row in pairs.itertuples():
        both = ~np.isnan(dense[row.a]) & ~np.isnan(dense[row.b])
        assert row.shared_items == both.sum()
        assert row.cohen_kappa == pytest.approx(cohen_kappa_score(dense[row.a, both], dense[row.b, both]), abs=1e-9)
        assert row.percent_agreement == pytest.approx(np.mean(dense[row.a, both] == dense[row.b, both]))


def test_pairwise_kappa_skips_pairs_with_few_shared_items():
    _, item, ann, label = _random_long(4, m=5)
    pairs = pairwise_cohen_kappa(item, ann, label, n_annotators=5, n_classes=4, min_shared=10_000)
    assert pairs.empty


def test_per_class_alpha_equals_krippendorff_on_one_vs_rest():
    dense, item, _, label = _random_long(5)
    table = per_class_agreement(label_counts(item, label, dense.shape[1], 4), ["a", "b", "c", "d"])
    for c in range(4):
        binary = np.where(np.isnan(dense), np.nan, (dense == c).astype(float))
        assert table.loc[c, "alpha_vs_rest"] == pytest.approx(
            krippendorff.alpha(binary, level_of_measurement="nominal"), abs=1e-9
        )


def test_demo_agreement(demo_store, truth):
    result = compute_agreement(demo_store)
    ann = demo_store.data("annotations").execute()
    sizes = ann.groupby("item_id").size()
    o = result.overall
    assert o["single_annotation_items"] == int((sizes == 1).sum())
    assert o["items"] == int((sizes >= 2).sum())
    assert 0 < o["krippendorff_alpha"] < o["percent_agreement"] < 1
    assert list(result.per_week["week"]) == truth["weeks"]
    assert list(result.per_version["guideline_version"]) == ["v1", "v2"]
    # The planted ambiguous pair is the least agreed on.
    worst = set(result.per_class.nsmallest(2, "specific_agreement")["class"])
    assert worst == set(truth["ambiguous_pair"])
    assert {"annotator_a", "annotator_b", "cohen_kappa"} <= set(result.pairwise.columns) and len(result.pairwise)
    assert any("single annotation" in n for n in result.notes)
    d = result.to_dict()
    assert d["overall"]["krippendorff_alpha"] == pytest.approx(o["krippendorff_alpha"])
    assert result.trend_chart().to_dict()["mark"]["type"] == "line"


def test_row_order_does_not_change_results(demo_store):
    annotations = read_annotations(demo_store)
    from workbench.annotators import compute_agreement_from_set

    a = compute_agreement_from_set(annotations)
    shuffled = type(annotations)(
        frame=annotations.frame.sample(frac=1.0, random_state=0).reset_index(drop=True), classes=annotations.classes
    )
    b = compute_agreement_from_set(shuffled)
    assert a.overall["krippendorff_alpha"] == pytest.approx(b.overall["krippendorff_alpha"], abs=1e-12)
    pd.testing.assert_frame_equal(a.per_week, b.per_week)


@pytest.fixture
def messy_store(dataset_copy, tmp_path):
    """The demo, without predictions, with a repeated annotation (a later, different label) and an unknown label."""
    (dataset_copy / "predictions.parquet").unlink()
    path = dataset_copy / "annotations.parquet"
    ann = pd.read_parquet(path)
    first = ann.iloc[0].copy()
    again = first.copy()
    again["label"] = "eight" if first["label"] != "eight" else "two"
    again["created_at"] = first["created_at"] + pd.Timedelta(hours=1)
    odd = ann.drop_duplicates("item_id").iloc[[5, 6]].copy()
    odd["label"] = "eleven"
    odd["annotator_id"] = "a99"
    pd.concat([ann, again.to_frame().T, odd], ignore_index=True).astype(ann.dtypes).to_parquet(path, index=False)
    with Store.open(tmp_path / "messy.duckdb") as store:
        store.ingest(dataset_copy)
    with Store.open(tmp_path / "messy.duckdb", read_only=True) as store:
        yield store, first, again["label"]


def test_repeated_annotation_keeps_latest_and_unknown_labels_are_left_out(messy_store, truth):
    store, first, later_label = messy_store
    assert "eleven" in read_annotations(store).classes  # without predictions, every label annotated is a class
    annotations = read_annotations(store, classes=truth["classes"])
    assert annotations.duplicates_dropped == 1
    kept = annotations.frame[
        (annotations.frame["item_id"] == first["item_id"])
        & (annotations.frame["annotator_id"] == first["annotator_id"])
    ]
    assert kept["label"].tolist() == [later_label]
    assert annotations.unknown_labels_dropped == 2
    assert "eleven" not in set(annotations.frame["label"])
    notes = " ".join(annotations.notes)
    assert "latest label" in notes and "eleven" in notes and "'label'" in notes


def test_empty_annotations_is_a_clear_error(tmp_path):
    with Store.open(tmp_path / "e.duckdb") as store:
        store.con.create_table("annotations", schema={"item_id": "string", "annotator_id": "string", "label": "string"})
        with pytest.raises(BadInputError, match="empty"):
            compute_agreement(store)
