"""One pipeline per capability: the command and the report section give the same answer for the same week."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.report import build_report

runner = CliRunner()


@pytest.fixture(scope="module")
def report_dir(demo_store_path, tmp_path_factory):
    from workbench.store import Store

    out = tmp_path_factory.mktemp("report")
    with Store.open(demo_store_path, read_only=True) as store:
        result = build_report(store, week="2026-W46", out=out)
    assert not result.errors, result.errors
    return result.path.parent


def test_report_flags_the_annotators_the_command_flags(demo_store_path, report_dir, tmp_path, monkeypatch):
    # a configuration the report must read too (it used to rebuild the pipeline and skip it)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workbench.toml").write_text("[annotators]\ngold_threshold = 0.9\n", encoding="utf-8")
    from workbench.store import Store

    with Store.open(demo_store_path, read_only=True) as store:
        configured = build_report(store, week="2026-W46", out=tmp_path / "r").path.parent
    out = tmp_path / "ann"
    res = runner.invoke(app, ["--store", str(demo_store_path), "annotators", "--week", "2026-W46", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cli = pd.read_csv(out / "annotators.csv").set_index("annotator_id")
    rep = pd.read_csv(configured / "annotators_annotators.csv").set_index("annotator_id")
    assert set(cli.index[cli["flagged"]]) == set(rep.index[rep["flagged"]])
    assert (cli["flag_reason"].fillna("") == rep.loc[cli.index, "flag_reason"].fillna("")).all()
    # the stricter configured threshold flags more than the default run of the report
    default = pd.read_csv(report_dir / "annotators_annotators.csv")
    assert rep["flagged"].sum() > default["flagged"].sum()


def test_report_drift_and_command_use_the_same_windows_and_verdicts(demo_store_path, report_dir, tmp_path):
    out = tmp_path / "drift"
    res = runner.invoke(app, ["--store", str(demo_store_path), "drift", "--week", "2026-W46", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cli = json.loads((out / "drift.json").read_text())
    assert cli["reference"]["window"] == "2026-W40..2026-W41" and cli["current"]["window"] == "2026-W46"
    kpis = json.loads((report_dir / "report.json").read_text())
    drift_kpis = kpis["sections"]["drift"]["kpis"]
    assert drift_kpis["drifted_features"] == cli["n_drifted"]
    assert drift_kpis["dataset_drift"] == cli["dataset_drift"]
    rep = pd.read_csv(report_dir / "drift_columns.csv")
    rep = rep[rep["scope"] == "feature"].set_index("column")
    for c in cli["columns"]:
        assert rep.loc[c["column"], "method"] == c["method"]
        assert bool(rep.loc[c["column"], "drifted"]) == c["drifted"]
        assert rep.loc[c["column"], "statistic"] == pytest.approx(c["statistic"], rel=1e-9, abs=1e-12)
    # prediction drift: the same method and verdict (they used to disagree on the demo)
    by_scope = pd.read_csv(report_dir / "drift_columns.csv").set_index("scope")
    if cli["prediction_drift"] is not None and "prediction" in by_scope.index:
        assert by_scope.loc["prediction", "method"] == cli["prediction_drift"]["method"]
        assert bool(by_scope.loc["prediction", "drifted"]) == cli["prediction_drift"]["drifted"]
