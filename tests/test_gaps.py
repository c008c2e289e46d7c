"""Gap analysis on the demo: the planted gaps are found, evidence numbers match the raw tables, bad input exits 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.contract import check_dataset
from workbench.demo import write_demo
from workbench.errors import BadInputError
from workbench.gaps import GAP_COLUMNS, compute_gaps, severity
from workbench.guidelines import demo_guidelines
from workbench.inputs import majority_vote
from workbench.labels import compute_label_quality
from workbench.store import Store


@pytest.fixture(scope="module")
def analysis(demo_store_path):
    with Store.open(demo_store_path, read_only=True) as store:
        lq = compute_label_quality(store, slices=False)
        return compute_gaps(store, label_quality=lq), lq


@pytest.fixture(scope="module")
def no_gap_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nogap") / "demo"
    write_demo(folder, seed=0, gaps=False)
    path = folder.parent / "store.duckdb"
    with Store.open(path) as store:
        store.ingest(folder)
    return path


def test_planted_ambiguous_pair_is_the_top_gap(analysis):
    result, _ = analysis
    top = result.to_frame().iloc[0]
    assert top["kind"] == "ambiguous"
    assert top["section_id"] == "one-vs-seven"
    assert top["classes"] == "one / seven"
    assert top["p_adjusted"] < 0.05
    assert "clarify section one-vs-seven" in top["suggested_action"]
    assert result.section_text("one-vs-seven").startswith("## Ones and sevens {#one-vs-seven}")


def test_four_nine_clarification_makes_v1_labels_stale(analysis):
    result, _ = analysis
    gaps = result.to_frame()
    stale = gaps[gaps["kind"] == "stale"]
    assert list(stale["section_id"]) == ["four-vs-nine"]
    row = stale.iloc[0]
    assert row["classes"] == "four / nine" and row["p_adjusted"] < 0.05
    assert "re-annotate" in row["suggested_action"] and "v2" in row["suggested_action"]
    # four/nine is not also reported as ambiguous: the v2 change explains it
    assert not ((gaps["kind"] == "ambiguous") & (gaps["classes"] == "four / nine")).any()


def _raw(demo_dir, lq):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    items = pd.read_parquet(demo_dir / "items.parquet")
    preds = pd.read_parquet(demo_dir / "predictions.parquet")
    mv = majority_vote(ann).set_index("item_id")
    proba = preds.set_index("item_id").filter(like="proba_")
    predicted = proba.idxmax(axis=1).str.removeprefix("proba_")
    frame = mv.join(items.set_index("item_id")["split"]).join(predicted.rename("predicted"))
    frame = frame.join(lq.issues.set_index("item_id")["is_label_issue"])
    split = (frame["n_annotations"] >= 2) & (frame["agreement"] < 1)
    model_error = (frame["split"] == "eval") & (frame["predicted"] != frame["consensus_label"])
    frame["failed"] = split | frame["is_label_issue"].fillna(False).astype(bool) | model_error
    return ann, frame


def test_evidence_is_recomputed_from_the_raw_tables(analysis, demo_dir):
    result, lq = analysis
    ann, frame = _raw(demo_dir, lq)
    base = frame["failed"].mean()
    gaps = result.gaps.set_index("kind")

    amb = gaps.loc["ambiguous"]
    amb = amb.iloc[0] if isinstance(amb, pd.DataFrame) else amb
    pair = frame[frame["consensus_label"].isin(["one", "seven"])]
    assert amb["n_items"] == len(pair)
    assert amb["n_failed"] == int(pair["failed"].sum())
    assert math.isclose(amb["failure_rate"], pair["failed"].mean(), rel_tol=1e-12)
    assert math.isclose(amb["lift"], pair["failed"].mean() / base, rel_tol=1e-12)
    assert math.isclose(amb["base_rate"], base, rel_tol=1e-12)

    st = gaps.loc["stale"]
    st = st.iloc[0] if isinstance(st, pd.DataFrame) else st
    old = ann[ann["label"].isin(["four", "nine"]) & (ann["guideline_version"] == "v1")]["item_id"].unique()
    stale = frame.loc[frame.index.isin(old) & frame["consensus_label"].isin(["four", "nine"])]
    assert st["n_items"] == len(stale)
    assert st["n_failed"] == int(stale["failed"].sum())
    current = frame[frame["consensus_label"].isin(["four", "nine"]) & ~frame.index.isin(old)]
    assert math.isclose(st["evidence"]["failure_rate_current"], current["failed"].mean(), rel_tol=1e-12)
    assert st["failure_rate"] > st["evidence"]["failure_rate_current"]
    # the p-value is Fisher's exact test of the same counts
    from scipy.stats import fisher_exact

    f1, n1, f0, n0 = int(stale["failed"].sum()), len(stale), int(current["failed"].sum()), len(current)
    p = fisher_exact([[f1, n1 - f1], [f0, n0 - f0]], alternative="greater")[1]
    assert math.isclose(st["p_value"], p, rel_tol=1e-9)
    # severity follows its documented formula
    share = st["n_failed"] / int(frame["failed"].sum())
    assert math.isclose(st["severity"], math.sqrt(share * (1 - 1 / st["lift"])), rel_tol=1e-12)


def test_slice_p_values_are_benjamini_hochberg(analysis):
    from statsmodels.stats.multitest import multipletests

    result, _ = analysis
    s = result.slices.dropna(subset=["p_adjusted"])
    assert np.allclose(s["p_adjusted"], multipletests(s["p_value"], method="fdr_bh")[1])
    assert {"class", "pair", "numeric", "categorical", "text_length", "annotation"} <= set(result.slices["kind"])


def test_no_gap_variant_reports_no_significant_gap(no_gap_store):
    with Store.open(no_gap_store, read_only=True) as store:
        result = compute_gaps(store, hygiene=False)
    assert result.to_frame().empty
    assert len(result.gaps) > 0  # candidates were tested


def test_severity_formula():
    assert severity(0.25, 2.0) == pytest.approx(math.sqrt(0.25 * 0.5))
    assert severity(0.5, 1.0) == 0.0 and severity(0.0, 3.0) == 0.0
    assert 0 <= severity(1.0, 1e9) <= 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("{#one-vs-seven}", "{#four-vs-nine}"), "used twice"),
        (("- pairs: one / seven", "- pairs: one / sevn"), "sevn"),
        (("- conditions: device = phone", "- conditions: device = = phone"), "line"),
        (("- v2 (2026-10-26): settles four versus nine (from ISO week 2026-W44)\n", ""), "v2"),
    ],
)
def test_bad_guidelines_exit_2_and_write_nothing(demo_store_path, tmp_path, monkeypatch, change, needle):
    text = demo_guidelines()
    assert change[0] in text
    bad = tmp_path / "guidelines.md"
    bad.write_text(text.replace(*change), encoding="utf-8")
    with Store.open(demo_store_path, read_only=True) as store, pytest.raises(BadInputError, match=needle):
        compute_gaps(store, guidelines=bad.read_text(), hygiene=False)
    out = tmp_path / "gaps.csv"
    monkeypatch.setenv("WORKBENCH_STORE", str(demo_store_path))
    res = CliRunner().invoke(app, ["gaps", "--out", str(out), "--guidelines", str(bad), "--no-hygiene"])
    assert res.exit_code == 2, res.output
    assert "line" in res.output and not out.exists()


def test_command_writes_csv_and_json(demo_store_path, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_STORE", str(demo_store_path))
    csv = tmp_path / "gaps.csv"
    res = CliRunner().invoke(app, ["gaps", "--out", str(csv), "--no-hygiene"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(csv)
    assert tuple(frame.columns) == GAP_COLUMNS
    assert frame.iloc[0]["section_id"] == "one-vs-seven"
    js = tmp_path / "gaps.json"
    res = CliRunner().invoke(app, ["gaps", "--out", str(js), "--json", "--all"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    assert {"gaps", "hygiene"} <= set(printed)
    assert printed["hygiene"]["synthetic_in_eval"]["items"] == 0
    written = json.loads(js.read_text())
    assert len(written) == len(printed["gaps"]) >= 2
    res = CliRunner().invoke(app, ["gaps", "--out", str(tmp_path / "gaps.txt")])
    assert res.exit_code == 2


def test_contract_checks_guideline_versions(demo_dir, tmp_path):
    import shutil

    folder = tmp_path / "d"
    shutil.copytree(demo_dir, folder)
    assert check_dataset(folder) == []
    ann = pd.read_parquet(folder / "annotations.parquet")
    ann.loc[0, "guideline_version"] = "v9"
    ann.to_parquet(folder / "annotations.parquet")
    problems = [str(v) for v in check_dataset(folder)]
    assert len(problems) == 1 and "v9" in problems[0] and "line" in problems[0]
    (folder / "guidelines.md").write_text("# Plain guidelines\n\nLabel what you see.\n", encoding="utf-8")
    assert check_dataset(folder) == []  # a plain file stays accepted


def test_gap_members_feed_the_queue(demo_store):
    from workbench.gaps import gap_items
    from workbench.inputs import latest_annotations

    members = gap_items(demo_store)
    by_gap = dict(members.groupby("gap_id")["item_id"].apply(set))
    ambiguous = next(v for k, v in by_gap.items() if ":ambiguous:one-vs-seven" in k)
    assert any(":stale:four-vs-nine" in k for k in by_gap)
    # recomputed from the raw annotations: every member of the one/seven gap has annotators who split, and at
    # least one of its labels is one or seven
    ann = latest_annotations(demo_store).execute()
    ann = ann[ann["item_id"].isin(ambiguous)]
    n_labels = ann.groupby("item_id")["label"].nunique()
    in_pair = ann.assign(p=ann["label"].isin(["one", "seven"])).groupby("item_id")["p"].any()
    assert len(in_pair) == len(ambiguous) and in_pair.all()
    assert (n_labels > 1).mean() >= 0.5
    assert members["score"].between(0, 1).all()
