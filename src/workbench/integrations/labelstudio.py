"""Label Studio: import a JSON export as a dataset folder, export a queue as tasks plus a labeling config.

Import reads the list of tasks that ``/api/projects/ID/export?exportType=JSON`` (or an export snapshot,
``/api/projects/ID/exports/``) returns, for single-choice classification projects:

* each task's ``data`` becomes an item: ``item_id`` from ``data.item_id`` when present, else the task id;
  ``queue_id`` and ``priority`` become ``meta_queue_id`` and ``meta_priority``; other keys are features;
* each annotation's single ``choices`` result becomes an annotation row: ``completed_by`` (a user id, or a
  dict with the user's email in snapshot exports) is the annotator, ``lead_time`` is ``duration_s``;
  cancelled (skipped) annotations are left out and counted;
* predictions with one ``choices`` result per class, each with a ``score``, become ``proba_<label>``
  columns; a prediction holding only its top choice and one score is left out and counted (no class
  distribution is invented from it);
* ``prelabel.csv`` (not a contract table) records, per annotation, the label the model suggested and
  whether the annotator kept it.

Export writes a queue as tasks sorted by priority, with the model's suggestion as a prediction, and the
matching ``<View>`` labeling config beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from ..errors import BadInputError
from ..outputs import write_text
from ._common import (
    META_RENAMES,
    SUM_TOLERANCE,
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
    "a Label Studio JSON export: a list of tasks, each with 'data' and 'annotations', as "
    "/api/projects/ID/export?exportType=JSON returns it"
)
SINGLE_CHOICE = (
    "workbench imports single-choice classification only: one 'choices' result with one choice per annotation, "
    'from a <Choices choice="single"> control'
)

DROP_CANCELLED = "cancelled (skipped) annotations (was_cancelled is true)"
DROP_EMPTY = "annotations without a choice (empty result)"
DROP_DUP_TASK = "tasks repeated with the same task id (the first was kept)"
DROP_REPEAT = "annotations repeating an annotator's label on the same item (the latest was kept)"
DROP_TOP_ONLY = "predictions with only the top choice and one score (no per-class distribution to import)"
DROP_ID_ONLY = "predictions listed by id only (this export leaves out their content)"
DROP_NOT_NORMALISED = "predictions whose per-class scores do not sum to 1"
DROP_UNKNOWN_CLASS = "predictions giving probability to a class no annotation uses"
DROP_REPEAT_PRED = "predictions repeated for the same item and model_version (the latest was kept)"


def read_labelstudio_export(path: str | Path) -> list[dict]:
    """Read a Label Studio JSON export: the list of tasks.

    Raises
    ------
    BadInputError
        When the file is not JSON or not a list of task objects with a ``data`` dict.
    """
    path = Path(path)
    tasks = read_json(path, expected=EXPECTED)
    if isinstance(tasks, dict) and isinstance(tasks.get("data"), dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        hint = ""
        if isinstance(tasks, dict) and ("fields" in tasks or "records" in tasks):
            hint = " It looks like an Argilla export: use `workbench import argilla`."
        raise BadInputError(f"{path}: found a JSON {type(tasks).__name__}; expected {EXPECTED}.{hint}")
    if not tasks:
        raise BadInputError(f"{path}: the export holds no tasks. Export a project that has annotated tasks.")
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            hint = ""
            if isinstance(task, dict) and "fields" in task and "responses" in task:
                hint = " It looks like an Argilla export: use `workbench import argilla`."
            elif isinstance(task, dict):
                hint = (
                    " Its keys are " + ", ".join(map(str, list(task)[:8])) + "; the JSON_MIN and CSV export types "
                    "flatten tasks and lose annotators, so export with exportType=JSON."
                )
            raise BadInputError(f"{path}: entry {i + 1} is not a task with a 'data' object; expected {EXPECTED}.{hint}")
    return tasks


def import_labelstudio(export: str | Path, out: str | Path, *, overwrite: bool = False) -> ImportResult:
    """Convert a Label Studio JSON export into a dataset folder that ``workbench ingest`` loads.

    Parameters
    ----------
    export : path
        The JSON file exported from Label Studio (``exportType=JSON``).
    out : path
        The dataset folder to write. It must not exist or be empty unless ``overwrite``; it is written
        all or nothing (through a temporary folder beside it).
    overwrite : bool
        Replace an existing, non-empty ``out``.

    Returns
    -------
    ImportResult
        Rows written per table, rows dropped by reason, notes.

    Raises
    ------
    BadInputError
        An unreadable export, or a task that is not single-choice classification (the message names the
        task id and the field). Nothing is written.

    Examples
    --------
    >>> result = import_labelstudio("project-1.json", "data/ls")  # doctest: +SKIP
    >>> print("\\n".join(result.summary_lines()))  # doctest: +SKIP
    """
    export = Path(export)
    tasks = read_labelstudio_export(export)
    tables, prelabel, tally, notes = convert_tasks(tasks, source=export.name)
    counts = {name: len(frame) for name, frame in tables.items()} | {"prelabel": len(prelabel)}
    result = ImportResult(
        folder=Path(out), source=export, kind="labelstudio", counts=counts, dropped=tally.to_dict(), notes=notes
    )
    write_dataset(Path(out), tables, prelabel=prelabel, summary=result.to_dict(), overwrite=overwrite)
    return result


def convert_tasks(
    tasks: list[dict], *, source: str = "export"
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, Tally, tuple[str, ...]]:
    """Convert Label Studio tasks to contract tables (in memory).

    Returns
    -------
    tables : dict
        ``items``, ``annotations`` and, when any prediction has per-class scores, ``predictions``.
    prelabel : DataFrame
        ``item_id, annotator_id, suggested_label, label, accepted`` for annotations with a model suggestion.
    tally : Tally
        Rows dropped, by reason.
    notes : tuple of str
    """
    tally = Tally()
    notes: list[str] = []
    emails = _emails(tasks)
    items = ItemCollector(source=source, what="task", id_field="data.item_id")
    seen_tasks: set = set()
    annotations: list[dict] = []
    predictions: list[dict] = []
    from_names: dict[str, Any] = {}
    int_annotators = False
    for task in tasks:
        tid = task.get("id")
        if tid is not None and tid in seen_tasks:
            tally.add(DROP_DUP_TASK)
            continue
        seen_tasks.add(tid)
        data = task["data"]
        item_id = as_id(data.get("item_id")) or as_id(tid)
        if item_id is None:
            raise BadInputError(
                f"{source}: a task has neither an 'id' nor data.item_id (data keys: {', '.join(data)}). "
                "Export from Label Studio with exportType=JSON, which keeps task ids."
            )
        items.add(item_id, {META_RENAMES.get(k, k): feature_value(v) for k, v in data.items() if k != "item_id"}, tid)
        full_predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        tally.add(DROP_ID_ONLY, sum(1 for p in task.get("predictions") or [] if not isinstance(p, dict)))
        for ann in task.get("annotations") or []:
            where = f"{source}: task {tid}, annotation {ann.get('id')}"
            if ann.get("was_cancelled"):
                tally.add(DROP_CANCELLED)
                continue
            label = _single_choice(ann.get("result") or [], where=where, from_names=from_names)
            if label is None:
                tally.add(DROP_EMPTY)
                continue
            who = ann.get("completed_by")
            annotator = _annotator(who, emails)
            if annotator is None:
                raise BadInputError(f"{where}: has no completed_by (the annotator). Export with exportType=JSON.")
            int_annotators |= not isinstance(who, dict) and as_id(who) not in emails
            suggested = _suggestion(ann, full_predictions, where=where, from_names=from_names)
            annotations.append(
                {
                    "item_id": item_id,
                    "annotator_id": annotator,
                    "label": label,
                    "created_at": ann.get("created_at"),
                    "duration_s": as_float(ann.get("lead_time")),
                    "_order": (str(ann.get("created_at") or ""), as_float(ann.get("id")) or 0.0),
                    "_suggested": suggested,
                }
            )
        for pred in full_predictions:
            where = f"{source}: task {tid}, prediction {pred.get('id')}"
            probas = _distribution(pred, where=where, from_names=from_names, tally=tally)
            if probas is not None:
                predictions.append(
                    {
                        "item_id": item_id,
                        "model_version": as_id(pred.get("model_version")),
                        "_order": (str(pred.get("created_at") or ""), as_float(pred.get("id")) or 0.0),
                        "_probas": probas,
                    }
                )
    if not annotations:
        raise BadInputError(
            f"{source}: no usable annotations ({dropped_text(tally) or 'the tasks hold none'}). "
            "Export a project whose tasks have submitted single-choice annotations."
        )
    ann = keep_latest(pd.DataFrame(annotations), ["item_id", "annotator_id"], tally, DROP_REPEAT)
    classes = sorted(ann["label"].unique())
    tables = {
        "items": items.frame(),
        "annotations": ann[["item_id", "annotator_id", "label", "created_at", "duration_s"]].reset_index(drop=True),
    }
    preds = _predictions_frame(predictions, classes, tally)
    if preds is not None:
        tables["predictions"] = preds
    prelabel = prelabel_frame(ann)
    if items.merged:
        notes.append(
            f"{items.merged} task(s) repeated an item (same data.item_id and data); their annotations were merged."
        )
    if int_annotators:
        notes.append(
            "annotators are Label Studio user ids (this export gives completed_by as an id); an export snapshot "
            "with serialization option annotations__completed_by.only_id=false names them by email instead. "
            "Use one kind of export for a store so each annotator keeps one id."
        )
    if tally.counts.get(DROP_ID_ONLY):
        notes.append(
            "this export lists predictions by id only; create an export snapshot with serialization option "
            "predictions.only_id=false to include them (pre-label acceptance still uses each annotation's "
            "embedded prediction)."
        )
    if tally.counts.get(DROP_TOP_ONLY):
        notes.append(
            "predictions need one 'choices' result per class, each with a 'score', to give predicted "
            "probabilities; those with only the top choice were used for prelabel.csv only."
        )
    return tables, prelabel, tally, tuple(notes)


def _emails(tasks: list[dict]) -> dict[str, str]:
    """User id -> email from every ``completed_by`` given as a dict anywhere in the export."""
    out: dict[str, str] = {}
    for task in tasks:
        for ann in task.get("annotations") or []:
            who = ann.get("completed_by") if isinstance(ann, dict) else None
            if isinstance(who, dict) and who.get("email") and who.get("id") is not None:
                out[as_id(who["id"])] = str(who["email"]).strip()
    return out


def _annotator(who: Any, emails: dict[str, str]) -> str | None:
    """A stable annotator id: the user's email when the export gives it, else the user id as text."""
    if isinstance(who, dict):
        if who.get("email"):
            return str(who["email"]).strip()
        who = who.get("id")
    uid = as_id(who)
    return emails.get(uid, uid) if uid is not None else None


