"""The re-annotation queue on the demo: priority and reasons, budget, pending entries, tiers, gold, ingest-labels."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import BadInputError
from workbench.queue import (
    QUEUE_TABLE,
    adjudicated_labels,
    apply_adjudications,
    build_queue,
    combine_signals,
    compute_signals,
    ingest_labels,
    prelabel_acceptance,
    queue_settings,
    read_queue,
    save_queue,
    select_batch,
)
from workbench.queue.status import queue_status
from workbench.sections.queue import build as build_section
from workbench.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def signals(demo_store_path):
    with Store.open(demo_store_path, read_only=True) as store:
        return compute_signals(store)


def test_signals_present_and_absent_are_stated(signals):
    assert {"label_issue", "consensus", "activelab", "uncertainty", "gap", "stale_guideline"} <= set(signals.frames)
    # the gap signal's items are the members of the demo's significant gaps (one/seven, the stale four/nine)
    assert signals.frames["gap"]["score"].gt(0).all()
    assert signals.frames["gap"]["detail"].str.startswith("gap ").all()
    for frame in signals.frames.values():
        assert frame["score"].between(0, 1).all()
        assert not frame["item_id"].duplicated().any()


def test_priority_is_the_weighted_mean_and_reasons_carry_values(signals):
    ranked = combine_signals(signals, {"label_issue": 1.0, "consensus": 0.0})
    li = signals.frames["label_issue"].set_index("item_id")["score"]
    top = ranked.iloc[0]
    assert top["priority"] == pytest.approx(li.max())
    assert top["reasons"][0]["signal"] == "label_issue"
    assert top["reasons"][0]["value"] == pytest.approx(1 - li.max(), abs=1e-4)  # the label quality itself
    assert ranked["priority"].is_monotonic_decreasing
    with pytest.raises(BadInputError, match="every weight is 0"):
        combine_signals(signals, {"label_issue": 0.0})


def test_queue_finds_planted_errors_far_above_random(demo_store, signals, truth):
    batch = select_batch(demo_store, signals, budget=100, settings=queue_settings({}, gold_rate=0.0))
    regular = batch.entries[~batch.entries["is_gold"]]
    assert len(regular) == 100
    wrong = set(truth["wrong_labels"])
    found = regular["item_id"].isin(wrong).sum()
    base_rate = len(wrong) / len(signals.context.items)
    assert found >= 3 * base_rate * 100, (found, base_rate)


def test_budget_caps_tiers_and_gold(demo_store, signals, truth):
    settings = queue_settings({}, class_cap=5, expert_classes=["one", "seven"], gold_rate=0.1)
    batch = select_batch(demo_store, signals, budget=40, settings=settings)
    e = batch.entries
    assert (~e["is_gold"]).sum() == 40 and e["is_gold"].sum() == 4
    assert set(e.loc[e["is_gold"], "item_id"]) <= set(truth["gold_items"])
    classes = e.loc[~e["is_gold"], "label"].fillna(e["suggested_label"])
    assert classes.value_counts().max() <= 5
    in_gap = e["item_id"].isin(signals.frames["gap"]["item_id"])  # gap members go to experts too
    expert = e["label"].isin(["one", "seven"]) | e["suggested_label"].isin(["one", "seven"]) | in_gap
    assert (e["tier"] == "expert").eq(expert).all()
    assert list(e["rank"]) == list(range(1, 45))
    assert set(e.columns) >= {"priority", "reasons", "queue_id"}
    assert e["priority"].nunique() == len(e)  # gold entries do not copy a regular entry's priority


def test_bad_budget_is_refused(demo_store, signals):
    for budget in (0, -3):
        with pytest.raises(BadInputError, match="budget"):
            select_batch(demo_store, signals, budget=budget)


def test_new_batch_never_repeats_pending_entries(writable_store):
    settings = queue_settings({}, weights={"drift_novelty": 0.0, "activelab": 0.0})
    first = build_queue(writable_store, budget=30, settings=settings)
    save_queue(writable_store, first)
    second = build_queue(writable_store, budget=30, settings=settings)
    assert not set(first.entries["item_id"]) & set(second.entries["item_id"])
    with pytest.raises(BadInputError, match="already have an open or exported"):
        save_queue(writable_store, first)
    stored = read_queue(writable_store)
    assert len(stored) == len(first.entries) and set(stored["status"]) == {"open"}


def _queue_cli(store_path, out, *args):
    return runner.invoke(app, ["--store", str(store_path), "queue", "--budget", "20", "--out", str(out), *args])


def test_cli_csv_then_ingest_labels_round_trip(writable_store_path, tmp_path):
    out = tmp_path / "queue.csv"
    res = _queue_cli(writable_store_path, out, "--weight", "drift_novelty=0", "--gold-rate", "0.1")
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:6]) == ["rank", "item_id", "priority", "tier", "reasons", "queue_id"]
    assert "note" in frame.columns and "is_gold" not in frame.columns and len(frame) == 22
    labels = pd.DataFrame(
        {
            "item_id": frame["item_id"][:8],
            "annotator_id": "r01",
            "label": "one",
            "created_at": "2026-11-30T10:00:00Z",
            "queue_id": frame["queue_id"][:8],
        }
    )
    labels.to_csv(tmp_path / "labels.csv", index=False)
    with Store.open(writable_store_path) as store:
        n_before = store.table("annotations").count().execute()
    for expected_added in (8, 0):  # idempotent
        res = runner.invoke(app, ["--store", str(writable_store_path), "ingest-labels", str(tmp_path / "labels.csv")])
        assert res.exit_code == 0, res.output
        assert f"+{expected_added} " in res.output
    with Store.open(writable_store_path) as store:
        assert store.table("annotations").count().execute() == n_before + 8
        q = read_queue(store).set_index("item_id")
        assert set(q.loc[list(labels["item_id"]), "status"]) == {"done"}
        assert (q["status"] == "exported").sum() == 22 - 8
        lineage = store.con.table("wb_label_lineage").execute()
        assert set(lineage["queue_id"]) == set(labels["queue_id"]) and set(lineage["annotator_id"]) == {"r01"}
        status = queue_status(store)
        assert status.kpis["done"] == 8 and status.kpis["open"] == 14
        assert build_section(store, None) is not None


@pytest.fixture
def writable_store_path(writable_store):
    path = writable_store.target
    writable_store.close()
    return path


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("ghost", "r01", "one", "2026-11-30")], "not in the store's items"),
        ([("it00001", "r01", "eleven", "2026-11-30")], "not known classes"),
        ([("it00001", "r01", "one", "yesterday")], "not an ISO 8601"),
    ],
)
def test_ingest_labels_bad_input_writes_nothing(writable_store_path, tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"]).to_csv(path, index=False)
    res = runner.invoke(app, ["--store", str(writable_store_path), "ingest-labels", str(path)])
    assert res.exit_code == 2 and message in res.output
    with Store.open(writable_store_path) as store:
        assert not store.has("wb_label_lineage")


def test_ingest_labels_unknown_shape(writable_store_path, tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"hello": 1}))
    res = runner.invoke(app, ["--store", str(writable_store_path), "ingest-labels", str(path)])
    assert res.exit_code == 2 and "unrecognised shape" in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "0", "--out", "q.csv"], "budget"),
        (["--budget", "5", "--out", "q.json"], "cannot tell the format"),
        (["--budget", "5", "--out", "q.csv", "--format", "xml"], "--format"),
        (
            [
                "--budget",
                "5",
                "--out",
                "q.csv",
                "--weight",
                "label_issue=0,consensus=0,activelab=0,uncertainty=0,drift_novelty=0,gap=0,stale_guideline=0",
            ],
            "every weight is 0",
        ),
        (["--budget", "5", "--out", "q.csv", "--weight", "bogus=1"], "unknown signal"),
    ],
)
def test_queue_bad_input_exit_2_nothing_written(writable_store_path, tmp_path, args, message):
    args = [a if not a.startswith("q.") else str(tmp_path / a) for a in args]
    res = runner.invoke(app, ["--store", str(writable_store_path), "queue", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not list(tmp_path.glob("q.*"))
    with Store.open(writable_store_path) as store:
        assert not store.has(QUEUE_TABLE)


def test_expert_label_adjudicates_and_prelabel_acceptance(writable_store, truth):
    settings = queue_settings({}, weights={"drift_novelty": 0.0}, expert_classes=list(truth["classes"]), gold_rate=0)
    batch = build_queue(writable_store, budget=12, settings=settings)
    save_queue(writable_store, batch)
    e = batch.entries
    true = truth["true_labels"]
    # r01 always keeps the model's suggestion; the expert answers with the truth
    rows = [(i, "r01", s, "2026-11-30T10:00:00", s) for i, s in zip(e["item_id"], e["suggested_label"], strict=True)]
    rows += [
        (i, "expert1", true[i], "2026-11-30T11:00:00", s)
        for i, s in zip(e["item_id"], e["suggested_label"], strict=True)
    ]
    cols = ["item_id", "annotator_id", "label", "created_at", "suggested_label"]
    path = writable_store.path.parent / "labels.csv"
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False)
    result = ingest_labels(writable_store, path)
    assert result.counts["added"] == 24 and result.counts["entries_done"] == 12
    adj = adjudicated_labels(writable_store)
    assert len(adj) == 12  # every entry was expert tier; the latest label settles it
    assert dict(zip(adj["item_id"], adj["label"], strict=True)) == {i: true[i] for i in e["item_id"]}
    consensus = pd.DataFrame({"item_id": list(e["item_id"]), "consensus_label": "zero", "method": "mv"})
    settled = apply_adjudications(consensus, adj)
    assert settled["adjudicated"].all() and set(settled["method"]) == {"adjudicated"}
    acc = prelabel_acceptance(writable_store, min_prelabels=5, min_checked=5).to_frame().set_index("annotator_id")
    assert acc.loc["r01", "acceptance_rate"] == 1.0
    model_acc = acc.loc["r01", "model_accuracy"]
    assert model_acc == pytest.approx((e["suggested_label"] == e["item_id"].map(true)).mean())
    assert bool(acc.loc["r01", "rubber_stamping"]) == (1.0 - model_acc >= 0.15)
