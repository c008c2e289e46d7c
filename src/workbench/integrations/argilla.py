"""Argilla 2.x: import exported records as a dataset folder, export a queue as records plus dataset settings.

Import reads records as the ``argilla`` package writes them: ``Dataset.to_disk(path)`` (a folder with
``records.json`` and ``.argilla/settings.json``), ``dataset.records.to_json(path)``, or
``records.to_list(flatten=False)`` (nested ``fields``, ``metadata``, ``responses``, ``suggestions``) and
``records.to_list(flatten=True)`` (``<question>.responses``, ``<question>.responses.users``,
``<question>.responses.status``, ``<question>.suggestion``, ...) dumped to JSON. Settings are read from
``.argilla/settings.json`` or ``<stem>.settings.json`` beside the records file when present, so question
types are known; without them they are inferred from the answers.

* a record becomes an item: ``item_id`` from ``metadata.item_id`` when present, else the record id; fields
  and other metadata are feature columns, ``queue_id`` and ``priority`` become ``meta_queue_id`` and
  ``meta_priority``;
* each response to the single label question becomes an annotation, credited to its ``user_id``; only
  responses with status ``submitted`` count (the nested form written by ``to_json``/``to_disk`` does not
  keep a response's status, so there every response with a value is taken as submitted, and the result
  says so);
* a suggestion (one value, one score) feeds ``prelabel.csv`` only: Argilla keeps no class distribution,
  so no predictions table is invented from it.

Argilla's server needs Elasticsearch or OpenSearch; what is written here is validated with the
``argilla`` package's own objects (``rg.Settings.from_json``, ``rg.Record.from_dict``) instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import BadInputError
from ..outputs import write_text
from ._common import (
    META_RENAMES,
    ImportResult,
    ItemCollector,
    JsonResult,
    Tally,
    as_float,
    as_id,
    check_classes,
    check_queue,
    check_suggestions,
    dropped_text,
    feature_value,
    item_columns,
    json_value,
    keep_latest,
    pick_text_field,
    prelabel_frame,
    read_json,
    write_dataset,
)

EXPECTED = (
    "Argilla 2.x records: a folder written by Dataset.to_disk (records.json and .argilla/settings.json), or a "
    "JSON list of records as records.to_json / records.to_list(flatten=False|True) write them"
)
LABEL_TYPE = "label_selection"
REFUSED_TYPES = {
    "multi_label_selection": "a multi-label question",
    "rating": "a rating question",
    "text": "a text question",
    "ranking": "a ranking question",
    "span": "a span question",
}
SINGLE_LABEL = "workbench imports single-label classification only: answers to one LabelQuestion"
#: Argilla's rule for field, question and metadata names.
NAME_RE = re.compile(r"^(?=.*[a-z0-9])[a-z0-9_-]+$")
RECORD_KEYS = ("id", "status", "_server_id", "vectors", "score")
FLAT_SUFFIXES = (
    ".responses.users",
    ".responses.status",
    ".responses",
    ".suggestion.score",
    ".suggestion.agent",
    ".suggestion",
)

DROP_DRAFT = "responses with status draft (only submitted responses count)"
DROP_DISCARDED = "responses with status discarded (only submitted responses count)"
DROP_NO_VALUE = "responses without a value"
DROP_REPEAT = "responses repeating a user's label on the same item (the last was kept)"
DROP_TOP_ONLY = "suggestions with only the top label and one score (no per-class distribution to import)"
DROP_DUP_RECORD = "records repeated with the same record id (the first was kept)"


def read_argilla_export(path: str | Path) -> tuple[list[dict], dict | None, Path]:
    """Read exported Argilla records and, when present, their dataset settings.

    Returns
    -------
    records : list of dict
        In the nested form (``id, fields, metadata, responses, suggestions``), flat records converted.
    settings : dict or None
        The settings JSON (as ``rg.Settings.to_json`` writes it), when found.
    records_path : Path
        The JSON file the records came from.
    """
    path = Path(path)
    records_path = path / "records.json" if path.is_dir() else path
    if path.is_dir() and not records_path.is_file():
        raise BadInputError(f"{path} is a folder without records.json; expected {EXPECTED}.")
    raw = read_json(records_path, expected=EXPECTED)
    if isinstance(raw, dict) and isinstance(raw.get("records"), list):
        raw = raw["records"]
    if not isinstance(raw, list):
        hint = " It looks like a Label Studio task." if isinstance(raw, dict) and "data" in raw else ""
        raise BadInputError(f"{records_path}: found a JSON {type(raw).__name__}; expected {EXPECTED}.{hint}")
    if not raw:
        raise BadInputError(f"{records_path}: holds no records. Export a dataset with annotated records.")
    records = []
    for i, rec in enumerate(raw):
        if not isinstance(rec, dict):
            raise BadInputError(f"{records_path}: entry {i + 1} is not a record object; expected {EXPECTED}.")
        if isinstance(rec.get("fields"), dict) or isinstance(rec.get("responses"), dict):
            records.append(rec)
        elif isinstance(rec.get("data"), dict) and "annotations" in rec:
            raise BadInputError(
                f"{records_path}: entry {i + 1} is a Label Studio task; use `workbench import labelstudio`."
            )
        else:
            records.append(_unflatten(rec))
    settings = None
    for candidate in (
        records_path.parent / ".argilla" / "settings.json",
        records_path.with_name(records_path.stem + ".settings.json"),
    ):
        if candidate.is_file():
            settings = read_json(candidate, expected="Argilla dataset settings as rg.Settings.to_json writes them")
            if not isinstance(settings, dict) or not isinstance(settings.get("questions", []), list):
                raise BadInputError(f"{candidate}: is not Argilla dataset settings (no 'questions' list).")
            break
    return records, settings, records_path


def _unflatten(rec: dict) -> dict:
    """A ``to_list(flatten=True)`` record in the nested form, keeping each response's status."""
    out: dict[str, Any] = {k: rec.get(k) for k in RECORD_KEYS if k in rec}
    fields: dict[str, Any] = {}
    questions: dict[str, dict[str, Any]] = {}
    for key, value in rec.items():
        if key in RECORD_KEYS:
            continue
        suffix = next((s for s in FLAT_SUFFIXES if key.endswith(s)), None)
        if suffix is None:
            fields[key] = value
        else:
            questions.setdefault(key[: -len(suffix)], {})[suffix] = value
    responses, suggestions = {}, {}
    for name, parts in questions.items():
        values = parts.get(".responses")
        if values is not None:
            users = parts.get(".responses.users") or [None] * len(values)
            status = parts.get(".responses.status") or [None] * len(values)
            responses[name] = [
                {"value": v, "user_id": u, "status": s} for v, u, s in zip(values, users, status, strict=False)
            ]
        if parts.get(".suggestion") is not None:
            suggestions[name] = {
                "value": parts.get(".suggestion"),
                "score": parts.get(".suggestion.score"),
                "agent": parts.get(".suggestion.agent"),
            }
    return out | {"fields": fields, "metadata": {}, "responses": responses, "suggestions": suggestions}