def _choices_results(results: list, *, where: str, from_names: dict[str, Any]) -> list[dict]:
    """The ``choices`` results of an annotation or prediction; anything else is refused."""
    out = []
    for res in results:
        if not isinstance(res, dict):
            raise BadInputError(f"{where}: a result is not an object ({res!r}). {SINGLE_CHOICE}.")
        kind, name = res.get("type"), res.get("from_name")
        if kind != "choices":
            raise BadInputError(
                f"{where}, field '{name}': a result of type '{kind}' is not single-choice classification; "
                f"{SINGLE_CHOICE}. Remove that control from the labeling config or import another project."
            )
        from_names.setdefault(name, where)
        if len(from_names) > 1:
            first, other = list(from_names)[:2]
            raise BadInputError(
                f"{where}, field '{name}': the export answers several choice questions ('{first}' in "
                f"{from_names[first]}, '{other}'); {SINGLE_CHOICE}. Export a project with one <Choices> control."
            )
        out.append(res)
    return out


def _single_choice(results: list, *, where: str, from_names: dict[str, Any]) -> str | None:
    """The one label of an annotation, None when it has no choice."""
    chosen = _choices_results(results, where=where, from_names=from_names)
    if not chosen:
        return None
    labels = [c for res in chosen for c in (res.get("value") or {}).get("choices") or []]
    if len(chosen) > 1 or len(labels) > 1:
        raise BadInputError(
            f"{where}, field '{chosen[0].get('from_name')}': {len(labels)} choices ({', '.join(map(str, labels))}) "
            f'in one annotation; {SINGLE_CHOICE}. Set choice="single" on the <Choices> control.'
        )
    return as_id(labels[0]) if labels else None


