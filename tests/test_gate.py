"""The promotion gate: fails on the demo's planted problems, passes with relaxed thresholds, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from workbench.cli import app

runner = CliRunner()


def _gate(store, *args):
    return runner.invoke(app, ["--store", str(store), "gate", *args])


def test_gate_fails_on_the_demo_for_the_planted_problems(demo_store_path):
    res = _gate(demo_store_path, "--json")
    assert res.exit_code == 1, res.output
    data = json.loads(res.output)
    status = {c["threshold"]: c["status"] for c in data["checks"]}
    # drift since W46 (every feature), label errors from the planted flips and a07, gold accuracy pulled down by a07
    assert status["max_drifted_share"] == "failed"
    assert status["min_label_health"] == "failed"
    assert status["min_gold_accuracy"] == "failed"
    # alpha: the weak annotators planted for the annotator checks pull it under Krippendorff's 0.667
    assert status["min_alpha"] == "failed"
    assert {u["threshold"] for u in data["unmet"]} >= {"max_drifted_share", "min_label_health", "min_gold_accuracy"}
    drift = next(c for c in data["checks"] if c["threshold"] == "max_drifted_share")
    assert drift["value"] == 1.0 and drift["limit"] == 0.5
    text = _gate(demo_store_path)
    assert text.exit_code == 1 and "Gate for 2026-W47: FAILED" in text.output


def test_gate_passes_with_relaxed_thresholds_and_strict_fails_what_it_cannot_measure(demo_store_path, tmp_path):
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text(
        "[gate]\nmin_alpha = 0.5\nmin_label_health = 0.8\nmin_gold_accuracy = 0.8\nmax_drifted_share = 1.0\n",
        encoding="utf-8",
    )
    res = _gate(demo_store_path, "--config", str(relaxed), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["passed"] is True
    strict = _gate(demo_store_path, "--config", str(relaxed), "--strict", "--json")
    assert strict.exit_code == 1
    failed = {c["threshold"] for c in json.loads(strict.output)["unmet"]}
    assert "max_open_expert_queue" in failed  # no queue in the demo store: nothing to measure


def test_gate_bad_thresholds_are_bad_input(demo_store_path, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[gate]\nmin_alpah = 0.5\n", encoding="utf-8")
    res = _gate(demo_store_path, "--config", str(bad))
    assert res.exit_code == 2 and "min_alpah" in res.output and "min_alpha" in res.output
    bad.write_text('[gate]\nmin_alpha = "high"\n', encoding="utf-8")
    res = _gate(demo_store_path, "--config", str(bad))
    assert res.exit_code == 2 and "give a number" in res.output
    res = _gate(demo_store_path, "--config", str(tmp_path / "missing.toml"))
    assert res.exit_code == 2 and "no such file" in res.output
    res = _gate(demo_store_path, "--week", "2026-W02")
    assert res.exit_code == 2 and "outside the data, which spans 2026-W40 to 2026-W47" in res.output
