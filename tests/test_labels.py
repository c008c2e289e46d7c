"""Label errors: given labels, predicted probabilities, Cleanlab ranking, class health, slices, the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import BadInputError
from workbench.inputs import Week, majority_vote
from workbench.labels import (
    OUTPUT_COLUMNS,
    class_health_chart,
    compute_label_quality,
    confusion_chart,
    filter_issues,
    given_labels,
    item_context,
    score_distribution_chart,
    score_labels,
    slice_chart,
)
from workbench.store import Store


@pytest.fixture(scope="module")
def result_table(demo_store_path):
    with Store.open(demo_store_path, read_only=True) as store:
        return compute_label_quality(store)


@pytest.fixture(scope="module")
def result_cv(demo_store_path):
    with Store.open(demo_store_path, read_only=True) as store:
        return compute_label_quality(store, source="cross_validation", folds=5, seed=0)


@pytest.fixture
def store_copy(demo_store_path, tmp_path):
    """A private store file (closed), for tests that change data and run the CLI on it."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_store_path, path)
    return path


def _precision_at_k(result, truth) -> tuple[float, int]:
    """Precision at k, k = the number of scored items whose given label differs from the planted truth.

    The given label is the consensus the run used (majority vote, Dawid-Skene, ...), so the wrong labels are
    counted against it rather than against truth["wrong_labels"] (which is defined by majority vote).
    """
    issues = result.issues
    wrong = set(issues.loc[issues["given_label"] != issues["item_id"].map(truth["true_labels"]), "item_id"])
    k = len(wrong)
    top = result.issues.sort_values("rank").head(k)
    return float(top["item_id"].isin(wrong).mean()), k


# -- given labels ---------------------------------------------------------------------------------


def test_given_labels_equal_majority_vote(demo_store, demo_dir):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    reference = majority_vote(ann).sort_values("item_id").reset_index(drop=True)
    given = given_labels(demo_store)
    assert given.consensus == "majority_vote"
    frame = given.frame.sort_values("item_id").reset_index(drop=True)
    assert frame["item_id"].tolist() == reference["item_id"].tolist()
    assert (frame["given_label"] == reference["consensus_label"]).all()
    assert (frame["n_annotations"].to_numpy() == reference["n_annotations"].to_numpy()).all()
    np.testing.assert_allclose(frame["agreement"].to_numpy(), reference["agreement"].to_numpy())


def test_given_labels_count_unlabeled(demo_store, truth):
    given = given_labels(demo_store)
    assert given.n_unlabeled == len(truth["unannotated_items"])
    assert given.n_items == len(truth["true_labels"])
    assert not set(given.frame["item_id"]) & set(truth["unannotated_items"])


def test_given_labels_use_provided_consensus(demo_store, demo_dir):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    provided = majority_vote(ann)[["item_id", "consensus_label"]].copy()
    provided.loc[provided.index[:10], "consensus_label"] = "zero"
    before = provided.copy()
    given = given_labels(demo_store, consensus=provided, consensus_method="dawid_skene")
    pd.testing.assert_frame_equal(provided, before)  # input not mutated
    assert given.consensus == "dawid_skene"
    got = given.frame.set_index("item_id")["given_label"]
    assert (got.loc[provided["item_id"].iloc[:10]] == "zero").all()
    result = compute_label_quality(demo_store, consensus=provided, consensus_method="dawid_skene", slices=False)
    assert result.params["consensus"] == "dawid_skene"
    named = given_labels(demo_store, consensus=provided.assign(method="crowdlab"))
    assert named.consensus == "crowdlab"


def test_given_labels_reject_bad_consensus(demo_store):
    with pytest.raises(BadInputError, match="consensus_label"):
        given_labels(demo_store, consensus=pd.DataFrame({"item_id": ["it00001"], "label": ["one"]}))
    with pytest.raises(BadInputError, match="not labels in the annotations"):
        given_labels(demo_store, consensus=pd.DataFrame({"item_id": ["it00001"], "consensus_label": ["eleven"]}))
    with pytest.raises(BadInputError, match="more than once"):
        given_labels(
            demo_store, consensus=pd.DataFrame({"item_id": ["it00001", "it00001"], "consensus_label": ["one", "two"]})
        )


