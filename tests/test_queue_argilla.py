"""The Argilla round trip of a queue, validated with the argilla package's own objects (no server here)."""

from __future__ import annotations

import json
import shutil
import uuid

from typer.testing import CliRunner

from workbench.cli import app
from workbench.store import Store


def test_queue_argilla_round_trip(rg, demo_store_path, tmp_path):
    store_path = tmp_path / "wb.duckdb"
    shutil.copy(demo_store_path, store_path)
    runner = CliRunner()
    out = tmp_path / "queue.json"
    args = ["--store", str(store_path), "queue", "--budget", "5", "--gold-rate", "0", "--format", "argilla"]
    res = runner.invoke(app, [*args, "--weight", "drift_novelty=0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    settings = rg.Settings.from_json(tmp_path / "queue.settings.json")
    assert settings.questions[0].name == "label"
    rg.Dataset(name="queue", settings=settings)
    records = [rg.Record.from_dict(r) for r in json.loads(out.read_text())]
    priorities = [r.metadata["priority"] for r in records]
    assert priorities == sorted(priorities, reverse=True)
    users = (uuid.UUID(int=1), uuid.UUID(int=2))
    for record in records:  # one annotator keeps the model's suggestion, the other answers "one"
        suggestion = record.suggestions["label"].value
        record.responses.add(rg.Response("label", suggestion, user_id=users[0], status="submitted"))
        record.responses.add(rg.Response("label", "one", user_id=users[1], status="submitted"))
    from argilla.records._io import GenericIO

    export = tmp_path / "labeled.json"
    export.write_text(json.dumps(GenericIO.to_list(records, flatten=True), default=str))
    for added in (10, 0):  # idempotent
        res = runner.invoke(app, ["--store", str(store_path), "ingest-labels", str(export)])
        assert res.exit_code == 0, res.output
        assert f"annotations  +{added} " in res.output
    with Store.open(store_path, read_only=True) as store:
        lineage = store.con.table("wb_label_lineage").execute()
        queue = store.con.table("wb_queue").execute()
    assert len(lineage) == 10 and not lineage.duplicated(["item_id", "annotator_id"]).any()
    assert set(lineage["queue_id"]) == set(queue["queue_id"]) and set(queue["status"]) == {"done"}
    kept = lineage.set_index("annotator_id")["accepted"]
    assert kept.loc[str(users[0])].all()
    assert set(lineage["source"]) == {"argilla"}
