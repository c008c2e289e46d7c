"""notebooks/annotators.py runs as a script, exports to HTML with its outputs, and serves as an app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .browser import browser_page

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "annotators.py"
MARIMO = [sys.executable, "-m", "marimo"]


def env_for(store: Path) -> dict:
    return {**os.environ, "WORKBENCH_STORE": str(store)}


def test_runs_as_a_script(demo_store_path, tmp_path):
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        env=env_for(demo_store_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_fails_clearly_without_a_store(tmp_path):
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        env=env_for(tmp_path / "missing.duckdb"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "does not exist" in result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "annotators.html"
    result = subprocess.run(
        [*MARIMO, "export", "html", str(NOTEBOOK), "-o", str(out)],
        env=env_for(demo_store_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr  # marimo exits non-zero when a cell raised
    page = out.read_text()
    assert "Annotators: agreement, consensus and quality" in page
    assert page.count("\\u003Cmarimo-vega") >= 5  # trend, per class, quality, drift, confusion
    assert "Consensus: \\u003Ccode\\u003Ecrowdlab" in page  # the computed consensus method was rendered
    assert "re-calibration needed" in page  # the flagged annotators' reasons are in the table
    assert "2026-W44" in page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_serves_with_marimo_run_in_a_real_browser(demo_store_path, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [*MARIMO, "run", str(NOTEBOOK), "--headless", "--port", str(port), "--host", "127.0.0.1", "--no-token"],
        env=env_for(demo_store_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with browser_page() as (page, _errors):
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("which consensus label each item gets").first.wait_for(timeout=90_000)
            page.locator("canvas").nth(4).wait_for(timeout=90_000)
            page.get_by_role("heading", name="a07 against the consensus").wait_for(timeout=60_000)
            # Drill into another annotator: the confusion chart and disagreement table follow.
            page.locator("select").nth(1).select_option("a03")
            page.get_by_role("heading", name="a03 against the consensus").wait_for(timeout=60_000)
            # Switch the consensus method: the page recomputes for this visitor.
            page.locator("select").first.select_option("mv")
            page.get_by_text("requested with --method mv").first.wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            n_charts = page.locator("canvas").count()
        assert n_charts >= 5
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
