"""What the Label Studio and Argilla converters share.

The import result, JSON reading, id/label stringification, the atomic writing
of a dataset folder, and the validation of a queue frame before export.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..contract import SUM_TOLERANCE
from ..errors import BadInputError, ContractError

#: Columns every queue frame carries (see :func:`check_queue`).
QUEUE_COLUMNS = ("rank", "item_id", "priority", "tier", "reasons", "queue_id")
#: Optional model-suggestion columns of a queue frame.
SUGGESTION_COLUMNS = ("suggested_label", "suggested_score", "model_version")
#: Item keys that are renamed on import so they stay metadata, not features.
META_RENAMES = {"queue_id": "meta_queue_id", "priority": "meta_priority"}
#: The optional, non-contract output recording pre-label acceptance.
PRELABEL_FILE = "prelabel.csv"
PRELABEL_COLUMNS = ("item_id", "annotator_id", "suggested_label", "label", "accepted")
SUMMARY_FILE = "import.json"


class JsonResult:
    """``to_dict()`` for result dataclasses: JSON-safe, paths as strings."""

    def to_dict(self) -> dict:
        """JSON-safe form (paths as strings, tuples as lists)."""
        return json.loads(json.dumps(asdict(self), default=str))


@dataclass(frozen=True)
class ImportResult(JsonResult):
    """What an import wrote and what it left out.

    Attributes
    ----------
    folder : Path
        The dataset folder written (``items.parquet``, ``annotations.parquet``,
        optional ``predictions.parquet``, optional ``prelabel.csv``).
    source : Path
        The export file or folder that was read.
    kind : str
        ``"labelstudio"`` or ``"argilla"``.
    counts : dict
        Rows written per table (``items``, ``annotations``, ``predictions``, ``prelabel``).
    dropped : dict
        Rows left out, by reason (a sentence saying what was dropped and why) -> count.
    notes : tuple of str
        Other things the user should know (assumptions made, formats seen).
    """

    folder: Path
    source: Path
    kind: str
    counts: dict[str, int]
    dropped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        """Lines for a terminal: what was written, what was dropped and why, notes."""
        lines = [f"written      {self.folder}"]
        for table, n in self.counts.items():
            lines.append(f"  {table:12s} {n:,} rows")
        if self.dropped:
            lines.append(f"dropped      {sum(self.dropped.values()):,} rows")
            lines += [f"  {n:,} {reason}" for reason, n in self.dropped.items()]
        else:
            lines.append("dropped      nothing")
        lines += [f"note         {note}" for note in self.notes]
        return lines


class Tally:
    """Counts of dropped rows by reason, in first-seen order."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, reason: str, n: int = 1) -> None:
        if n:
            self.counts[reason] += n

    def to_dict(self) -> dict[str, int]:
        return dict(self.counts)


def read_json(path: Path, *, expected: str) -> Any:
    """Parse a JSON file, or raise a :class:`BadInputError` naming it and what was expected."""
    if not path.is_file():
        raise BadInputError(f"{path} is not a file. Pass {expected}.")
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except UnicodeDecodeError:
        raise BadInputError(f"{path} is not UTF-8 text. Pass {expected}.") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). Pass {expected}."
        ) from None


