"""Label Studio and Argilla: import exports as dataset folders, export queues for them.

Exports are built in the tests in the shapes the tools write (checked against Label Studio 1.23 and the
``argilla`` 2.8 package); the Argilla output is validated with the package's own ``rg.Settings`` and
``rg.Record``.
"""

from __future__ import annotations

import copy
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.contract import read_dataset
from workbench.errors import BadInputError
from workbench.integrations import (
    export_argilla,
    export_labelstudio,
    import_argilla,
    import_labelstudio,
    labeling_config,
)
from workbench.store import Store

runner = CliRunner()


def choice(label, *, name="label", score=None):
    res = {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [label]}}
    if score is not None:
        res["score"] = score
    return res


def ls_annotation(aid, who, label, *, created, lead_time=4.0, cancelled=False, prediction=None, result=None):
    return {
        "id": aid,
        "completed_by": who,
        "result": result if result is not None else ([] if label is None else [choice(label)]),
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": created,
        "updated_at": created,
        "lead_time": lead_time,
        "prediction": prediction or {},
        "parent_prediction": None,
        "task": None,
    }


ALICE = {"id": 1, "email": "alice@example.com", "first_name": "", "last_name": ""}
TOP_ONLY = {"id": 21, "model_version": "m1", "score": 0.6, "result": [choice("pos")]}
PER_CLASS = {
    "id": 20,
    "model_version": "m1",
    "score": 0.8,
    "result": [choice("pos", score=0.8), choice("neg", score=0.2)],
    "created_at": "2026-10-01T09:00:00Z",
}


@pytest.fixture
def ls_tasks() -> list[dict]:
    """A Label Studio export: 2 annotators plus a third who cancelled, per-class and top-only predictions,
    a task exported twice, a second task for the same item, and a task without data.item_id."""
    t1 = {
        "id": 101,
        "data": {"item_id": "it1", "text": "the parcel never came", "length": 21, "queue_id": "q7", "priority": 0.9},
        "annotations": [
            ls_annotation(1, ALICE, "neg", created="2026-10-05T10:00:00Z", lead_time=3.5, prediction=PER_CLASS),
            ls_annotation(2, 7, "neg", created="2026-10-05T11:00:00Z", lead_time=6.0, prediction=PER_CLASS),
            ls_annotation(3, 8, None, created="2026-10-05T12:00:00Z", cancelled=True),
        ],
        "predictions": [PER_CLASS],
    }
    t2 = {
        "id": 102,
        "data": {"item_id": 2, "text": "refund please", "length": 13, "queue_id": "q7", "priority": 0.4},
        "annotations": [ls_annotation(4, 7, "pos", created="2026-10-06T09:00:00Z", prediction=TOP_ONLY)],
        "predictions": [TOP_ONLY],
    }
    # the same item imported into the project a second time; alice labels it again, later
    t3 = copy.deepcopy(t1) | {"id": 103}
    t3["annotations"] = [ls_annotation(5, 1, "pos", created="2026-10-07T09:00:00Z", lead_time=2.0)]
    t3["predictions"] = []
    t4 = {"id": 104, "data": {"text": "where is my order", "length": 17}, "annotations": [], "predictions": []}
    return [t1, t2, copy.deepcopy(t1), t3, t4]


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_labelstudio_import_values(ls_tasks, tmp_path):
    export = write_json(tmp_path / "project-1.json", ls_tasks)
    result = import_labelstudio(export, tmp_path / "ds")

    assert result.counts == {"items": 3, "annotations": 3, "predictions": 1, "prelabel": 2}
    assert result.dropped == {
        "cancelled (skipped) annotations (was_cancelled is true)": 1,
        "predictions with only the top choice and one score (no per-class distribution to import)": 1,
        "tasks repeated with the same task id (the first was kept)": 1,
        "annotations repeating an annotator's label on the same item (the latest was kept)": 1,
    }
    dataset = read_dataset(tmp_path / "ds")
    items = dataset.tables["items"].set_index("item_id")
    assert list(items.index) == ["it1", "2", "104"]
    assert items.loc["it1", "text"] == "the parcel never came" and items.loc["104", "length"] == 17
    assert items.loc["it1", "meta_queue_id"] == "q7" and items.loc["2", "meta_priority"] == 0.4
    assert "queue_id" not in items.columns and "priority" not in items.columns

    ann = dataset.tables["annotations"].sort_values(["item_id", "annotator_id"]).reset_index(drop=True)
    assert ann[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["2", "7", "pos"],
        # alice (id 1) is named by her email everywhere, also where completed_by is a bare id; her later label wins
        ["it1", "7", "neg"],
        ["it1", "alice@example.com", "pos"],
    ]
    assert ann["duration_s"].tolist() == [4.0, 6.0, 2.0]
    assert str(ann.loc[2, "created_at"]) == "2026-10-07 09:00:00"
    assert dataset.classes == ("neg", "pos")

    preds = dataset.tables["predictions"]
    assert preds[["item_id", "model_version", "proba_neg", "proba_pos"]].values.tolist() == [["it1", "m1", 0.2, 0.8]]

    prelabel = pd.read_csv(tmp_path / "ds" / "prelabel.csv", dtype=str)
    assert prelabel.sort_values(["item_id", "annotator_id"]).values.tolist() == [
        ["2", "7", "pos", "pos", "True"],
        ["it1", "7", "pos", "neg", "False"],
    ]  # alice's kept label (task 103) was given without a prediction
    summary = json.loads((tmp_path / "ds" / "import.json").read_text())
    assert summary["counts"] == result.counts and summary["kind"] == "labelstudio"

    with Store.open(tmp_path / "wb.duckdb") as store:
        added = store.ingest(tmp_path / "ds").added
        assert (added["items"], added["annotations"], added["predictions"]) == (3, 3, 1)
        stored = store.table("annotations").execute()
    assert sorted(stored["annotator_id"].unique()) == ["7", "alice@example.com"]
    assert sorted(stored["label"]) == ["neg", "pos", "pos"]