def import_argilla(export: str | Path, out: str | Path, *, overwrite: bool = False) -> ImportResult:
    """Convert exported Argilla 2.x records into a dataset folder that ``workbench ingest`` loads.

    Parameters
    ----------
    export : path
        A ``Dataset.to_disk`` folder, or a JSON file of records (``records.to_json`` or
        ``records.to_list(...)`` dumped with ``json.dump``).
    out : path
        The dataset folder to write (all or nothing, through a temporary folder beside it).
    overwrite : bool
        Replace an existing, non-empty ``out``.

    Raises
    ------
    BadInputError
        An unreadable export, or a record answering anything but one label question (the message names the
        record id and the question). Nothing is written.
    """
    export = Path(export)
    records, settings, records_path = read_argilla_export(export)
    tables, prelabel, tally, notes = convert_records(records, settings=settings, source=records_path.name)
    counts = {name: len(frame) for name, frame in tables.items()} | {"prelabel": len(prelabel)}
    result = ImportResult(
        folder=Path(out), source=export, kind="argilla", counts=counts, dropped=tally.to_dict(), notes=notes
    )
    write_dataset(Path(out), tables, prelabel=prelabel, summary=result.to_dict(), overwrite=overwrite)
    return result


def convert_records(
    records: list[dict], *, settings: dict | None = None, source: str = "records.json"
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, Tally, tuple[str, ...]]:
    """Convert nested Argilla records to contract tables (in memory); see :func:`import_argilla`."""
    tally = Tally()
    notes: list[str] = []
    types = {
        q.get("name"): (q.get("settings") or {}).get("type") or q.get("type")
        for q in (settings or {}).get("questions", [])
    }
    question = _label_question(records, types, source=source)
    items = ItemCollector(source=source, what="record", id_field="item_id")
    seen: set = set()
    annotations: list[dict] = []
    no_status = 0
    for pos, rec in enumerate(records):
        rid = rec.get("id") or rec.get("_server_id")
        if rid is not None and rid in seen:
            tally.add(DROP_DUP_RECORD)
            continue
        seen.add(rid)
        fields = dict(rec.get("fields") or {})
        metadata = dict(rec.get("metadata") or {})
        # flat records mix fields and metadata, so item_id may come in either
        item_id = as_id(metadata.pop("item_id", None)) or as_id(fields.pop("item_id", None)) or as_id(rid)
        if item_id is None:
            raise BadInputError(f"{source}: record {pos + 1} has no id and no metadata.item_id. Give records ids.")
        row = {META_RENAMES.get(k, k): feature_value(v) for k, v in fields.items()}
        for key, value in metadata.items():
            name = META_RENAMES.get(key, key)
            row[f"meta_{key}" if name in row else name] = feature_value(value)
        items.add(item_id, row, rid)
        suggestion = (rec.get("suggestions") or {}).get(question) if question else None
        suggested = as_id(suggestion.get("value")) if isinstance(suggestion, dict) else None
        if suggested is not None:
            tally.add(DROP_TOP_ONLY)
        for resp in (rec.get("responses") or {}).get(question, []) if question else []:
            status = resp.get("status")
            status = getattr(status, "value", status)
            if status is None:
                no_status += 1
            elif status != "submitted":
                tally.add(DROP_DISCARDED if status == "discarded" else DROP_DRAFT)
                continue
            label = as_id(resp.get("value"))
            if label is None:
                tally.add(DROP_NO_VALUE)
                continue
            user = as_id(resp.get("user_id"))
            if user is None:
                raise BadInputError(f"{source}: record {rid}, question '{question}': a response has no user_id.")
            annotations.append(
                {"item_id": item_id, "annotator_id": user, "label": label, "_order": pos, "_suggested": suggested}
            )
    if not annotations:
        raise BadInputError(
            f"{source}: no usable responses ({dropped_text(tally) or 'the records hold none'}). Export a dataset "
            "whose records have submitted responses to a LabelQuestion."
        )
    ann = keep_latest(pd.DataFrame(annotations), ["item_id", "annotator_id"], tally, DROP_REPEAT)
    tables = {
        "items": items.frame(),
        "annotations": ann[["item_id", "annotator_id", "label"]].reset_index(drop=True),
    }
    if no_status:
        notes.append(
            f"{no_status} response(s) carry no status (records.to_json and Dataset.to_disk leave it out) and were "
            "taken as submitted; export with records.to_list(flatten=True) to keep each response's status."
        )
    if settings is None:
        notes.append(f"no dataset settings found; '{question}' was taken as the label question from its answers.")
    if items.merged:
        notes.append(f"{items.merged} record(s) repeated an item (same item_id and content); responses were merged.")
    notes.append("Argilla exports hold no annotation times, so created_at and duration_s are empty.")
    return tables, prelabel_frame(ann), tally, tuple(notes)


