"""Helpers for the notebook tests: run a notebook as a script, export it to HTML, serve it with `marimo run`,
and drive it in headless Chromium (Debian's chromium driven by Playwright, no network of its own)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MARIMO = [sys.executable, "-m", "marimo"]
TIMEOUT = 300  # seconds for a script run or an export
SERVER_START_TIMEOUT = 60  # seconds for `marimo run` to open its port

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def notebook_env(store: Path) -> dict[str, str]:
    """This process's environment, with WORKBENCH_STORE pointing the notebook at `store`."""
    return {**os.environ, "WORKBENCH_STORE": str(store)}


def run_script(notebook: Path, store: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `notebook` as a plain Python script against `store`; output is captured as text."""
    return subprocess.run(
        [sys.executable, str(notebook)],
        env=notebook_env(store),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def export_html(notebook: Path, store: Path, cwd: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """`marimo export html notebook -o out` against `store`; marimo exits non-zero when a cell raised."""
    return subprocess.run(
        [*MARIMO, "export", "html", str(notebook), "-o", str(out)],
        env=notebook_env(store),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def served_notebook(notebook: Path, store: Path, cwd: Path) -> Iterator[str]:
    """Serve `notebook` with `marimo run --headless` on a free local port; yields its base URL.

    Fails with the server's output if it exits, or does not open its port, before it is ready.
    The server is always stopped on the way out.
    """
    port = free_port()
    # The server's output goes to an anonymous temporary file, not a pipe nobody reads (which could fill up).
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(
            [*MARIMO, "run", str(notebook), "--headless", "--port", str(port), "--host", "127.0.0.1", "--no-token"],
            env=notebook_env(store),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _port_is_open(port):
                if server.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"marimo run exited with {server.returncode} before serving:\n{log.read()}")
                if time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"marimo run did not open port {port} in {SERVER_START_TIMEOUT} s:\n{log.read()}")
                time.sleep(0.5)
            yield f"http://127.0.0.1:{port}/"
        finally:
            _stop(server)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("WB_REQUIRE_BROWSER") == "1":  # CI: a browser test must not be skipped silently
            pytest.fail(f"WB_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    return path


@contextmanager
def browser_page():
    """A fresh page in headless Chromium; yields (page, console_errors)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page, errors
        finally:
            browser.close()
