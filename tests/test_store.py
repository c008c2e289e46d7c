"""The store: idempotent ingestion, appends, lineage, all-or-nothing writes, waiting on a busy store."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import BadInputError, ContractError, StoreBusyError
from workbench.store import Store, content_hash, resolve_target

from .test_contract import store_state, write_small

runner = CliRunner()


def counts(store: Store) -> dict[str, int]:
    return {t: int(store.table(t).count().execute()) for t in ("items", "annotations", "gold", "predictions")}


def test_demo_ingest_is_idempotent(demo_dir, tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        first = store.ingest(demo_dir)
        after_first = counts(store)
        second = store.ingest(demo_dir)
        assert counts(store) == after_first
    assert first.added == {"items": 2037, "annotations": after_first["annotations"], "gold": 120, "predictions": 2037}
    assert second.added == {"items": 0, "annotations": 0, "gold": 0, "predictions": 0}
    assert second.skipped_duplicates["annotations"] == after_first["annotations"]
    assert second.guidelines_added is False


def test_cli_ingest_twice_leaves_counts_unchanged(demo_dir, tmp_path):
    target = str(tmp_path / "cli.duckdb")
    assert runner.invoke(app, ["--store", target, "ingest", str(demo_dir)]).exit_code == 0
    before = store_state(Path(target))
    again = runner.invoke(app, ["--store", target, "ingest", str(demo_dir)])
    assert again.exit_code == 0, again.output
    assert "+0 rows" in again.output and "already stored" in again.output
    assert store_state(Path(target)) == {**before, "wb_ingestions": before["wb_ingestions"] + 1}


def test_new_annotation_rows_append_with_lineage(tmp_path):
    folder = write_small(tmp_path / "v1")
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(folder)
        ann = pd.read_csv(folder / "annotations.csv")
        extra = pd.DataFrame(
            {
                "item_id": ["i2", "i3"],
                "annotator_id": ["ann3", "ann3"],
                "label": ["dog", "dog"],
                "created_at": ["2026-10-09T08:00:00Z"] * 2,
            }
        )
        pd.concat([ann, extra]).to_csv(folder / "annotations.csv", index=False)
        result = store.ingest(folder)
        assert result.added["annotations"] == 2
        assert result.skipped_duplicates["annotations"] == 5
        assert result.added["items"] == 0
        stored = store.table("annotations").execute()
    assert len(stored) == 7
    assert set(stored["wb_source_file"]) == {str((folder / "annotations.csv").resolve())}
    times = stored.groupby("annotator_id")["wb_ingested_at"].max()
    assert times["ann3"] > stored.loc[stored.annotator_id == "ann1", "wb_ingested_at"].max()
    assert stored["wb_row_hash"].is_unique


def test_exact_duplicate_rows_in_one_file_are_stored_once(tmp_path):
    ann = pd.DataFrame(
        {
            "item_id": ["i1", "i1", "i2", "i3", "i4"],
            "annotator_id": ["ann1"] * 5,
            "label": ["cat", "cat", "dog", "cat", "bird"],
        }
    )
    folder = write_small(tmp_path / "dups", annotations=ann)
    with Store.open(tmp_path / "s.duckdb") as store:
        result = store.ingest(folder)
    assert result.added["annotations"] == 4
    assert result.skipped_duplicates["annotations"] == 1


def test_changed_item_is_a_conflict_and_nothing_is_written(tmp_path):
    folder = write_small(tmp_path / "a")
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(folder)
    before = store_state(path)
    items = pd.read_csv(folder / "items.csv")
    items.loc[0, "size"] = 99.0
    items.to_csv(folder / "items.csv", index=False)
    extra = pd.concat(
        [
            pd.read_csv(folder / "annotations.csv"),
            pd.DataFrame(
                {"item_id": ["i4"], "annotator_id": ["ann9"], "label": ["bird"], "created_at": ["2026-10-10"]}
            ),
        ]
    )
    extra.to_csv(folder / "annotations.csv", index=False)
    with Store.open(path) as store, pytest.raises(ContractError, match="already stored under the same item_id") as err:
        store.ingest(folder)
    assert "item_id='i1'" in str(err.value)
    assert store_state(path) == before


def test_failure_part_way_rolls_everything_back(tmp_path, monkeypatch):
    folder = write_small(tmp_path / "a")
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store.ingest(folder)
    before = store_state(path)
    # New items and annotations, then a failure while writing predictions.
    items = pd.concat(
        [
            pd.read_csv(folder / "items.csv"),
            pd.DataFrame(
                {"item_id": ["i5"], "created_at": ["2026-10-09"], "text": ["x"], "size": [1.0], "meta_batch": ["b3"]}
            ),
        ]
    )
    items.to_csv(folder / "items.csv", index=False)
    ann = pd.concat(
        [
            pd.read_csv(folder / "annotations.csv"),
            pd.DataFrame({"item_id": ["i5"], "annotator_id": ["ann1"], "label": ["cat"], "created_at": ["2026-10-09"]}),
        ]
    )
    ann.to_csv(folder / "annotations.csv", index=False)
    preds = pd.concat(
        [
            pd.read_csv(folder / "predictions.csv"),
            pd.DataFrame({"item_id": ["i5"], "proba_cat": [1.0], "proba_dog": [0.0], "proba_bird": [0.0]}),
        ]
    )
    preds.to_csv(folder / "predictions.csv", index=False)

    with Store.open(path) as store:
        real_insert = store.con.insert
        calls = []

        def failing_insert(name, obj, **kw):
            calls.append(name)
            if name == "predictions":
                raise OSError("disk full (simulated)")
            return real_insert(name, obj, **kw)

        monkeypatch.setattr(store.con, "insert", failing_insert)
        with pytest.raises(OSError, match="simulated"):
            store.ingest(folder)
    assert calls[:2] == ["items", "annotations"]  # earlier tables had been written inside the transaction
    assert store_state(path) == before


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE IF NOT EXISTS wb_hold(x INT)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def hold_store(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_waits_for_the_store(tmp_path):
    path = tmp_path / "s.duckdb"
    holder = hold_store(path, 2.0)
    try:
        started = time.monotonic()
        with Store.open(path, lock_timeout_s=30) as store:
            waited = time.monotonic() - started
            store.ingest(write_small(tmp_path / "a"))
            assert counts(store)["items"] == 4
    finally:
        holder.wait(timeout=30)
    assert waited >= 1.0  # it waited for the holder instead of failing


def test_store_busy_after_retrying_exits_3(tmp_path):
    path = tmp_path / "s.duckdb"
    holder = hold_store(path, 20.0)
    try:
        with pytest.raises(StoreBusyError, match="held by another process"):
            Store.open(path, lock_timeout_s=0.5)
        env = {**os.environ, "WORKBENCH_LOCK_TIMEOUT": "0.5"}
        result = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "--store", str(path), "ingest", str(write_small(tmp_path / "b"))],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 3, result.stderr
        assert "busy" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_store_url_and_env_and_config(tmp_path, monkeypatch):
    folder = write_small(tmp_path / "a")
    url = f"duckdb://{tmp_path / 'url.duckdb'}"
    with Store.open(url) as store:
        store.ingest(folder)
        assert store.backend == "duckdb"
    with Store.open(url, read_only=True) as store:
        assert counts(store)["items"] == 4
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_STORE", raising=False)
    assert resolve_target() == "data/workbench.duckdb"
    (tmp_path / "workbench.toml").write_text('[store]\nurl = "custom/here.duckdb"\n')
    assert resolve_target() == "custom/here.duckdb"
    monkeypatch.setenv("WORKBENCH_STORE", url)
    assert resolve_target() == url
    assert resolve_target("explicit.duckdb") == "explicit.duckdb"
    result = runner.invoke(app, ["info", "--json"])  # env var picks the URL store
    assert result.exit_code == 0, result.output
    assert '"items": 4' in result.output


def test_pyproject_tool_section_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_STORE", raising=False)
    (tmp_path / "pyproject.toml").write_text('[tool.workbench.store]\nurl = "pp.duckdb"\n')
    assert resolve_target() == "pp.duckdb"


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        Store.open(tmp_path / "none.duckdb", read_only=True)
    result = runner.invoke(app, ["--store", str(tmp_path / "none.duckdb"), "info"])
    assert result.exit_code == 2
    assert "workbench demo" in result.output


def test_content_hash_ignores_column_order_and_sees_values():
    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    b = a[["y", "x"]]
    assert content_hash(a).tolist() == content_hash(b).tolist()
    assert content_hash(a).iloc[0] != content_hash(a).iloc[1]


def test_guidelines_are_stored_verbatim(demo_store, demo_dir):
    assert demo_store.guidelines() == (demo_dir / "guidelines.md").read_text()


def test_failed_first_ingest_leaves_an_empty_store(tmp_path, monkeypatch):
    folder = write_small(tmp_path / "a")
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        real_create = store.con.create_table

        def failing_create(name, *args, **kw):
            if name == "predictions":
                raise OSError("out of space (simulated)")
            return real_create(name, *args, **kw)

        monkeypatch.setattr(store.con, "create_table", failing_create)
        with pytest.raises(OSError, match="simulated"):
            store.ingest(folder)
        assert store.tables() == []
