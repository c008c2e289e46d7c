"""The reference summary cache: in memory for the process, and on disk beside a DuckDB store file.

A reference window is summarised once and reused, e.g. by next week's
``workbench drift`` against the same reference. An entry stands while the
window's rows do (their count and latest ingestion time); the on-disk folder
(``<store>.cache/drift/``, the four most recently used entries) is always safe
to delete.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import ibis.expr.types as ir

from .._version import package_version as _package_version
from ..store import Store
from . import summarising
from .summary import (
    EXACT_KS_MAX,
    N_BINS,
    TAIL_BINS,
    TAIL_LINEAR,
    TAIL_PER_DOUBLING,
    VALUE_COUNTS_MAX,
    ColumnProfile,
    WindowSummary,
    read_summary,
    write_summary,
)
from .windows import Window

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def _data_version(store: Store) -> tuple:
    t = store.table("items")
    if "wb_ingested_at" in t.columns:
        r = t.aggregate(n=t.count(), at=t.wb_ingested_at.max()).execute().iloc[0]
        return int(r["n"]), str(r["at"])
    return (int(t.count().execute()),)


def summarise_reference(store: Store, window: Window, kinds: dict[str, str], *, n_bins: int = N_BINS) -> WindowSummary:
    """The reference window's summary, computed once and reused: in memory for the process, and on disk beside
    a DuckDB store file (``<store>.cache/drift/``) for later processes, e.g. next week's ``workbench drift``
    against the same reference. An entry stands while the window's rows do (their count and latest
    ingestion time); deleting the folder is always safe."""
    items = store.data("items")
    table = window.apply(items, option="--reference")
    disk = _disk_entry(store, window, kinds, n_bins)
    return _cached(store, ("items", window, n_bins), table, kinds, label=str(window), n_bins=n_bins, disk=disk)


def _cached(
    store: Store,
    key: tuple,
    table: ir.Table,
    kinds: dict[str, str],
    *,
    label: str,
    n_bins: int = N_BINS,
    disk: Path | None = None,
):
    key = (store.target, *key, tuple(kinds.items()), _data_version(store))
    order = ("item_id",)
    hit = _CACHE.get(key)
    if hit is None and disk is not None:
        hit = _load_summary(disk, table=None)
    if hit is not None:
        _remember(key, hit)
        # The cached numbers stand; the expression is rebound to this connection.
        return dataclasses.replace(hit, table=summarising.prepare(table, kinds, order_by=order, clean=set(hit.cleaned)))
    summary = summarising.summarise(table, kinds, label=label, n_bins=n_bins, order_by=order)
    _remember(key, summary)
    if disk is not None:
        _save_summary(disk, summary)
    return summary


def _remember(key: tuple, summary: WindowSummary) -> None:
    """Keep ``summary`` as the most recently used of at most ``_CACHE_SIZE`` in memory."""
    _CACHE[key] = summary
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


DISK_CACHE_FILES = 4  # reference summaries kept beside a store (the most recently used)
_DISK_FORMAT = 2


def _disk_entry(store: Store, window: Window, kinds: dict[str, str], n_bins: int) -> Path | None:
    """Where the summary of ``window`` lives on disk, named after what it depends on; None where there is no
    store file to keep it beside, or no ingestion times to tell a changed window from an unchanged one."""
    if store.path is None:
        return None
    items = store.table("items")
    if "wb_ingested_at" not in items.columns:
        return None
    rows = window.apply(items, option="--reference")
    r = rows.aggregate(n=rows.count(), at=rows.wb_ingested_at.max()).execute().iloc[0]
    # What the summary's layout and contents depend on besides the data, so that a changed summariser never
    # reads an entry written by another.
    layout = (
        [f.name for f in dataclasses.fields(WindowSummary)],
        [f.name for f in dataclasses.fields(ColumnProfile)],
        (TAIL_BINS, TAIL_LINEAR, TAIL_PER_DOUBLING, VALUE_COUNTS_MAX, EXACT_KS_MAX),
    )
    rows_version = (int(r["n"]), str(r["at"]))
    ident = repr((_DISK_FORMAT, _package_version(), layout, str(window), sorted(kinds.items()), n_bins, *rows_version))
    name = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return store.path.with_name(store.path.name + ".cache") / "drift" / f"reference-{name}.npz"


def _load_summary(path: Path, table: ir.Table) -> WindowSummary | None:
    if not path.exists():
        return None
    try:
        summary = read_summary(path, table)
        os.utime(path)  # most recently used
        return summary
    except Exception:  # unreadable (a partial copy, another format): summarise again, replacing it
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


def _save_summary(path: Path, summary: WindowSummary) -> None:
    """Best effort: a store folder that cannot be written to only loses the cache. A read-only app writes
    nothing to disk, so it only reads entries."""
    if os.environ.get("WORKBENCH_READ_ONLY") == "1":
        return
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            write_summary(summary, f)
        os.replace(tmp, path)  # whole or not at all, also with another process writing the same entry
        entries = sorted(path.parent.glob("reference-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[DISK_CACHE_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
