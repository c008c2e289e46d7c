"""ISO weeks: the calendar every capability counts in.

A week is written ``YYYY-Www`` and starts on Monday 00:00 UTC (timestamps are
stored as naive UTC). The *default week* of every command (report, annotators,
drift) is :func:`default_week`: today the latest ISO week with data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import ibis
import numpy as np
import pandas as pd

from ..errors import BadInputError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week, written ``YYYY-Www``; it starts on Monday 00:00 UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str, *, option: str = "--week") -> Week:
        m = _WEEK_RE.match(str(text).strip())
        if not m:
            raise BadInputError(f"{option} {text!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W46.")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise BadInputError(f"{option} {text!r}: {year} has no ISO week {number}.") from exc
        return cls(year, number)

    @classmethod
    def of(cls, ts) -> Week:
        y, w, _ = pd.Timestamp(ts).isocalendar()
        return cls(int(y), int(w))

    @property
    def start(self) -> datetime:
        return datetime.combine(date.fromisocalendar(self.year, self.number, 1), datetime.min.time())

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    def previous(self) -> Week:
        return Week.of(self.start - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def iso_week_labels(timestamps: pd.Series) -> pd.Series:
    """``YYYY-Www`` ISO week of each timestamp (computed once per distinct day; missing stays missing)."""
    ts = pd.to_datetime(pd.Series(timestamps).reset_index(drop=True))
    days = ts.dt.floor("D")
    uniq, inv = np.unique(days.to_numpy(dtype="datetime64[D]"), return_inverse=True)
    out = np.full(len(ts), None, dtype=object)
    valid = ~np.isnat(uniq)
    if valid.any():
        iso = pd.DatetimeIndex(uniq[valid]).isocalendar()
        names = np.full(len(uniq), None, dtype=object)
        names[valid] = [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
        out = names[inv.ravel()]
    return pd.Series(out, index=timestamps.index if isinstance(timestamps, pd.Series) else None, dtype=object)


def week_labels(values: pd.Series) -> pd.Series:
    """``YYYY-Www`` of each value of a small series (None where missing)."""
    return values.map(lambda v: str(Week.of(v)) if pd.notna(v) else None)


def _weeks_of(table: ibis.Table, column: str) -> list[Week]:
    col = table[column]
    weeks = table.select(week=col.truncate("W")).filter(ibis._.week.notnull()).distinct().execute()["week"]
    return sorted({Week.of(w) for w in weeks})


def activity_column(store, *, as_of=None) -> tuple[str, str] | None:
    """Which table/column dates the data: annotations.created_at, else items.created_at."""
    for table in ("annotations", "items"):
        if store.has(table) and "created_at" in store.table(table).columns:
            return table, "created_at"
    return None


def weeks_with_data(store, *, as_of=None) -> list[Week]:
    """ISO weeks in which annotations (or, without timestamps on them, items) were created."""
    found = activity_column(store)
    if found is None:
        return []
    return _weeks_of(store.data(found[0], as_of=as_of), found[1])


def item_weeks(store, *, as_of=None) -> list[Week]:
    """ISO weeks in which items were created."""
    items = store.data("items", as_of=as_of)
    if "created_at" not in items.columns:
        return []
    return _weeks_of(items, "created_at")


def latest_week(store, *, as_of=None) -> Week:
    weeks = weeks_with_data(store, as_of=as_of)
    if not weeks:
        raise BadInputError(
            "The store has no timestamps (created_at) on annotations or items, so there is no week to report. "
            "Add created_at to annotations.csv or items.csv."
        )
    return weeks[-1]


def default_week(store, *, as_of=None) -> Week:
    """The week every command analyses by default: the latest ISO week with data."""
    return latest_week(store, as_of=as_of)


def resolve_week(store, week: str | Week | None, *, as_of=None) -> Week:
    """``week`` parsed (``YYYY-Www``), or :func:`default_week` when it is None."""
    if week is None:
        return default_week(store, as_of=as_of)
    return week if isinstance(week, Week) else Week.parse(week)
