"""Re-annotation queues: which items humans look at next, why, and the labels they send back.

* :mod:`.signals`: the signal registry (label issues, consensus, ActiveLab, uncertainty, drift novelty,
  guideline gaps, stale guidelines); a signal is one small function, absent ones are skipped and stated;
* :mod:`.config`: the ``[queue]`` table (weights, expert classes, gold rate, caps);
* :mod:`.build`: one priority from the weighted signals, near-duplicates collapsed, caps, budget, tiers,
  gold injection (:func:`build_queue`, :class:`QueueBatch`);
* :mod:`.table`: the ``wb_queue`` table and entry statuses;
* :mod:`.export`: CSV, JSON lines, Label Studio tasks and Argilla records;
* :mod:`.ingest`: reading labels back (:func:`ingest_labels`), with lineage, adjudication and
  pre-label acceptance (:func:`adjudicated_labels`, :func:`prelabel_acceptance`).
"""

from .adjudication import (
    PrelabelAcceptance,
    adjudicated_labels,
    apply_adjudications,
    crowd_accuracy_on_adjudicated,
    prelabel_acceptance,
)
from .build import (
    ENTRY_COLUMNS,
    TIERS,
    QueueBatch,
    SignalSet,
    batch_rows,
    build_queue,
    combine_signals,
    compute_signals,
    current_guideline_version,
    reasons_text,
    save_queue,
    select_batch,
)
from .config import DEFAULT_WEIGHTS, QueueSettings, check_weights, parse_weight_options, queue_settings
from .export import QueueFormat, export_queue, queue_frame, resolve_format
from .ingest import ADJUDICATIONS_TABLE, LINEAGE_TABLE, LabelsIngested, ingest_labels
from .signals import SIGNALS, Signal, SignalContext, SignalUnavailable, register_signal
from .table import PENDING, QUEUE_TABLE, STATUSES, pending_items, read_queue, set_status

__all__ = [
    "ADJUDICATIONS_TABLE",
    "DEFAULT_WEIGHTS",
    "ENTRY_COLUMNS",
    "LINEAGE_TABLE",
    "PENDING",
    "QUEUE_TABLE",
    "SIGNALS",
    "STATUSES",
    "TIERS",
    "LabelsIngested",
    "PrelabelAcceptance",
    "QueueBatch",
    "QueueFormat",
    "QueueSettings",
    "Signal",
    "SignalContext",
    "SignalSet",
    "SignalUnavailable",
    "adjudicated_labels",
    "apply_adjudications",
    "batch_rows",
    "build_queue",
    "check_weights",
    "combine_signals",
    "compute_signals",
    "crowd_accuracy_on_adjudicated",
    "current_guideline_version",
    "export_queue",
    "ingest_labels",
    "parse_weight_options",
    "pending_items",
    "prelabel_acceptance",
    "queue_frame",
    "queue_settings",
    "read_queue",
    "reasons_text",
    "register_signal",
    "resolve_format",
    "save_queue",
    "select_batch",
    "set_status",
]
