"""The input layer: one rule per question, the same answer through every form."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import BadInputError
from workbench.inputs import (
    choose_model_version,
    column_kinds,
    frame_kinds,
    latest_annotations,
    majority_vote,
    majority_vote_codes,
    majority_vote_table,
    read_annotations,
    read_predictions,
)
from workbench.store import Store

runner = CliRunner()

OPTIONAL = [
    ("items", "split"),
    ("items", "source"),
    ("items", "source_model"),
    ("items", "created_at"),
    ("items", "meta_batch"),
    ("annotations", "created_at"),
    ("annotations", "guideline_version"),
    ("annotations", "duration_s"),
    ("predictions", "model_version"),
]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_check_accepts_exactly_what_ingest_accepts_with_each_optional_column_blank(demo_dir, tmp_path, fmt):
    for table, column in OPTIONAL:
        folder = tmp_path / f"{fmt}-{table}-{column}"
        shutil.copytree(demo_dir, folder)
        frame = pd.read_parquet(folder / f"{table}.parquet")
        frame[column] = None
        if fmt == "csv":
            (folder / f"{table}.parquet").unlink()
            frame.to_csv(folder / f"{table}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{table}.parquet", index=False)
        checked = runner.invoke(app, ["check", str(folder)])
        store = str(tmp_path / f"{fmt}-{table}-{column}.duckdb")
        ingested = runner.invoke(app, ["--store", store, "ingest", str(folder)])
        assert checked.exit_code == 0, (table, column, checked.output)
        assert ingested.exit_code == 0, (table, column, ingested.output)
        with Store.open(store, read_only=True) as s:
            dtype = s.table(table).schema()[column]
        expected = {"created_at": "timestamp", "duration_s": "float64"}.get(column, "string")
        assert str(dtype).startswith(expected), (table, column, dtype)


# -- column kinds ----------------------------------------------------------------------------------


def _evidently_kind(series: pd.Series) -> str | None:
    from evidently.core.datasets import ColumnType, infer_column_type

    kind = infer_column_type(series)
    return {ColumnType.Numerical: "numeric", ColumnType.Categorical: "categorical", ColumnType.Text: "text"}.get(kind)


def test_column_kinds_equal_evidently_on_the_demo(demo_store, demo_dir):
    items = pd.read_parquet(demo_dir / "items.parquet")
    ours = column_kinds(demo_store, overrides={})
    assert ours == {c: _evidently_kind(items[c]) for c in ours}
    assert ours["note"] == "text" and ours["device"] == "categorical" and ours["pixel_00"] == "numeric"


def test_column_kinds_equal_evidently_on_each_side_of_each_boundary():
    n = 40
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(n)],
            "f": rng.normal(size=n),  # float: numeric
            "int10": np.arange(n) % 10,  # 10 distinct integers: categorical
            "int11": np.arange(n) % 11,  # 11: numeric
            "flag": np.arange(n) % 2 == 0,  # bool: categorical
            # 20 distinct of 40: not above half -> categorical; 21 -> text
            "s20": [f"v {i % 20}" for i in range(n)],
            "s21": [f"v {i % 21}" if i < 39 else "v 20" for i in range(n)],
            # short multi-word values are categorical (the old rule called them text)
            "income": [["0 - 20K €", "20K - 40K €", "40K - 60K €", "60K+ €"][i % 4] for i in range(n)],
            "city": [["New York", "San Francisco", "Los Angeles"][i % 3] for i in range(n)],
            "sentence": [f"the parcel number {i} arrived late again" for i in range(n)],
        }
    )
    frame.loc[::7, "s21"] = None  # nulls do not count as values
    ours = frame_kinds(frame)
    theirs = {c: _evidently_kind(frame[c]) for c in ours}
    assert ours == theirs
    assert ours["income"] == "categorical" and ours["city"] == "categorical" and ours["sentence"] == "text"
    assert ours["int10"] == "categorical" and ours["int11"] == "numeric"


# -- majority vote -----------------------------------------------------------------------------------


def _random_annotations(seed: int, n_items: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = datetime(2026, 10, 5)
    for i in range(n_items):
        k = int(rng.integers(1, 5))
        labels = rng.choice(["a", "b", "c"], k)
        for j, label in enumerate(labels):
            ts = start + timedelta(minutes=int(rng.integers(0, 30)))  # equal timestamps happen
            rows.append({"item_id": f"it{i:04d}", "annotator_id": f"a{j}", "label": label, "created_at": ts})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_majority_vote_forms_agree(seed):
    ann = _random_annotations(seed)
    frame_form = majority_vote(ann).set_index("item_id").sort_index()
    table_form = majority_vote_table(ibis.memtable(ann)).execute().set_index("item_id").sort_index()
    item, items = pd.factorize(ann["item_id"], sort=True)
    label, classes = pd.factorize(ann["label"], sort=True)
    codes, share, n = majority_vote_codes(
        item, label, n_items=len(items), classes=list(classes), created_at=ann["created_at"].to_numpy()
    )
    assert (frame_form["consensus_label"] == table_form["consensus_label"]).all()
    assert (np.asarray(classes)[codes] == frame_form.loc[items, "consensus_label"].to_numpy()).all()
    np.testing.assert_allclose(table_form["agreement"], frame_form["agreement"])
    assert (table_form["n_annotations"] == frame_form["n_annotations"]).all()
    assert (n == frame_form.loc[items, "n_annotations"].to_numpy()).all()


def test_majority_vote_tie_rule():
    t0 = datetime(2026, 10, 5, 9)
    ann = pd.DataFrame(
        {
            "item_id": ["x", "x", "y", "y", "z", "z"],
            "label": ["b", "a", "b", "a", "b", "a"],
            # x: b came first; y: a came first; z: same time -> the smallest label
            "created_at": [t0, t0 + timedelta(hours=1), t0 + timedelta(hours=1), t0, t0, t0],
        }
    )
    for result in (majority_vote(ann), majority_vote_table(ibis.memtable(ann)).execute()):
        got = result.set_index("item_id")["consensus_label"].to_dict()
        assert got == {"x": "b", "y": "a", "z": "a"}


# -- one label per annotator and item; model versions; as_of ---------------------------------------


def _folder(tmp_path, name, items, annotations, predictions=None):
    folder = tmp_path / name
    folder.mkdir()
    pd.DataFrame(items).to_csv(folder / "items.csv", index=False)
    pd.DataFrame(annotations).to_csv(folder / "annotations.csv", index=False)
    if predictions is not None:
        pd.DataFrame(predictions).to_csv(folder / "predictions.csv", index=False)
    return folder


def test_latest_label_of_an_annotator_counts_and_history_stays(tmp_path):
    items = {"item_id": ["i1", "i2"], "x": [1.0, 2.0]}
    first = _folder(
        tmp_path,
        "first",
        items,
        {
            "item_id": ["i1", "i1", "i2"],
            "annotator_id": ["a1", "a2", "a1"],
            "label": ["cat", "cat", "dog"],
            "created_at": ["2026-10-05T09:00:00Z"] * 3,
        },
    )
    # a1 relabels i1 later; a2 re-sends a label at the same created_at (ingestion time decides)
    second = _folder(
        tmp_path,
        "second",
        items,
        {
            "item_id": ["i1", "i1"],
            "annotator_id": ["a1", "a2"],
            "label": ["dog", "dog"],
            "created_at": ["2026-10-06T09:00:00Z", "2026-10-05T09:00:00Z"],
        },
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest(first)
        known_then = store.data("annotations", lineage=True).wb_ingested_at.max().execute()
        store.ingest(second)
        assert int(store.data("annotations").count().execute()) == 5  # history kept
        latest = latest_annotations(store).execute().sort_values(["item_id", "annotator_id"])
        assert latest[["item_id", "annotator_id", "label"]].values.tolist() == [
            ["i1", "a1", "dog"],
            ["i1", "a2", "dog"],
            ["i2", "a1", "dog"],
        ]
        aset = read_annotations(store)
        assert sorted(aset.frame["label"]) == ["dog", "dog", "dog"] and aset.duplicates_dropped == 2
        then = read_annotations(store, as_of=known_then)
        assert sorted(zip(then.frame["item_id"], then.frame["label"], strict=True)) == [
            ("i1", "cat"),
            ("i1", "cat"),
            ("i2", "dog"),
        ]
        from workbench.labels import given_labels

        given = given_labels(store).frame.set_index("item_id")["given_label"].to_dict()
        assert given == {"i1": "dog", "i2": "dog"}
        assert given_labels(store, as_of=known_then).frame.set_index("item_id")["given_label"].to_dict() == {
            "i1": "cat",
            "i2": "dog",
        }


def test_latest_ingested_model_version_counts_everywhere(tmp_path):
    items = {"item_id": ["i1", "i2", "i3"], "x": [1.0, 2.0, 3.0]}
    ann = {"item_id": ["i1", "i2", "i3"], "annotator_id": ["a1"] * 3, "label": ["cat", "dog", "cat"]}
    old = {"item_id": ["i1", "i2", "i3"], "model_version": ["zz-old"] * 3,
           "proba_cat": [0.9, 0.2, 0.8], "proba_dog": [0.1, 0.8, 0.2]}
    new = {"item_id": ["i1", "i2"], "model_version": ["aa-new"] * 2, "proba_cat": [0.3, 0.4], "proba_dog": [0.7, 0.6]}
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest(_folder(tmp_path, "one", items, ann, old))
        store.ingest(_folder(tmp_path, "two", items, ann, new))
        # latest ingested, although it covers fewer items and sorts first alphabetically
        assert choose_model_version(store) == "aa-new"
        assert read_predictions(store, ("cat", "dog")).model_version == "aa-new"
        assert read_predictions(store, ("cat", "dog"), model_version="zz-old").model_version == "zz-old"
        with pytest.raises(BadInputError, match="--model-version 'nope'.*stored: zz-old, aa-new"):
            choose_model_version(store, "nope")
        from workbench.labels import given_labels, predicted_probabilities

        p = predicted_probabilities(store, given_labels(store))
        assert p.params["model_version"] == "aa-new"


def test_default_week_passes_over_a_thin_trailing_week_and_says_so(demo_dir, tmp_path):
    from datetime import datetime

    from workbench.inputs.weeks import choose_week

    folder = tmp_path / "late"
    shutil.copytree(demo_dir, folder)
    ann = pd.read_parquet(folder / "annotations.parquet")
    late = ann.sample(16, random_state=0).assign(
        annotator_id="a01", created_at=pd.Timestamp("2026-11-23 08:30"), guideline_version="v2"
    )  # a few late labels on the Monday after the last full week, as a Sunday export followed by stragglers
    pd.concat([ann, late], ignore_index=True).to_parquet(folder / "annotations.parquet", index=False)
    store_path = tmp_path / "late.duckdb"
    with Store.open(store_path) as store:
        store.ingest(folder)
        choice = choose_week(store, now=datetime(2026, 12, 1))
        assert str(choice.week) == "2026-W47" and choice.passed_over == ("2026-W48",)
        assert choice.note == (
            "2026-W48 has only 16 annotations and 0 new items so far; showing 2026-W47; `--week 2026-W48` shows it."
        )
        asked = choose_week(store, "2026-W48", now=datetime(2026, 12, 1))
        assert str(asked.week) == "2026-W48" and "is thin" in asked.note and "16 annotations" in asked.note
        unfinished = choose_week(store, now=datetime(2026, 11, 25))  # W48 not over yet: passed over for that
        assert str(unfinished.week) == "2026-W47" and "not over yet" in unfinished.note
    # the report, annotators and drift use that default week, and say what they passed over
    res = runner.invoke(app, ["--store", str(store_path), "annotators", "--out", str(tmp_path / "a"), "--method", "mv"])
    assert res.exit_code == 0, res.output
    assert "2026-W48 has only 16 annotations" in " ".join(res.output.split())
    res = runner.invoke(app, ["--store", str(store_path), "drift", "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    import json

    assert json.loads((tmp_path / "d" / "drift.json").read_text())["current"]["window"] == "2026-W47"
    res = runner.invoke(app, ["--store", str(store_path), "report", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r" / "2026-W47" / "index.html").read_text()
    top = page[: page.index("<main>")]
    assert "2026-W48 has only 16 annotations and 0 new items so far; showing 2026-W47" in top
