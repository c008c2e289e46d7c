"""Drift on the demo data (the planted shift), windows, bad input, history, CLI and report section."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench import drift as dr
from workbench.cli import app
from workbench.drift import cache as drift_cache
from workbench.drift import summarising
from workbench.drift.distributions import _regroup
from workbench.drift.methods import default_method
from workbench.drift.statistics import column_statistic
from workbench.drift.summary import VALUE_COUNTS_MAX, read_summary, write_summary
from workbench.drift.text import text_domain_classifier
from workbench.errors import BadInputError
from workbench.inputs import Week
from workbench.store import Store

FEATURES = 66  # 64 pixels, device, note


@pytest.fixture(scope="module")
def weekly(demo_store_path):
    with Store.open(demo_store_path, read_only=True) as store:
        return dr.compute_drift_by_week(store)


def test_planted_shift_is_detected_from_its_first_week_and_not_before(weekly, truth):
    shift_week = truth["shift"]["week"]
    assert weekly.reference == f"{truth['weeks'][0]}..{truth['weeks'][1]}"
    assert weekly.weeks == truth["weeks"][2:]
    summary = weekly.summary().set_index("week")
    for week in weekly.weeks:
        if week >= shift_week:
            assert summary.loc[week, "dataset_drift"], week
            assert summary.loc[week, "drifted_share"] > 0.9, week
        else:
            assert not summary.loc[week, "dataset_drift"], week
            assert summary.loc[week, "drifted_share"] < 0.1, week


def test_shifted_features_drift_with_evidently_small_sample_methods(weekly, truth):
    r = weekly.result(truth["shift"]["week"])
    assert len(r.columns) == FEATURES
    by_name = {c.column: c for c in r.columns}
    assert by_name["device"].kind == "categorical" and by_name["device"].drifted
    assert by_name["note"].kind == "text" and by_name["note"].method == "perc_text_content_drift"
    assert by_name["note"].drifted
    assert by_name["pixel_21"].method == "ks"  # the reference (two weeks, 465 items) is below 1,000 rows
    assert set(r.drifted_columns()) >= {"device", "note"}


def test_default_windows_are_the_first_two_weeks_against_the_latest(demo_store, truth):
    r = dr.compute_drift(demo_store)
    assert r.current == truth["weeks"][-1]
    assert r.reference == f"{truth['weeks'][0]}..{truth['weeks'][1]}"
    items = demo_store.data("items").execute()
    last, first, second = (Week.parse(truth["weeks"][i]) for i in (-1, 0, 1))
    assert r.n_current == int(((items.created_at >= last.start) & (items.created_at < last.end)).sum())
    assert r.n_reference == int(((items.created_at >= first.start) & (items.created_at < second.end)).sum())
    # Below 1,000 reference rows Evidently uses tests (K-S, chi-square, the text classifier's percentile).
    assert {c.method for c in r.columns} == {"ks", "chisquare", "perc_text_content_drift"}
    assert r.dataset_drift
    # --week picks the current window; a week inside the reference is refused with a reason.
    earlier = dr.compute_drift(demo_store, week=truth["weeks"][3])
    assert earlier.current == truth["weeks"][3] and earlier.reference == r.reference
    with pytest.raises(BadInputError, match="part of the drift reference"):
        dr.compute_drift(demo_store, week=truth["weeks"][1])


def test_configured_reference_wins(demo_store, truth):
    r = dr.compute_drift(demo_store, config={"reference": "split=train"})
    assert r.reference == "split=train"

def test_date_range_includes_the_whole_last_day(demo_store):
    items = demo_store.data("items").execute()
    w = dr.Window.parse("2026-10-01..2026-10-07")
    n = int(w.apply(demo_store.data("items")).count().execute())
    expected = ((items.created_at >= "2026-10-01") & (items.created_at < "2026-10-08")).sum()
    assert n == expected and n > 0
    assert dr.Window.parse("2026-W40..2026-W41").start == Week.parse("2026-W40").start
    assert dr.Window.parse("2026-W40..2026-W41").end == Week.parse("2026-W41").end


def test_filter_window_and_json_shape(demo_store):
    r = dr.compute_drift(demo_store, reference="split=train", current="split=production")
    d = json.loads(json.dumps(r.to_dict()))
    assert d["dataset_drift"] is True
    assert d["drift_share"] == 0.5
    assert d["drifted_share"] == pytest.approx(r.n_drifted / FEATURES)
    assert {"column", "kind", "method", "statistic", "threshold", "drifted"} <= set(d["columns"][0])
    assert d["label_drift"]["column"] == "label" and d["prediction_drift"]["column"] == "predicted_label"
    assert "label" not in {c["column"] for c in d["columns"]}


@pytest.mark.parametrize(
    ("reference", "current", "message"),
    [
        ("2030-01-01..2030-01-31", "2026-W46", "outside the data"),
        ("split=nope", "2026-W46", "split=nope"),
        ("colour=red", "2026-W46", "no column 'colour'"),
        ("2026-W40", "yesterday", "not a window"),
        ("2026-10-10..2026-10-01", "2026-W46", "empty"),
    ],
)
def test_bad_windows_name_the_window(demo_store, reference, current, message):
    with pytest.raises(BadInputError, match=message):
        dr.compute_drift(demo_store, reference=reference, current=current)


def _synthetic_store(path, items: pd.DataFrame) -> Store:
    store = Store.open(path)
    store.con.create_table("items", items)
    return store


def _items(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "item_id": [f"i{i:04d}" for i in range(n)],
            "split": np.where(np.arange(n) < n // 2, "train", "eval"),
            "x": rng.normal(0, 1, n),
            "colour": rng.choice(["red", "blue"], n),
        }
    )


def test_feature_null_in_one_window_is_bad_input(tmp_path):
    items = _items()
    items.loc[items.split == "eval", "x"] = np.nan
    with _synthetic_store(tmp_path / "s.duckdb", items) as store:
        with pytest.raises(BadInputError, match=r"Column 'x' has no values in window 'split=eval'"):
            dr.compute_drift(store, reference="split=train", current="split=eval", include_labels=False)


def test_column_changing_type_between_windows_is_bad_input(tmp_path):
    items = _items()
    items["code"] = np.where(items.split == "train", "12", "A7")
    with _synthetic_store(tmp_path / "s.duckdb", items) as store:
        with pytest.raises(BadInputError, match="'code' changes type between windows"):
            dr.compute_drift(store, reference="split=train", current="split=eval", include_labels=False)
        # Declared categorical, it is compared as it is.
        r = dr.compute_drift(
            store,
            reference="split=train",
            current="split=eval",
            include_labels=False,
            config={"categorical_columns": ["code"]},
        )
        assert r.column("code").drifted


def test_row_order_does_not_change_results_and_inputs_are_untouched(tmp_path):
    items = _items(600, seed=3)
    places = ["front desk", "mail room", "branch office", "archive"]
    # Distinct per item, so free text by Evidently's rule (12 repeated phrases would be categorical).
    items["note"] = [
        f"{['clean', 'faint', 'smudged'][i % 3]} scan from {places[i % 4]} number {i}" for i in range(len(items))
    ]
    shuffled = items.sample(frac=1.0, random_state=1).reset_index(drop=True)
    before = shuffled.copy()
    results = []
    for name, frame in (("a", items), ("b", shuffled)):
        with _synthetic_store(tmp_path / f"{name}.duckdb", frame) as store:
            r = dr.compute_drift(store, reference="split=train", current="split=eval", include_labels=False)
            results.append(r.to_frame().set_index("column")[["method", "statistic", "drifted"]])
    pd.testing.assert_frame_equal(results[0], results[1])
    pd.testing.assert_frame_equal(shuffled, before)
    assert results[0].loc["note", "method"] == "perc_text_content_drift"


def test_text_without_informative_words_is_not_drifted():
    ref = pd.Series(["the form was scanned"] * 50)
    cur = pd.Series(["the form was scanned"] * 40)
    auc, drifted, detail = text_domain_classifier(ref, cur, method="perc_text_content_drift", threshold=0.95)
    assert (auc, drifted) == (0.5, False) and "no informative words" in detail["note"]


def test_benjamini_hochberg_is_stated_and_only_removes_drift(demo_store):
    plain = dr.compute_drift(demo_store, reference="2026-W40..2026-W41", current="2026-W44")
    bh = dr.compute_drift(demo_store, reference="2026-W40..2026-W41", current="2026-W44", correction="bh")
    assert plain.correction == "none"
    assert bh.correction.startswith("benjamini-hochberg")
    p = [c.statistic for c in plain.columns if c.method in ("ks", "chisquare", "z")]
    from statsmodels.stats.multitest import multipletests

    expected = multipletests(p, method="fdr_bh")[1]
    got = [c.p_adjusted for c in bh.columns if c.method in ("ks", "chisquare", "z")]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert bh.n_drifted <= plain.n_drifted
    assert plain.n_drifted > 0 and bh.n_drifted == 0


def test_per_column_method_and_threshold_overrides(demo_store):
    r = dr.compute_drift(
        demo_store,
        reference="2026-W40..2026-W41",
        current="2026-W42",
        columns=["pixel_21", "device"],
        methods={"pixel_21": "wasserstein"},
        thresholds={"device": 0.5},
        include_labels=False,
    )
    assert r.column("pixel_21").method == "wasserstein" and r.column("pixel_21").threshold == 0.1
    assert r.column("device").method == "chisquare" and r.column("device").threshold == 0.5
    with pytest.raises(BadInputError, match="does not apply"):
        dr.compute_drift(demo_store, columns=["device"], methods={"device": "ks"}, include_labels=False)


def test_label_drift_counts_items_not_annotations(demo_store):
    r = dr.compute_drift(demo_store, reference="2026-W40..2026-W41", current="2026-W42")
    ann = demo_store.data("annotations").execute()
    items = demo_store.data("items").execute()
    ref_items = items[items.created_at < Week.parse("2026-W41").end].item_id
    assert r.label_drift.n_reference == ann[ann.item_id.isin(ref_items)].item_id.nunique()
    assert r.label_drift.scope == "label" and r.prediction_drift.scope == "prediction"


def test_reference_summary_is_cached_and_reused(demo_store):
    kinds = dr.infer_kinds(demo_store)
    window = dr.Window.parse("2026-W40..2026-W41")
    a = dr.summarise_reference(demo_store, window, kinds)
    b = dr.summarise_reference(demo_store, window, kinds)
    assert a.histograms is b.histograms and a.profiles is b.profiles


def test_reference_summary_is_kept_beside_the_store_for_later_processes(writable_store, monkeypatch):
    store = writable_store
    kinds = dr.infer_kinds(store)
    first = dr.compute_drift(store, reference="2026-W40..2026-W43", current="2026-W46", include_labels=False)
    entries = list((store.path.parent / (store.path.name + ".cache") / "drift").glob("reference-*.npz"))
    assert len(entries) == 1

    # A later process (no summary in memory) reads it instead of summarising the reference again ...
    drift_cache._CACHE.clear()
    calls = []
    real = summarising.summarise
    monkeypatch.setattr(
        summarising, "summarise", lambda t, k, **kw: calls.append(kw.get("bins_from")) or real(t, k, **kw)
    )
    again = dr.compute_drift(store, reference="2026-W40..2026-W43", current="2026-W46", include_labels=False)
    assert calls and all(b is not None for b in calls)  # only the current window was summarised
    pd.testing.assert_frame_equal(again.to_frame(), first.to_frame())

    # ... until a row of the reference window changes: then it is summarised again, under a new entry.
    store.con.raw_sql(
        "INSERT INTO items SELECT * REPLACE (item_id || '-new' AS item_id, now() AS wb_ingested_at) FROM items "
        "WHERE created_at >= '2026-10-01' AND created_at < '2026-10-03' LIMIT 1"
    )
    drift_cache._CACHE.clear()
    calls.clear()
    dr.summarise_reference(store, dr.Window.parse("2026-W40..2026-W43"), kinds)
    assert calls == [None]
    assert len(list(entries[0].parent.glob("reference-*.npz"))) == 2


def test_store_without_a_file_keeps_summaries_in_memory_only(tmp_path, monkeypatch):
    import ibis

    monkeypatch.chdir(tmp_path)
    con = ibis.duckdb.connect()
    items = _items(2400, seed=8).assign(wb_ingested_at=pd.Timestamp("2026-11-30"))
    con.create_table("items", items)
    store = Store(con, target="in-memory")
    assert store.path is None
    r = dr.compute_drift(store, reference="split=train", current="split=eval", include_labels=False)
    assert r.column("x").method == "wasserstein"
    assert list(tmp_path.iterdir()) == []  # no cache folder beside a store that has no file


def test_summary_archive_round_trips_every_part(demo_store, tmp_path):
    kinds = dr.infer_kinds(demo_store)
    items = demo_store.data("items")
    ref = dr.summarise_reference(demo_store, dr.Window.parse("2026-W40..2026-W41"), kinds)
    cur = summarising.summarise(dr.Window.parse("2026-W46..2026-W47").apply(items), kinds, label="c", bins_from=ref)
    assert any(len(t) for t in cur.tails.values()) and ref.value_counts and ref.values  # every part is there
    for summary in (ref, cur):
        path = tmp_path / f"{summary.label}.npz".replace("/", "_")
        write_summary(summary, path)
        back = read_summary(path, table=summary.table)
        assert back.profiles == summary.profiles and back.bins == summary.bins
        assert (back.label, back.n_rows, back.order_by, back.cleaned) == (
            summary.label, summary.n_rows, summary.order_by, summary.cleaned
        )
        for name in ("histograms", "tails"):
            mine, theirs = getattr(back, name), getattr(summary, name)
            assert list(mine) == list(theirs)
            for c in theirs:
                pd.testing.assert_frame_equal(mine[c], theirs[c][list(mine[c].columns)].reset_index(drop=True))
        assert list(back.value_counts) == list(summary.value_counts)
        for c, vc in summary.value_counts.items():
            pd.testing.assert_series_equal(back.value_counts[c], vc, check_index_type=False)
        for c, v in summary.values.items():
            np.testing.assert_array_equal(back.values[c], v)


def test_unreadable_cache_entry_is_summarised_again(writable_store):
    store = writable_store
    kinds = dr.infer_kinds(store)
    window = dr.Window.parse("2026-W40..2026-W41")
    expected = dr.summarise_reference(store, window, kinds)
    (entry,) = (store.path.parent / (store.path.name + ".cache") / "drift").glob("reference-*.npz")
    entry.write_bytes(b"not a summary")
    drift_cache._CACHE.clear()
    got = dr.summarise_reference(store, window, kinds)
    assert got.profiles == expected.profiles
    assert entry.read_bytes()[:2] == b"PK"  # a NumPy archive again


def test_wasserstein_from_histograms_equals_scipy_with_ties_and_outliers(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(5)
    # A reference above 10,000 rows (no raw values held), both windows together within the exact-pull range.
    ref = np.concatenate([rng.normal(0, 1, 10_800), [50.0], np.zeros(200)])
    cur = np.concatenate([rng.normal(0.05, 1.1, 5000), [-40.0], np.zeros(100)])
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(len(ref) + len(cur))],
            "split": ["r"] * len(ref) + ["c"] * len(cur),
            "x": np.round(np.concatenate([ref, cur]), 2),
        }
    )
    with _synthetic_store(tmp_path / "w.duckdb", items) as store:
        r = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False)
    x = items.x.to_numpy()
    expected = wasserstein_distance(x[: len(ref)], x[len(ref) :]) / np.std(x[: len(ref)])
    assert r.column("x").method == "wasserstein"
    assert r.column("x").detail["from"] == "histograms"
    assert r.column("x").statistic == pytest.approx(expected, rel=1e-9)


def test_nan_and_infinities_are_missing_values_in_either_window(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(11)
    ref, cur = rng.normal(0, 1, 2500), rng.normal(0.3, 1, 2000)
    ref_x, cur_x = ref.copy(), cur.copy()
    ref_x[[3, 50]] = [np.nan, np.inf]  # dirty in the reference only ...
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(len(ref) + len(cur))],
            "split": ["r"] * len(ref) + ["c"] * len(cur),
            "x": np.concatenate([ref_x, cur_x]),
            "y": np.concatenate([ref, np.where(np.arange(len(cur)) % 400 == 0, -np.inf, cur)]),  # ... current only
            "z": np.concatenate([np.where(np.arange(len(ref)) % 500 == 7, np.nan, ref), cur]),  # NaN alone
            "w": np.concatenate([ref, np.where(np.arange(len(cur)) % 500 == 7, np.nan, cur)]),  # in current
        }
    )
    with _synthetic_store(tmp_path / "nf.duckdb", items) as store:
        r = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False)
        # Without infinities in the reference, NaN is found from the profile itself (no separate check).
        r_yz = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False,
                                columns=["y", "z"])
    pd.testing.assert_frame_equal(r_yz.to_frame(), r.to_frame().iloc[1:3].reset_index(drop=True))
    assert r.column("w").n_current == len(cur) - 4
    assert r.column("w").statistic == pytest.approx(
        wasserstein_distance(ref, cur[np.arange(len(cur)) % 500 != 7]) / np.std(ref), rel=1e-6
    )
    keep = np.isfinite(ref_x)
    assert r.column("x").n_reference == len(ref) - 2
    assert r.column("x").statistic == pytest.approx(
        wasserstein_distance(ref_x[keep], cur) / np.std(ref_x[keep]), rel=1e-6
    )
    z = items.z.to_numpy()[: len(ref)]
    assert r.column("z").n_reference == len(ref) - 5
    assert r.column("z").statistic == pytest.approx(
        wasserstein_distance(z[np.isfinite(z)], cur) / np.std(z[np.isfinite(z)]), rel=1e-6
    )
    cur_y = items.y.to_numpy()[len(ref):]
    assert r.column("y").n_current == len(cur) - 5
    assert r.column("y").statistic == pytest.approx(
        wasserstein_distance(ref, cur_y[np.isfinite(cur_y)]) / np.std(ref), rel=1e-6
    )


def test_charts_keep_the_shape_of_a_window_that_left_the_reference_range(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(2)
    ref = rng.uniform(0, 1, 3000)
    cur = np.concatenate([rng.normal(2.5, 0.4, 2991), rng.uniform(-3, 0, 9)])  # mostly above the reference
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(len(ref) + len(cur))],
            "split": ["r"] * len(ref) + ["c"] * len(cur),
            "x": np.concatenate([ref, cur]),
        }
    )
    with _synthetic_store(tmp_path / "t.duckdb", items) as store:
        r = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False)
        summary = dr.summarise_reference(store, dr.Window.parse("split=r"), {"x": "numeric"})
    assert r.column("x").statistic == pytest.approx(wasserstein_distance(ref, cur) / np.std(ref), rel=1e-9)
    assert summary.tails["x"].empty  # a reference lies inside its own range
    dist = r.distributions["x"]
    shown = dist[dist.window == "current"]
    edges = np.append(shown.start.to_numpy(), shown.end.to_numpy()[-1])
    assert edges[0] == cur.min() and edges[-1] == cur.max()
    expected = np.histogram(cur, bins=edges)[0] / len(cur)
    # Outside the reference's range the histogram keeps bins 1/64 of that range wide: only the ones a display
    # edge cuts are spread, so every display bin is within a few thousandths of the exact share.
    np.testing.assert_allclose(shown.share.to_numpy(), expected, atol=0.005)
    assert np.abs(shown.share.to_numpy() - expected).sum() < 0.02


def test_far_off_values_add_few_tail_bins_and_keep_statistics_exact(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(4)
    ref = rng.normal(0, 1, 2000)
    cur = np.concatenate([rng.normal(0, 1, 1500), rng.uniform(10, 1e7, 500), [-1e9]])
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(len(ref) + len(cur))],
            "split": ["r"] * len(ref) + ["c"] * len(cur),
            "x": np.concatenate([ref, cur]),
        }
    )
    with _synthetic_store(tmp_path / "far.duckdb", items) as store:
        kinds = {"x": "numeric"}
        reference = dr.summarise_reference(store, dr.Window.parse("split=r"), kinds)
        items_t = store.data("items")
        current = summarising.summarise(items_t.filter(items_t.split == "c"), kinds, label="c", bins_from=reference)
        stat = column_statistic(reference, current, "x")
    tails = current.tails["x"]
    # 500 values spread over seven orders of magnitude: linear tail bins for four reference ranges, then
    # 16 per doubling, so far fewer bins than values.
    assert 0 < len(tails) < 200 and tails.n.sum() == 501
    hist = current.histograms["x"]
    assert hist[hist.bin == reference.bins["x"].n].n.item() == 500
    assert hist[hist.bin == -1].n.item() == 1
    assert stat.statistic == pytest.approx(wasserstein_distance(ref, cur) / np.std(ref), rel=1e-9)


def test_a_value_near_the_largest_double_does_not_break_the_tail_bins(tmp_path):
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(9)
    ref = rng.uniform(0, 1, 12_000)  # above 10,000 rows: histograms, not raw values
    cur = np.concatenate([rng.uniform(0, 1, 11_990), np.full(10, 1e308)])  # e.g. a "missing" sentinel
    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(len(ref) + len(cur))],
            "split": ["r"] * len(ref) + ["c"] * len(cur),
            "x": np.concatenate([ref, cur]),
        }
    )
    with _synthetic_store(tmp_path / "big.duckdb", items) as store, np.errstate(all="ignore"):
        r = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False)
    assert r.column("x").detail["from"] == "histograms"
    assert r.column("x").statistic == pytest.approx(wasserstein_distance(ref, cur) / np.std(ref), rel=1e-6)


def test_sentinels_too_large_to_square_are_bad_input_naming_the_column(tmp_path):
    items = _items(400)
    items.loc[[3, 5], "x"] = [1.7e308, -1.7e308]  # in the train window
    with _synthetic_store(tmp_path / "s.duckdb", items) as store:
        with pytest.raises(BadInputError, match=r"Column 'x' holds values too large .* window 'split=train'"):
            dr.compute_drift(store, reference="split=train", current="split=eval", include_labels=False)


def test_default_method_follows_evidently():
    assert default_method("numeric", 1000, 6) == "ks"
    assert default_method("numeric", 1000, 5) == "chisquare"
    assert default_method("numeric", 1000, 2) == "z"
    assert default_method("numeric", 1001, 6) == "wasserstein"
    assert default_method("numeric", 1001, 5) == "jensenshannon"
    assert default_method("categorical", 500, 3) == "chisquare"
    assert default_method("categorical", 5000, 2) == "jensenshannon"
    assert default_method("text", 1000, 0) == "perc_text_content_drift"
    assert default_method("text", 1001, 0) == "abs_text_content_drift"


def test_history_is_stored_and_rerunning_a_week_replaces_its_rows(writable_store, weekly):
    n = dr.save_drift_history(writable_store, weekly)
    assert n == len(weekly.weeks) * (FEATURES + 2)
    again = dr.compute_drift_by_week(writable_store, weeks=["2026-W46"])
    dr.save_drift_history(writable_store, again)
    history = dr.load_drift_history(writable_store)
    assert len(history) == n
    assert set(history.week) == set(weekly.weeks)
    w46 = history[(history.week == "2026-W46") & (history.scope == "feature")]
    assert len(w46) == FEATURES and w46.drifted.all()


def test_numeric_column_with_a_far_outlier_is_not_taken_for_a_few_valued_one(tmp_path):
    # One value at 1e9 puts the other 600 distinct values into the first of the reference's fine bins, so the
    # histogram alone bounds the distinct count at 3; the capped value counts must correct it.
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0, 1, 600), [1e9], rng.uniform(0, 1, 400)])
    items = pd.DataFrame(
        {"item_id": [f"i{i:04d}" for i in range(len(x))], "split": ["r"] * 601 + ["c"] * 400, "x": x}
    )
    with _synthetic_store(tmp_path / "o.duckdb", items) as store:
        kinds = dr.infer_kinds(store)
        summary = dr.summarise_reference(store, dr.Window.parse("split=r"), kinds)
        r = dr.compute_drift(store, reference="split=r", current="split=c", include_labels=False)
    assert summary.profiles["x"].n_distinct == 2 * VALUE_COUNTS_MAX + 1  # a lower bound: "many values"
    assert "x" not in summary.value_counts
    assert r.column("x").method == "ks"  # Evidently's test for a many-valued numeric column, not chi-square


def test_regrouping_fine_bins_onto_display_bins():
    hist = pd.DataFrame(
        {
            "lo": [0.0, 2.5, -5.0, 2.5],
            "hi": [2.0, 2.5, -4.0, 4.5],
            "n": [4, 3, 1, 2],
        }
    )
    counts = _regroup(hist, np.array([0.0, 1.0, 2.0, 3.0]))
    # [0, 2] spreads evenly over two display bins; a single value lands in its bin; a bin wholly below the
    # range goes to the first bin; a bin partly past the range keeps all its rows in the part it overlaps.
    np.testing.assert_allclose(counts, [3.0, 2.0, 5.0])
    assert _regroup(None, np.array([0.0, 1.0])).tolist() == [0.0]


def test_charts_render_to_vega_lite(weekly):
    r = weekly.result("2026-W46")
    for chart in (
        dr.top_drifted_chart(r),
        dr.distribution_chart(r, "device"),
        dr.distribution_chart(r, "pixel_21"),
        dr.drift_heatmap_chart(weekly.to_frame()),
        dr.drifted_share_chart(weekly.summary()),
    ):
        spec = chart.to_dict()
        assert "$schema" in spec
    shares = r.distributions["pixel_21"].groupby("window")["share"].sum()
    assert shares["reference"] == pytest.approx(1.0) and shares["current"] == pytest.approx(1.0)
    # Many features: the heatmap keeps the most drifted ones and says so.
    frame = weekly.to_frame()
    spec = dr.drift_heatmap_chart(frame, max_columns=10).to_dict()
    shown = {row["column"] for row in next(iter(spec["datasets"].values()))}
    features = frame[frame.scope == "feature"]
    before_shift = set(features[features.drifted & (features.week < "2026-W46")].column)
    assert before_shift and before_shift <= shown  # drifted before the shift: kept although the shift is larger
    assert len(shown) == 10
    assert "the 10 most drifted of 66 features" in spec["title"]


def test_cli_writes_outputs_and_bad_input_writes_nothing(demo_store_path, tmp_path):
    store = tmp_path / "wb.duckdb"
    shutil.copy(demo_store_path, store)
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(app, ["--store", str(store), "drift", "--by", "week", "--out", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads((out / "drift.json").read_text())
    assert d["current"]["window"] == "2026-W47" and d["dataset_drift"] is True
    assert [w["dataset_drift"] for w in d["by_week"]] == [False, False, False, False, True, True]
    weekly_csv = pd.read_csv(out / "drift_by_week.csv")
    assert len(weekly_csv) == 6 * (FEATURES + 2)
    assert (out / "drift_heatmap.html").exists() and (out / "drift_top.html").exists()

    bad = tmp_path / "bad"
    res = runner.invoke(app, ["--store", str(store), "drift", "--current", "2031-01-01..2031-01-07", "--out", str(bad)])
    assert res.exit_code == 2
    assert "outside the data" in res.output
    assert not bad.exists()


def test_report_section(demo_store):
    from workbench.sections.drift import SECTION

    assert SECTION.order == 40
    res = SECTION.build(demo_store, Week.parse("2026-W46"))
    assert res.kpis["dataset_drift"] is True and res.kpis["drifted_features"] == FEATURES
    assert any("since 2026-W46" in line for line in res.summary)
    assert any(line.startswith("Label distribution") for line in res.summary)
    ref_week = SECTION.build(demo_store, Week.parse("2026-W40"))
    assert "part of the drift reference" in ref_week.summary[0]


def test_results_follow_the_result_contract(weekly):
    r = weekly.result("2026-W46")
    frame = r.to_frame()
    assert frame.set_index(["scope", "column"]).index.is_unique  # keyed by column (within its scope)
    assert list(frame.column[: len(r.columns)]) == [c.column for c in r.columns]
    json.dumps(r.to_dict(), allow_nan=False)  # JSON-safe: no NaN, no numpy scalars
    json.dumps(weekly.to_dict(), allow_nan=False)
    assert weekly.to_frame().set_index(["week", "scope", "column"]).index.is_unique
    lines = r.summary_lines()
    assert lines[0] == (
        "2026-W46 vs 2026-W40..2026-W41: dataset drift: 66 of 66 input features drifted (100%; threshold 50%)"
    )
    assert [line.split(":")[0] for line in lines[1:]] == ["labels", "predictions"]
    week_lines = weekly.summary_lines("2026-W46")
    assert week_lines[0].startswith("2026-W46 against the reference 2026-W40..2026-W41 (465 items): DATASET DRIFT")
    assert week_lines == weekly.summary_lines("2026-W46", max_listed=8)
    assert "Drifted share in earlier weeks: 2026-W42 " in week_lines[2]
    assert weekly.drifted_since("device", "2026-W47") == "2026-W46"


def test_drift_imports_only_the_layers_below_it():
    """Imports flow one way; Altair and Evidently load only when a chart or Evidently's report is asked for."""
    import subprocess
    import sys
    from pathlib import Path

    import workbench

    code = (
        "import sys, types\n"
        f"root = types.ModuleType('workbench'); root.__path__ = [{str(Path(workbench.__file__).parent)!r}]\n"
        "sys.modules['workbench'] = root\n"
        "import workbench.drift, workbench.loaders.drift\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('workbench', 'altair', 'evidently')))))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    assert not {m for m in loaded if m.startswith(("altair", "evidently"))}
    mine = ("workbench.drift", "workbench.loaders")
    others = {m.split(".")[1] for m in loaded if m.count(".") and not m.startswith(mine)}
    below = {
        *("_version", "config", "contract", "errors", "guidelines", "inputs", "results", "safety", "store"),
        "timestamps",
    }
    assert others <= below, others


# Issue 10, items 6 and 7: drift outputs say what their numbers are; label and prediction drift as two-sample tests.

LABEL_WEEKS_BEFORE_CHANGES = ("2026-W42", "2026-W43")  # guideline v2 and a07's decline start in W44, the shift in W46


def test_two_sample_chi_square_equals_scipy_contingency_table():
    from scipy.stats import chi2_contingency

    from workbench.drift.statistics import chi_square_2sample

    ref = pd.Series({"a": 60, "b": 58, "c": 50, "d": 0})
    cur = pd.Series({"b": 24, "a": 36, "c": 20, "e": 3})  # "e" only in the current window, "d" in neither
    p, detail = chi_square_2sample(ref, cur)
    table = np.array([[60, 58, 50, 0], [36, 24, 20, 3]])
    chi2, expected_p, dof, _ = chi2_contingency(table, correction=False)
    assert p == pytest.approx(expected_p, rel=1e-12)
    assert detail == {"chi2": pytest.approx(chi2, rel=1e-12), "dof": dof} and dof == 3
    assert chi_square_2sample(pd.Series({"a": 5}), pd.Series({"a": 9}))[0] == 1.0  # one value: nothing to compare


def test_two_sample_chi_square_counts_the_references_own_noise():
    """The same current counts against a reference of the same shares: the smaller the reference, the weaker the
    evidence; Evidently's one-sample test takes the reference's shares as exact and does not notice."""
    from workbench.drift.statistics import chi_square, chi_square_2sample

    cur = pd.Series({"a": 120, "b": 80})
    small, large = pd.Series({"a": 50, "b": 50}), pd.Series({"a": 50_000, "b": 50_000})
    assert chi_square(small, cur) == pytest.approx(chi_square(large, cur), rel=1e-12)
    assert chi_square_2sample(small, cur)[0] > chi_square_2sample(large, cur)[0]
    assert chi_square_2sample(large, cur)[0] == pytest.approx(chi_square(large, cur), rel=1e-2)


def test_no_label_drift_in_w42_with_the_two_sample_default_and_what_the_one_sample_test_said(demo_store, truth):
    """Weekly label drift against the default reference (the first two weeks, 465 items) in the weeks before the
    planted changes. Values pinned; the stricter demo check (W43 too) is the xfail test below."""
    from scipy.stats import chi2_contingency

    two = dr.compute_drift_by_week(demo_store, weeks=list(LABEL_WEEKS_BEFORE_CHANGES))
    one = dr.compute_drift_by_week(demo_store, weeks=list(LABEL_WEEKS_BEFORE_CHANGES), methods={"label": "chisquare"})
    assert two.reference == one.reference == "2026-W40..2026-W41"
    got = {w: (two.result(w).label_drift, one.result(w).label_drift) for w in LABEL_WEEKS_BEFORE_CHANGES}
    for new, old in got.values():
        assert new.method == "chisquare_2sample" and old.method == "chisquare"
        assert (new.n_reference, old.n_reference) == (465, 465)
    # W42: stable with both tests.
    assert not got["2026-W42"][0].drifted and got["2026-W42"][0].statistic == pytest.approx(0.440, abs=1e-3)
    assert not got["2026-W42"][1].drifted and got["2026-W42"][1].statistic == pytest.approx(0.139, abs=1e-3)
    # W43: Evidently's one-sample test flags it at p = 1.5e-4; the two-sample test is far weaker evidence
    # (p = 0.028) but still below 0.05.
    assert got["2026-W43"][1].drifted and got["2026-W43"][1].statistic == pytest.approx(1.51e-4, rel=1e-2)
    assert got["2026-W43"][0].drifted and got["2026-W43"][0].statistic == pytest.approx(0.0280, abs=1e-3)
    # The true class mix of the same items is stable in both weeks: W43's majority labels moved, its classes not.
    items = demo_store.data("items").execute()
    labelled = set(demo_store.data("annotations").execute().item_id)
    items = items[items.item_id.isin(labelled)].assign(true=lambda f: f.item_id.map(truth["true_labels"]))
    week = items.created_at.map(lambda t: str(Week.of(t)))
    ref = items[week.isin(truth["weeks"][:2])].true.value_counts()
    for w in LABEL_WEEKS_BEFORE_CHANGES:
        table = pd.concat([ref, items[week == w].true.value_counts()], axis=1).fillna(0).T.to_numpy()
        assert chi2_contingency(table, correction=False)[1] > 0.2, w


@pytest.mark.xfail(
    strict=True,
    reason="2026-W43's majority-vote labels differ from the reference's at p = 0.028 with the two-sample "
    "chi-square (its true class mix does not, p = 0.24): the demo check 'no label drift before the planted "
    "changes' holds for W42 only",
)
def test_demo_has_no_label_drift_before_the_planted_changes(demo_store):
    weekly = dr.compute_drift_by_week(demo_store, weeks=list(LABEL_WEEKS_BEFORE_CHANGES))
    assert [weekly.result(w).label_drift.drifted for w in LABEL_WEEKS_BEFORE_CHANGES] == [False, False]


def test_label_and_prediction_methods_are_chosen_per_column(demo_store):
    r = dr.compute_drift(
        demo_store,
        reference="2026-W40..2026-W41",
        current="2026-W43",
        columns=["device"],
        methods={"label": "chisquare"},
        config={"columns": {"predicted_label": {"method": "jensenshannon", "threshold": 0.2}}},
    )
    assert r.label_drift.method == "chisquare" and r.label_drift.statistic == pytest.approx(1.51e-4, rel=1e-2)
    assert r.prediction_drift.method == "jensenshannon" and r.prediction_drift.threshold == 0.2
    assert r.prediction_drift.statistic_kind == "distance"
    default = dr.compute_drift(demo_store, reference="2026-W40..2026-W41", current="2026-W43", columns=["device"])
    assert default.label_drift.method == default.prediction_drift.method == "chisquare_2sample"
    assert default.params["label_methods"]["label"] == "chisquare_2sample"
    # A feature may ask for the two-sample test too.
    feat = dr.compute_drift(
        demo_store, reference="2026-W40..2026-W41", current="2026-W46", columns=["device"],
        methods={"device": "chisquare_2sample"}, include_labels=False,
    )
    assert feat.column("device").method == "chisquare_2sample" and feat.column("device").drifted


def test_comparison_sentences_name_the_method_and_the_scale():
    from workbench.drift.methods import comparison

    assert comparison("ks", 3e-5, 0.05) == "K-S p = 3e-5 < 0.05"
    assert comparison("chisquare_2sample", 0.44, 0.05) == "two-sample chi-square p = 0.44 > 0.05"
    assert comparison("jensenshannon", 0.21, 0.1) == "Jensen-Shannon distance 0.21 > 0.1"
    assert comparison("wasserstein", 0.04, 0.1) == "Wasserstein (normed) distance 0.04 < 0.1"
    assert comparison("abs_text_content_drift", 0.5504, 0.55) == "domain classifier ROC AUC 0.5504 > 0.55"
    assert comparison("perc_text_content_drift", 0.82, 0.6134, threshold=0.95) == (
        "domain classifier ROC AUC 0.82 > 0.61 (the 95th percentile of random classifiers' ROC AUC)"
    )
    assert comparison("ks", 0.01, 0.05, p_adjusted=0.08) == "K-S p = 0.01, BH-adjusted 0.08 > 0.05"


def test_every_output_row_says_what_its_number_is(weekly):
    frame = weekly.to_frame()
    assert {"statistic", "statistic_kind", "threshold", "compared_with", "drifted", "comparison"} <= set(frame)
    kinds = frame.set_index("method")["statistic_kind"].groupby(level=0).first().to_dict()
    assert kinds == {"chisquare": "p_value", "chisquare_2sample": "p_value", "ks": "p_value",
                     "perc_text_content_drift": "roc_auc"}
    # Severity is past 1 exactly for the drifted rows, whatever the statistic's kind.
    assert ((frame.severity >= 1) == frame.drifted).all()
    r = weekly.result("2026-W46")
    note = r.column("note")
    # Text: the ROC AUC is compared with the random classifiers' 95th percentile AUC, not with 0.95.
    assert note.threshold == 0.95 and note.compared_with == note.detail["random_auc_percentile"]
    assert 0.5 < note.compared_with < 0.7 < note.statistic
    assert note.comparison().startswith(f"domain classifier ROC AUC 0.82 > {note.compared_with:.2f} (the 95th")
    d = r.to_dict()
    assert d["label_drift"]["statistic_kind"] == "p_value" and d["label_drift"]["method"] == "chisquare_2sample"
    assert d["label_drift"]["comparison"].startswith("two-sample chi-square p = ")
    lines = weekly.summary_lines("2026-W46")
    assert "device (chi-square p = " in lines[1] and "pixel_" in lines[1]
    assert lines[-2].endswith("stable (two-sample chi-square p = 0.16 > 0.05).")
    assert r.summary_lines()[1] == "labels: stable (two-sample chi-square p = 0.16 > 0.05)"


def test_history_stored_without_the_new_columns_still_loads(writable_store, weekly):
    """A wb_drift_history written before statistic_kind and compared_with existed reads with them as nulls,
    and storing a week on top of it keeps the old weeks' rows."""
    old = weekly.to_frame().drop(columns=["statistic_kind", "compared_with", "comparison"])
    old["computed_at"] = pd.Timestamp("2026-11-20")
    old = old[[c for c in dr.HISTORY_COLUMNS if c in old]]
    writable_store.write_table(dr.HISTORY_TABLE, old)
    history = dr.load_drift_history(writable_store)
    assert list(history.columns[: len(dr.HISTORY_COLUMNS)]) == dr.HISTORY_COLUMNS
    assert history.statistic_kind.isna().all() and history.compared_with.isna().all()
    dr.save_drift_history(writable_store, dr.compute_drift_by_week(writable_store, weeks=["2026-W46"]))
    history = dr.load_drift_history(writable_store)
    assert len(history) == len(old)
    w46 = history[history.week == "2026-W46"]
    assert w46.statistic_kind.notna().all() and (w46[w46.column == "label"].method == "chisquare_2sample").all()
    assert history[history.week == "2026-W42"].statistic_kind.isna().all()
    dr.drift_heatmap_chart(history).to_dict()  # old and new rows chart alike
