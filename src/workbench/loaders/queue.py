"""Queue loaders for notebooks and apps: open the store read-only for one call, keep no connection."""

from __future__ import annotations

from ..queue import SignalSet, compute_signals
from ..queue.status import QueueStatus, queue_status
from ..store import Store


def load_signals(store_path: str, *, seed: int = 0) -> SignalSet:
    """Every signal on the store (the heavy step); re-weighting them afterwards is cheap.

    The returned set keeps no open connection: signals are computed, then the store is closed.
    """
    with Store.open(store_path, read_only=True) as store:
        signals = compute_signals(store, seed=seed)
        _ = signals.context.items, signals.context.labels, signals.context.predictions  # cached before closing
    return signals


def load_queue_status(store_path: str) -> QueueStatus | None:
    with Store.open(store_path, read_only=True) as store:
        return queue_status(store)
