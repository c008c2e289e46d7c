"""The one timestamp parser of the data contract.

Timestamp columns (``items.created_at``, ``annotations.created_at``) are read by :func:`parse_timestamps`,
which accepts a strict subset of ISO 8601 and reports everything else as bad input naming the values:

Accepted
    ``2026-10-05T09:12:00Z``, ``2026-10-05T09:12:00+02:00`` (also ``+0200`` and ``+02``), naive
    ``2026-10-05T09:12:00`` (taken as UTC), a space instead of ``T`` (``2026-10-05 09:12``), seconds optional,
    fractional seconds up to nanoseconds (``09:12:00.123456``), date only (``2026-10-05``, midnight UTC).
    Columns that are already timestamps (Parquet ``timestamp`` columns, any pandas ``datetime64`` dtype): a
    zone is converted to UTC, no zone means UTC.
Refused (each a :class:`~workbench.errors.Violation` naming example values and the fix)
    zone abbreviations and names (``2026-10-05 14:00 EST``, ``CET``, ``UTC``, ``Europe/Berlin``: abbreviations
    are ambiguous, ``CST`` is three zones); day/month order forms (``05/10/2026``, ``10-05-2026``,
    ``05.10.2026``); relative words (``now``, ``today``, ``yesterday``); bare times (``14:00``); numbers, as
    strings or in a numeric column (epoch seconds or milliseconds cannot be told apart, nor from ``20261005``);
    week dates (``2026-W41-1``), ordinal dates (``2026-278``), the basic format without separators, lowercase
    ``t``/``z``, and any other text; dates and times that do not exist (``2026-02-30``, ``25:00``); and
    instants outside the years :data:`MIN_YEAR` to :data:`MAX_YEAR` inclusive, in UTC (placeholders such as
    ``1900-01-01`` and ``9999-12-31``, typos such as ``0202-10-05``), also in timestamp columns.

Missing values (null, NaN, ``NaT``, an empty or all-blank string) stay missing (``NaT``) and are not problems.
Surrounding blanks are ignored. The result is ``datetime64[ns]`` in naive UTC, the store's convention.

Parsing is vectorised (one regular expression in Arrow splits each value into its local date and time, parsed by
``pandas.to_datetime(format="ISO8601")``, and its zone, read from its digits): a million values take about a second.

Examples
--------
>>> values = pd.Series(["2026-10-05T09:12:00Z", "2026-10-05 11:12+02:00", "05/10/2026", None])
>>> parsed, problems = parse_timestamps(values, file="items.csv", column="created_at")
>>> parsed.tolist()[:2]
[Timestamp('2026-10-05 09:12:00'), Timestamp('2026-10-05 09:12:00')]
>>> print(problems[0])  # doctest: +NORMALIZE_WHITESPACE
items.csv, column 'created_at': 1 value(s) put the day and month first, which is ambiguous (e.g. line 4:
created_at='05/10/2026'). Write the date year first as ISO 8601, e.g. 2026-10-05 or 2026-10-05T14:03:00Z
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ContractError, Violation

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "TimestampProblem",
    "parse_timestamps",
    "parse_timestamps_or_raise",
]

MIN_YEAR = 1970
"""Earliest year a timestamp may have (inclusive, in UTC)."""
MAX_YEAR = 2100
"""Latest year a timestamp may have (inclusive, in UTC)."""
MAX_EXAMPLES = 5
"""Example rows named per problem."""
_EXAMPLE_CHARS = 60  # longer values are shortened in messages

_LOWEST = pd.Timestamp(f"{MIN_YEAR}-01-01")
_BEYOND = pd.Timestamp(f"{MAX_YEAR + 1}-01-01")

# The accepted forms. Strict on purpose: anything else is reported, never guessed. The local date and time and
# the zone are parsed apart: the local part by ``pandas.to_datetime(format="ISO8601")`` without zones, the
# offset from its digits. (Parsing zoned text in pandas is three times slower, and pandas 2.3 with
# ``utc=True`` reads a naive value that follows one with an offset in that offset.)
ACCEPTED = (
    r"^(?P<local>(?P<year>\d{4})-\d{2}-\d{2}"  # date
    r"(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)"  # optional time: HH:MM, HH:MM:SS, fraction
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$"  # optional zone after a time: Z, +HH:MM, +HHMM, +HH
)


@dataclass(frozen=True)
class TimestampProblem:
    """One kind of bad timestamp: how it is recognised and what the message says."""

    key: str
    pattern: re.Pattern[str] | None
    problem: str
    hint: str


_ISO_HINT = "Use ISO 8601, e.g. 2026-10-05T14:03:00Z or 2026-10-05 14:03 (no zone means UTC)"
# Checked in this order on the values that are not accepted; the first that matches names the problem.
PROBLEMS: tuple[TimestampProblem, ...] = (
    TimestampProblem(
        "relative",
        re.compile(
            r"^(?:now|today|tonight|yesterday|tomorrow|(?:last|next|this)\s+\w+|\d+\s+\w+\s+(?:ago|from now))$",
            re.IGNORECASE,
        ),
        "value(s) are relative words, which mean another time on every run",
        "Write the actual date and time, e.g. 2026-10-05T14:03:00Z",
    ),
    TimestampProblem(
        "number",
        re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"),
        "value(s) are numbers, not timestamps (epoch seconds, milliseconds and compact dates such as 20261005 "
        "cannot be told apart)",
        "Convert them to ISO 8601 text (e.g. 2026-10-05T14:03:00Z), or store the column as a timestamp type in Parquet",
    ),
    TimestampProblem(
        "time_only",
        re.compile(r"^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$"),
        "value(s) are times without a date",
        "Add the date: 2026-10-05T14:00",
    ),
    TimestampProblem(
        "zone_name",
        re.compile(
            r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?\s*)?"
            r"\(?(?!(?:[AaPp][Mm])\b)(?:[A-Za-z]{2,5}|[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\)?(?:\s|$)"
        ),
        "value(s) name a time zone (an abbreviation or zone name) instead of giving its offset; abbreviations "
        "are ambiguous (CST is three different zones)",
        "Write the UTC offset instead, e.g. 2026-10-05T14:00:00-05:00, or Z for UTC",
    ),
    TimestampProblem(
        "day_month",
        re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?:$|[T ,])"),
        "value(s) put the day and month first, which is ambiguous",
        "Write the date year first as ISO 8601, e.g. 2026-10-05 or 2026-10-05T14:03:00Z",
    ),
    TimestampProblem(
        "year_range",
        None,
        f"value(s) lie outside the years {MIN_YEAR} to {MAX_YEAR} (in UTC)",
        "Check for placeholder dates (1900-01-01, 9999-12-31) and typos in the year; leave unknown times empty",
    ),
    TimestampProblem(
        "not_a_time",
        None,
        "value(s) are dates or times that do not exist (a day past the month's end, hour 24 or more, an offset "
        "of 24 hours or more)",
        "Correct the values; dates are YYYY-MM-DD, times HH:MM[:SS] with hours 00 to 23, offsets +HH:MM with "
        "hours 00 to 23 and minutes 00 to 59",
    ),
    TimestampProblem("other", None, "value(s) are not ISO 8601 timestamps", _ISO_HINT),
)
_BY_KEY = {p.key: p for p in PROBLEMS}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 3] + "..."


def _examples(raw: pd.Series, mask: np.ndarray, *, file: str, column: str) -> tuple[str, ...]:
    """``line N: column='value'`` for CSV (the header is line 1), ``row N: ...`` otherwise (1-based)."""
    csv = file.lower().endswith(".csv")
    out = []
    for i in np.flatnonzero(mask)[:MAX_EXAMPLES]:
        where = f"line {i + 2}" if csv else f"row {i + 1}"
        value = raw.iloc[i]
        if isinstance(value, np.generic) and not isinstance(value, np.datetime64):
            value = value.item()
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        shown = f"'{value}'" if isinstance(value, pd.Timestamp | dt.datetime) else _short(value)
        out.append(f"{where}: {column}={shown}")
    return tuple(out)


def _violation(key: str, raw: pd.Series, mask: np.ndarray, *, file: str, column: str) -> Violation:
    kind = _BY_KEY[key]
    return Violation(
        file,
        column,
        f"{int(mask.sum())} {kind.problem}",
        _examples(raw, mask, file=file, column=column),
        hint=kind.hint,
    )


def _naive_utc(parsed: pd.Series) -> pd.Series:
    """``datetime64[ns]`` naive UTC from any datetime64 series (aware: converted; naive: taken as UTC)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _in_range(parsed: pd.Series) -> np.ndarray:
    """True where a naive-UTC timestamp lies in the allowed years (False for NaT)."""
    return ((parsed >= _LOWEST) & (parsed < _BEYOND)).to_numpy()


