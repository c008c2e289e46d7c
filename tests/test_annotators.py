"""Consensus methods, annotator quality, gold calibration and drift on the demo data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from workbench.annotators import (
    ANNOTATOR_COLUMNS,
    CONSENSUS_COLUMNS,
    annotator_report_from,
    compute_annotators,
    consensus_from_annotations,
    consensus_labels,
    wilson_interval,
)
from workbench.errors import BadInputError
from workbench.inputs import (
    AnnotationSet,
    annotator_kinds,
    majority_vote,
    read_annotations,
    read_gold,
    read_predictions,
)


@pytest.fixture(scope="module")
def inputs(demo_store_path):
    from workbench.store import Store

    with Store.open(demo_store_path, read_only=True) as store:
        annotations = read_annotations(store)
        return annotations, read_predictions(store, annotations.classes), read_gold(store)


@pytest.fixture(scope="module")
def report(demo_store_path):
    from workbench.store import Store

    with Store.open(demo_store_path, read_only=True) as store:
        return compute_annotators(store)


def _accuracy(consensus, truth) -> float:
    frame = consensus.to_frame()
    return float(np.mean(frame["consensus_label"].to_numpy() == frame["item_id"].map(truth["true_labels"]).to_numpy()))


def test_consensus_beats_majority_vote_on_the_planted_truth(inputs, truth):
    annotations, predictions, gold = inputs
    mv = consensus_from_annotations(annotations, method="mv", predictions=predictions, gold=gold)
    auto = consensus_from_annotations(annotations, predictions=predictions, gold=gold)
    assert auto.method == "crowdlab"
    assert _accuracy(auto, truth) > _accuracy(mv, truth) + 0.05
    # The majority vote's wrong labels (truth.json) are mostly fixed.
    wrong = set(truth["wrong_labels"])
    fixed = auto.to_frame().set_index("item_id").loc[sorted(wrong), "consensus_label"]
    assert np.mean(fixed.to_numpy() == fixed.index.map(truth["true_labels"]).to_numpy()) > 0.5


def test_auto_picks_by_gold_accuracy_when_enough_gold(inputs):
    annotations, predictions, gold = inputs
    c = consensus_from_annotations(annotations, predictions=predictions, gold=gold)
    assert set(c.gold_accuracy) == {"mv", "ds", "crowdlab"}
    assert c.gold_accuracy[c.method] == max(c.gold_accuracy.values())
    assert "120 annotated gold items" in c.reason and "no method significantly better" in c.reason


def test_auto_switches_when_gold_shows_another_method_significantly_better(inputs):
    annotations, predictions, _ = inputs
    mv = consensus_from_annotations(annotations, method="mv").label_of()
    # Gold that agrees with the majority vote everywhere makes mv significantly better than the rule's CROWDLAB.
    c = consensus_from_annotations(annotations, predictions=predictions, gold=mv)
    assert c.method == "mv" and c.gold_accuracy["mv"] == 1.0
    assert c.reason.startswith("significantly more accurate than the no-gold rule's choice (crowdlab)")


def test_auto_follows_the_rule_without_enough_gold(inputs):
    annotations, predictions, gold = inputs
    few = gold.iloc[:10]
    c = consensus_from_annotations(annotations, predictions=predictions, gold=few)
    assert c.method == "crowdlab" and "only 10 annotated gold item(s)" in c.reason and "model agrees" in c.reason
    no_pred = consensus_from_annotations(annotations, predictions=None, gold=None)
    assert no_pred.method == "ds"  # demo annotators give hundreds of labels each
    assert "no gold items" in no_pred.reason and "median" in no_pred.reason
    assert any("CROWDLAB was not considered" in n for n in no_pred.notes)
    strict = consensus_from_annotations(annotations, predictions=None, gold=None, ds_min_labels=10_000)
    assert strict.method == "mv"


def test_crowdlab_without_predictions_is_a_clear_error(inputs):
    annotations, _, _ = inputs
    with pytest.raises(BadInputError, match="no 'predictions' table"):
        consensus_from_annotations(annotations, method="crowdlab", predictions=None)
    with pytest.raises(BadInputError, match="not a consensus method"):
        consensus_from_annotations(annotations, method="vote")


def test_mv_is_the_foundation_majority_vote(inputs):
    annotations, predictions, _ = inputs
    c = consensus_from_annotations(annotations, method="mv", predictions=predictions)
    ref = majority_vote(annotations.frame).sort_values("item_id").reset_index(drop=True)
    frame = c.to_frame()
    assert frame["item_id"].tolist() == ref["item_id"].tolist()
    assert frame["consensus_label"].tolist() == ref["consensus_label"].tolist()
    np.testing.assert_allclose(frame["agreement"], ref["agreement"])
    np.testing.assert_allclose(frame["consensus_quality"], ref["agreement"])


def test_ds_is_crowdkit_dawid_skene(inputs):
    from crowdkit.aggregation import DawidSkene

    annotations, _, _ = inputs
    c = consensus_from_annotations(annotations, method="ds")
    df = annotations.frame.rename(columns={"annotator_id": "worker", "item_id": "task"})[["worker", "task", "label"]]
    ref = DawidSkene(n_iter=100).fit_predict(df)
    ours = c.label_of()
    assert (ours.reindex(ref.index) == ref).mean() > 0.995  # same EM; tie order may differ on a handful


def test_consensus_frame_contract(inputs):
    annotations, predictions, gold = inputs
    frame = consensus_from_annotations(annotations, predictions=predictions, gold=gold).to_frame()
    assert list(frame.columns) == CONSENSUS_COLUMNS
    assert frame["item_id"].is_unique
    assert frame["n_annotations"].sum() == len(annotations.frame)
    assert frame["agreement"].between(0, 1).all() and frame["consensus_quality"].between(0, 1).all()
    assert set(frame["consensus_label"]) <= set(annotations.classes)


def test_row_order_and_inputs(inputs):
    annotations, predictions, gold = inputs
    before = annotations.frame.copy()
    a = consensus_from_annotations(annotations, predictions=predictions, gold=gold).to_frame()
    shuffled = AnnotationSet(frame=annotations.frame.sample(frac=1.0, random_state=1), classes=annotations.classes)
    b = consensus_from_annotations(shuffled, predictions=predictions, gold=gold).to_frame()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(annotations.frame, before)


def test_degrading_annotator_is_flagged_from_the_week_it_degrades(report, truth):
    deg = truth["degrading_annotator"]
    table = report.annotators.set_index("annotator_id")
    assert table.loc[deg["annotator_id"], "flagged"]
    assert table.loc[deg["annotator_id"], "declined_from_week"] == deg["from_week"]
    reason = table.loc[deg["annotator_id"], "flag_reason"]
    assert "dropped" in reason and f"since {deg['from_week']}" in reason and "BH-adjusted p" in reason
    declined = report.drift[report.drift["declined"]]
    assert set(declined["annotator_id"]) == {deg["annotator_id"]}
    weeks = declined["week"].tolist()
    assert weeks == [w for w in truth["weeks"] if w >= deg["from_week"]]


def test_annotator_table(report, inputs):
    _, _, gold = inputs
    t = report.annotators
    assert list(t.columns) == ANNOTATOR_COLUMNS
    assert (t["kind"] == "human").all()
    assert t["n_labels"].sum() == len(report.labels)
    # Gold accuracy and its Wilson interval, checked against statsmodels for one annotator.
    row = t.iloc[0]
    own = report.labels[
        (report.labels["annotator_id"] == row["annotator_id"]) & report.labels["item_id"].isin(gold.index)
    ]
    hits = int((own["label"] == own["item_id"].map(gold)).sum())
    assert row["gold_accuracy"] == pytest.approx(hits / len(own))
    lo, hi = proportion_confint(hits, len(own), method="wilson")
    assert (row["gold_ci_low"], row["gold_ci_high"]) == pytest.approx((lo, hi))
    # Flags: the gold interval wholly below the threshold, a decline, a speeder or a divergent label mix; never
    # otherwise. Each flag's reason names its rule.
    low_gold = t["gold_ci_high"] < 0.75
    mix = t["label_mix_p_adjusted"] < 0.05
    assert (t["flagged"] == (low_gold | t["declined_from_week"].notna() | t["speeder"] | mix)).all()
    assert (t.loc[low_gold, "gold_status"] == "below").all()
    for rule, rows in [("gold:", low_gold), ("decline:", t["declined_from_week"].notna()), ("speeder:", t["speeder"])]:
        assert t.loc[rows, "flag_reason"].str.contains(rule).all()
        assert not t.loc[~rows, "flag_reason"].str.contains(rule).any()


def test_wilson_interval_matches_statsmodels():
    lo, hi = wilson_interval(np.array([0, 7, 20]), np.array([10, 10, 20]))
    for i, (s, n) in enumerate([(0, 10), (7, 10), (20, 20)]):
        assert (lo[i], hi[i]) == pytest.approx(proportion_confint(s, n, method="wilson"))


def test_gold_never_annotated_is_counted(inputs):
    annotations, predictions, gold = inputs
    extra = pd.concat([gold, pd.Series({"nobody-labeled-this": "one"})])
    c = consensus_from_annotations(annotations, predictions=predictions, gold=extra)
    assert any("1 gold item(s) were never annotated" in n for n in c.notes)


def test_confusion_and_disagreements(report):
    conf = report.confusion("a07")
    assert conf["count"].sum() == (report.labels["annotator_id"] == "a07").sum()
    dis = report.disagreements("a07")
    assert (dis["label"] != dis["consensus_label"]).all()
    assert len(dis) == conf.loc[conf["label"] != conf["consensus_label"], "count"].sum()
    with pytest.raises(BadInputError):
        report.confusion("nobody")


def test_annotator_kinds():
    assert annotator_kinds(["a01", "gpt-4o", "auto-7"], {"model": ["gpt-*", "auto-*"]}) == ["human", "model", "model"]


def test_consensus_labels_store_api(demo_store):
    c = consensus_labels(demo_store, method="mv")
    assert c.method == "mv" and c.requested == "mv"
    assert json.dumps(c.to_dict())


def test_report_without_gold_has_no_gold_flags(inputs):
    annotations, predictions, _ = inputs
    c = consensus_from_annotations(annotations, predictions=predictions)
    r = annotator_report_from(annotations, c, gold=None)
    assert r.annotators["gold_accuracy"].isna().all()
    assert any("No gold table" in n for n in r.notes)


def test_cli_writes_the_three_files(demo_store_path, tmp_path):
    from workbench.cli import app

    out = tmp_path / "ann"
    res = CliRunner().invoke(app, ["--store", str(demo_store_path), "annotators", "--out", str(out)])
    assert res.exit_code == 0, res.output
    consensus = pd.read_csv(out / "consensus.csv")
    assert list(consensus.columns) == CONSENSUS_COLUMNS
    annotators = pd.read_csv(out / "annotators.csv")
    assert list(annotators.columns) == ANNOTATOR_COLUMNS
    assert annotators.loc[annotators["annotator_id"] == "a07", "flagged"].item()
    assert set(annotators["gold_status"]) <= {"below", "ok", "undecided", "no_gold"}
    assert "too little gold to judge" in res.output.lower()
    agreement = json.loads((out / "agreement.json").read_text())
    assert agreement["consensus"]["method"] == "crowdlab" and "krippendorff_alpha" in agreement["overall"]
    assert "crowdlab" in res.output
    bad = CliRunner().invoke(app, ["--store", str(demo_store_path), "annotators", "--out", str(out), "--method", "x"])
    text = " ".join(bad.output.replace("│", " ").split())
    assert bad.exit_code == 2 and "'x' is not one of 'auto', 'mv', 'ds', 'crowdlab'" in text


def test_report_section(demo_store, truth):
    from workbench.inputs import Week
    from workbench.sections.annotators import SECTION

    res = SECTION.build(demo_store, Week.parse(truth["weeks"][-1]))
    assert res.kpis["consensus_method"] == "crowdlab"
    assert res.kpis["flagged_annotators"] >= 1
    assert any("Flagged a07" in s for s in res.summary)
    early = SECTION.build(demo_store, Week.parse(truth["weeks"][2]))  # before a07 degrades
    assert not any("dropped" in s for s in early.summary)


def test_majority_vote_tie_rule_without_timestamps_matches_the_foundation():
    from workbench.annotators import majority_vote_codes

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "item_id": np.repeat([f"i{i:03d}" for i in range(300)], 2),
            "annotator_id": np.tile(["x", "y"], 300),
            "label": rng.choice(["b", "a", "c"], 600),
        }
    )
    annotations = AnnotationSet(frame=frame, classes=("c", "b", "a"))  # class order differs from name order
    cls, share = majority_vote_codes(annotations)
    ref = majority_vote(frame).sort_values("item_id")
    assert np.asarray(annotations.classes)[cls].tolist() == ref["consensus_label"].tolist()
    np.testing.assert_allclose(share, ref["agreement"])
    assert (share == 0.5).sum() > 50  # ties were exercised


def test_active_learning_scores_equal_cleanlab_on_the_demo(demo_store, inputs):
    import contextlib
    import io
    import warnings

    from cleanlab.multiannotator import get_active_learning_scores

    from workbench.annotators import active_learning_scores

    annotations, predictions, _ = inputs
    scores = active_learning_scores(demo_store)
    wide = annotations.frame.pivot(index="item_id", columns="annotator_id", values="label")
    codes = {c: i for i, c in enumerate(annotations.classes)}
    dense = wide.apply(lambda col: col.map(codes)).astype(float).to_numpy()
    proba = pd.DataFrame(predictions.proba, index=predictions.item_id)
    unlabeled_ids = proba.index.difference(wide.index)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ref_unl = get_active_learning_scores(
            dense, proba.loc[wide.index].to_numpy(), proba.loc[unlabeled_ids].to_numpy()
        )
    got = scores.set_index("item_id")["activelab_score"]
    np.testing.assert_allclose(got.loc[wide.index].to_numpy(), ref, atol=1e-6)
    np.testing.assert_allclose(got.loc[unlabeled_ids].to_numpy(), ref_unl, atol=1e-6)
    assert (~scores["labeled"]).sum() == len(unlabeled_ids) > 0
    assert scores["activelab_score"].is_monotonic_increasing


def test_gold_labels_outside_the_classes_are_named(inputs):
    annotations, predictions, gold = inputs
    odd = gold.copy()
    odd.iloc[:3] = "eleven"
    c = consensus_from_annotations(annotations, predictions=predictions, gold=odd, method="mv")
    assert any("3 gold label(s) in table 'gold'" in n for n in c.notes)
    assert c.to_frame().attrs["method"] == "mv"


def test_single_annotation_items_only_no_timestamps():
    from workbench.annotators import compute_agreement_from_set

    frame = pd.DataFrame(
        {"item_id": [f"i{i}" for i in range(40)], "annotator_id": ["x", "y"] * 20, "label": ["a", "b", "a", "a"] * 10}
    )
    annotations = AnnotationSet(frame=frame, classes=("a", "b"))
    agreement = compute_agreement_from_set(annotations)
    assert agreement.overall["items"] == 0 and agreement.overall["single_annotation_items"] == 40
    assert agreement.overall["percent_agreement"] is None and agreement.per_week.empty
    preds = read_predictions_like(frame["item_id"], 2)
    c = consensus_from_annotations(annotations, predictions=preds)
    assert c.method in ("mv", "ds")  # CROWDLAB needs items with two or more annotations
    with pytest.raises(BadInputError, match="two or more annotations"):
        consensus_from_annotations(annotations, method="crowdlab", predictions=preds)
    report = annotator_report_from(annotations, c)
    assert report.drift.empty and len(report.annotators) == 2


def read_predictions_like(item_ids, k):
    from workbench.inputs import Predictions

    proba = np.full((len(item_ids), k), 1.0 / k)
    return Predictions(item_id=pd.Index(item_ids), proba=proba, model_version=None)


def test_expert_adjudication_settles_the_consensus_and_scores_the_crowd(writable_store, truth):
    from datetime import datetime

    from workbench.annotators import annotators_overview
    from workbench.queue.ingest import ADJUDICATIONS_TABLE

    before = annotators_overview(writable_store, method="mv", agreement=False)
    frame = before.consensus.frame.set_index("item_id")
    item = frame.index[frame["n_annotations"] >= 2][0]
    crowd = frame.loc[item, "consensus_label"]
    given = set(writable_store.data("annotations").filter(lambda t: t.item_id == item).execute()["label"])
    expert = next(c for c in truth["classes"] if c not in given)  # a label none of its annotators gave
    now = datetime(2026, 11, 30, 9)
    writable_store.write_table(
        ADJUDICATIONS_TABLE,
        pd.DataFrame(
            {"item_id": [item], "label": [expert], "annotator_id": ["expert1"], "queue_id": ["q1"],
             "adjudicated_at": [now], "ingested_at": [now]}
        ),
    )
    after = annotators_overview(writable_store, method="mv", agreement=False)
    row = after.consensus.frame.set_index("item_id").loc[item]
    assert row["consensus_label"] == expert and row["method"] == "adjudicated" and row["crowd_label"] == crowd
    assert any("expert adjudication" in n for n in after.consensus.notes)
    scored = after.report.annotators.set_index("annotator_id")
    assert scored["n_adjudicated"].sum() == before.consensus.frame.set_index("item_id").loc[item, "n_annotations"]
    assert scored["adjudicated_accuracy"].dropna().eq(0.0).all()  # nobody gave the expert's label