def _top_label(pred: dict, *, where: str, from_names: dict[str, Any]) -> str | None:
    """The label a prediction suggests: its single choice, or the highest-scored of its per-class results."""
    chosen = _choices_results(pred.get("result") or [], where=where, from_names=from_names)
    scored = []
    for res in chosen:
        labels = (res.get("value") or {}).get("choices") or []
        if len(labels) == 1:
            scored.append((as_float(res.get("score")) or 0.0, as_id(labels[0])))
    return max(scored)[1] if scored else None


def _suggestion(ann: dict, predictions: list[dict], *, where: str, from_names: dict[str, Any]) -> str | None:
    """The label the annotator was shown: the annotation's own prediction, its parent, or the task's only one."""
    pred = ann.get("prediction")
    if not (isinstance(pred, dict) and pred.get("result")):
        parent = ann.get("parent_prediction")
        pred = next((p for p in predictions if parent is not None and p.get("id") == parent), None)
    if pred is None and len(predictions) == 1:
        pred = predictions[0]
    if not pred:
        return None
    return _top_label(pred, where=f"{where} (its prediction)", from_names=from_names)


def _distribution(pred: dict, *, where: str, from_names: dict[str, Any], tally: Tally) -> dict[str, float] | None:
    """Per-class probabilities of a prediction, or None (counted) when it does not hold a distribution."""
    chosen = _choices_results(pred.get("result") or [], where=where, from_names=from_names)
    if len(chosen) < 2:
        tally.add(DROP_TOP_ONLY)
        return None
    probas: dict[str, float] = {}
    for res in chosen:
        labels = (res.get("value") or {}).get("choices") or []
        score = as_float(res.get("score"))
        if len(labels) != 1 or score is None or as_id(labels[0]) in probas:
            raise BadInputError(
                f"{where}, field '{res.get('from_name')}': a prediction with several 'choices' results must give "
                "one class per result, each once, with a numeric 'score' (the class probability); found "
                f"choices {labels!r} with score {res.get('score')!r}."
            )
        probas[as_id(labels[0])] = score
    if any(p < 0 for p in probas.values()) or abs(sum(probas.values()) - 1.0) > SUM_TOLERANCE:
        tally.add(DROP_NOT_NORMALISED)
        return None
    return probas