# -- the ranking ----------------------------------------------------------------------------------


def test_planted_wrong_labels_rank_near_top_with_predictions(result_table, truth):
    precision, k = _precision_at_k(result_table, truth)
    assert k > 100
    assert precision >= 0.8, precision
    assert result_table.params["probability_source"] == "predictions"
    assert "demo-logreg-v1" in result_table.params["probabilities"]


def test_planted_wrong_labels_rank_near_top_with_cross_validation(result_cv, truth):
    precision, _ = _precision_at_k(result_cv, truth)
    assert precision >= 0.8, precision
    p = result_cv.params
    assert p["probability_source"] == "cross_validation"
    assert p["probability_params"]["folds"] == 5
    assert "LogisticRegression" in p["probability_params"]["model"]
    assert "5-fold cross-validation" in p["probabilities"]
    assert p["probability_params"]["features"]["kinds"]["note"] == "text"
    assert "encoded within each fold" in p["probabilities"]


def test_planted_flips_are_mostly_flagged(result_table, truth):
    flagged = set(result_table.issues.loc[result_table.issues["is_label_issue"], "item_id"])
    flips = set(truth["planted_flips"])
    assert len(flips & flagged) / len(flips) >= 0.75  # 46 of 58 with seed 0


def test_output_table_shape_and_order(result_table, truth):
    frame = result_table.to_frame()
    assert tuple(frame.columns) == OUTPUT_COLUMNS
    assert len(frame) == len(truth["true_labels"]) - len(truth["unannotated_items"])
    assert frame["item_id"].is_unique
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    assert frame["label_quality"].is_monotonic_increasing
    assert frame["label_quality"].between(0, 1).all()
    assert frame["is_label_issue"].dtype == bool
    # Ranking is by score: some unflagged items rank above flagged ones would be allowed, but the top is flagged.
    assert frame["is_label_issue"].head(20).all()
    counts = result_table.counts
    assert counts["skipped_unlabeled"] == len(truth["unannotated_items"])
    assert counts["label_issues"] == int(frame["is_label_issue"].sum())