def test_labelstudio_summary_lines_and_to_dict(ls_tasks, tmp_path):
    result = import_labelstudio(write_json(tmp_path / "e.json", ls_tasks), tmp_path / "ds")
    lines = result.summary_lines()
    assert lines[0] == f"written      {tmp_path / 'ds'}"
    assert "  1 cancelled (skipped) annotations (was_cancelled is true)" in lines
    assert json.loads(json.dumps(result.to_dict()))["dropped"] == result.dropped


def multi_choice_task():
    res = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["pos", "neg"]}}
    return {"id": 9, "data": {"text": "x"}, "annotations": [ls_annotation(1, 1, None, created="t", result=[res])]}


def span_task():
    res = {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 1, "labels": ["P"]}}
    return {"id": 12, "data": {"text": "x"}, "annotations": [ls_annotation(1, 1, None, created="t", result=[res])]}


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (multi_choice_task(), ["task 9", "field 'sentiment'", "2 choices (pos, neg)", 'choice="single"']),
        (span_task(), ["task 12", "field 'ner'", "type 'labels'", "single-choice classification only"]),
    ],
)
def test_labelstudio_refuses_other_tasks(task, expected, tmp_path):
    export = write_json(tmp_path / "e.json", [task])
    with pytest.raises(BadInputError) as err:
        import_labelstudio(export, tmp_path / "ds")
    for text in expected:
        assert text in str(err.value)
    assert not (tmp_path / "ds").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]  # no temporary folder left behind


def test_labelstudio_refuses_two_choice_controls(ls_tasks, tmp_path):
    ls_tasks[1]["annotations"][0]["result"] = [choice("pos", name="topic")]
    with pytest.raises(BadInputError, match=r"task 102.*field 'topic'.*several choice questions"):
        import_labelstudio(write_json(tmp_path / "e.json", ls_tasks), tmp_path / "ds")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"fields": {"text": "x"}}', "found a JSON dict; expected a Label Studio JSON export"),
        ("[1, 2]", "entry 1 is not a task with a 'data' object"),
        ('[{"text": "x", "label": "pos"}]', "JSON_MIN and CSV export types"),
        ("[]", "holds no tasks"),
        ("not json", "is not valid JSON (line 1"),
    ],
)
def test_labelstudio_unrecognised_files(content, expected, tmp_path):
    export = tmp_path / "e.json"
    export.write_text(content)
    with pytest.raises(BadInputError) as err:
        import_labelstudio(export, tmp_path / "ds")
    assert str(export) in str(err.value) or "e.json" in str(err.value)
    assert expected in str(err.value)


