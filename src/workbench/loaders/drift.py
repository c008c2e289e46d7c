"""Notebook loaders for drift: each opens the store read-only for one call and returns a result.

The notebooks call these (``notebooks/drift.py``); the command, the report
section and these loaders all run :func:`workbench.drift.compute_drift` and
:func:`workbench.drift.compute_drift_by_week`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..drift import (
    HTML_SAMPLE,
    DriftResult,
    compute_drift,
    compute_drift_by_week,
    default_windows,
    evidently_report_html,
    infer_kinds,
    load_drift_history,
)
from ..inputs.weeks import item_weeks
from ..store import Store


@dataclass(frozen=True)
class DriftChoices:
    """What a notebook offers to choose from: weeks with items, features, and the default windows."""

    weeks: list[str]
    features: list[str]
    reference: str
    current: str


def drift_choices(target: str | None = None) -> DriftChoices:
    """The weeks, features and default windows of the store ``target``, opened read-only."""
    with Store.open(target, read_only=True) as store:
        weeks = [str(w) for w in item_weeks(store)]
        features = list(infer_kinds(store))
        ref, cur = default_windows(store)
    return DriftChoices(weeks=weeks, features=features, reference=str(ref), current=str(cur))


def load_drift(
    reference: str | None = None,
    current: str | None = None,
    *,
    columns: list[str] | None = None,
    correction: str | None = None,
    target: str | None = None,
) -> DriftResult:
    """:func:`compute_drift` on the store ``target`` (default: ``WORKBENCH_STORE``), opened read-only."""
    with Store.open(target, read_only=True) as store:
        return compute_drift(
            store, reference=reference or None, current=current or None, columns=columns or None, correction=correction
        )


def load_weekly_drift(*, target: str | None = None) -> pd.DataFrame:
    """Weekly drift rows: the stored history (``workbench drift --by week``) or, without one, computed now."""
    with Store.open(target, read_only=True) as store:
        history = load_drift_history(store)
        if not history.empty:
            return history
        return compute_drift_by_week(store).to_frame()


def weekly_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per week from weekly drift rows: drifted share and dataset verdict."""
    features = frame[frame["scope"] == "feature"]
    return (
        features.groupby("week")
        .agg(
            n_drifted=("drifted", "sum"),
            drifted_share=("drifted_share", "first"),
            dataset_drift=("dataset_drift", "first"),
        )
        .reset_index()
    )


def load_evidently_html(
    reference: str | None = None,
    current: str | None = None,
    *,
    columns: list[str] | None = None,
    sample_size: int = HTML_SAMPLE,
    target: str | None = None,
) -> str:
    """:func:`evidently_report_html` on the store ``target``, opened read-only."""
    with Store.open(target, read_only=True) as store:
        return evidently_report_html(
            store,
            reference=reference or None,
            current=current or None,
            columns=columns or None,
            sample_size=sample_size,
        )