def test_matches_cleanlab_reference(demo_store, demo_dir, result_table):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    pred = pd.read_parquet(demo_dir / "predictions.parquet")
    mv = majority_vote(ann).merge(pred, on="item_id")
    classes = sorted(result_table.params["classes"])
    probs = mv[[f"proba_{c}" for c in classes]].to_numpy()
    probs = probs / probs.sum(axis=1, keepdims=True)
    y = mv["consensus_label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    ref_quality = get_label_quality_scores(y, probs, method="normalized_margin")
    ref_flags = find_label_issues(y, probs, filter_by="confident_learning")
    got = result_table.issues.set_index("item_id").loc[mv["item_id"]]
    np.testing.assert_allclose(got["label_quality"].to_numpy(), ref_quality, atol=1e-9)
    assert (got["is_label_issue"].to_numpy() == ref_flags).all()
    suggested = np.asarray(classes, dtype=object)[probs.argmax(axis=1)]
    assert (got["suggested_label"].to_numpy() == suggested).all()


def test_score_labels_row_order_invariant():
    rng = np.random.default_rng(3)
    n, k = 600, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_noisy = y.copy()
    y_noisy[:40] = (y_noisy[:40] + 1) % k
    y_copy, probs_copy = y_noisy.copy(), probs.copy()
    q1, f1, _ = score_labels(y_noisy, probs)
    perm = rng.permutation(n)
    q2, f2, _ = score_labels(y_noisy[perm], probs[perm])
    np.testing.assert_allclose(q1[perm], q2)
    assert (f1[perm] == f2).all()
    assert (y_noisy == y_copy).all() and (probs == probs_copy).all()  # inputs untouched
    assert f1[:40].mean() > 0.5 > f1[40:].mean()
    for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
        q, _, _ = score_labels(y_noisy, probs, rank_by=method)
        np.testing.assert_allclose(q, get_label_quality_scores(y_noisy, probs, method=method), atol=1e-12)
    for filter_by in ("confident_learning", "prune_by_noise_rate", "both"):
        _, f, _ = score_labels(y_noisy, probs, filter_by=filter_by)
        assert (f == find_label_issues(y_noisy, probs, filter_by=filter_by)).all()
    with pytest.raises(BadInputError, match="class indices"):
        score_labels(y_noisy + k, probs)
    with pytest.raises(BadInputError, match="shape"):
        score_labels(y_noisy[:10], probs)


@pytest.mark.parametrize("rank_by", ["self_confidence", "confidence_weighted_entropy"])
def test_rank_method_option(demo_store, rank_by, result_table):
    r = compute_label_quality(demo_store, rank_by=rank_by, filter_by="prune_by_noise_rate", slices=False)
    assert r.params["rank_by"] == rank_by and r.params["filter_by"] == "prune_by_noise_rate"
    assert r.issues["label_quality"].is_monotonic_increasing
    assert not np.allclose(
        r.issues.set_index("item_id")["label_quality"].sort_index(),
        result_table.issues.set_index("item_id")["label_quality"].sort_index(),
    )


def test_unknown_methods_are_bad_input(demo_store):
    with pytest.raises(BadInputError, match="--rank-by"):
        compute_label_quality(demo_store, rank_by="entropy")
    with pytest.raises(BadInputError, match="--filter-by"):
        compute_label_quality(demo_store, filter_by="everything")


def test_cross_validation_is_deterministic(demo_store, result_cv):
    again = compute_label_quality(demo_store, source="cross_validation", folds=5, seed=0, slices=False)
    pd.testing.assert_frame_equal(again.to_frame(), result_cv.to_frame())


def test_until_restricts_annotations(demo_store, result_table):
    early = compute_label_quality(demo_store, until=Week.parse("2026-W43").end, slices=False)
    assert 0 < early.counts["labeled_items"] < result_table.counts["labeled_items"]
    assert early.params["until"] == "2026-10-26T00:00:00"
    assert early.counts["items"] < result_table.counts["items"]  # items created later do not count
    assert early.counts["skipped_unlabeled"] == early.counts["items"] - early.counts["labeled_items"]


# -- class health and slices ---------------------------------------------------------------------


def test_ambiguous_pair_is_the_noisiest(result_table, truth):
    pair = set(truth["ambiguous_pair"])
    assert set(result_table.classes["class"].head(2)) == pair
    top = result_table.confused_pairs.iloc[0]
    assert {top["class_a"], top["class_b"]} == pair
    fixed = result_table.confused_pairs.iloc[1]
    assert {fixed["class_a"], fixed["class_b"]} == set(truth["guideline_fix"]["pair"])
    assert 0.0 < result_table.health_score < 1.0
    assert result_table.classes["noise_rate"].between(0, 1).all()
    assert result_table.classes["items"].sum() == result_table.counts["scored_items"]


def test_slices(result_table, truth):
    s = result_table.slices
    assert set(s) == {"source", "split", "guideline_version", "annotator"}
    assert set(s["source"]["slice"]) == {"human", "synthetic"}
    assert s["source"]["items"].sum() == result_table.counts["scored_items"]
    assert set(s["guideline_version"]["slice"]) == {"v1", "v2"}
    annot = s["annotator"].sort_values("disagreement_with_suggested", ascending=False)
    # the degrading annotator leads the original twelve; a15, planted weak on gold (54% right), may come first
    original = annot[~annot["slice"].isin(["a13", "a14", "a15", "a16", "a17"])]
    assert original["slice"].iloc[0] == truth["degrading_annotator"]["annotator_id"]
    assert (s["annotator"]["issue_rate"] == s["annotator"]["label_issues"] / s["annotator"]["items"]).all()


def test_to_dict_is_json_safe(result_table):
    data = json.loads(json.dumps(result_table.to_dict()))
    assert data["params"]["consensus"] == "majority_vote"
    assert data["params"]["rank_by"] == "normalized_margin"
    assert len(data["top_issues"]) == 10 and data["top_issues"][0]["rank"] == 1


def test_charts_and_filters(demo_store, result_table):
    for chart in (
        class_health_chart(result_table),
        confusion_chart(result_table),
        score_distribution_chart(result_table),
        slice_chart(result_table, "annotator"),
    ):
        spec = chart.to_dict()
        assert "$schema" in spec
    heat = result_table.confusion
    assert heat["items"].sum() == result_table.counts["scored_items"]
    context = item_context(demo_store)
    assert {"item_id", "annotators", "week", "source", "guideline_versions", "labels"} <= set(context.columns)
    only = filter_issues(result_table, context, classes=["one"], annotators=["a07"], only_flagged=True)
    assert len(only) > 0
    assert ((only["given_label"] == "one") | (only["suggested_label"] == "one")).all()
    assert only["annotators"].str.split(",").map(lambda s: "a07" in s).all()
    assert only["is_label_issue"].all()
    wk = filter_issues(result_table, context, weeks=["2026-W41"], sources=["synthetic"])
    assert (wk["week"] == "2026-W41").all() and (wk["source"] == "synthetic").all()


# -- bad input and the command ------------------------------------------------------------------


def _run(store_path, *args):
    return CliRunner().invoke(app, ["--store", str(store_path), *args])


def test_cli_writes_csv_and_parquet(demo_store_path, tmp_path, truth):
    out = tmp_path / "labels.csv"
    res = _run(demo_store_path, "labels", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "predictions table" in res.output and "majority_vote" in res.output
    frame = pd.read_csv(out)
    assert tuple(frame.columns) == OUTPUT_COLUMNS
    assert f"{len(truth['unannotated_items'])} unlabeled skipped" in res.output
    # class health and confused pairs beside the output, in its format
    classes = pd.read_csv(tmp_path / "labels_classes.csv")
    assert sorted(classes["class"]) == sorted(truth["classes"])
    pairs = pd.read_csv(tmp_path / "labels_confused_pairs.csv")
    # the planted ambiguous pair leads the most confused pairs
    assert set(pairs[["class_a", "class_b"]].iloc[0]) == set(truth["ambiguous_pair"])
    out_pq = tmp_path / "labels.parquet"
    res = _run(demo_store_path, "labels", "--out", str(out_pq), "--rank-by", "self_confidence", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output[res.output.index("{") :])
    assert data["params"]["rank_by"] == "self_confidence"
    assert len(pd.read_parquet(out_pq)) == len(frame)
    assert len(pd.read_parquet(tmp_path / "labels_classes.parquet")) == len(classes)


def test_cli_bad_extension_writes_nothing(demo_store_path, tmp_path):
    out = tmp_path / "labels.txt"
    res = _run(demo_store_path, "labels", "--out", str(out))
    assert res.exit_code == 2
    assert ".csv or .parquet" in res.output
    assert not out.exists()


def test_fewer_items_than_folds(demo_store_path, tmp_path):
    out = tmp_path / "labels.csv"
    res = _run(demo_store_path, "labels", "--out", str(out), "--probabilities", "cross_validation", "--folds", "5000")
    assert res.exit_code == 2
    assert "fewer than the 5000 cross-validation folds" in res.output
    assert list(tmp_path.iterdir()) == []


def test_probabilities_for_unknown_class(store_copy, tmp_path):
    with Store.open(store_copy) as store:
        store.con.raw_sql("ALTER TABLE predictions ADD COLUMN proba_eleven DOUBLE DEFAULT 0")
    out = tmp_path / "labels.csv"
    res = _run(store_copy, "labels", "--out", str(out))
    assert res.exit_code == 2
    assert "proba_eleven" in res.output and "'eleven'" in res.output
    assert not out.exists()


def test_single_class(store_copy, tmp_path):
    with Store.open(store_copy) as store:
        store.con.raw_sql("UPDATE annotations SET label = 'one'")
        store.con.raw_sql("DROP TABLE predictions")
    out = tmp_path / "labels.csv"
    res = _run(store_copy, "labels", "--out", str(out))
    assert res.exit_code == 2
    assert "single class ('one')" in res.output
    assert not out.exists()


def test_missing_prediction_rows_are_counted(store_copy):
    with Store.open(store_copy) as store:
        store.con.raw_sql("DELETE FROM predictions WHERE item_id IN ('it00000', 'it00001', 'it00002', 'it00003')")
        labeled = set(given_labels(store).frame["item_id"])
        r = compute_label_quality(store, slices=False)
    gone = {"it00000", "it00001", "it00002", "it00003"} & labeled
    assert r.counts["skipped_no_prediction"] == len(gone)
    assert r.counts["scored_items"] == len(labeled) - len(gone)
    assert not gone & set(r.issues["item_id"])


def test_dataset_issues_command(demo_store_path, tmp_path):
    out = tmp_path / "issues.parquet"
    res = _run(demo_store_path, "dataset-issues", "--out", str(out), "--max-items", "500", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output[res.output.index("{") :])
    assert data["sampled"] is True and data["n_checked"] == 500
    assert len(pd.read_parquet(out)) == 500


# -- the report section ---------------------------------------------------------------------------


def test_report_section(demo_store, truth):
    from workbench.report import discover_sections
    from workbench.sections.labels import SECTION

    assert "labels" in [s.key for s in discover_sections()]
    assert SECTION.order == 20
    res = SECTION.build(demo_store, Week.parse("2026-W47"))
    k = res.kpis
    assert 0 < k["label_health_score"] < 1
    assert k["noisiest_class"] in truth["ambiguous_pair"]
    assert set(k["top_confused_pair"].split("/")) == set(truth["ambiguous_pair"])
    assert k["skipped_unlabeled"] == len(truth["unannotated_items"])
    assert {"classes", "confused_pairs", "top_issues", "dataset_issues"} <= set(res.tables)
    assert res.tables["top_issues"]["rank"].tolist() == list(range(1, 26))
    assert any("Items first labeled this week" in line for line in res.summary)
    assert any(line.startswith("Dataset issues (Datalab") for line in res.summary)
    assert "majority_vote" in res.notes[0]
    early = SECTION.build(demo_store, Week.parse("2026-W42"))
    assert early.kpis["scored_items"] < k["scored_items"]


def test_given_class_without_probability_column(store_copy, tmp_path):
    with Store.open(store_copy) as store:
        store.con.raw_sql("ALTER TABLE predictions DROP COLUMN proba_zero")
    out = tmp_path / "labels.csv"
    res = _run(store_copy, "labels", "--out", str(out))
    assert res.exit_code == 2
    assert "no probability column for given label(s) 'zero'" in res.output
    assert not out.exists()


def test_cli_cross_validation_says_so(demo_store_path, tmp_path):
    out = tmp_path / "labels.csv"
    res = _run(demo_store_path, "labels", "--out", str(out), "--probabilities", "cross_validation", "--folds", "3")
    assert res.exit_code == 0, res.output
    assert "3-fold cross-validation of LogisticRegression" in res.output
    assert len(pd.read_csv(out)) == 1901


def test_cli_consensus_file(demo_store_path, demo_dir, tmp_path):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    consensus = majority_vote(ann)[["item_id", "consensus_label"]]
    consensus["method"] = "dawid_skene"
    path = tmp_path / "consensus.csv"
    consensus.to_csv(path, index=False)
    out = tmp_path / "labels.parquet"
    res = _run(demo_store_path, "labels", "--out", str(out), "--consensus", str(path), "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output[res.output.index("{") :])
    assert data["params"]["consensus"] == "dawid_skene from consensus.csv"
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"item_id": ["it00001"], "consensus_label": ["eleven"]}).to_csv(bad, index=False)
    out2 = tmp_path / "labels2.csv"
    res = _run(demo_store_path, "labels", "--out", str(out2), "--consensus", str(bad))
    assert res.exit_code == 2 and "'eleven'" in res.output
    assert not out2.exists()


def test_given_by_uses_the_annotators_consensus(demo_store, truth):
    from workbench.annotators import consensus_labels

    result = compute_label_quality(demo_store, given_by="ds", slices=False)
    assert result.params["consensus"].startswith("ds")
    ds = consensus_labels(demo_store, method="ds").to_frame().set_index("item_id")["consensus_label"]
    given = result.issues.set_index("item_id")["given_label"]
    assert (given == ds.reindex(given.index)).all()
    # Auto leaves CROWDLAB out (it would reuse the predictions under test) and says so.
    auto = compute_label_quality(demo_store, given_by="auto", slices=False)
    assert "CROWDLAB left out" in auto.params["consensus"]
    precision, k = _precision_at_k(auto, truth)
    assert precision >= 0.8 and k > 100