def test_labelstudio_only_cancelled_is_an_error(tmp_path):
    task = {"id": 1, "data": {"text": "x"}, "annotations": [ls_annotation(1, 1, None, created="t", cancelled=True)]}
    with pytest.raises(BadInputError, match=r"no usable annotations \(1 cancelled"):
        import_labelstudio(write_json(tmp_path / "e.json", [task]), tmp_path / "ds")


def test_labelstudio_conflicting_items_refused(ls_tasks, tmp_path):
    ls_tasks[3]["data"]["text"] = "changed"
    with pytest.raises(BadInputError, match=r"tasks 101 and 103 share data.item_id 'it1'"):
        import_labelstudio(write_json(tmp_path / "e.json", ls_tasks), tmp_path / "ds")


def test_labelstudio_contract_violation_is_bad_input_and_keeps_old_folder(ls_tasks, tmp_path):
    good = import_labelstudio(write_json(tmp_path / "good.json", ls_tasks), tmp_path / "ds")
    ls_tasks[4]["data"]["created_at"] = "yesterday"  # a reserved items column that must be a timestamp
    with pytest.raises(BadInputError) as err:
        import_labelstudio(write_json(tmp_path / "bad.json", ls_tasks), tmp_path / "ds", overwrite=True)
    text = str(err.value)
    assert "bad.json: the converted tables break the data contract" in text
    assert "items.parquet, column 'created_at'" in text and "'yesterday'" in text
    assert read_dataset(tmp_path / "ds").summary()["annotations"] == good.counts["annotations"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "ds", "good.json"]


