"""Every bad-input case of the data contract: exit status 2, a message naming the problem, the store unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.contract import label_to_str, read_dataset
from workbench.errors import ContractError
from workbench.store import Store

runner = CliRunner()


def write_small(folder: Path, **tables: pd.DataFrame | None) -> Path:
    """A small valid dataset; keyword tables replace (or with None, remove) the defaults."""
    folder.mkdir(parents=True, exist_ok=True)
    base = {
        "items": pd.DataFrame(
            {
                "item_id": ["i1", "i2", "i3", "i4"],
                "created_at": ["2026-10-05T10:00:00", "2026-10-06 11:00", "2026-10-07T09:00:00+02:00", "2026-10-08"],
                "text": ["a cat", "a dog", "two cats", "a bird"],
                "size": [1.0, 2.5, 3.0, 0.5],
                "meta_batch": ["b1", "b1", "b2", "b2"],
            }
        ),
        "annotations": pd.DataFrame(
            {
                "item_id": ["i1", "i1", "i2", "i3", "i4"],
                "annotator_id": ["ann1", "ann2", "ann1", "ann2", "ann1"],
                "label": ["cat", "cat", "dog", "cat", "bird"],
                "created_at": ["2026-10-05T12:00:00Z"] * 5,
            }
        ),
        "gold": pd.DataFrame({"item_id": ["i1"], "label": ["cat"]}),
        "predictions": pd.DataFrame(
            {
                "item_id": ["i1", "i2", "i3", "i4"],
                "proba_cat": [0.8, 0.1, 0.7, 0.2],
                "proba_dog": [0.1, 0.8, 0.2, 0.1],
                "proba_bird": [0.1, 0.1, 0.1, 0.7],
            }
        ),
    }
    base.update(tables)
    for name, frame in base.items():
        if frame is not None:
            frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def store_state(path: Path) -> dict:
    if not path.exists():
        return {"exists": False}
    with Store.open(path, read_only=True) as store:
        return {name: int(store.table(name).count().execute()) for name in store.tables()}


@pytest.fixture
def seeded_store(tmp_path) -> Path:
    """A store that already holds a valid small dataset (so 'unchanged' is meaningful)."""
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        store.ingest(write_small(tmp_path / "seed"))
    return path


def test_valid_small_dataset_passes_and_normalises(tmp_path):
    ds = read_dataset(write_small(tmp_path / "ok"))
    assert ds.classes == ("bird", "cat", "dog")
    items = ds.tables["items"]
    # Naive timestamps are UTC; zoned ones are converted to UTC.
    assert items["created_at"].iloc[0] == pd.Timestamp("2026-10-05 10:00:00")
    assert items["created_at"].iloc[2] == pd.Timestamp("2026-10-07 07:00:00")
    result = runner.invoke(app, ["--store", str(tmp_path / "s.duckdb"), "check", str(tmp_path / "ok")])
    assert result.exit_code == 0, result.output
    assert "follows the data contract" in result.output
    assert not (tmp_path / "s.duckdb").exists()  # check never writes


def test_labels_are_strings_everywhere():
    assert label_to_str(pd.Series([1, 2, None], dtype="float")).tolist() == ["1", "2", None]
    assert label_to_str(pd.Series([1, 2])).tolist() == ["1", "2"]
    assert label_to_str(pd.Series(["1", " 2 "])).tolist() == ["1", "2"]


def test_integer_labels_in_parquet_match_string_labels_in_csv(tmp_path):
    folder = write_small(
        tmp_path / "ints",
        annotations=pd.DataFrame({"item_id": ["i1", "i2"], "annotator_id": ["a", "b"], "label": [1, 0]}),
        gold=None,
        predictions=pd.DataFrame({"item_id": ["i1"], "proba_0": [0.3], "proba_1": [0.7]}),
    )
    pd.DataFrame({"item_id": ["i1"], "label": [1]}).to_parquet(folder / "gold.parquet")
    ds = read_dataset(folder)
    assert ds.classes == ("0", "1")
    assert ds.tables["gold"]["label"].tolist() == ["1"]


# (case id, how to break the folder, expected substrings in the message)
CASES = [
    ("missing-file", lambda f: (f / "annotations.csv").unlink(), ["annotations", "missing"]),
    (
        "missing-column",
        lambda f: pd.read_csv(f / "annotations.csv").drop(columns="label").to_csv(f / "annotations.csv", index=False),
        ["annotations.csv", "'label'", "required column is missing"],
    ),
    (
        "duplicate-item-id",
        lambda f: pd.concat([pd.read_csv(f / "items.csv")] * 2).to_csv(f / "items.csv", index=False),
        ["items.csv", "'item_id'", "duplicated", "line 2"],
    ),
    (
        "annotation-unknown-item",
        lambda f: pd.concat(
            [
                pd.read_csv(f / "annotations.csv"),
                pd.DataFrame({"item_id": ["zz9"], "annotator_id": ["ann1"], "label": ["cat"]}),
            ]
        ).to_csv(f / "annotations.csv", index=False),
        ["annotations.csv", "'item_id'", "not in the items table", "zz9"],
    ),
    (
        "gold-unknown-item",
        lambda f: pd.DataFrame({"item_id": ["nope"], "label": ["cat"]}).to_csv(f / "gold.csv", index=False),
        ["gold.csv", "not in the items table", "nope"],
    ),
    (
        "prediction-unknown-item",
        lambda f: pd.DataFrame(
            {"item_id": ["ghost"], "proba_cat": [1.0], "proba_dog": [0.0], "proba_bird": [0.0]}
        ).to_csv(f / "predictions.csv", index=False),
        ["predictions.csv", "not in the items table", "ghost"],
    ),
    (
        "empty-table",
        lambda f: (f / "gold.csv").write_text("item_id,label\n"),
        ["gold.csv", "empty"],
    ),
    (
        "gold-unknown-class",
        lambda f: pd.DataFrame({"item_id": ["i2"], "label": ["horse"]}).to_csv(f / "gold.csv", index=False),
        ["gold.csv", "'label'", "not known classes", "horse"],
    ),
    (
        "proba-unknown-class",
        lambda f: pd.read_csv(f / "predictions.csv").assign(proba_fish=0.0).to_csv(f / "predictions.csv", index=False),
        ["predictions.csv", "proba_fish", "not known classes"],
    ),
    (
        "proba-negative",
        lambda f: (
            pd.read_csv(f / "predictions.csv")
            .assign(proba_cat=[-0.1, 0.1, 0.7, 0.2], proba_dog=[1.0, 0.8, 0.2, 0.1])
            .to_csv(f / "predictions.csv", index=False)
        ),
        ["predictions.csv", "negative", "item_id='i1'"],
    ),
    (
        "proba-nan",
        lambda f: (
            pd.read_csv(f / "predictions.csv")
            .assign(proba_cat=[None, 0.1, 0.7, 0.2])
            .to_csv(f / "predictions.csv", index=False)
        ),
        ["predictions.csv", "NaN"],
    ),
    (
        "proba-sum",
        lambda f: (
            pd.read_csv(f / "predictions.csv")
            .assign(proba_cat=[0.8, 0.1, 0.75, 0.2])
            .to_csv(f / "predictions.csv", index=False)
        ),
        ["predictions.csv", "do not sum to 1", "item_id='i3'", "sums to 1.0500"],
    ),
    (
        "bad-timestamp",
        lambda f: (
            pd.read_csv(f / "annotations.csv")
            .assign(created_at=["2026-10-05T12:00:00Z", "yesterday", "2026-10-05", "2026-10-05", "2026-10-05"])
            .to_csv(f / "annotations.csv", index=False)
        ),
        ["annotations.csv", "'created_at'", "relative words", "line 3", "yesterday"],
    ),
    (
        "unsupported-type",
        lambda f: (f / "items.csv").rename(f / "items.xlsx"),
        ["items.xlsx", "unsupported file type", "items.parquet or items.csv"],
    ),
]


@pytest.mark.parametrize("case,breaker,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_names_the_problem_and_writes_nothing(tmp_path, seeded_store, case, breaker, expected):
    folder = write_small(tmp_path / case)
    breaker(folder)
    before = store_state(seeded_store)

    checked = runner.invoke(app, ["--store", str(seeded_store), "check", str(folder)])
    assert checked.exit_code == 2, checked.output
    for text in expected:
        assert text in checked.output, (text, checked.output)

    ingested = runner.invoke(app, ["--store", str(seeded_store), "ingest", str(folder)])
    assert ingested.exit_code == 2, ingested.output
    assert "Nothing was written" in ingested.output
    assert store_state(seeded_store) == before


def test_bad_input_never_creates_a_store(tmp_path):
    folder = write_small(tmp_path / "broken")
    (folder / "annotations.csv").unlink()
    target = tmp_path / "new.duckdb"
    result = runner.invoke(app, ["--store", str(target), "ingest", str(folder)])
    assert result.exit_code == 2
    assert not target.exists()


def test_every_violation_is_reported_at_once(tmp_path):
    folder = write_small(
        tmp_path / "many",
        gold=pd.DataFrame({"item_id": ["i1", "ghost"], "label": ["cat", "horse"]}),
    )
    pd.read_csv(folder / "predictions.csv").assign(proba_cat=[-1, 0.1, 0.7, 0.2]).to_csv(
        folder / "predictions.csv", index=False
    )
    with pytest.raises(ContractError) as err:
        read_dataset(folder)
    problems = {(v.file, v.problem.split(" ")[-1]) for v in err.value.violations}
    files = [v.file for v in err.value.violations]
    assert files.count("gold.csv") == 2  # unknown item and unknown class
    assert "predictions.csv" in files  # negative (and so not summing to 1)
    assert len(problems) >= 3
    result = runner.invoke(app, ["check", "--json", str(folder)])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["ok"] is False and len(payload["violations"]) == len(err.value.violations)


def test_non_table_files_are_ignored(tmp_path):
    folder = write_small(tmp_path / "extra")
    (folder / "notes.txt").write_text("hello")
    (folder / "items_backup.xlsx").write_text("not a table of the contract")
    assert read_dataset(folder).summary()["items"] == 4


def test_reserved_lineage_column_is_rejected(tmp_path):
    folder = write_small(tmp_path / "lineage")
    pd.read_csv(folder / "items.csv").assign(wb_row_hash="x").to_csv(folder / "items.csv", index=False)
    with pytest.raises(ContractError, match="wb_row_hash"):
        read_dataset(folder)
