"""Windows: which items a drift comparison takes, and the default reference and current windows.

A *window* selects items: a date range on ``items.created_at``
(``2026-09-01..2026-09-30`` means 2026-09-01 <= created_at < 2026-10-01; either
end may be left open, and ISO weeks such as ``2026-W46`` or
``2026-W40..2026-W41`` work too) or a filter on an items column
(``split=train``, ``source=synthetic``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import ibis
import ibis.expr.types as ir

from ..errors import BadInputError
from ..inputs.weeks import Week, item_weeks, resolve_week
from ..store import Store
from .configuration import REFERENCE_WEEKS, drift_config

_DATE = r"\d{4}-\d{2}-\d{2}"
_WEEK = r"\d{4}-W\d{2}"


@dataclass(frozen=True)
class Window:
    """A selection of items: a ``created_at`` range ``[start, end)``, or ``column == value``.

    ``exclude`` removes the rows of another window (weekly windows compared
    with a filter reference leave the reference's rows out).
    """

    text: str
    start: datetime | None = None
    end: datetime | None = None
    column: str | None = None
    value: str | None = None
    exclude: Window | None = None

    @classmethod
    def parse(cls, text: str, *, option: str = "--current") -> Window:
        """Parse ``A..B`` (dates or ISO weeks, either end open), ``YYYY-Www``, or ``column=value``."""
        raw = text.strip()
        if "=" in raw:
            column, value = (p.strip() for p in raw.split("=", 1))
            if not column or not value:
                raise BadInputError(f"{option} {text!r}: write a filter as column=value, e.g. split=train.")
            return cls(text=raw, column=column, value=value)
        if re.fullmatch(_WEEK, raw):
            week = Week.parse(raw)
            return cls(text=raw, start=week.start, end=week.end)
        if ".." in raw:
            a, b = (p.strip() for p in raw.split("..", 1))
            start = _bound(a, option, text, end=False) if a else None
            end = _bound(b, option, text, end=True) if b else None
            if start is None and end is None:
                raise BadInputError(f"{option} {text!r}: give at least one end of the date range.")
            if start is not None and end is not None and start >= end:
                raise BadInputError(f"{option} {text!r}: the range is empty (its start is not before its end).")
            return cls(text=raw, start=start, end=end)
        raise BadInputError(
            f"{option} {text!r} is not a window. Use a date range A..B (e.g. 2026-09-01..2026-09-30, "
            "meaning A <= created_at < B + 1 day), an ISO week (2026-W46) or range of weeks "
            "(2026-W40..2026-W41), or a filter on an items column (split=train, source=synthetic)."
        )

    @classmethod
    def weeks(cls, first: Week, last: Week) -> Window:
        text = str(first) if first == last else f"{first}..{last}"
        return cls(text=text, start=first.start, end=last.end)

    @property
    def is_dates(self) -> bool:
        return self.column is None

    def apply(self, items: ir.Table, *, option: str = "window") -> ir.Table:
        """The items of this window (an ibis expression)."""
        if self.is_dates:
            if "created_at" not in items.columns:
                raise BadInputError(
                    f"{option} {self.text!r} is a date range, but the items table has no created_at column. "
                    "Use a filter window such as split=train, or add created_at to items."
                )
            cond = ibis.literal(True)
            if self.start is not None:
                cond &= items.created_at >= ibis.literal(self.start)
            if self.end is not None:
                cond &= items.created_at < ibis.literal(self.end)
            out = items.filter(cond)
        else:
            if self.column not in items.columns:
                raise BadInputError(
                    f"{option} {self.text!r}: the items table has no column '{self.column}'. "
                    f"Filter on one of: {', '.join(c for c in items.columns if not c.startswith('wb_'))}."
                )
            out = items.filter(items[self.column].cast("string") == self.value)
        if self.exclude is not None:
            out = out.anti_join(self.exclude.apply(items).select("item_id"), "item_id")
        return out

    def __str__(self) -> str:
        return self.text


def _bound(text: str, option: str, whole: str, *, end: bool) -> datetime:
    if re.fullmatch(_WEEK, text):
        week = Week.parse(text)
        return week.end if end else week.start
    if re.fullmatch(_DATE, text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise BadInputError(f"{option} {whole!r}: {text} is not a valid date ({exc}).") from exc
        moment = datetime.combine(day, datetime.min.time())
        return moment + timedelta(days=1) if end else moment
    raise BadInputError(f"{option} {whole!r}: {text!r} is neither a date (YYYY-MM-DD) nor an ISO week (YYYY-Www).")


def _resolve_windows(store: Store, reference, current, *, week=None, config=None) -> tuple[Window, Window]:
    """Windows given as text or :class:`Window`; a missing one takes its default (:func:`default_windows`)."""
    if reference is None or current is None:
        dref, dcur = default_windows(store, week=week, config=config)
        reference = dref if reference is None else reference
        current = dcur if current is None else current
    reference = Window.parse(reference, option="--reference") if isinstance(reference, str) else reference
    current = Window.parse(current, option="--current") if isinstance(current, str) else current
    return reference, current


def default_reference(store: Store, *, config: dict | None = None) -> Window:
    """The drift reference: ``[drift] reference`` when configured, else the first two ISO weeks with items.

    One rule for the command, the report and the notebook; a fixed reference
    is also what lets its summary be cached between weekly runs.
    """
    config = drift_config() if config is None else config
    if config.get("reference"):
        return Window.parse(str(config["reference"]), option="[drift] reference")
    weeks = item_weeks(store)
    n = int(config.get("reference_weeks", REFERENCE_WEEKS))
    if len(weeks) <= n:
        raise BadInputError(
            f"The default drift reference is the first {n} ISO weeks with items, and a later week is compared "
            f"with it, but items (items.created_at) span {len(weeks)} week(s). Pass --reference and --current, "
            "e.g. --reference split=train --current split=eval, or set [drift] reference in workbench.toml."
        )
    return Window.weeks(weeks[0], weeks[n - 1])


def default_windows(store: Store, *, week=None, config: dict | None = None) -> tuple[Window, Window]:
    """Reference: :func:`default_reference`; current: ``week`` (default: the default week of every command)."""
    reference = default_reference(store, config=config)
    week = resolve_week(store, week)
    if (
        reference.is_dates
        and reference.end is not None
        and week.start < reference.end
        and (reference.start is None or week.end > reference.start)
    ):
        raise BadInputError(
            f"{week} is part of the drift reference ({reference}); later weeks are compared with it. "
            "Choose a later --week or another --reference."
        )
    return reference, Window.weeks(week, week)


def _check_window(store: Store, items: ir.Table, window: Window, option: str) -> int:
    n = int(window.apply(items, option=option).count().execute())
    if n:
        return n
    extra = ""
    if window.is_dates and "created_at" in items.columns:
        span = items.aggregate(lo=items.created_at.min(), hi=items.created_at.max()).execute().iloc[0]
        lo, hi = span["lo"], span["hi"]
        outside = (window.end is not None and window.end <= lo) or (window.start is not None and window.start > hi)
        if outside:
            extra = f" Its dates are outside the data: items were created from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}."
        else:
            extra = f" (items span {lo:%Y-%m-%d} to {hi:%Y-%m-%d})."
    elif not window.is_dates:
        values = items.select(v=items[window.column].cast("string")).distinct().limit(12).execute()["v"]
        extra = f" Values of {window.column} include: {', '.join(map(str, values.dropna()))}."
    raise BadInputError(f"{option} {window.text!r} selects no items.{extra} Choose a window with data.")
