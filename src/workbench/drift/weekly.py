"""Drift week by week: every ISO week against one reference (summarised once), and its history in the store.

:func:`compute_drift_by_week` compares every ISO week with one reference (by
default the first two weeks with data); :func:`save_drift_history` stores the
result in ``wb_drift_history``, :func:`load_drift_history` reads it back
(a history stored before a column was added gets that column as nulls).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..errors import BadInputError
from ..inputs.weeks import Week, item_weeks
from ..results import json_safe
from ..store import Store
from .cache import summarise_reference
from .compute import DriftResult, compute_drift
from .configuration import drift_config, infer_kinds
from .windows import Window, _check_window, default_reference

HISTORY_TABLE = "wb_drift_history"
MAX_LISTED = 8  # drifted features named in the summary lines


@dataclass(frozen=True)
class WeeklyDrift:
    """Every ISO week compared with one reference window (summarised once), keyed by ``week`` and ``column``.

    ``to_frame()`` has one row per ``week`` and ``column`` (features, label and
    prediction); ``summary()`` one row per week.
    """

    reference: str
    results: tuple[tuple[str, DriftResult], ...]  # (week, result), in week order

    @property
    def weeks(self) -> list[str]:
        return [w for w, _ in self.results]

    def result(self, week: str) -> DriftResult:
        return dict(self.results)[str(week)]

    def to_frame(self) -> pd.DataFrame:
        """One row per ``week`` and ``column`` (features, label and prediction)."""
        frames = []
        for week, r in self.results:
            f = r.to_frame()
            f.insert(0, "week", week)
            f.insert(1, "reference", self.reference)
            f["drifted_share"] = r.drifted_share
            f["dataset_drift"] = r.dataset_drift
            f["drift_share"] = r.drift_share
            frames.append(f)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """One row per week: drifted share, dataset verdict, label and prediction drift."""
        rows = []
        for week, r in self.results:
            rows.append(
                {
                    "week": week,
                    "n_current": r.n_current,
                    "n_drifted": r.n_drifted,
                    "drifted_share": r.drifted_share,
                    "dataset_drift": r.dataset_drift,
                    "label_drift": r.label_drift.drifted if r.label_drift else None,
                    "prediction_drift": r.prediction_drift.drifted if r.prediction_drift else None,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """JSON-safe (:func:`workbench.results.json_safe`): the reference and each week's result."""
        return json_safe({"reference": self.reference, "weeks": {w: r.to_dict() for w, r in self.results}})

    def summary_lines(self, week: str | Week | None = None, *, max_listed: int = MAX_LISTED) -> list[str]:
        """What the weekly report says about ``week`` (default: the last): the verdict against the reference,
        the drifted features (most severe first) and since when they drift, the drifted share in earlier
        weeks, and label and prediction drift."""
        week = self.weeks[-1] if week is None else str(week)
        result = self.result(week)
        verdict = "DATASET DRIFT" if result.dataset_drift else "no dataset drift"
        lines = [
            f"{week} against the reference {self.reference} ({result.n_reference:,} items): {verdict}; "
            f"{result.n_drifted} of {len(result.columns)} input features drifted ({result.drifted_share:.0%}, "
            f"threshold {result.drift_share:.0%}). Feature methods and thresholds are Evidently's defaults.",
        ]
        drifted = result.drifted_columns()
        if drifted:
            listed = []
            for name in drifted[:max_listed]:
                c = result.column(name)
                listed.append(f"{name} ({c.comparison()}, since {self.drifted_since(name, week)})")
            more = f" and {len(drifted) - max_listed} more" if len(drifted) > max_listed else ""
            lines.append("Drifted features: " + "; ".join(listed) + more + ".")
        earlier = [(w, r.drifted_share) for w, r in self.results if w < week]
        if earlier:
            lines.append("Drifted share in earlier weeks: " + ", ".join(f"{w} {s:.0%}" for w, s in earlier) + ".")
        if result.label_drift is not None:
            c = result.label_drift
            lines.append(
                f"Label distribution (majority label per item, outside the dataset verdict): "
                f"{c.verdict} ({c.comparison()})."
            )
        if result.prediction_drift is not None:
            c = result.prediction_drift
            lines.append(f"Predicted labels (outside the dataset verdict): {c.verdict} ({c.comparison()}).")
        return lines

    def drifted_since(self, column: str, week: str | Week) -> str:
        """First week of the run of weeks in which feature ``column`` drifted that ends at ``week``."""
        week = str(week)
        since = week
        for w, r in reversed(self.results):
            if w > week:
                continue
            c = next((x for x in r.columns if x.column == column), None)
            if c is None:
                continue
            if not c.drifted:
                break
            since = w
        return since


