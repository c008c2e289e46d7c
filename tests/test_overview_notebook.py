"""notebooks/overview.py runs as a script, exports to HTML, and serves as a read-only app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .browser import browser_page

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "overview.py"
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


def test_runs_as_a_script_and_fails_clearly_without_a_store(tmp_path):
    result = subprocess.run(
        [sys.executable, str(NOTEBOOK)],
        env=env_for(tmp_path / "missing.duckdb"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "does not exist" in result.stderr and "workbench demo" in result.stderr


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "overview.html"
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
    assert "Dataset overview" in page
    assert page.count("marimo-vega") >= 6  # the six charts were rendered into the export
    assert "2026-W47" in page


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
            page.get_by_text("What is in the store").wait_for(timeout=90_000)
            # marimo renders outputs in shadow roots; Playwright's locators pierce them.
            page.locator("canvas").nth(5).wait_for(timeout=90_000)
            n_charts = page.locator("canvas").count()
            page.get_by_text("2,037").first.wait_for(timeout=30_000)
            # Interact: pick an earlier week; the library recomputes for this visitor.
            page.locator("select").first.select_option("2026-W43")
            page.get_by_text("annotations in 2026-W43").wait_for(timeout=60_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        assert n_charts >= 6
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