def _predictions_frame(predictions: list[dict], classes: list[str], tally: Tally) -> pd.DataFrame | None:
    """The predictions table over the annotated classes; rows with mass on other classes are dropped."""
    kept = []
    for pred in predictions:
        if any(p > 0 and label not in classes for label, p in pred["_probas"].items()):
            tally.add(DROP_UNKNOWN_CLASS)
            continue
        row = {"item_id": pred["item_id"], "model_version": pred["model_version"], "_order": pred["_order"]}
        row |= {f"proba_{c}": pred["_probas"].get(c, 0.0) for c in classes}
        kept.append(row)
    if not kept:
        return None
    frame = pd.DataFrame(kept)
    frame["_key"] = frame["model_version"].fillna("\0")
    frame = keep_latest(frame, ["item_id", "_key"], tally, DROP_REPEAT_PRED).drop(columns=["_order", "_key"])
    if frame["model_version"].isna().all():
        frame = frame.drop(columns=["model_version"])
    return frame.reset_index(drop=True)


# -- export ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelStudioExport(JsonResult):
    """Files written by :func:`export_labelstudio`."""

    tasks_path: Path
    config_path: Path
    n_tasks: int
    n_predictions: int
    text_field: str


def labeling_config(classes, *, text_field: str = "text", label_name: str = "label") -> str:
    """The labeling config of a single-choice classification project.

    >>> print(labeling_config(["complaint", "request"]))
    <View>
      <Text name="text" value="$text"/>
      <Choices name="label" toName="text" choice="single" showInLine="true">
        <Choice value="complaint"/>
        <Choice value="request"/>
      </Choices>
    </View>
    """
    labels = check_classes(classes, what="labeling_config")
    if not text_field.isidentifier():
        raise BadInputError(
            f"labeling_config: text field {text_field!r} cannot be referenced as ${text_field} in a Label Studio "
            "config; rename the column to letters, digits and underscores."
        )
    lines = [
        "<View>",
        f'  <Text name="text" value={quoteattr("$" + text_field)}/>',
        f'  <Choices name={quoteattr(label_name)} toName="text" choice="single" showInLine="true">',
        *[f"    <Choice value={quoteattr(c)}/>" for c in labels],
        "  </Choices>",
        "</View>",
    ]
    return "\n".join(lines)


