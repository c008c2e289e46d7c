"""Queue loaders for notebooks and apps: open the store for one call, keep no connection."""

from __future__ import annotations

from pathlib import Path

from ..queue import QueueBatch, SignalSet, compute_signals, queue_settings, select_batch
from ..queue.status import QueueStatus, queue_status
from ..store import Store


def load_signals(store: str | None = None, *, seed: int = 0) -> SignalSet:
    """Every signal on the store (the heavy step); re-weighting afterwards is cheap (:func:`preview_queue`)."""
    with Store.open(store, read_only=True) as opened:
        signals = compute_signals(opened, seed=seed)
        _ = signals.context.items, signals.context.labels, signals.context.predictions  # cached before closing
    return signals


def preview_queue(
    signals: SignalSet, *, budget: int, weights: dict[str, float], store: str | None = None, **settings
) -> QueueBatch:
    """The batch these weights would give, without storing it."""
    with Store.open(store, read_only=True) as opened:
        chosen = queue_settings(weights=weights, **settings)
        return select_batch(opened, signals, budget=budget, settings=chosen)


def export_batch(batch: QueueBatch, path: str | Path, *, fmt: str | None = None, store: str | None = None) -> list:
    """Store ``batch`` in ``wb_queue`` as exported and write it to ``path``, all or nothing."""
    from ..queue import batch_rows, export_queue
    from ..queue.table import append_entries

    with Store.open(store, read_only=False) as opened, opened.transaction():
        append_entries(opened, batch_rows(batch, status="exported"))
        return export_queue(opened, batch, path, fmt=fmt)


def load_queue_status(store: str | None = None) -> QueueStatus | None:
    with Store.open(store, read_only=True) as opened:
        return queue_status(opened)
