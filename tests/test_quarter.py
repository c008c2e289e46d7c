"""The quarterly audit: KPI trends week by week over the quarter, recorded weeks reused."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import BadInputError
from workbench.kpis import HISTORY_TABLE, kpi_rows
from workbench.quarter import Quarter
from workbench.store import Store

runner = CliRunner()


def test_quarter_weeks():
    from workbench.inputs import Week

    # a week belongs to the quarter of its Thursday: 2026-W40 runs from Monday 28 September to 4 October
    weeks = [Week.parse(w) for w in ("2026-W39", "2026-W40", "2026-W52", "2026-W53", "2027-W01")]
    assert [str(w) for w in Quarter.parse("2026-Q4").weeks(weeks)] == ["2026-W40", "2026-W52", "2026-W53"]
    with pytest.raises(BadInputError, match="YYYY-Qn"):
        Quarter.parse("2026-4")


def test_quarterly_audit_reuses_recorded_weeks_and_computes_the_others(demo_store_path, tmp_path):
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_store_path, path)
    recorded = [f"2026-W{n}" for n in range(40, 47)]  # every week but the last has a recorded report
    with Store.open(path) as store:
        rows = pd.concat(
            [kpi_rows(w, {"labels": {"label_health_score": 0.9 - i / 100}}) for i, w in enumerate(recorded)]
        )
        store.write_table(HISTORY_TABLE, rows)
    res = runner.invoke(app, ["--store", str(path), "report", "--quarter", "2026-Q4", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "8 weeks, 1 computed now" in res.output
    folder = tmp_path / "r" / "2026-Q4"
    trends = pd.read_csv(folder / "quarter_kpi_trends_long.csv")
    health = trends[trends["key"] == "label_health_score"].set_index("week")["value"]
    assert health["2026-W40"] == pytest.approx(0.9) and health["2026-W46"] == pytest.approx(0.84)
    assert 0.5 < health["2026-W47"] < 1.0  # computed now from the store
    summary = json.loads((folder / "report.json").read_text())
    assert summary["computed_weeks"] == ["2026-W47"] and len(summary["weeks"]) == 8
    page = (folder / "index.html").read_text()
    assert "Data quality audit" in page and "KPI trends" in page
    with Store.open(path, read_only=True) as store:  # the computed week is recorded for next time
        weeks = set(store.table(HISTORY_TABLE).execute()["week"])
    assert "2026-W47" in weeks
    bad = runner.invoke(app, ["--store", str(path), "report", "--quarter", "2025-Q1", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "has no week with data" in bad.output