def compute_drift_by_week(
    store: Store,
    *,
    reference: Window | str | None = None,
    weeks: list[str] | None = None,
    columns: list[str] | None = None,
    drift_share: float | None = None,
    correction: str | None = None,
    methods: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    model_version: str | None = None,
    seed: int = 0,
    config: dict | None = None,
) -> WeeklyDrift:
    """Compare each ISO week with ``reference`` (default: :func:`default_reference`).

    Weeks that overlap a date reference are not compared; with a filter
    reference (``split=train``), each week leaves the reference's rows out.
    """
    config = drift_config() if config is None else config
    available = item_weeks(store)
    if not available:
        raise BadInputError("--by week needs items.created_at; the items table has no created_at values.")
    if reference is None:
        reference = default_reference(store, config=config)
    elif isinstance(reference, str):
        reference = Window.parse(reference, option="--reference")
    chosen = [Week.parse(w) for w in weeks] if weeks else available
    for w in chosen:
        if w not in available:
            raise BadInputError(f"Week {w} has no items; weeks with items: {', '.join(map(str, available))}.")
    compared = []
    for w in chosen:
        if reference.is_dates:
            start = reference.start or datetime.min
            end = reference.end or datetime.max
            if w.start < end and w.end > start:
                continue
            compared.append(Window.weeks(w, w))
        else:
            compared.append(dataclasses.replace(Window.weeks(w, w), exclude=reference))
    if not compared:
        raise BadInputError(f"Every week with items overlaps the reference {reference}; nothing to compare.")
    items = store.data("items")
    _check_window(store, items, reference, "--reference")
    kinds = infer_kinds(store, columns, config=config)
    ref_summary = summarise_reference(store, reference, kinds)
    results = []
    for window in compared:
        r = compute_drift(
            store,
            reference=reference,
            current=window,
            columns=columns,
            drift_share=drift_share,
            correction=correction,
            methods=methods,
            thresholds=thresholds,
            model_version=model_version,
            seed=seed,
            config=config,
            _reference_summary=ref_summary,
            _kinds=kinds,
        )
        results.append((str(Week.of(window.start)), r))
    return WeeklyDrift(reference=str(reference), results=tuple(results))


def save_drift_history(store: Store, weekly: WeeklyDrift) -> int:
    """Store the weekly rows in ``wb_drift_history``; re-running a week replaces its rows."""
    frame = weekly.to_frame()
    if frame.empty:
        return 0
    frame = frame.copy()
    frame["computed_at"] = datetime.now(UTC).replace(tzinfo=None)
    frame["p_adjusted"] = frame["p_adjusted"] if "p_adjusted" in frame else np.nan
    frame = frame[HISTORY_COLUMNS]
    with store.transaction():
        for week in weekly.weeks:
            rows = frame[frame["week"] == week].reset_index(drop=True)
            store.write_table(HISTORY_TABLE, rows, replace_where={"week": week})
    return len(frame)


HISTORY_COLUMNS = [
    "week",
    "reference",
    "scope",
    "column",
    "kind",
    "method",
    "statistic",
    "statistic_kind",
    "threshold",
    "compared_with",
    "drifted",
    "p_adjusted",
    "severity",
    "n_reference",
    "n_current",
    "drifted_share",
    "dataset_drift",
    "drift_share",
    "computed_at",
]


def load_drift_history(store: Store) -> pd.DataFrame:
    """The stored weekly drift rows (empty when ``workbench drift --by week`` never ran).

    A history stored by an earlier version lacks the later columns (``statistic_kind``, ``compared_with``);
    they are added as nulls, so old and new rows read alike.
    """
    if not store.has(HISTORY_TABLE):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    frame = store.table(HISTORY_TABLE).order_by(["week", "scope", "column"]).execute()
    for column in HISTORY_COLUMNS:
        if column not in frame:
            frame[column] = None
    extra = [c for c in frame.columns if c not in HISTORY_COLUMNS]
    return frame[HISTORY_COLUMNS + extra]
