"""notebooks/label_quality.py runs as a script, exports to HTML, and serves as a read-only app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .browser import browser_page

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "label_quality.py"
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
    assert list(tmp_path.iterdir()) == []  # a read-only notebook writes nothing


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
    out = tmp_path / "label_quality.html"
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
    assert "Label quality" in page
    assert "label health score" in page
    assert "Estimated label noise per class" in page
    assert "Given versus suggested label" in page
    assert page.count("marimo-vega") >= 3
    assert "majority_vote" in page and "demo-logreg-v1" in page  # which consensus and probabilities were used


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_serves_with_marimo_run_and_shows_selected_details(demo_store_path, tmp_path):
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
            page.get_by_text("Which given labels are likely wrong").wait_for(timeout=90_000)
            page.get_by_text("Select rows in the table").wait_for(timeout=60_000)
            page.get_by_role("heading", name="Where the errors cluster").scroll_into_view_if_needed()
            page.locator("canvas, svg.marks").nth(2).wait_for(timeout=90_000)  # three charts drawn
            page.get_by_role("heading", name="Ranked issues").scroll_into_view_if_needed()
            # select the first ranked row: the details panel shows that item's annotations
            page.locator("tbody tr").first.locator("button[role='checkbox'], input[type='checkbox']").first.click()
            page.get_by_role("heading", name="Their annotations").wait_for(timeout=60_000)
            selected = page.get_by_role("heading", name="Selected items").inner_text()
            # the annotations table of the selected item (its column header), and the summary line
            page.get_by_text("annotator_id", exact=True).first.wait_for(timeout=60_000)
            page.get_by_text("Label health score 0.857").first.wait_for(timeout=10_000)
            # the heavy Datalab step runs only on demand
            page.get_by_role("button", name="Check dataset issues").click()
            page.get_by_text("Dataset issues (Cleanlab Datalab) on all 2,037 items").wait_for(timeout=90_000)
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        assert selected == "Selected items (1)"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
