"""Overview statistics computed in the store, checked against pandas on the demo's own files."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.errors import BadInputError
from workbench.inputs import Week, latest_week, weeks_with_data
from workbench.overview import compute_overview


def iso(ts) -> str:
    y, w, _ = pd.Timestamp(ts).isocalendar()
    return f"{y}-W{w:02d}"


@pytest.fixture(scope="module")
def raw(demo_dir):
    ann = pd.read_parquet(demo_dir / "annotations.parquet")
    items = pd.read_parquet(demo_dir / "items.parquet")
    ann["week"] = ann["created_at"].map(iso)
    return ann, items


def test_week_parsing_and_bounds():
    w = Week.parse("2026-W46")
    assert str(w) == "2026-W46"
    assert w.start.isoformat() == "2026-11-09T00:00:00"
    assert w.end.isoformat() == "2026-11-16T00:00:00"
    assert str(w.previous()) == "2026-W45"
    assert str(Week.parse("2026-W01").previous()) == "2025-W52"
    for bad in ("2026-46", "2026-W99", "W46", "2026-w4"):
        with pytest.raises(BadInputError, match="ISO week|no ISO week"):
            Week.parse(bad)


def test_weeks_with_data(demo_store, truth):
    assert [str(w) for w in weeks_with_data(demo_store)] == truth["weeks"]
    assert str(latest_week(demo_store)) == "2026-W47"


def test_overview_matches_pandas(demo_store, raw, truth):
    ann, items = raw
    ov = compute_overview(demo_store)
    assert ov.week == "2026-W47"
    k = ov.kpis
    assert k["items"] == len(items)
    assert k["annotations"] == len(ann)
    assert k["annotated_items"] == ann.item_id.nunique()
    assert k["unannotated_items"] == len(truth["unannotated_items"])
    assert k["annotators"] == 17 and k["classes"] == 10 and k["gold_items"] == 120
    assert k["week_annotations"] == int((ann.week == "2026-W47").sum())
    assert k["previous_week_annotations"] == int((ann.week == "2026-W46").sum())
    # Weekly series.
    weekly = ov.weekly.set_index("week")
    expected = ann.groupby("week").size()
    assert weekly["annotations"].to_dict() == expected.to_dict()
    assert weekly["active_annotators"].to_dict() == ann.groupby("week").annotator_id.nunique().to_dict()
    # Latency in hours from item creation, median per week.
    merged = ann.merge(items[["item_id", "created_at"]], on="item_id", suffixes=("", "_item"))
    merged["latency_h"] = (merged.created_at - merged.created_at_item).dt.total_seconds() / 3600
    med = merged.groupby("week").latency_h.median()
    assert weekly["median_latency_h"].round(6).to_dict() == med.round(6).to_dict()
    assert weekly["median_duration_s"].to_dict() == ann.groupby("week").duration_s.median().to_dict()
    # Coverage per class.
    cov = ov.coverage.set_index("class")
    assert cov["annotations"].to_dict() == ann.label.value_counts().to_dict()
    assert cov["items_labeled"].to_dict() == ann.groupby("label").item_id.nunique().to_dict()
    # Completeness buckets.
    per_item = ann.groupby("item_id").size().reindex(items.item_id, fill_value=0)
    comp = ov.completeness.set_index("n_annotations")["items"]
    assert comp["0"] == int((per_item == 0).sum())
    assert comp["1"] == int((per_item == 1).sum())
    assert comp["3+"] == int((per_item >= 3).sum())
    # Annotator-weeks.
    aw = ov.annotator_weeks.groupby("week").annotations.sum()
    assert aw.to_dict() == expected.to_dict()


def test_filters_restrict_annotations_and_weeks(demo_store, raw):
    ann, _ = raw
    ov = compute_overview(demo_store, week="2026-W43", classes=["one", "seven"], annotators=["a01", "a07"])
    sel = ann[ann.label.isin(["one", "seven"]) & ann.annotator_id.isin(["a01", "a07"]) & (ann.week <= "2026-W43")]
    assert ov.kpis["annotations"] == len(sel)
    assert ov.weekly["week"].max() <= "2026-W43"
    assert set(ov.coverage.loc[ov.coverage.annotations > 0, "class"]) == {"one", "seven"}
    assert set(ov.annotator_weeks.annotator_id) <= {"a01", "a07"}
    assert ov.filters == {"classes": ["one", "seven"], "annotators": ["a01", "a07"]}
