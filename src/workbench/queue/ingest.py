"""Reading labels back: ``workbench ingest-labels FILE`` appends them as annotations with lineage.

Accepted shapes: a Label Studio JSON export (a list of tasks), an Argilla 2.x export (a ``Dataset.to_disk``
folder or a JSON file of records), or a CSV with ``item_id, annotator_id, label, created_at`` and optional
``queue_id``, ``duration_s``, ``suggested_label``.

* Every label becomes an ``annotations`` row (``item_id, annotator_id, label, created_at``,
  ``guideline_version`` of its queue entry, ``duration_s``) and a ``wb_label_lineage`` row (queue id,
  annotator, time, guideline version, tier, the model's suggestion shown and whether it was kept).
* The queue entries labeled are marked ``done``.
* A label on an entry of the expert tier settles its item: it is recorded in ``wb_adjudications``
  (see :func:`workbench.queue.adjudicated_labels`).
* Idempotent: a label already recorded (same queue id, item, annotator, label and time) is skipped.
* All or nothing: unknown items, unknown labels, unknown queue ids or an unrecognised file shape are bad
  input (exit 2) and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..results import json_safe
from .build import current_guideline_version
from .table import QUEUE_TABLE, read_queue, set_status, utc_now

LINEAGE_TABLE = "wb_label_lineage"
ADJUDICATIONS_TABLE = "wb_adjudications"
CSV_REQUIRED = ("item_id", "annotator_id", "label", "created_at")
LINEAGE_COLUMNS = (
    "queue_id",
    "item_id",
    "annotator_id",
    "label",
    "created_at",
    "given_created_at",
    "guideline_version",
    "tier",
    "suggested_label",
    "accepted",
    "source",
    "source_file",
    "ingested_at",
)
ADJUDICATION_COLUMNS = ("item_id", "label", "annotator_id", "queue_id", "adjudicated_at", "source_file", "ingested_at")
_KEY = ("queue_id", "item_id", "annotator_id", "label", "given_created_at")


@dataclass(frozen=True)
class LabelsIngested:
    """What ``ingest-labels`` added. ``to_frame()`` is keyed by ``item_id`` (one row per label read)."""

    source: Path
    kind: str
    labels: pd.DataFrame
    counts: dict[str, int]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.labels.reset_index(drop=True)

    def to_dict(self) -> dict:
        return json_safe({"source": self.source, "kind": self.kind, "counts": self.counts, "notes": self.notes})

    def summary_lines(self) -> list[str]:
        c = self.counts
        lines = [
            f"read         {c['read']} label(s) from {self.source} ({self.kind})",
            f"annotations  +{c['added']} ({c['already_stored']} already stored)",
            f"queue        {c['entries_done']} entr(y/ies) marked done",
            f"adjudicated  {c['adjudications']} item(s) settled by the expert tier",
            f"pre-labels   {c['prelabeled']} label(s) had a model suggestion, {c['accepted']} kept it",
        ]
        if c.get("without_queue"):
            lines.append(f"note         {c['without_queue']} label(s) match no queue entry (kept, without queue id)")
        lines += [f"note         {n}" for n in self.notes]
        return lines


def _read_any(path: Path) -> tuple[str, pd.DataFrame, tuple[str, ...]]:
    """``(kind, labels, notes)``: labels with ``item_id, annotator_id, label, created_at, duration_s,
    queue_id, suggested_label`` (missing ones None)."""
    if path.is_dir():
        return _from_argilla(path)
    if not path.is_file():
        raise BadInputError(f"{path} is not a file or folder. Pass a Label Studio or Argilla export, or a CSV.")
    if path.suffix.lower() == ".csv":
        return "csv", _from_csv(path), ()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(
            f"{path}: not a CSV and not valid JSON ({exc}). Pass a Label Studio JSON export, an Argilla export or a "
            f"CSV with columns {', '.join(CSV_REQUIRED)}."
        ) from None
    first = raw[0] if isinstance(raw, list) and raw else raw
    if isinstance(first, dict) and isinstance(first.get("data"), dict):
        return _from_labelstudio(path)
    if (
        isinstance(raw, dict)
        and isinstance(raw.get("records"), list)
        or (isinstance(first, dict) and ("fields" in first or "responses" in first or "id" in first))
    ):
        return _from_argilla(path)
    raise BadInputError(
        f"{path}: unrecognised shape (a JSON {type(raw).__name__}"
        + (f" of {type(first).__name__}" if isinstance(raw, list) and raw else "")
        + "). Pass a Label Studio JSON export (a list of tasks with 'data' and 'annotations'), an Argilla export "
        f"(records with 'fields' and 'responses'), or a CSV with columns {', '.join(CSV_REQUIRED)}."
    )


def _with_queue(ann: pd.DataFrame, items: pd.DataFrame, prelabel: pd.DataFrame) -> pd.DataFrame:
    qid = items.set_index("item_id")["meta_queue_id"] if "meta_queue_id" in items.columns else pd.Series(dtype=object)
    out = ann.copy()
    out["queue_id"] = out["item_id"].map(qid)
    sugg = prelabel.set_index(["item_id", "annotator_id"])["suggested_label"] if len(prelabel) else None
    pairs = zip(out["item_id"], out["annotator_id"], strict=True)
    out["suggested_label"] = [sugg.get(p) for p in pairs] if sugg is not None else None
    for col in ("created_at", "duration_s"):
        if col not in out.columns:
            out[col] = None
    return out


def _from_labelstudio(path: Path):
    from ..integrations.labelstudio import convert_tasks, read_labelstudio_export

    tables, prelabel, _tally, notes = convert_tasks(read_labelstudio_export(path), source=path.name)
    return "labelstudio", _with_queue(tables["annotations"], tables["items"], prelabel), notes


def _from_argilla(path: Path):
    from ..integrations.argilla import convert_records, read_argilla_export

    records, settings, records_path = read_argilla_export(path)
    tables, prelabel, _tally, notes = convert_records(records, settings=settings, source=records_path.name)
    return "argilla", _with_queue(tables["annotations"], tables["items"], prelabel), notes


def _from_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise BadInputError(f"{path}: cannot be read as CSV ({exc}).") from None
    missing = [c for c in CSV_REQUIRED if c not in frame.columns]
    if missing:
        raise BadInputError(
            f"{path}: missing column(s) {', '.join(missing)}; a labels CSV has {', '.join(CSV_REQUIRED)} and optional "
            f"queue_id, duration_s, suggested_label (found {', '.join(frame.columns) or 'none'})."
        )
    if frame.empty:
        raise BadInputError(f"{path}: holds no labels.")
    for col in ("item_id", "annotator_id", "label"):
        empty = frame[col].isna()
        if empty.any():
            raise BadInputError(f"{path}, column '{col}': row {int(np.flatnonzero(empty)[0]) + 2} is empty.")
    for col in ("queue_id", "duration_s", "suggested_label"):
        if col not in frame.columns:
            frame[col] = None
    frame["duration_s"] = pd.to_numeric(frame["duration_s"], errors="coerce")
    return frame[["item_id", "annotator_id", "label", "created_at", "duration_s", "queue_id", "suggested_label"]]


def _timestamps(values: pd.Series, path: Path) -> pd.Series:
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    bad = values.notna() & parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadInputError(
            f"{path}, column 'created_at': {values.iloc[row]!r} is not an ISO 8601 timestamp (label {row + 1})."
        )
    return parsed.dt.tz_localize(None)


def ingest_labels(store, path: str | Path) -> LabelsIngested:
    """Append the labels in ``path`` as annotations with lineage, mark queue entries done, record adjudications.

    Raises
    ------
    BadInputError
        Unknown items, labels outside the known classes, a queue id with no entry for the item, or a file
        of an unrecognised shape. Nothing is written.
    """
    from ..inputs.annotations import known_classes

    path = Path(path)
    kind, labels, notes = _read_any(path)
    labels = labels.copy()
    for col in ("item_id", "annotator_id", "label", "queue_id", "suggested_label"):
        labels[col] = labels[col].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    known_items = set(store.data("items").select("item_id").execute()["item_id"].astype(str))
    unknown = labels.loc[~labels["item_id"].isin(known_items), "item_id"].unique()
    if len(unknown):
        raise BadInputError(
            f"{path}: {len(unknown)} item(s) are not in the store's items (e.g. {', '.join(map(repr, unknown[:5]))}). "
            "Labels come back for items the store knows; ingest those items first. Nothing was written."
        )
    classes = set(known_classes(store) or ())
    if store.has("annotations"):
        classes |= set(store.data("annotations").select("label").distinct().execute()["label"].astype(str))
    bad = labels.loc[~labels["label"].isin(classes), "label"].unique()
    if classes and len(bad):
        raise BadInputError(
            f"{path}, column 'label': {len(bad)} label(s) are not known classes (e.g. {', '.join(map(repr, bad[:5]))}; "
            f"classes: {', '.join(sorted(classes))}). Nothing was written."
        )
    labels["given_created_at"] = _timestamps(labels["created_at"], path)

    queue = read_queue(store)
    entries = queue.sort_values("created_at").drop_duplicates(["queue_id", "item_id"], keep="last")
    by_key = entries.set_index(["queue_id", "item_id"])
    given = labels["queue_id"].notna()
    if given.any():
        keys = list(zip(labels.loc[given, "queue_id"], labels.loc[given, "item_id"], strict=True))
        missing = [k for k in keys if k not in by_key.index]
        if missing:
            raise BadInputError(
                f"{path}, column 'queue_id': {len(missing)} label(s) name a queue entry that is not in {QUEUE_TABLE} "
                f"(e.g. queue_id={missing[0][0]!r}, item_id={missing[0][1]!r}). Nothing was written."
            )
    # labels without a queue id go to the item's latest entry, pending first
    ranked = entries.assign(_pending=entries["status"].isin(["open", "exported"])).sort_values(
        ["_pending", "created_at"]
    )
    latest = ranked.drop_duplicates("item_id", keep="last").set_index("item_id")["queue_id"]
    labels.loc[~given, "queue_id"] = labels.loc[~given, "item_id"].map(latest)
    matched = labels["queue_id"].notna()
    keys = list(zip(labels["queue_id"], labels["item_id"], strict=True))
    tier = [by_key["tier"].get(k) if m else None for k, m in zip(keys, matched, strict=True)]
    version = [by_key["guideline_version"].get(k) if m else None for k, m in zip(keys, matched, strict=True)]
    now = utc_now()
    current = current_guideline_version(store)
    labels["tier"] = tier
    labels["guideline_version"] = [v if isinstance(v, str) else current for v in version]
    labels["created_at"] = labels["given_created_at"].fillna(pd.Timestamp(now))
    labels["accepted"] = np.where(
        labels["suggested_label"].notna(), labels["suggested_label"] == labels["label"], None
    ).astype(object)
    labels["source"] = kind
    labels["source_file"] = str(path.resolve())
    labels["ingested_at"] = now
    labels = labels.drop_duplicates(list(_KEY))

    stored = _stored_keys(store)
    key_text = _key_text(labels)
    fresh = labels[~key_text.isin(stored)]
    ann_cols = [
        c
        for c in ("item_id", "annotator_id", "label", "created_at", "guideline_version", "duration_s")
        if not store.has("annotations") or c in store.table("annotations").columns
    ]
    adjudications = fresh[fresh["tier"] == "expert"]
    done = labels.loc[matched, ["queue_id", "item_id"]].drop_duplicates()
    with store.transaction():
        added = store.append_rows("annotations", fresh[ann_cols], source_file=str(path.resolve())) if len(fresh) else 0
        if len(fresh):
            store.write_table(LINEAGE_TABLE, _typed(fresh[list(LINEAGE_COLUMNS)]))
        if len(adjudications):
            adj = adjudications.rename(columns={"created_at": "adjudicated_at"})
            store.write_table(ADJUDICATIONS_TABLE, _typed(adj[list(ADJUDICATION_COLUMNS)]))
        n_done = set_status(store, done, "done")
    counts = {
        "read": len(labels),
        "added": int(added),
        "already_stored": len(labels) - len(fresh),
        "entries_done": n_done,
        "adjudications": int(adjudications["item_id"].nunique()),
        "prelabeled": int(fresh["suggested_label"].notna().sum()),
        "accepted": int((fresh["accepted"] == True).sum()),  # noqa: E712 - object column of True/False/None
        "without_queue": int((~matched).sum()),
    }
    out = labels[["item_id", "annotator_id", "label", "created_at", "queue_id", "tier", "guideline_version"]]
    return LabelsIngested(source=path, kind=kind, labels=out, counts=counts, notes=tuple(notes))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns with store types even when every value is missing (text, booleans, timestamps)."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if col == "accepted":
            out[col] = out[col].astype("boolean")
        elif col in ("created_at", "given_created_at", "adjudicated_at", "ingested_at"):
            out[col] = pd.to_datetime(out[col])
        elif out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


def _key_text(frame: pd.DataFrame) -> pd.Series:
    parts = [frame[c].astype("string").fillna("\x00") for c in _KEY]
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out


def _stored_keys(store) -> set[str]:
    if not store.has(LINEAGE_TABLE):
        return set()
    t = store.con.table(LINEAGE_TABLE).select(*_KEY).execute()
    t["given_created_at"] = pd.to_datetime(t["given_created_at"])
    return set(_key_text(t))