def _parse_datetimes(values: pd.Series, *, file: str, column: str) -> tuple[pd.Series, list[Violation]]:
    """A column already holding timestamps: zone to UTC; only the year range can be wrong."""
    naive = _naive_utc(values)
    notna = naive.notna().to_numpy()
    ok = _in_range(naive)
    bad = notna & ~ok
    problems = [_violation("year_range", values, bad, file=file, column=column)] if bad.any() else []
    result = naive.where(ok)
    return result.astype("datetime64[ns]"), problems


def _classify(rejected: list[str], rows: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """For each rejected value (at ``rows`` of ``n``), the first problem whose pattern matches, else ``other``."""
    masks: dict[str, np.ndarray] = {}
    left = np.ones(len(rejected), dtype=bool)
    for kind in PROBLEMS:
        if kind.pattern is None:
            continue
        hit = left & np.array([bool(kind.pattern.search(v)) for v in rejected], dtype=bool)
        if hit.any():
            masks[kind.key] = np.zeros(n, dtype=bool)
            masks[kind.key][rows[hit]] = True
            left &= ~hit
    if left.any():
        masks["other"] = np.zeros(n, dtype=bool)
        masks["other"][rows[left]] = True
    return masks


def parse_timestamps(values: pd.Series, *, file: str, column: str) -> tuple[pd.Series, list[Violation]]:
    """Parse one timestamp column of the data contract.

    See the module documentation for the accepted and refused forms.

    Parameters
    ----------
    values : pandas.Series
        The column as read: text (from CSV, or a Parquet string column), a ``datetime64`` column (Parquet
        ``timestamp``, with or without a zone), or anything else (numbers are refused).
    file : str
        The file name, for messages; a name ending in ``.csv`` gives locations as ``line N`` (the header is
        line 1), any other as ``row N`` (1-based data rows).
    column : str
        The column name, for messages.

    Returns
    -------
    parsed : pandas.Series
        ``datetime64[ns]``, naive UTC, same index as ``values``; missing and refused values are ``NaT``.
    problems : list of Violation
        One per kind of bad value (with the count, up to :data:`MAX_EXAMPLES` example rows with their values,
        and the fix); empty when every value is good. Pass them on, or see :func:`parse_timestamps_or_raise`.

    Examples
    --------
    >>> parsed, problems = parse_timestamps(pd.Series(["2026-10-05", "now"]), file="a.parquet", column="t")
    >>> parsed.iloc[0], [str(p) for p in problems]  # doctest: +NORMALIZE_WHITESPACE
    (Timestamp('2026-10-05 00:00:00'), ["a.parquet, column 't': 1 value(s) are relative words, which mean
    another time on every run (e.g. row 2: t='now'). Write the actual date and time, e.g. 2026-10-05T14:03:00Z"])
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    index = values.index
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed, problems = _parse_datetimes(values, file=file, column=column)
        parsed.index = index
        return parsed, problems

    n = len(values)
    result = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    found: dict[str, np.ndarray] = {}  # problem key -> rows

    def flag(key: str, rows: np.ndarray) -> None:
        found[key] = found.get(key, np.zeros(n, dtype=bool))
        found[key][rows] = True

    missing = values.isna().to_numpy()
    if _is_text(values):
        text_mask = ~missing
        datetime_mask = np.zeros(n, dtype=bool)
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        text_mask = datetime_mask = np.zeros(n, dtype=bool)
        flag("number", np.flatnonzero(~missing))
    else:  # an object column of mixed content: look at each value
        kinds = np.where(missing, "missing", values.map(_kind_of).to_numpy())
        text_mask = kinds == "text"
        datetime_mask = kinds == "datetime"
        flag("number", np.flatnonzero(kinds == "number"))
        flag("other", np.flatnonzero(kinds == "other"))

    if datetime_mask.any():  # Python datetimes and dates inside an object column are timestamps already
        rows = np.flatnonzero(datetime_mask)
        converted, out_of_range = _convert_objects(values.iloc[rows])
        result.iloc[rows] = converted
        flag("year_range", rows[out_of_range])

    if text_mask.any():
        rows = np.flatnonzero(text_mask)
        texts = pc.utf8_trim_whitespace(_arrow_strings(values.iloc[rows]))
        filled = pc.greater(pc.utf8_length(texts), 0).to_numpy(zero_copy_only=False)
        rows, texts = rows[filled], texts.filter(pa.array(filled))  # an empty or blank cell is a missing value
        parsed, masks = _parse_texts(texts)
        result.iloc[rows] = parsed
        for key, mask in masks.items():
            flag(key, rows[mask])

    problems = [
        _violation(kind.key, values, found[kind.key], file=file, column=column)
        for kind in PROBLEMS
        if kind.key in found and found[kind.key].any()
    ]
    result.index = index
    return result, problems


def _kind_of(value: object) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.date | np.datetime64):
        return "datetime"
    if isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_):
        return "number"
    return "other"


def _is_text(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.StringDtype) or str(values.dtype).startswith("string"):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _convert_objects(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Python datetimes, dates and numpy datetimes (in an object column) to naive UTC; flags out-of-range ones."""
    out = np.empty(len(values), dtype="datetime64[ns]")
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, np.datetime64):
            v = pd.Timestamp(v) if not np.isnat(v) else pd.NaT
        elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            v = dt.datetime(v.year, v.month, v.day)
        if v is pd.NaT:
            out[i] = np.datetime64("NaT")
            continue
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        if not (MIN_YEAR <= v.year <= MAX_YEAR):
            bad[i] = True
            out[i] = np.datetime64("NaT")
        else:
            out[i] = np.datetime64(pd.Timestamp(v), "ns")
    return out, bad


