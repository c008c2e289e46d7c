"""Smoke test of the scale benchmark: generate a tiny workload, run every command on it, write the table.

No timing assertions: only that every command ran, exited 0 (the gate: 0 or 1) and is in the table.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_workload_follows_the_contract_and_is_deterministic(tmp_path):
    from workbench.contract import read_dataset

    generate = _module("generate")
    a = generate.generate(600, seed=3)
    b = generate.generate(600, seed=3)
    for name in a:
        assert a[name].equals(b[name]), name
    generate.write(tmp_path / "data", 600, seed=3)
    dataset = read_dataset(tmp_path / "data")
    assert len(dataset.classes) == 20
    items, ann = dataset.tables["items"], dataset.tables["annotations"]
    assert len(items) == 600 and 2.5 < len(ann) / len(items) < 3.5
    assert not ann.duplicated(["item_id", "annotator_id"]).any()
    assert sorted(ann["guideline_version"].unique()) == ["v1", "v2"]
    assert sum(c.startswith("num_") for c in items) == 20 and sum(c.startswith("cat_") for c in items) == 5
    weeks = items["created_at"].dt.isocalendar().week
    assert weeks.nunique() == 8
    proba = dataset.tables["predictions"].filter(like="proba_").to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_content_hash_equals_its_reference_form_on_the_workload(tmp_path):
    from workbench.contract import read_dataset
    from workbench.store import _content_hash_reference, content_hash

    _module("generate").write(tmp_path / "data", 400, seed=1)
    for name, frame in read_dataset(tmp_path / "data").tables.items():
        assert content_hash(frame).tolist() == _content_hash_reference(frame).tolist(), name
    stamps = pd.DataFrame({"t": pd.to_datetime(["2026-01-01", None, "2026-01-02"]), "x": [1.5, None, 2.0]})
    assert content_hash(stamps).tolist() == _content_hash_reference(stamps).tolist()
    rng = np.random.default_rng(0)
    repeats = pd.DataFrame(
        {
            "f": rng.choice([0.0, -0.0, np.nan, 1.5, 1e-7, 1e20, np.inf, 0.1 + 0.2], 5_000),
            "i": rng.integers(-3, 3, 5_000),
            "g": np.round(rng.normal(0, 1, 5_000), 1),
        }
    )
    assert content_hash(repeats).tolist() == _content_hash_reference(repeats).tolist()
    assert content_hash(repeats[["f"]]).nunique() == 8  # -0.0 and 0.0 stay apart, as in their text


@pytest.mark.slow
def test_run_lists_every_command_and_each_exits_0(tmp_path):
    results = tmp_path / "results.md"
    cmd = [
        sys.executable,
        str(BENCH / "run.py"),
        "--items",
        "300",
        "--work",
        str(tmp_path / "work"),
        "--results",
        str(results),
        "--limit",
        "60",
        "--baselines",
        "pandas_duckdb_ingest",
        "krippendorff_alpha",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = results.read_text()
    record = json.loads(results.with_suffix(".json").read_text())
    run = _module("run")
    ran = {r["name"]: r["exit"] for r in record["commands"]}
    for name in run.CORE:
        assert ran.get(name) == 0, (name, ran)
        assert f"| {name} |" in text
    for name, status in ran.items():
        assert status in run.ALLOWED_EXIT.get(name, {0}), (name, status)
    assert {b: [r["exit"] for r in runs] for b, runs in record["baselines"].items()} == {
        "pandas_duckdb_ingest": [0],
        "krippendorff_alpha": [0],
    }
    assert "nproc" in text
