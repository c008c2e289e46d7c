"""The sparse CROWDLAB and ActiveLab equal Cleanlab's dense implementations."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from cleanlab.multiannotator import (
    get_active_learning_scores,
    get_label_quality_multiannotator,
    get_majority_vote_label,
)

from workbench.annotators.crowd_sparse import LongLabels, activelab, crowdlab, majority_vote_label

TOL = 1e-6


def _dense_problem(seed: int, *, max_per_item: int = 5, accuracy: float = 0.7):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(30, 250)), int(rng.integers(3, 12)), int(rng.integers(2, 7))
    truth = rng.integers(0, k, n)
    dense = np.full((n, m), np.nan)
    for i in range(n):
        for a in rng.choice(m, int(rng.integers(1, min(m, max_per_item) + 1)), replace=False):
            dense[i, a] = truth[i] if rng.random() < accuracy else rng.integers(0, k)
    for a in range(m):  # Cleanlab needs every annotator to label something
        if np.isnan(dense[:, a]).all():
            dense[a % n, a] = truth[a % n]
    pred = rng.dirichlet(np.ones(k), n)
    pred[np.arange(n), truth] += rng.uniform(0, 1.5, n)
    pred /= pred.sum(axis=1, keepdims=True)
    return dense, pred


def _quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("seed", range(12))
def test_crowdlab_equals_cleanlab(seed):
    dense, pred = _dense_problem(seed)
    ref = _quiet(get_label_quality_multiannotator, dense, pred, return_weights=True)
    res = crowdlab(LongLabels.from_dense(dense), pred)
    lq = ref["label_quality"]
    stats = ref["annotator_stats"].sort_index()
    np.testing.assert_array_equal(res.consensus_label, lq["consensus_label"].to_numpy())
    np.testing.assert_allclose(res.consensus_quality, lq["consensus_quality_score"], atol=TOL)
    np.testing.assert_allclose(res.annotator_agreement, lq["annotator_agreement"], atol=TOL)
    np.testing.assert_array_equal(res.num_annotations, lq["num_annotations"])
    np.testing.assert_allclose(res.annotator_quality, stats["annotator_quality"], atol=TOL)
    np.testing.assert_allclose(res.agreement_with_consensus, stats["agreement_with_consensus"], atol=TOL)
    np.testing.assert_array_equal(res.num_labeled, stats["num_examples_labeled"])
    assert res.model_weight == pytest.approx(ref["model_weight"], abs=TOL)
    np.testing.assert_allclose(res.annotator_weight, ref["annotator_weight"], atol=TOL)


def test_detailed_label_quality_equals_cleanlab():
    dense, pred = _dense_problem(3)
    ref = _quiet(get_label_quality_multiannotator, dense, pred)["detailed_label_quality"].to_numpy()
    lab = LongLabels.from_dense(dense)
    res = crowdlab(lab, pred)
    np.testing.assert_allclose(res.label_quality, ref[lab.item, lab.annotator], atol=TOL)


@pytest.mark.parametrize("seed", range(8))
def test_activelab_equals_cleanlab(seed):
    dense, pred = _dense_problem(100 + seed)
    unlabeled = np.random.default_rng(seed).dirichlet(np.ones(pred.shape[1]), 15)
    ref, ref_unl = _quiet(get_active_learning_scores, dense, pred, unlabeled)
    res = activelab(LongLabels.from_dense(dense), pred, unlabeled)
    np.testing.assert_allclose(res.scores, ref, atol=TOL)
    np.testing.assert_allclose(res.scores_unlabeled, ref_unl, atol=TOL)


def test_activelab_single_annotation_per_item_equals_cleanlab():
    rng = np.random.default_rng(7)
    n, m, k = 80, 5, 3
    dense = np.full((n, m), np.nan)
    dense[np.arange(n), np.arange(n) % m] = rng.integers(0, k, n)
    pred = rng.dirichlet(np.ones(k), n)
    ref, ref_unl = _quiet(get_active_learning_scores, dense, pred, pred[:9])
    res = activelab(LongLabels.from_dense(dense), pred, pred[:9])
    np.testing.assert_allclose(res.scores, ref, atol=TOL)
    np.testing.assert_allclose(res.scores_unlabeled, ref_unl, atol=TOL)


def test_majority_vote_tie_rules_equal_cleanlab():
    """Ties broken by predicted probability, then class rarity, then annotator agreement, as Cleanlab does."""
    rng = np.random.default_rng(11)
    n, m, k = 400, 6, 4
    dense = np.full((n, m), np.nan)
    for i in range(n):
        for a in rng.choice(m, 2 if i % 2 else 3, replace=False):
            dense[i, a] = rng.integers(0, k)
    pred = rng.dirichlet(np.ones(k), n)
    pred[::3] = 1.0 / k  # no help from the model on a third of the items: later rules decide
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        ref = get_majority_vote_label(dense, pred, verbose=False)
    random_items = set()
    for w in caught:
        text = str(w.message)
        if "random selection" in text:
            listed = text[text.index("[") : text.index("]")].replace("np.int64", "")
            random_items = {int(x) for x in re.findall(r"\d+", listed)}
    ours = majority_vote_label(LongLabels.from_dense(dense), pred)
    decided = np.array([i not in random_items for i in range(n)])
    assert decided.sum() > 0.9 * n
    np.testing.assert_array_equal(ours[decided], ref[decided])
    counts = LongLabels.from_dense(dense).label_counts()
    assert (counts.max(axis=1)[:, None] == counts).sum(axis=1).max() > 1  # ties did occur


def test_results_do_not_depend_on_row_order_and_inputs_are_not_mutated():
    dense, pred = _dense_problem(5)
    lab = LongLabels.from_dense(dense)
    perm = np.random.default_rng(0).permutation(len(lab.item))
    shuffled = LongLabels.from_arrays(
        lab.item[perm],
        lab.annotator[perm],
        lab.label[perm],
        n_items=lab.n_items,
        n_annotators=lab.n_annotators,
        n_classes=lab.n_classes,
    )
    pred_before = pred.copy()
    a, b = crowdlab(lab, pred), crowdlab(shuffled, pred)
    np.testing.assert_array_equal(a.consensus_label, b.consensus_label)
    np.testing.assert_allclose(a.consensus_quality, b.consensus_quality, atol=1e-12)
    np.testing.assert_allclose(a.annotator_quality, b.annotator_quality, atol=1e-12)
    np.testing.assert_array_equal(pred, pred_before)


def test_crowdlab_needs_a_multi_annotated_item():
    lab = LongLabels.from_arrays([0, 1, 2], [0, 1, 0], [0, 1, 1], n_classes=2)
    with pytest.raises(ValueError, match="two or more"):
        crowdlab(lab, np.full((3, 2), 0.5))