def test_cli_import_labelstudio(ls_tasks, tmp_path):
    export = write_json(tmp_path / "e.json", ls_tasks)
    out = tmp_path / "ds"
    result = runner.invoke(app, ["import", "labelstudio", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "annotations  3 rows" in result.output
    assert "1 cancelled (skipped) annotations" in result.output
    assert f"workbench ingest {out}" in result.output

    again = runner.invoke(app, ["import", "labelstudio", str(export), "--out", str(out)])
    assert again.exit_code == 2 and "already exists and is not empty" in again.output
    replaced = runner.invoke(app, ["import", "labelstudio", str(export), "--out", str(out), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output

    store = tmp_path / "wb.duckdb"
    ingested = runner.invoke(app, ["--store", str(store), "ingest", str(out)])
    assert ingested.exit_code == 0, ingested.output
    assert "annotations  +3 rows" in ingested.output


def test_cli_import_bad_input_writes_nothing(tmp_path):
    export = write_json(tmp_path / "e.json", [span_task()])
    out = tmp_path / "ds"
    result = runner.invoke(app, ["import", "labelstudio", str(export), "--out", str(out)])
    assert result.exit_code == 2
    assert "task 12" in result.output and "'ner'" in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["e.json"]
    unknown = runner.invoke(app, ["import", "prodigy", str(export), "--out", str(out)])
    assert unknown.exit_code == 2 and "labelstudio" in unknown.output


# -- Argilla ---------------------------------------------------------------------------------------------------

U1, U2, U3 = (str(uuid.UUID(int=i)) for i in (1, 2, 3))


def ar_record(rid, text, responses, *, suggestion=None, metadata=None):
    return {
        "id": rid,
        "fields": {"text": text},
        "metadata": metadata or {},
        "suggestions": {"label": suggestion} if suggestion else {},
        "responses": {"label": responses} if responses else {},
        "vectors": {},
        "status": "completed",
        "_server_id": str(uuid.uuid4()),
    }


@pytest.fixture
def ar_records() -> list[dict]:
    """Nested records (as to_list(flatten=False) writes them) with response status added by hand."""
    return [
        ar_record(
            "r1",
            "the parcel never came",
            [
                {"value": "neg", "user_id": U1, "status": "submitted"},
                {"value": "pos", "user_id": U2, "status": "submitted"},
                {"value": "neg", "user_id": U3, "status": "draft"},
            ],
            suggestion={"value": "neg", "score": 0.7, "agent": "m1"},
            metadata={"item_id": "it1", "queue_id": "q1", "priority": 0.9, "length": 21},
        ),
        ar_record(
            "r2",
            "refund please",
            [
                {"value": "pos", "user_id": U1, "status": "submitted"},
                {"value": None, "user_id": U2, "status": "discarded"},
            ],
            metadata={"length": 13},
        ),
        ar_record("r3", "no answers yet", []),
    ]


def test_argilla_import_values(ar_records, tmp_path):
    result = import_argilla(write_json(tmp_path / "records.json", ar_records), tmp_path / "ds")
    assert result.counts == {"items": 3, "annotations": 3, "prelabel": 2}
    assert result.dropped == {
        "suggestions with only the top label and one score (no per-class distribution to import)": 1,
        "responses with status draft (only submitted responses count)": 1,
        "responses with status discarded (only submitted responses count)": 1,
    }
    assert any("no dataset settings found; 'label'" in n for n in result.notes)
    dataset = read_dataset(tmp_path / "ds")
    items = dataset.tables["items"].set_index("item_id")
    assert list(items.index) == ["it1", "r2", "r3"]
    assert items.loc["it1", "meta_queue_id"] == "q1" and items.loc["it1", "meta_priority"] == 0.9
    assert items.loc["r2", "length"] == 13 and items.loc["r3", "text"] == "no answers yet"
    ann = dataset.tables["annotations"]
    assert ann[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["it1", U1, "neg"],
        ["it1", U2, "pos"],
        ["r2", U1, "pos"],
    ]
    assert "predictions" not in dataset.tables
    prelabel = pd.read_csv(tmp_path / "ds" / "prelabel.csv")
    assert prelabel[["annotator_id", "accepted"]].values.tolist() == [[U1, True], [U2, False]]
    with Store.open(tmp_path / "wb.duckdb") as store:
        added = store.ingest(tmp_path / "ds").added
    assert (added["items"], added["annotations"]) == (3, 3)


def test_argilla_nested_without_status_are_taken_as_submitted(ar_records, tmp_path):
    for rec in ar_records:
        for resp in rec["responses"].get("label", []):
            resp.pop("status")
    ar_records[1]["responses"]["label"].pop()  # to_dict keeps no discarded-without-value distinction either
    result = import_argilla(write_json(tmp_path / "records.json", ar_records), tmp_path / "ds")
    assert result.counts["annotations"] == 4
    assert any("4 response(s) carry no status" in n for n in result.notes)


def test_argilla_flat_records_keep_status(tmp_path):
    flat = [
        {
            "id": "r1",
            "status": "completed",
            "_server_id": None,
            "text": "hello",
            "priority": 0.5,
            "label.responses": ["pos", "neg"],
            "label.responses.users": [U1, U2],
            "label.responses.status": ["submitted", "draft"],
            "label.suggestion": "pos",
            "label.suggestion.score": 0.9,
            "label.suggestion.agent": "m2",
        }
    ]
    result = import_argilla(write_json(tmp_path / "flat.json", flat), tmp_path / "ds")
    assert result.counts == {"items": 1, "annotations": 1, "prelabel": 1}
    items = pd.read_parquet(tmp_path / "ds" / "items.parquet")
    assert items.to_dict("records") == [{"item_id": "r1", "text": "hello", "meta_priority": 0.5}]


def test_argilla_settings_type_refusals(ar_records, tmp_path):
    ar_records[1]["responses"]["comment"] = [{"value": "looks fine", "user_id": U1, "status": "submitted"}]
    export = write_json(tmp_path / "records.json", ar_records)
    # without settings a second question with text answers is ambiguous
    with pytest.raises(BadInputError, match=r"several label questions \('label' in record r1, 'comment' in record r2"):
        import_argilla(export, tmp_path / "ds")
    settings = {
        "questions": [
            {"name": "label", "settings": {"type": "label_selection"}},
            {"name": "comment", "settings": {"type": "text"}},
        ]
    }
    write_json(tmp_path / "records.settings.json", settings)
    with pytest.raises(BadInputError, match=r"record r2, question 'comment': a text question"):
        import_argilla(export, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4, "a rating question"),
        (["pos", "neg"], "a multi-label question"),
        ([{"start": 0, "end": 3, "label": "P"}], "a span question"),
    ],
)
def test_argilla_refuses_other_questions_without_settings(value, expected, ar_records, tmp_path):
    ar_records[2]["responses"]["q2"] = [{"value": value, "user_id": U1, "status": "submitted"}]
    with pytest.raises(BadInputError) as err:
        import_argilla(write_json(tmp_path / "records.json", ar_records), tmp_path / "ds")
    assert "record r3, question 'q2'" in str(err.value) and expected in str(err.value)


def test_argilla_unrecognised_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInputError, match="is a folder without records.json"):
        import_argilla(tmp_path / "empty", tmp_path / "ds")
    task = write_json(tmp_path / "ls.json", [{"data": {"text": "x"}, "annotations": []}])
    with pytest.raises(BadInputError, match="ls.json: entry 1 is a Label Studio task"):
        import_argilla(task, tmp_path / "ds")
    result = runner.invoke(app, ["import", "argilla", str(tmp_path / "nothing.json"), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 2 and "nothing.json is not a file" in result.output


# -- export ----------------------------------------------------------------------------------------------------


@pytest.fixture
def queue() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [2, 1, 3],
            "item_id": ["it2", "it1", "it3"],
            "priority": [0.5, 0.9, 0.1],
            "tier": ["review", "urgent", "later"],
            "reasons": ["low margin", "label issue; drift", "new class"],
            "queue_id": ["q-2026-W47"] * 3,
            "text": ["refund please", "the parcel never came", 'is this <b>spam</b> & "odd"?'],
            "length": [13, 21, 30],
            "device": ["web", "phone", None],
            "suggested_label": ["pos", "neg", None],
            "suggested_score": [0.6, 0.8, None],
            "model_version": ["m1", "m1", None],
        }
    )


def test_labelstudio_export_tasks_and_config(queue, tmp_path):
    written = export_labelstudio(queue, tmp_path / "queue.json", classes=["neg", "pos", "a&b"])
    assert written.config_path == tmp_path / "queue.xml" and (written.n_tasks, written.n_predictions) == (3, 2)
    tasks = json.loads(written.tasks_path.read_text())
    assert [t["data"]["item_id"] for t in tasks] == ["it1", "it2", "it3"]
    assert tasks[0]["data"] == {
        "text": "the parcel never came",
        "length": 21,
        "device": "phone",
        "item_id": "it1",
        "queue_id": "q-2026-W47",
        "priority": 0.9,
    }
    assert tasks[0]["predictions"] == [
        {
            "model_version": "m1",
            "result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["neg"]}}],
            "score": 0.8,
        }
    ]
    assert "predictions" not in tasks[2] and tasks[2]["data"]["device"] is None
    root = ET.fromstring(written.config_path.read_text())
    assert root.tag == "View"
    assert root.find("Text").attrib == {"name": "text", "value": "$text"}
    choices = root.find("Choices")
    assert choices.attrib["name"] == "label" and choices.attrib["toName"] == "text"
    assert choices.attrib["choice"] == "single"
    assert [c.attrib["value"] for c in choices.findall("Choice")] == ["neg", "pos", "a&b"]


def test_labelstudio_export_refusals(queue, tmp_path):
    with pytest.raises(BadInputError, match=r"missing column\(s\) tier"):
        export_labelstudio(queue.drop(columns=["tier"]), tmp_path / "q.json", classes=["neg", "pos"])
    with pytest.raises(BadInputError, match=r"item_id 'it2' has suggested_label 'pos', which is not one of"):
        export_labelstudio(queue, tmp_path / "q.json", classes=["neg", "other"])
    with pytest.raises(BadInputError, match="item_id 'it1' appears more than once"):
        export_labelstudio(pd.concat([queue, queue.iloc[[1]]]), tmp_path / "q.json", classes=["neg", "pos"])
    with pytest.raises(BadInputError, match="cannot be referenced"):
        labeling_config(["a"], text_field="my text")
    assert not (tmp_path / "q.json").exists()


def test_labelstudio_round_trip(queue, tmp_path):
    written = export_labelstudio(queue, tmp_path / "queue.json", classes=["neg", "pos"])
    tasks = json.loads(written.tasks_path.read_text())
    for tid, task in enumerate(tasks, start=1):  # what Label Studio adds: ids and one annotation per task
        task["id"] = tid
        pred = task.get("predictions", [{}])[0]
        label = pred.get("result", [choice("neg")])[0]["value"]["choices"][0]
        task["annotations"] = [ls_annotation(tid, ALICE, label, created="2026-11-20T10:00:00Z", prediction=pred)]
    result = import_labelstudio(write_json(tmp_path / "export.json", tasks), tmp_path / "ds")
    items = read_dataset(tmp_path / "ds").tables["items"]
    expected = queue.sort_values("priority", ascending=False).rename(
        columns={"queue_id": "meta_queue_id", "priority": "meta_priority"}
    )[["item_id", "text", "length", "device", "meta_queue_id", "meta_priority"]]
    pd.testing.assert_frame_equal(
        items[expected.columns].reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    assert result.dropped == {
        "predictions with only the top choice and one score (no per-class distribution to import)": 2
    }
    prelabel = pd.read_csv(tmp_path / "ds" / "prelabel.csv")
    assert prelabel["accepted"].tolist() == [True, True]


def test_argilla_export_validates_with_the_package(queue, rg, tmp_path):
    written = export_argilla(queue, tmp_path / "queue.json", classes=["neg", "pos"], guidelines="Pick one.")
    assert written.settings_path == tmp_path / "queue.settings.json"
    settings = rg.Settings.from_json(written.settings_path)
    assert [f.name for f in settings.fields] == ["text"]
    (question,) = settings.questions
    assert isinstance(question, rg.LabelQuestion) and question.labels == ["neg", "pos"]
    kinds = {m.name: type(m).__name__ for m in settings.metadata}
    assert kinds == {
        "item_id": "TermsMetadataProperty",
        "queue_id": "TermsMetadataProperty",
        "priority": "FloatMetadataProperty",
        "length": "IntegerMetadataProperty",
        "device": "TermsMetadataProperty",
    }
    assert settings.guidelines == "Pick one."
    rg.Dataset(name="queue", settings=settings)  # settings a dataset accepts

    raw = json.loads(written.records_path.read_text())
    records = [rg.Record.from_dict(r) for r in raw]
    assert [r.id for r in records] == ["it1", "it2", "it3"]
    assert [r.metadata["priority"] for r in records] == [0.9, 0.5, 0.1]
    assert records[0].fields["text"] == "the parcel never came"
    assert dict(records[0].metadata) == {
        "item_id": "it1",
        "queue_id": "q-2026-W47",
        "priority": 0.9,
        "length": 21,
        "device": "phone",
    }
    suggestion = records[0].suggestions["label"]
    assert (suggestion.value, suggestion.score, suggestion.agent) == ("neg", 0.8, "m1")
    assert len(records[2].suggestions) == 0 and "device" not in records[2].metadata
    names = {m.name for m in settings.metadata}
    for record in records:
        assert set(record.metadata) <= names and set(record.fields) == {"text"}
        record.api_model()  # the payload the SDK would send validates
        for s in record.suggestions:
            assert s.value in question.labels
    # the SDK writes back what it read
    from argilla.records._io import GenericIO

    assert GenericIO.to_list(records) == raw


def test_argilla_round_trip_through_the_package(queue, rg, tmp_path):
    written = export_argilla(queue, tmp_path / "queue.json", classes=["neg", "pos"])
    records = [rg.Record.from_dict(r) for r in json.loads(written.records_path.read_text())]
    for record in records:  # annotators answer: one keeps the suggestion, one disagrees
        record.responses.add(rg.Response("label", "neg", user_id=uuid.UUID(int=1), status="submitted"))
        record.responses.add(rg.Response("label", "pos", user_id=uuid.UUID(int=2), status="submitted"))
    from argilla.records._io import GenericIO

    for flatten in (False, True):
        export = write_json(tmp_path / f"records-{flatten}.json", GenericIO.to_list(records, flatten=flatten))
        out = tmp_path / f"ds-{flatten}"
        result = import_argilla(export, out)
        assert result.counts == {"items": 3, "annotations": 6, "prelabel": 4}
        items = read_dataset(out).tables["items"]
        assert items["item_id"].tolist() == ["it1", "it2", "it3"]
        assert items["text"].tolist() == queue.set_index("item_id").loc[["it1", "it2", "it3"], "text"].tolist()
        assert items["meta_priority"].tolist() == [0.9, 0.5, 0.1]
        assert items["meta_queue_id"].unique().tolist() == ["q-2026-W47"]
        assert items["length"].tolist() == [21, 13, 30]
        assert (any("carry no status" in n for n in result.notes)) is (not flatten)


def test_argilla_to_disk_folder_with_settings(queue, rg, ar_records, tmp_path):
    folder = tmp_path / "dataset"
    (folder / ".argilla").mkdir(parents=True)
    written = export_argilla(queue, tmp_path / "q.json", classes=["neg", "pos"])
    (folder / ".argilla" / "settings.json").write_text(written.settings_path.read_text())
    ar_records[0]["responses"]["label"][0]["value"] = "neg"
    write_json(folder / "records.json", ar_records)
    result = import_argilla(folder, tmp_path / "ds")
    assert result.counts["annotations"] == 3
    assert not any("no dataset settings" in n for n in result.notes)
