"""Shared fixtures: the demo dataset and a store holding it, built once per session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.demo import write_demo
from workbench.store import Store


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo dataset folder (seed 0). Read-only: copy it before changing files."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    write_demo(folder, seed=0)
    return folder


@pytest.fixture(scope="session")
def truth(demo_dir) -> dict:
    return json.loads((demo_dir / "truth.json").read_text())


@pytest.fixture(scope="session")
def demo_store_path(demo_dir, tmp_path_factory) -> Path:
    """A DuckDB store with the demo ingested. Open it read-only; copy it to write."""
    path = tmp_path_factory.mktemp("store") / "workbench.duckdb"
    with Store.open(path) as store:
        store.ingest(demo_dir)
    return path


@pytest.fixture
def demo_store(demo_store_path):
    """The demo store, opened read-only for one test."""
    with Store.open(demo_store_path, read_only=True) as store:
        yield store


@pytest.fixture
def writable_store(demo_store_path, tmp_path):
    """A private copy of the demo store that a test may write to."""
    path = tmp_path / "workbench.duckdb"
    shutil.copy(demo_store_path, path)
    with Store.open(path) as store:
        yield store


@pytest.fixture
def dataset_copy(demo_dir, tmp_path) -> Path:
    """A private, writable copy of the demo dataset folder."""
    target = tmp_path / "dataset"
    shutil.copytree(demo_dir, target)
    return target


@pytest.fixture
def rg():
    """The argilla package with an offline default client (its objects want one; no server is reached)."""
    rg = pytest.importorskip("argilla", reason="the argilla package is not installed: pip install argilla")
    import uuid

    import httpx

    def handler(request):
        if request.url.path == "/api/v1/me":
            return httpx.Response(200, json={"id": str(uuid.uuid4()), "username": "offline", "role": "owner"})
        return httpx.Response(503, json={"detail": "offline test: no Argilla server"})

    rg.Argilla(api_url="http://argilla.invalid", api_key="offline", mounts={"all://": httpx.MockTransport(handler)})
    return rg
