"""notebooks/drift.py runs as a script, exports to HTML with its outputs, and serves as an app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .browser import browser_page

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "drift.py"
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


def test_exports_to_html_with_its_outputs(demo_store_path, tmp_path):
    out = tmp_path / "drift.html"
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
    assert "input features drifted" in page
    assert "100%" in page  # the default current week (2026-W47) has every feature drifted
    assert page.count("\\u003Cmarimo-vega") >= 4  # distribution, top drifted, drifted share, heatmap
    assert "2026-W46" in page  # the weekly heatmap's data
    assert "Press the button to render it" in page  # Evidently's report waits behind its button


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
            page.get_by_text("input features drifted").first.wait_for(timeout=90_000)
            page.locator("canvas").nth(3).wait_for(timeout=90_000)
            # A week before the planted shift: nothing drifts at the dataset level.
            box = page.get_by_role("textbox").nth(1)
            box.fill("2026-W44")
            box.press("Enter")
            page.get_by_text("items in 2026-W44").first.wait_for(timeout=90_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            n_charts = page.locator("canvas").count()
        assert n_charts >= 4
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
