"""Writing a queue batch for annotators: CSV, JSON lines, Label Studio tasks or Argilla records.

Every format holds the same entries in rank order. Gold entries are not marked in any export (the store
marks them): they carry their own reasons and the priority of a regular entry, so they sit among them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pandas as pd

from ..errors import BadInputError
from ..inputs.items import frame_kinds
from ..outputs import write_csv, write_text
from ..results import json_safe
from .build import QueueBatch, reasons_text

EXPORT_COLUMNS = ("rank", "item_id", "priority", "tier", "reasons", "queue_id")
SUGGESTION = ("suggested_label", "suggested_score", "model_version")


class QueueFormat(StrEnum):
    """Formats ``workbench queue`` writes."""

    csv = "csv"
    jsonl = "jsonl"
    labelstudio = "labelstudio"
    argilla = "argilla"


EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def resolve_format(path: str | Path, fmt: str | None) -> str:
    """The export format: ``fmt`` when given, else from the file's extension."""
    if fmt is not None:
        value = getattr(fmt, "value", fmt)
        if value not in QueueFormat.__members__:
            raise BadInputError(f"--format {value!r} is not a queue format; use one of {', '.join(QueueFormat)}.")
        return value
    suffix = Path(path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    hint = " (a .json file can be Label Studio tasks or Argilla records)" if suffix == ".json" else ""
    raise BadInputError(
        f"--out {path}: cannot tell the format from the extension {suffix or '(none)'!r}{hint}. "
        f"Pass --format {'|'.join(QueueFormat)}, or name the file .csv or .jsonl."
    )


def text_columns(items: pd.DataFrame) -> list[str]:
    """The items' text fields: free-text columns by the column-kind rule, else every string feature column."""
    from ..contract import feature_columns

    features = feature_columns(items.columns)
    kinds = frame_kinds(items, features) if features else {}
    text = [c for c in features if kinds.get(c) == "text"]
    if text:
        return text
    return [c for c in features if items[c].dropna().map(lambda v: isinstance(v, str)).all() and items[c].notna().any()]


def queue_frame(store, batch: QueueBatch) -> pd.DataFrame:
    """The export frame: ``rank, item_id, priority, tier, reasons, queue_id``, the item's text fields, suggestions."""
    from ..inputs.items import read_items

    entries = batch.entries
    if entries.empty:
        raise BadInputError("the queue batch is empty: no item has a priority above 0. Nothing was written.")
    items = read_items(store, item_ids=list(entries["item_id"]))
    texts = text_columns(items)
    frame = entries[["rank", "item_id", "priority", "tier", "reasons", "queue_id", *SUGGESTION]].copy()
    frame["reasons"] = frame["reasons"].map(reasons_text)
    frame["priority"] = frame["priority"].round(6)
    frame = frame.merge(items[["item_id", *texts]], on="item_id", how="left")
    return frame[[*EXPORT_COLUMNS, *texts, *SUGGESTION]].sort_values("rank").reset_index(drop=True)


def export_queue(store, batch: QueueBatch, path: str | Path, *, fmt: str | None = None) -> list[Path]:
    """Write ``batch`` to ``path`` in ``fmt`` (default: by extension); returns the files written.

    CSV and JSON lines hold :func:`queue_frame`'s columns. Label Studio writes the tasks and their labeling
    config (``<stem>.xml``), Argilla the records and the dataset settings (``<stem>.settings.json``), through
    :func:`workbench.integrations.export_labelstudio` and :func:`workbench.integrations.export_argilla`.
    """
    from ..inputs.annotations import known_classes

    fmt = resolve_format(path, fmt)
    frame = queue_frame(store, batch)
    path = Path(path)
    if fmt == "csv":
        return [write_csv(frame.drop(columns=list(SUGGESTION)), path)]
    if fmt == "jsonl":
        lines = [json.dumps(json_safe(r), ensure_ascii=False) for r in frame.to_dict("records")]
        return [write_text(path, "\n".join(lines) + "\n")]
    classes = known_classes(store) or sorted(
        store.data("annotations").select("label").distinct().execute()["label"].astype(str)
    )
    if fmt == "labelstudio":
        from ..integrations import export_labelstudio

        written = export_labelstudio(frame, path, classes=classes)
        return [written.tasks_path, written.config_path]
    from ..integrations import export_argilla

    written = export_argilla(frame, path, classes=classes, guidelines=store.guidelines())
    return [written.records_path, written.settings_path]
