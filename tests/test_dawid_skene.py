"""Sparse Dawid-Skene equals crowd-kit's DawidSkene (the reference implementation) to 1e-6."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.annotators.dawid_skene import dawid_skene
from workbench.errors import BadInputError
from workbench.inputs import read_annotations

crowdkit = pytest.importorskip("crowdkit.aggregation")


def _reference(item, annotator, label, n_items, n_classes):
    df = pd.DataFrame({"worker": annotator, "task": item, "label": label})
    ds = crowdkit.DawidSkene(n_iter=100).fit(df)
    probas = ds.probas_.reindex(index=np.arange(n_items), columns=np.arange(n_classes), fill_value=0.0)
    labels = ds.labels_.reindex(np.arange(n_items)).to_numpy().astype(np.int64)
    return probas.to_numpy(), labels, ds


def _assert_equal_to_crowdkit(item, annotator, label, n_classes):
    n_items = int(item.max()) + 1
    res = dawid_skene(item, annotator, label, n_items=n_items, n_classes=n_classes)
    probas, labels, ds = _reference(item, annotator, label, n_items, n_classes)
    np.testing.assert_allclose(res.posteriors, probas, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(res.labels, labels)
    assert res.n_iter == len(ds.loss_history_)
    np.testing.assert_allclose(res.loss_history, ds.loss_history_, atol=1e-9, rtol=0)
    priors = ds.priors_.reindex(np.arange(n_classes), fill_value=0.0).to_numpy()
    used = np.isin(np.arange(n_classes), label)
    np.testing.assert_allclose(res.priors[used], priors[used], atol=1e-6)
    return res, ds


def _crowd(seed: int, n_items: int, n_annotators: int, n_classes: int, *, per_item: int = 3, unused_class=None):
    """A crowd with skills and confusion habits: each annotator confuses a class with a favourite other one."""
    rng = np.random.default_rng(seed)
    classes = np.arange(n_classes)
    if unused_class is not None:
        classes = classes[classes != unused_class]
    truth = rng.choice(classes, n_items)
    per = rng.integers(1, per_item + 2, n_items)
    item = np.repeat(np.arange(n_items), per)
    # distinct annotators per item: a random offset walk modulo the workforce
    start = rng.integers(0, n_annotators, n_items)[item]
    rank = np.arange(len(item)) - np.repeat(np.cumsum(per) - per, per)
    annotator = (start + rank * 7) % n_annotators
    skill = rng.uniform(0.35, 0.95, n_annotators)
    habit = rng.choice(classes, n_annotators)
    u = rng.random(len(item))
    label = np.where(
        u < skill[annotator],
        truth[item],
        np.where(u < skill[annotator] + 0.5 * (1 - skill[annotator]), habit[annotator], rng.choice(classes, len(item))),
    )
    # two annotators who always give the same label
    label[annotator == 0] = classes[0]
    label[annotator == 1] = classes[-1]
    return item.astype(np.int64), annotator.astype(np.int64), label.astype(np.int64)


@pytest.mark.parametrize(
    ("seed", "n_items", "n_annotators", "n_classes"),
    [(0, 300, 12, 2), (1, 2_000, 40, 5), (2, 5_000, 150, 20), (3, 1_000, 300, 3)],
)
def test_equal_to_crowdkit_on_generated_crowds(seed, n_items, n_annotators, n_classes):
    item, annotator, label = _crowd(seed, n_items, n_annotators, n_classes)
    res, _ = _assert_equal_to_crowdkit(item, annotator, label, n_classes)
    # the constant annotators learn nothing: every column of their confusion matrix is one-hot on their label
    assert res.confusion[0, label[annotator == 0][0], :].tolist() == [1.0] * n_classes


def test_class_nobody_uses_gets_zero_posterior():
    item, annotator, label = _crowd(4, 1_500, 30, 6, unused_class=2)
    res, ds = _assert_equal_to_crowdkit(item, annotator, label, 6)
    assert 2 not in ds.probas_.columns
    assert (res.posteriors[:, 2] == 0).all() and res.priors[2] == 0 and (res.confusion[:, 2, :] == 0).all()
    np.testing.assert_allclose(res.posteriors.sum(axis=1), 1.0, atol=1e-8)


def test_equal_to_crowdkit_on_the_demo(demo_store):
    item, annotator, label, items, _ = read_annotations(demo_store).codes()
    k = int(label.max()) + 1
    _assert_equal_to_crowdkit(item, annotator, label, k)


def test_row_order_does_not_change_results():
    item, annotator, label = _crowd(5, 1_000, 25, 4)
    res = dawid_skene(item, annotator, label)
    order = np.random.default_rng(0).permutation(len(item))
    shuffled = dawid_skene(item[order], annotator[order], label[order])
    np.testing.assert_allclose(shuffled.posteriors, res.posteriors, atol=1e-12)
    np.testing.assert_array_equal(shuffled.labels, res.labels)


def test_inputs_are_not_mutated():
    item, annotator, label = _crowd(6, 200, 10, 3)
    copies = item.copy(), annotator.copy(), label.copy()
    dawid_skene(item, annotator, label)
    for before, after in zip(copies, (item, annotator, label), strict=True):
        np.testing.assert_array_equal(before, after)


def test_empty_and_bad_input_give_clear_errors():
    empty = np.array([], dtype=np.int64)
    with pytest.raises(BadInputError, match="at least one annotation"):
        dawid_skene(empty, empty, empty)
    with pytest.raises(BadInputError, match="non-negative"):
        dawid_skene(np.array([0]), np.array([0]), np.array([-1]))
    with pytest.raises(BadInputError, match="equal length"):
        dawid_skene(np.array([0, 1]), np.array([0]), np.array([0]))


def test_annotator_quality_is_prior_weighted_diagonal():
    item, annotator, label = _crowd(7, 800, 20, 3)
    res = dawid_skene(item, annotator, label)
    w = 5
    expected = sum(res.priors[c] * res.confusion[w, c, c] for c in range(3))
    assert res.annotator_quality()[w] == pytest.approx(expected, abs=1e-12)