def labelstudio_tasks(
    queue: pd.DataFrame, *, classes, text_field: str | None = None, label_name: str = "label"
) -> list[dict]:
    """Queue entries as Label Studio tasks, sorted by priority (descending).

    ``data`` holds the item's columns plus ``item_id``, ``queue_id`` and ``priority`` (so the Data Manager can
    sort on them); a ``suggested_label`` becomes a prediction (``model_version``, ``score``, one ``choices``
    result) that Label Studio shows as a pre-label.
    """
    what = "Label Studio export"
    labels = check_classes(classes, what=what)
    queue = check_queue(queue, what=what)
    check_suggestions(queue, labels, what=what)
    text = pick_text_field(queue, text_field, what=what)
    fields = item_columns(queue)
    tasks = []
    for row in queue.to_dict("records"):
        data = {c: json_value(row[c]) for c in fields}
        data |= {"item_id": row["item_id"], "queue_id": as_id(row["queue_id"]), "priority": float(row["priority"])}
        task: dict[str, Any] = {"data": data}
        suggested = as_id(row.get("suggested_label"))
        if suggested is not None:
            pred: dict[str, Any] = {
                "model_version": as_id(row.get("model_version")) or "workbench",
                "result": [
                    {"from_name": label_name, "to_name": "text", "type": "choices", "value": {"choices": [suggested]}}
                ],
            }
            score = as_float(row.get("suggested_score"))
            if score is not None:
                pred["score"] = score
            task["predictions"] = [pred]
        tasks.append(task)
    if any(not isinstance(t["data"].get(text), str) for t in tasks):
        bad = next(t["data"]["item_id"] for t in tasks if not isinstance(t["data"].get(text), str))
        raise BadInputError(f"{what}: item_id {bad!r} has no text in column {text!r}; every task needs its text.")
    return tasks


def export_labelstudio(
    queue: pd.DataFrame,
    path: str | Path,
    *,
    classes,
    text_field: str | None = None,
    label_name: str = "label",
) -> LabelStudioExport:
    """Write queue entries as a Label Studio task list (``path``) and its labeling config (``path`` + ``.xml``).

    Import the tasks with ``POST /api/projects/ID/import`` into a project created with the config.

    Parameters
    ----------
    queue : DataFrame
        Columns ``rank, item_id, priority, tier, reasons, queue_id``, the item's text/feature columns, and
        optionally ``suggested_label``, ``suggested_score``, ``model_version``.
    path : path
        The JSON file to write; the config goes beside it with the same stem and ``.xml``.
    classes : list of str
        The labels annotators choose from.
    text_field : str, optional
        The item column shown to annotators (default ``text``, else the first text column).
    label_name : str
        The name of the ``<Choices>`` control.
    """
    path = Path(path)
    tasks = labelstudio_tasks(queue, classes=classes, text_field=text_field, label_name=label_name)
    text = pick_text_field(check_queue(queue, what="Label Studio export"), text_field, what="Label Studio export")
    config = labeling_config(classes, text_field=text, label_name=label_name)
    write_text(path, json.dumps(tasks, indent=1, ensure_ascii=False))
    config_path = path.with_suffix(".xml")
    write_text(config_path, config + "\n")
    return LabelStudioExport(
        tasks_path=path,
        config_path=config_path,
        n_tasks=len(tasks),
        n_predictions=sum(1 for t in tasks if "predictions" in t),
        text_field=text,
    )