def _label_question(records: list[dict], types: dict[str, str], *, source: str) -> str | None:
    """The one label question answered in the records; anything else answered is refused."""
    answered: dict[str, Any] = {}
    for rec in records:
        rid = rec.get("id") or rec.get("_server_id")
        values = [(q, r.get("value")) for q, rs in (rec.get("responses") or {}).items() for r in rs or []]
        values += [(q, s.get("value")) for q, s in (rec.get("suggestions") or {}).items() if isinstance(s, dict)]
        for name, value in values:
            kind = types.get(name) or _infer_type(value)
            if kind in REFUSED_TYPES or kind not in (LABEL_TYPE, None):
                what = REFUSED_TYPES.get(kind, f"a question of type '{kind}'")
                raise BadInputError(
                    f"{source}: record {rid}, question '{name}': {what} (value {value!r}); {SINGLE_LABEL}. "
                    "Export a dataset with a single LabelQuestion, or drop that question's responses."
                )
            if kind == LABEL_TYPE or value is not None:
                answered.setdefault(name, rid)
    if len(answered) > 1:
        (a, ra), (b, rb) = list(answered.items())[:2]
        raise BadInputError(
            f"{source}: records answer several label questions ('{a}' in record {ra}, '{b}' in record {rb}); "
            f"{SINGLE_LABEL}. Export one question's responses, or put the dataset settings beside the records."
        )
    return next(iter(answered), None)


