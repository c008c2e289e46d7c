"""Annotator flags a team can act on: no false alarms at a thousand annotators, no missed weak annotators.

The null workforce (1,000 annotators of constant skill, 8 weeks, about 600 labels each) is generated as
per annotator-week counts, which is what the decline detector reads, so ten seeds run in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from workbench.annotators import (
    AnnotatorReport,
    annotator_report_from,
    consensus_from_annotations,
    decline_scan,
    gold_status,
    others_majority,
)
from workbench.inputs import AnnotationSet

WEEKS = [f"2026-W{w:02d}" for w in range(1, 9)]


def null_workforce(seed: int, *, annotators: int = 1000, labels: int = 600) -> pd.DataFrame:
    """Per annotator-week counts: constant skill per annotator (70% to 95% agreement), ~600 labels each."""
    rng = np.random.default_rng(seed)
    skill = rng.uniform(0.70, 0.95, annotators)
    n = rng.poisson(labels / len(WEEKS), (annotators, len(WEEKS)))
    hits = rng.binomial(n, skill[:, None])
    return pd.DataFrame(
        {
            "annotator_id": np.repeat([f"w{i:04d}" for i in range(annotators)], len(WEEKS)),
            "week": np.tile(WEEKS, annotators),
            "hits": hits.ravel(),
            "labels": n.ravel(),
        }
    )


def flagged_annotators(scan: pd.DataFrame) -> set[str]:
    return set(scan.loc[scan["declined"], "annotator_id"])


def test_null_workforce_flags_at_most_three_annotators_over_ten_seeds():
    flagged = [flagged_annotators(decline_scan(null_workforce(seed))) for seed in range(10)]
    total = sum(len(f) for f in flagged)
    assert total <= 3, flagged
    # Under the global null, BH bounds the chance of any flag at the FDR (5%): most seeds flag nobody.
    assert sum(bool(f) for f in flagged) <= 2


def test_planted_decline_is_found_in_the_week_it_starts():
    weekly = null_workforce(7)
    rng = np.random.default_rng(70)
    # One annotator drops from 90% to 65% agreement from week 5, with 100+ labels a week.
    n = rng.integers(100, 130, len(WEEKS))
    hits = rng.binomial(n, np.where(np.arange(1, 9) >= 5, 0.65, 0.90))
    planted = pd.DataFrame({"annotator_id": "planted", "week": WEEKS, "hits": hits, "labels": n})
    weekly = pd.concat([weekly, planted], ignore_index=True)
    scan = decline_scan(weekly)
    mine = scan[scan["annotator_id"] == "planted"].set_index("week")
    assert mine["declined"].tolist() == [False] * 4 + [True] * 4
    assert mine.loc["2026-W05", "p_adjusted"] < 0.05
    assert mine.loc["2026-W05", "baseline"] - mine.loc["2026-W05", "since_agreement"] > 0.15
    # Found in its week as it happens too: with data only up to week 5, week 5 is flagged.
    upto = decline_scan(weekly[weekly["week"] <= "2026-W05"])
    assert upto.loc[upto["declined"], "week"].tolist() == ["2026-W05"]
    assert flagged_annotators(scan) <= {"planted"} | flagged_annotators(decline_scan(null_workforce(7)))


def test_decline_fdr_is_the_configured_rate():
    weekly = null_workforce(3, annotators=200)
    loose = decline_scan(weekly, fdr=0.9, min_drop=0.0)
    strict = decline_scan(weekly, fdr=0.05, min_drop=0.0)
    assert loose["declined"].sum() >= strict["declined"].sum()
    assert np.isfinite(strict["p_adjusted"]).sum() == np.isfinite(strict["p_value"]).sum() > 1000


def test_gold_status_follows_the_wilson_interval():
    hits = np.array([10, 16, 38, 0, 5])
    n = np.array([20, 22, 40, 0, 8])
    status, needed = gold_status(hits, n, threshold=0.75)
    # 10/20: CI 29%-71% wholly below 75%; 16/22: covers it; 38/40: wholly above; none; 5/8 covers it.
    assert status.tolist() == ["below", "undecided", "ok", "no_gold", "undecided"]
    for s, k, st in zip(hits[:3], n[:3], status[:3], strict=True):
        lo, hi = proportion_confint(s, k, method="wilson")
        assert st == ("below" if hi < 0.75 else "ok" if lo >= 0.75 else "undecided")
    assert needed[0] == 0 and needed[2] == 0 and np.isnan(needed[3])
    # With the accuracy held, the number needed settles the interval, and one fewer does not.
    for i in (1, 4):
        p = hits[i] / n[i]
        total = n[i] + int(needed[i])
        lo, hi = proportion_confint(p * total, total, method="wilson")
        assert hi < 0.75 or lo > 0.75
        lo, hi = proportion_confint(p * (total - 1), total - 1, method="wilson")
        assert lo <= 0.75 <= hi


def small_team(seed: int = 0) -> tuple[AnnotationSet, pd.Series, dict[str, float]]:
    """300 items, 5 annotators of planted accuracy, 2 labels per item, 40 gold items (the issue's small team)."""
    rng = np.random.default_rng(seed)
    accuracy = {"t1": 0.72, "t2": 0.76, "t3": 0.87, "t4": 0.92, "t5": 0.95}
    classes = ("a", "b", "c", "d")
    truth = rng.integers(0, 4, 300)
    rows = []
    for i in range(300):
        for who in rng.choice(list(accuracy), 2, replace=False):
            right = rng.random() < accuracy[who]
            label = truth[i] if right else rng.choice([c for c in range(4) if c != truth[i]])
            ts = pd.Timestamp("2026-01-05") + pd.Timedelta(hours=int(i * 2))
            rows.append((f"i{i:03d}", who, classes[label], ts))
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"])
    gold = pd.Series([classes[c] for c in truth[:40]], index=[f"i{i:03d}" for i in range(40)])
    return AnnotationSet(frame=frame, classes=classes), gold, accuracy


@pytest.mark.parametrize("seed", range(5))
def test_weak_annotators_on_small_gold_are_undecided_or_flagged_never_fine(seed):
    annotations, gold, accuracy = small_team(seed)
    consensus = consensus_from_annotations(annotations, method="mv", gold=gold)
    report = annotator_report_from(annotations, consensus, gold=gold)
    t = report.annotators.set_index("annotator_id")
    for who, acc in accuracy.items():
        if acc < 0.75:
            assert t.loc[who, "gold_status"] in ("below", "undecided"), t.loc[who]
            if t.loc[who, "gold_status"] == "below":
                assert t.loc[who, "flagged"] and "gold:" in t.loc[who, "flag_reason"]
            else:
                assert t.loc[who, "gold_labels_needed"] >= 1
    undecided = t.index[t["gold_status"] == "undecided"]
    lines = " ".join(report.summary_lines())
    for who in undecided:
        assert f"{who} ({t.loc[who, 'gold_labels']} gold labels" in lines
    if len(undecided):
        assert "Too little gold to judge" in lines


def test_agreement_counts_only_multi_annotated_items_against_the_others_majority():
    # x labels items 0-9 alone (agreeing with nobody can inflate nothing), and items 10-19 with y and z.
    rows = [(f"i{i}", "x", "a") for i in range(10)]
    for i in range(10, 20):
        rows += [(f"i{i}", "x", "a"), (f"i{i}", "y", "a" if i < 15 else "b"), (f"i{i}", "z", "a" if i < 18 else "c")]
    frame = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    annotations = AnnotationSet(frame=frame, classes=("a", "b", "c"))
    report = annotator_report_from(annotations, consensus_from_annotations(annotations, method="mv"))
    t = report.annotators.set_index("annotator_id")
    # x against y+z: items 10-14 both a (agree); 15-17 y=b, z=a tie (left out); 18-19 b vs c tie (left out).
    assert t.loc["x", "agreement_items"] == 5 and t.loc["x", "agreement_with_consensus"] == 1.0
    # y against x+z: 10-14 a/a agree; 15-17 others a/a, y=b disagrees; 18-19 others a/c tie.
    assert t.loc["y", "agreement_items"] == 8 and t.loc["y", "agreement_with_consensus"] == pytest.approx(5 / 8)
    item, _, label, items, _ = annotations.codes()
    others, comparable = others_majority(item, label, n_items=len(items), n_classes=3)
    assert not comparable[:10].any()  # the single-annotated items


def test_demo_plants_are_found(report_demo: AnnotatorReport, truth):
    t = report_demo.annotators.set_index("annotator_id")
    speeder = truth["speeder"]["annotator_id"]
    assert t.loc[speeder, "speeder"] and t.loc[speeder, "duration_ratio"] < 0.2
    assert "speeder:" in t.loc[speeder, "flag_reason"]
    assert set(t.index[t["speeder"]]) == {speeder}
    mix = truth["divergent_label_mix"]
    assert t.loc[mix["annotator_id"], "label_mix_p_adjusted"] < 0.05
    assert f"gives {mix['label']!r}" in t.loc[mix["annotator_id"], "flag_reason"]
    assert set(t.index[t["flag_reason"].str.contains("label mix:")]) == {mix["annotator_id"]}
    for who, planted in truth["gold_calibration"].items():
        assert t.loc[who, "gold_status"] == planted["gold_status"]
        assert t.loc[who, "gold_labels"] == planted["gold_labels"]
        assert t.loc[who, "gold_accuracy"] == pytest.approx(planted["accuracy"])
    assert t.loc["a15", "flagged"] and "wholly below 75%" in t.loc["a15", "flag_reason"]
    assert not t.loc["a16", "flagged"] and t.loc["a16", "gold_labels_needed"] > 0
    # a02 of the issue: 72.7% on gold with an interval covering 75% is undecided, not flagged.
    assert t.loc["a02", "gold_status"] == "undecided" and not t.loc["a02", "flagged"]
    # Exactly the plants are flagged.
    plants = {truth["degrading_annotator"]["annotator_id"], speeder, mix["annotator_id"], "a15"}
    assert set(t.index[t["flagged"]]) == plants


@pytest.fixture(scope="module")
def report_demo(demo_store_path):
    from workbench.annotators import compute_annotators
    from workbench.store import Store

    with Store.open(demo_store_path, read_only=True) as store:
        return compute_annotators(store)
