"""ISO weeks: the calendar every capability counts in.

A week is written ``YYYY-Www`` and starts on Monday 00:00 UTC (timestamps are
stored as naive UTC).

The *default week* of every command (report, annotators, drift, gate) is
:func:`choose_week`'s: the latest ISO week that has **ended by the clock** and
has data, passing over a trailing week that is **thin** (fewer than a quarter
of the median week's annotations *and* of its new items), so that a folder
exported on a Sunday with a few late annotations on the Monday does not get a
report of 16 annotations. A week asked for explicitly is used as it is, and
the choice says when it is thin or not over yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

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


THIN_SHARE = 0.25  # a week with fewer than this share of the median week's annotations and new items is thin


@dataclass(frozen=True)
class WeekChoice:
    """The week analysed, and why: ``note`` (empty when nothing needs saying) is shown at the top of outputs."""

    week: Week
    note: str = ""
    passed_over: tuple[str, ...] = ()
    annotations: int | None = None
    new_items: int | None = None


def weekly_counts(store, *, as_of=None) -> pd.DataFrame:
    """Annotations and new items per ISO week (``week`` as :class:`Week`), from the store."""
    frames = []
    for table, name in (("annotations", "annotations"), ("items", "new_items")):
        if store.has(table) and "created_at" in store.table(table).columns:
            t = store.data(table, as_of=as_of)
            f = (
                t.filter(t.created_at.notnull())
                .group_by(week=t.created_at.truncate("W"))
                .aggregate(n=ibis._.count())
                .execute()
            )
            frames.append(f.assign(week=[Week.of(w) for w in f["week"]]).groupby("week")["n"].sum().rename(name))
    if not frames:
        return pd.DataFrame(columns=["week", "annotations", "new_items"])
    out = pd.concat(frames, axis=1).fillna(0).astype(int).sort_index()
    for col in ("annotations", "new_items"):
        if col not in out:
            out[col] = 0
    return out.rename_axis("week").reset_index()


def _thin(row, medians) -> bool:
    return all(row[c] < THIN_SHARE * medians[c] for c in ("annotations", "new_items") if medians[c] > 0)


def choose_week(store, week: str | Week | None = None, *, as_of=None, now: datetime | None = None) -> WeekChoice:
    """The week to analyse: ``week`` when given, else the default week (module docstring)."""
    counts = weekly_counts(store, as_of=as_of)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    if counts.empty:
        if week is not None:
            return WeekChoice(week if isinstance(week, Week) else Week.parse(week))
        latest_week(store, as_of=as_of)  # raises the message for a store without timestamps
    medians = counts[["annotations", "new_items"]].median()
    by_week = counts.set_index("week")
    if week is not None:
        chosen = week if isinstance(week, Week) else Week.parse(week)
        notes = []
        if chosen in by_week.index:
            row = by_week.loc[chosen]
            if chosen.end > now:
                notes.append(f"{chosen} is not over yet")
            if _thin(row, medians) and len(by_week) > 1:
                notes.append(f"{chosen} is thin")
            if notes:
                return WeekChoice(
                    chosen,
                    note=f"{' and '.join(notes)}: {int(row['annotations']):,} annotations and "
                    f"{int(row['new_items']):,} new items so far (a median week has "
                    f"{medians['annotations']:,.0f} and {medians['new_items']:,.0f}).",
                    annotations=int(row["annotations"]),
                    new_items=int(row["new_items"]),
                )
            return WeekChoice(chosen, annotations=int(row["annotations"]), new_items=int(row["new_items"]))
        return WeekChoice(chosen, note=f"{chosen} has no annotations or new items.", annotations=0, new_items=0)
    weeks = list(by_week.index)
    ended = [w for w in weeks if w.end <= now]
    passed: list[str] = []
    reasons: list[str] = []
    for w in reversed(weeks):
        if w not in ended:
            passed.append(str(w))
            reasons.append(f"{w} is not over yet")
            continue
        row = by_week.loc[w]
        if _thin(row, medians) and w != ended[0]:
            passed.append(str(w))
            reasons.append(
                f"{w} has only {int(row['annotations']):,} annotations and {int(row['new_items']):,} new items"
            )
            continue
        break
    else:  # no week qualifies: fall back to the latest week with data, and say so
        w = weeks[-1]
        row = by_week.loc[w]
        return WeekChoice(
            w,
            note=f"No week with data has ended yet; showing {w}, which is not over "
            f"({int(row['annotations']):,} annotations so far).",
            annotations=int(row["annotations"]),
            new_items=int(row["new_items"]),
        )
    row = by_week.loc[w]
    note = ""
    if passed:
        note = f"{'; '.join(reasons)} so far; showing {w}; `--week {passed[-1]}` shows it."
        if len(passed) > 1:
            note = f"{'; '.join(reasons)} so far; showing {w}; `--week WEEK` shows one of them."
    return WeekChoice(
        w, note=note, passed_over=tuple(passed), annotations=int(row["annotations"]), new_items=int(row["new_items"])
    )


def check_week_in_data(store, week: Week | None, *, as_of=None) -> None:
    """A week asked for must lie within the weeks with data: else bad input naming the span."""
    if week is None:
        return
    available = weeks_with_data(store, as_of=as_of)
    if available and (week < available[0] or week > available[-1]):
        raise BadInputError(
            f"--week {week} is outside the data, which spans {available[0]} to {available[-1]}. "
            "Pick a week in that range."
        )


def default_week(store, *, as_of=None, now: datetime | None = None) -> Week:
    """The week every command analyses by default (:func:`choose_week`)."""
    return choose_week(store, as_of=as_of, now=now).week


def resolve_week(store, week: str | Week | None, *, as_of=None) -> Week:
    """``week`` parsed (``YYYY-Www``), or :func:`default_week` when it is None."""
    if week is None:
        return default_week(store, as_of=as_of)
    return week if isinstance(week, Week) else Week.parse(week)