def as_id(value: Any) -> str | None:
    """An id or label as a string: ``1``, ``1.0`` and ``"1"`` all become ``"1"``; None/NaN stay None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    text = str(value).strip()
    return text or None


def as_float(value: Any) -> float | None:
    """A finite float, or None for missing, NaN or non-numeric values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def feature_value(value: Any) -> Any:
    """A JSON value as a table cell: nested lists/dicts become JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def tidy_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Make object columns writable to Parquet: a column mixing strings and numbers becomes strings."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue
        kinds = {type(v) for v in out[col] if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if len(kinds) > 1 and not kinds <= {int, float}:
            out[col] = out[col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    return out


def write_dataset(
    out: Path,
    tables: dict[str, pd.DataFrame],
    *,
    prelabel: pd.DataFrame | None,
    summary: dict,
    overwrite: bool,
) -> None:
    """Write a dataset folder all or nothing.

    The tables go to a temporary folder beside ``out``, which is validated with
    :func:`workbench.contract.read_dataset` and only then renamed into place. On
    any error nothing is left behind and an existing ``out`` is untouched.

    Raises
    ------
    BadInputError
        When ``out`` exists and is not empty (unless ``overwrite``), or is a file.
        Also when the converted tables break the data contract (say an item's
        ``created_at`` that is not a timestamp); the message lists every violation.
    """
    from ..contract import read_dataset

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out} is a file. Pass a folder to write the dataset to.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise BadInputError(
            f"--out {out} already exists and is not empty. Choose a new folder, remove it, or pass --overwrite."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name, frame in tables.items():
            tidy_columns(frame).to_parquet(tmp / f"{name}.parquet", index=False)
        if prelabel is not None and len(prelabel):
            prelabel.to_csv(tmp / PRELABEL_FILE, index=False)
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=1), encoding="utf-8")
        try:
            read_dataset(tmp)
        except ContractError as exc:
            problems = "\n".join(f"  - {v}" for v in exc.violations)
            raise BadInputError(
                f"{summary.get('source')}: the converted tables break the data contract, so nothing was written "
                f"to {out}:\n{problems}\nFix those values in the labeling tool (or its export) and export again."
            ) from None
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and removed after."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_queue(queue: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Validate a queue frame for export and return it sorted by priority (descending), then rank.

    Raises
    ------
    BadInputError
        When a queue column is missing, an ``item_id`` is missing or repeated, or a
        priority is not a number.
    """
    if not isinstance(queue, pd.DataFrame):
        raise BadInputError(f"{what}: expected a pandas DataFrame of queue entries, got {type(queue).__name__}.")
    missing = [c for c in QUEUE_COLUMNS if c not in queue.columns]
    if missing:
        raise BadInputError(
            f"{what}: the queue is missing column(s) {', '.join(missing)}; it needs {', '.join(QUEUE_COLUMNS)} "
            f"(found {', '.join(map(str, queue.columns)) or 'none'})."
        )
    if len(queue) == 0:
        raise BadInputError(f"{what}: the queue is empty; there is nothing to export.")
    ids = queue["item_id"].map(as_id)
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise BadInputError(f"{what}: queue row {row + 1} has no item_id. Every entry needs one.")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise BadInputError(f"{what}: item_id {dup.iloc[0]!r} appears more than once in the queue. Keep one entry.")
    priority = pd.to_numeric(queue["priority"], errors="coerce")
    if priority.isna().any():
        row = int(np.flatnonzero(priority.isna().to_numpy())[0])
        raise BadInputError(
            f"{what}: queue row {row + 1} (item_id {ids.iloc[row]!r}) has priority {queue['priority'].iloc[row]!r}, "
            "which is not a number."
        )
    out = queue.copy()
    out["item_id"] = ids
    out["priority"] = priority.astype(float)
    order = np.lexsort((pd.to_numeric(out["rank"], errors="coerce").fillna(np.inf).to_numpy(), -out["priority"]))
    return out.iloc[order].reset_index(drop=True)


def item_columns(queue: pd.DataFrame) -> list[str]:
    """The item's own columns in a queue frame (not queue bookkeeping, not model suggestions)."""
    return [c for c in queue.columns if c not in QUEUE_COLUMNS and c not in SUGGESTION_COLUMNS]


def pick_text_field(queue: pd.DataFrame, text_field: str | None, *, what: str) -> str:
    """The item column shown to annotators: ``text_field``, else ``text``, else the first string column."""
    columns = item_columns(queue)
    if text_field is not None:
        if text_field not in columns:
            raise BadInputError(
                f"{what}: text field {text_field!r} is not an item column of the queue "
                f"(item columns: {', '.join(columns) or 'none'})."
            )
        return text_field
    if "text" in columns:
        return "text"
    for col in columns:
        values = queue[col].dropna()
        if col.startswith("meta_") or not len(values):
            continue
        if values.map(lambda v: isinstance(v, str)).all():
            return col
    raise BadInputError(
        f"{what}: the queue has no text column to show annotators (item columns: {', '.join(columns) or 'none'}). "
        "Add the item text (e.g. a 'text' column) or pass text_field=."
    )