def _infer_type(value: Any) -> str | None:
    """A question type from an answer, for records without settings."""
    if value is None:
        return None
    if isinstance(value, list):
        if value and isinstance(value[0], dict) and "start" in value[0]:
            return "span"
        return "multi_label_selection"
    if isinstance(value, bool) or isinstance(value, int | float):
        return "rating"
    if isinstance(value, dict):
        return "unknown (an object)"
    return LABEL_TYPE


# -- export ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgillaExport(JsonResult):
    """Files written by :func:`export_argilla`."""

    records_path: Path
    settings_path: Path
    n_records: int
    n_suggestions: int
    text_field: str


def _check_name(name: str, *, what: str, kind: str) -> str:
    if not NAME_RE.match(str(name)):
        raise BadInputError(
            f"{what}: column {name!r} cannot be an Argilla {kind} name (lowercase letters, digits, '_' and '-' "
            "only). Rename the column before exporting."
        )
    return str(name)


def _metadata_kind(values: pd.Series) -> str:
    """``integer``, ``float`` or ``terms`` for an item column."""
    if pd.api.types.is_bool_dtype(values):
        return "terms"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    if pd.api.types.is_float_dtype(values):
        return "float"
    return "terms"


def _layout(queue: pd.DataFrame, text_field: str | None, *, what: str) -> tuple[str, dict[str, str]]:
    """The text field and the metadata properties (name -> kind) of a queue's records."""
    text = _check_name(pick_text_field(queue, text_field, what=what), what=what, kind="field")
    metadata = {"item_id": "terms", "queue_id": "terms", "priority": "float"}
    for col in item_columns(queue):
        if col != text:
            metadata[_check_name(col, what=what, kind="metadata property")] = _metadata_kind(queue[col])
    return text, metadata