def _arrow_strings(values: pd.Series) -> pa.Array:
    """Non-missing strings as one Arrow array."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage != "python":
        return pa.array(values.array).cast(pa.large_string())
    return pa.array(values.to_numpy(dtype=object), type=pa.large_string())


def _offset_minutes(zone: str) -> float:
    """Minutes east of UTC of an accepted zone (``""`` and ``Z``: 0); NaN for hours over 23 or minutes over 59."""
    if zone in ("", "Z"):
        return 0.0
    hours, minutes = int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0
    if hours > 23 or minutes > 59:
        return math.nan
    return (hours * 60 + minutes) * (-1.0 if zone[0] == "-" else 1.0)


def _parse_texts(texts: pa.Array) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Parse stripped, non-empty strings; returns naive-UTC ``datetime64[ns]`` and the rejected rows by problem."""
    n = len(texts)
    parsed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    masks: dict[str, np.ndarray] = {}
    parts = pc.extract_regex(texts, ACCEPTED)  # null where the text is not an accepted form
    accepted = parts.is_valid().to_numpy(zero_copy_only=False)
    if accepted.any():
        rows = np.flatnonzero(accepted)
        parts = parts.filter(pa.array(accepted))
        zone = parts.field("zone")
        # A zone needs a time (2026-10-05-05 is not a date with an offset)
        dangling = pc.and_(pc.greater(pc.utf8_length(zone), 0), pc.equal(pc.utf8_length(parts.field("time")), 0))
        dangling = dangling.to_numpy(zero_copy_only=False)
        if dangling.any():
            accepted[rows[dangling]] = False
            rows, parts, zone = rows[~dangling], parts.filter(pa.array(~dangling)), zone.filter(pa.array(~dangling))
        # The year is checked on the text first: years pandas cannot hold (before 1677, after 2262) would
        # otherwise look like dates that do not exist. One year either side: an offset may cross the year.
        years = pc.cast(parts.field("year"), pa.int32()).to_numpy()
        plausible = (years >= MIN_YEAR - 1) & (years <= MAX_YEAR + 1)
        local = pd.Series(parts.field("local").filter(pa.array(plausible)).to_numpy(zero_copy_only=False))
        local = pd.to_datetime(local, format="ISO8601", errors="coerce").astype("datetime64[ns]").to_numpy()
        encoded = pc.dictionary_encode(zone.filter(pa.array(plausible)))
        offsets = np.array([_offset_minutes(z) for z in encoded.dictionary.to_pylist()], dtype=float)
        offset = offsets[encoded.indices.to_numpy()] if len(offsets) else np.zeros(len(local))
        invalid = np.isnat(local) | np.isnan(offset)
        utc = local - (np.nan_to_num(offset) * 60).astype("timedelta64[s]")
        in_range = ~invalid & (utc >= _LOWEST.to_datetime64()) & (utc < _BEYOND.to_datetime64())
        plausible_rows = rows[plausible]
        parsed[plausible_rows[in_range]] = utc[in_range]
        year_range = np.zeros(n, dtype=bool)
        year_range[rows[~plausible]] = True
        year_range[plausible_rows[~invalid & ~in_range]] = True
        not_a_time = np.zeros(n, dtype=bool)
        not_a_time[plausible_rows[invalid]] = True
        if year_range.any():
            masks["year_range"] = year_range
        if not_a_time.any():
            masks["not_a_time"] = not_a_time
    if (~accepted).any():
        rejected = texts.filter(pa.array(~accepted)).to_pylist()
        masks.update(_classify(rejected, np.flatnonzero(~accepted), n))
    return parsed, masks


def parse_timestamps_or_raise(values: pd.Series, *, file: str, column: str) -> pd.Series:
    """:func:`parse_timestamps`, raising the problems instead of returning them.

    Raises
    ------
    ContractError
        With one :class:`~workbench.errors.Violation` per kind of bad value, when any value is bad.

    Examples
    --------
    >>> parse_timestamps_or_raise(pd.Series(["2026-10-05T09:12:00-05:00"]), file="items.csv", column="t")
    0   2026-10-05 14:12:00
    dtype: datetime64[ns]
    """
    parsed, problems = parse_timestamps(values, file=file, column=column)
    if problems:
        raise ContractError(problems, folder=file)
    return parsed