def json_value(value: Any) -> Any:
    """A cell as a JSON value: numpy scalars to Python, NaN/NaT to None, timestamps to ISO text."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def check_classes(classes, *, what: str) -> list[str]:
    """Class labels as a list of distinct, non-empty strings."""
    if classes is None or isinstance(classes, str):
        raise BadInputError(f"{what}: classes must be a list of labels, e.g. ['complaint', 'request'].")
    labels = [as_id(c) for c in classes]
    if not labels or any(c is None for c in labels):
        raise BadInputError(f"{what}: classes must be a non-empty list of non-empty labels; got {list(classes)!r}.")
    if len(set(labels)) != len(labels):
        raise BadInputError(f"{what}: classes repeat a label: {labels!r}.")
    return labels


def check_suggestions(queue: pd.DataFrame, classes: list[str], *, what: str) -> None:
    """Suggested labels (when present) must be among the classes."""
    if "suggested_label" not in queue.columns:
        return
    labels = queue["suggested_label"].map(as_id)
    bad = labels.notna() & ~labels.isin(classes)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadInputError(
            f"{what}: item_id {queue['item_id'].iloc[row]!r} has suggested_label {labels.iloc[row]!r}, which is not "
            f"one of the classes ({', '.join(classes)}). Add it to the classes or drop the suggestion."
        )


class ItemCollector:
    """Items by ``item_id``; a repeated item with the same content is merged, with other content refused."""

    def __init__(self, *, source: str, what: str, id_field: str) -> None:
        self.rows: dict[str, dict] = {}
        self.origin: dict[str, Any] = {}
        self.source, self.what, self.id_field = source, what, id_field
        self.merged = 0

    def add(self, item_id: str, row: dict, origin: Any) -> None:
        if item_id in self.rows:
            if self.rows[item_id] != row:
                raise BadInputError(
                    f"{self.source}: {self.what}s {self.origin[item_id]} and {origin} share {self.id_field} "
                    f"{item_id!r} but their content differs. Give each item its own item_id, or remove one of them."
                )
            self.merged += 1
            return
        self.rows[item_id] = row
        self.origin[item_id] = origin

    def frame(self) -> pd.DataFrame:
        rows = [{"item_id": item_id, **row} for item_id, row in self.rows.items()]
        return pd.DataFrame(rows).astype({"item_id": object})


def keep_latest(frame: pd.DataFrame, keys: list[str], tally: Tally, reason: str) -> pd.DataFrame:
    """Keep the latest row per key (by the ``_order`` column, ties by position); count the others."""
    frame = frame.assign(_pos=range(len(frame))).sort_values("_order", kind="stable")
    kept = frame.drop_duplicates(keys, keep="last").sort_values("_pos")
    tally.add(reason, len(frame) - len(kept))
    return kept.drop(columns=["_pos"])


def prelabel_frame(annotations: pd.DataFrame) -> pd.DataFrame:
    """``prelabel.csv`` rows from annotations carrying a ``_suggested`` label."""
    has = annotations[annotations["_suggested"].notna()]
    out = pd.DataFrame(
        {
            "item_id": has["item_id"],
            "annotator_id": has["annotator_id"],
            "suggested_label": has["_suggested"],
            "label": has["label"],
            "accepted": has["_suggested"] == has["label"],
        }
    )
    return out[list(PRELABEL_COLUMNS)].reset_index(drop=True)


def dropped_text(tally: Tally) -> str:
    """``"3 <reason>; 1 <reason>"``."""
    return "; ".join(f"{n} {reason}" for reason, n in tally.counts.items())


__all__ = [
    "ImportResult",
    "JsonResult",
    "PRELABEL_COLUMNS",
    "PRELABEL_FILE",
    "QUEUE_COLUMNS",
    "SUGGESTION_COLUMNS",
    "SUM_TOLERANCE",
    "Tally",
]