def argilla_settings(
    queue: pd.DataFrame,
    *,
    classes,
    text_field: str | None = None,
    question_name: str = "label",
    guidelines: str | None = None,
) -> dict:
    """Dataset settings for a queue, in the form ``rg.Settings.to_json`` writes (``rg.Settings.from_json`` reads it).

    One required ``TextField`` (the item text), one ``LabelQuestion`` over ``classes``, and metadata
    properties: ``priority`` (float, so the UI can sort by it), ``queue_id`` and ``item_id`` (terms), and one
    per other item column (integer, float or terms by its dtype).
    """
    what = "Argilla export"
    labels = check_classes(classes, what=what)
    text, metadata = _layout(check_queue(queue, what=what), text_field, what=what)
    _check_name(question_name, what=what, kind="question")

    def meta(name: str, kind: str) -> dict:
        extra = {"values": None} if kind == "terms" else {"min": None, "max": None}
        return {
            "name": name,
            "title": name,
            "visible_for_annotators": True,
            "settings": {"type": kind, "visible_for_annotators": True, **extra},
        }

    return {
        "guidelines": guidelines,
        "questions": [
            {
                "name": question_name,
                "title": question_name,
                "description": None,
                "required": True,
                "type": LABEL_TYPE,
                "settings": {
                    "type": LABEL_TYPE,
                    "options": [{"value": c, "text": c} for c in labels],
                    "visible_options": None,
                },
            }
        ],
        "fields": [
            {
                "name": text,
                "title": text,
                "required": True,
                "description": None,
                "type": "text",
                "settings": {"type": "text", "use_markdown": False},
            }
        ],
        "vectors": [],
        "metadata": [meta(name, kind) for name, kind in metadata.items()],
        "allow_extra_metadata": False,
        "distribution": {"strategy": "overlap", "min_submitted": 1},
        "mapping": None,
    }


def argilla_records(
    queue: pd.DataFrame, *, classes, text_field: str | None = None, question_name: str = "label"
) -> list[dict]:
    """Queue entries as Argilla records (the form ``Record.to_dict`` gives), sorted by priority (descending).

    Each record's id is the ``item_id``; ``fields`` holds the text; ``metadata`` holds ``priority``,
    ``queue_id``, ``item_id`` and the other item columns; a ``suggested_label`` becomes a suggestion with its
    ``score`` and the ``model_version`` as ``agent``.
    """
    what = "Argilla export"
    labels = check_classes(classes, what=what)
    queue = check_queue(queue, what=what)
    check_suggestions(queue, labels, what=what)
    text, metadata = _layout(queue, text_field, what=what)
    records = []
    for row in queue.to_dict("records"):
        value = json_value(row[text])
        if not isinstance(value, str):
            raise BadInputError(f"{what}: item_id {row['item_id']!r} has no text in column {text!r}.")
        meta: dict[str, Any] = {}
        for name, kind in metadata.items():
            cell = json_value(row[name])
            if cell is None:
                continue
            if kind == "terms":
                cell = as_id(cell) if not isinstance(cell, str) else cell
            meta[name] = float(cell) if kind == "float" else cell
        suggestions = {}
        suggested = as_id(row.get("suggested_label"))
        if suggested is not None:
            suggestions[question_name] = {
                "value": suggested,
                "score": as_float(row.get("suggested_score")),
                "agent": as_id(row.get("model_version")),
            }
        records.append(
            {
                "id": row["item_id"],
                "fields": {text: value},
                "metadata": meta,
                "suggestions": suggestions,
                "responses": {},
                "vectors": {},
                "status": "pending",
                "_server_id": None,
            }
        )
    return records


def export_argilla(
    queue: pd.DataFrame,
    path: str | Path,
    *,
    classes,
    text_field: str | None = None,
    question_name: str = "label",
    guidelines: str | None = None,
) -> ArgillaExport:
    """Write queue entries as Argilla records (``path``) and the dataset settings (``<stem>.settings.json``).

    Load them with the ``argilla`` package::

        settings = rg.Settings.from_json("queue.settings.json")
        dataset = rg.Dataset(name="queue", settings=settings).create()
        dataset.records.log([rg.Record.from_dict(r) for r in json.load(open("queue.json"))])
    """
    path = Path(path)
    records = argilla_records(queue, classes=classes, text_field=text_field, question_name=question_name)
    settings = argilla_settings(
        queue, classes=classes, text_field=text_field, question_name=question_name, guidelines=guidelines
    )
    write_text(path, json.dumps(records, indent=1, ensure_ascii=False))
    settings_path = path.with_name(path.stem + ".settings.json")
    write_text(settings_path, json.dumps(settings, indent=1, ensure_ascii=False))
    return ArgillaExport(
        records_path=path,
        settings_path=settings_path,
        n_records=len(records),
        n_suggestions=sum(1 for r in records if r["suggestions"]),
        text_field=settings["fields"][0]["name"],
    )
