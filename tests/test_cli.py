"""The command line: version, help with exit codes, info, demo."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

import workbench
from workbench.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"workbench {workbench.__version__}"


def test_help_documents_exit_codes_and_every_command_has_help():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for code in ("0 success", "1 a gate or check failed", "2 bad input", "3 the store stayed busy"):
        assert code in text
    import typer.main

    group = typer.main.get_command(app)
    commands = sorted(group.commands)
    assert {"ingest", "check", "demo", "info", "report", "labels", "annotators", "drift"} <= set(commands)
    for command in commands:  # every registered command, those added later too
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0, command
        assert "Usage" in sub.output, command
        assert sub.output.split("Usage", 1)[1].strip(), command


def test_store_after_the_command_is_explained(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "info", "--store", str(tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "--store goes before the command" in res.stderr and "Traceback" not in res.stderr
    from workbench.cli import misplaced_global_option

    assert misplaced_global_option(["--store", "x.duckdb", "info"]) is None
    assert misplaced_global_option(["--store=x.duckdb", "report", "--week", "2026-W46"]) is None
    assert misplaced_global_option(["drift", "--out", "d", "--store=x"]) is not None


def test_info_json_values(demo_store_path):
    result = runner.invoke(app, ["--store", str(demo_store_path), "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["counts"]["items"] == 2037 and info["counts"]["gold"] == 120
    assert info["n_annotators"] == 17  # 12, and the five planted for the annotator checks
    assert sorted(info["classes"]) == sorted(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    assert info["guideline_versions"] == ["v1", "v2"]
    assert info["first_annotation"].startswith("2026-09-28")
    assert info["last_annotation"].startswith("2026-11-22")


def test_demo_command_writes_and_ingests(tmp_path):
    store = tmp_path / "s.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "--store",
            str(store),
            "demo",
            "--out",
            str(tmp_path / "d"),
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "truth.json").is_file()
    assert "items        +2,037 rows" in result.stdout
    truth = json.loads((tmp_path / "d" / "truth.json").read_text())
    assert truth["seed"] == 1


def test_unknown_option_is_bad_input():
    result = runner.invoke(app, ["report", "--nope"])
    assert result.exit_code == 2
