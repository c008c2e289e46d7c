"""The store-computed drift statistics match Evidently's DataDriftPreset, column by column.

Numeric (continuous, integer, few values, binary), categorical (several values,
binary) and free-text columns; references below and above 1,000 rows (which
switches Evidently from p-values to distances); no shift and several shifts.
Verdicts must be equal and statistics within 1e-3.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.drift import Window, compute_drift, evidently_drift_table
from workbench.store import Store

KINDS = {
    "num_cont": "numeric",
    "num_int": "numeric",
    "num_few": "numeric",
    "num_bin": "numeric",
    "cat_multi": "categorical",
    "cat_bin": "categorical",
    "text": "text",
}
WORDS = "invoice receipt scanner upload delivery parcel address signature stamp archive folder branch".split()
NEW_WORDS = "mobile phone camera blurry selfie flash".split()


def _frame(rng, n: int, shift: float) -> pd.DataFrame:
    """``shift`` 0 draws the reference distribution; larger values move every column."""
    few_p = np.array([0.4, 0.3, 0.2, 0.1]) + np.array([-0.2, 0.0, 0.1, 0.1]) * min(shift, 1.0)
    multi_p = np.array([0.5, 0.3, 0.2]) + np.array([-0.25, 0.1, 0.15]) * min(shift, 1.0)
    words = WORDS + (NEW_WORDS if shift > 0 else [])
    vocab_p = np.ones(len(words))
    vocab_p[len(WORDS) :] = 6 * shift
    vocab_p /= vocab_p.sum()
    text = [" ".join(rng.choice(words, rng.integers(3, 8), p=vocab_p)) for _ in range(n)]
    return pd.DataFrame(
        {
            "num_cont": rng.normal(shift, 1.0 + 0.3 * shift, n),
            "num_int": rng.poisson(20 + 3 * shift, n).astype(float),
            "num_few": rng.choice([1.0, 2.0, 3.0, 4.0], n, p=few_p),
            "num_bin": (rng.random(n) < 0.3 + 0.15 * min(shift, 1.0)).astype(float),
            "cat_multi": rng.choice(["red", "green", "blue"], n, p=multi_p),
            "cat_bin": np.where(rng.random(n) < 0.6 - 0.2 * min(shift, 1.0), "yes", "no"),
            "text": text,
        }
    )


def _store(tmp_path, ref: pd.DataFrame, cur: pd.DataFrame) -> Store:
    items = pd.concat([ref.assign(win="ref"), cur.assign(win="cur")], ignore_index=True)
    items.insert(0, "item_id", [f"i{i:07d}" for i in range(len(items))])
    store = Store.open(tmp_path / "eq.duckdb")
    store.con.create_table("items", items.rename(columns={"win": "meta_window"}))
    return store


SCENARIOS = [
    # (reference rows, current rows, shift)
    pytest.param(600, 400, 0.0, id="small-no-shift"),
    pytest.param(600, 400, 0.25, id="small-slight-shift"),
    pytest.param(600, 400, 1.0, id="small-shift"),
    pytest.param(3000, 2500, 0.0, id="large-no-shift"),
    pytest.param(3000, 2500, 0.15, id="large-slight-shift"),
    pytest.param(3000, 2500, 1.0, id="large-shift"),
    pytest.param(800, 12000, 0.1, id="small-reference-large-current"),
    # Above 10,000 rows a window no longer holds its values: Wasserstein from the histograms.
    pytest.param(15000, 12000, 0.0, id="histograms-no-shift"),
    pytest.param(15000, 12000, 0.1, id="histograms-shift"),
]


@pytest.mark.parametrize(("n_ref", "n_cur", "shift"), SCENARIOS)
def test_verdicts_and_statistics_match_evidently(tmp_path, n_ref, n_cur, shift):
    rng = np.random.default_rng(int(n_ref + n_cur + 100 * shift))
    ref, cur = _frame(rng, n_ref, 0.0), _frame(rng, n_cur, shift)
    with _store(tmp_path, ref, cur) as store:
        ours = compute_drift(
            store,
            reference=Window.parse("meta_window=ref"),
            current=Window.parse("meta_window=cur"),
            include_labels=False,
            config={"text_columns": ["text"], "categorical_columns": ["cat_multi", "cat_bin"]},
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, dataset = evidently_drift_table(ref, cur, KINDS)
    theirs = theirs.set_index("column")
    assert set(theirs.index) == set(KINDS)
    for c in ours.columns:
        t = theirs.loc[c.column]
        assert c.method == t["method"], c.column
        assert c.threshold == pytest.approx(t["threshold"]), c.column
        assert c.drifted == t["drifted"], (c.column, c.statistic, t["statistic"])
        assert c.statistic == pytest.approx(t["statistic"], abs=1e-3), c.column
    if n_cur > 10_000 and n_ref <= 1000:  # K-S statistic computed in the store (as-of join), asymptotic p-value
        assert {c.detail.get("mode") for c in ours.columns if c.method == "ks"} == {"asymp"}
    if n_ref > 10_000:
        assert {c.detail.get("from") for c in ours.columns if c.method == "wasserstein"} == {"histograms"}
    assert ours.n_drifted == dataset["n_drifted"]
    assert ours.drifted_share == pytest.approx(dataset["drifted_share"])
    assert ours.dataset_drift == dataset["dataset_drift"]


def test_scenarios_cover_every_method_and_both_verdicts(tmp_path):
    """Guard the test above: across scenarios every default method runs, with drifted and stable columns."""
    seen: dict[str, set[bool]] = {}
    for n_ref, n_cur, shift in [(600, 400, 0.0), (600, 400, 1.0), (3000, 2500, 0.0), (3000, 2500, 1.0)]:
        rng = np.random.default_rng(int(n_ref + n_cur + 100 * shift))
        ref, cur = _frame(rng, n_ref, 0.0), _frame(rng, n_cur, shift)
        folder = tmp_path / f"{n_ref}-{shift}"
        folder.mkdir()
        with _store(folder, ref, cur) as store:
            r = compute_drift(
                store,
                reference="meta_window=ref",
                current="meta_window=cur",
                include_labels=False,
                config={"text_columns": ["text"], "categorical_columns": ["cat_multi", "cat_bin"]},
            )
        for c in r.columns:
            seen.setdefault(c.method, set()).add(c.drifted)
    assert set(seen) == {
        "ks",
        "chisquare",
        "z",
        "wasserstein",
        "jensenshannon",
        "perc_text_content_drift",
        "abs_text_content_drift",
    }
    assert {True, False} <= set().union(*seen.values())
    assert seen["ks"] == {True, False} and seen["wasserstein"] == {True, False}
