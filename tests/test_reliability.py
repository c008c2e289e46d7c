"""What every command owes a careful user: no secret printed, data text inert, CSVs safe to open."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.store import Store

from .test_contract import write_small

runner = CliRunner()
PASSWORD = "Pl4ntedS3cret"
COMMANDS = [
    ["info"],
    ["info", "--json"],
    ["report", "--out", "{tmp}/r"],
    ["labels", "--out", "{tmp}/l.csv"],
    ["annotators", "--out", "{tmp}/a"],
    ["drift", "--out", "{tmp}/d"],
    ["dataset-issues"],
    ["ingest", "{tmp}/ds"],
]


@pytest.mark.parametrize("url", [f"postgres://user:{PASSWORD}@127.0.0.1:9/db", f"mysql://u:{PASSWORD}@127.0.0.1:9/d"])
def test_no_command_prints_a_password_from_the_store_url(url, tmp_path):
    write_small(tmp_path / "ds")
    for command in COMMANDS:
        args = [a.format(tmp=tmp_path) for a in command]
        res = runner.invoke(app, ["--store", url, *args])
        assert res.exit_code != 0, (command, res.output)
        assert PASSWORD not in res.output, (command, res.output)
        assert "***" in res.output, (command, res.output)
        assert "Traceback" not in res.output


def test_labels_with_markup_escapes_and_formulas_stay_inert(tmp_path):
    labels = ["[/]", "=cmd|' /C calc'!A0", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"]
    folder = write_small(
        tmp_path / "ds",
        annotations=pd.DataFrame(
            {
                "item_id": ["i1", "i2", "i3", "i4", "i4"],
                "annotator_id": ["+49 151 2345678", "ann2", "ann1", "ann2", "ann1"],
                "label": [labels[0], labels[1], labels[2], labels[0], "-1"],
                "created_at": ["2026-10-05T12:00:00Z"] * 5,
            }
        ),
        gold=None,
        predictions=None,
    )
    store = str(tmp_path / "s.duckdb")
    assert runner.invoke(app, ["--store", store, "ingest", str(folder)]).exit_code == 0
    for args in (["info"], ["check", str(folder)]):
        res = runner.invoke(app, ["--store", store, *args] if args[0] == "info" else args)
        assert res.exit_code == 0, res.output
        assert "\x1b" not in res.output and "\\x1b" in res.output  # shown escaped, never sent raw
        assert "[/]" in res.output
    out = tmp_path / "ann"
    res = runner.invoke(app, ["--store", store, "annotators", "--out", str(out), "--method", "mv"])
    assert res.exit_code == 0, res.output
    consensus = pd.read_csv(out / "consensus.csv", dtype=str)
    assert "'=cmd|' /C calc'!A0" in set(consensus["consensus_label"])  # defused for spreadsheets
    annotators = pd.read_csv(out / "annotators.csv", dtype=str)
    assert "+49 151 2345678" in set(annotators["annotator_id"])  # ids like phone numbers stay intact
    agreement = json.loads((out / "agreement.json").read_text())
    assert "=cmd|' /C calc'!A0" in json.dumps(agreement)  # machine formats keep values exact
    with Store.open(store, read_only=True) as s:
        assert "=cmd|' /C calc'!A0" in set(s.data("annotations").execute()["label"])
