"""The contract's timestamp parser: each accepted form, each refused form, with values and the message."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ContractError
from workbench.timestamps import MAX_YEAR, MIN_YEAR, parse_timestamps, parse_timestamps_or_raise

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # property tests need hypothesis (pip install hypothesis)
    given = None


def parse(values, *, file="items.csv", column="created_at"):
    return parse_timestamps(pd.Series(values, dtype=object), file=file, column=column)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- accepted -----------------------------------------------------------------------------------------------------

ACCEPTED = [
    ("2026-10-05T09:12:00Z", "2026-10-05 09:12:00"),  # Z
    ("2026-10-05T09:12:00+02:00", "2026-10-05 07:12:00"),  # offset
    ("2026-10-05T09:12:00-05:00", "2026-10-05 14:12:00"),
    ("2026-10-05T09:12+0530", "2026-10-05 03:42:00"),  # offset without colon, no seconds
    ("2026-10-05T09:12:00-05", "2026-10-05 14:12:00"),  # hours-only offset
    ("2026-10-05T09:12:00", "2026-10-05 09:12:00"),  # naive: taken as UTC
    ("2026-10-05 14:00", "2026-10-05 14:00:00"),  # space instead of T, no seconds
    ("2026-10-05 14:00:00Z", "2026-10-05 14:00:00"),
    ("2026-10-05", "2026-10-05 00:00:00"),  # date only: midnight UTC
    ("2026-10-05T09:12:00.5Z", "2026-10-05 09:12:00.5"),  # fractional seconds
    ("2026-10-05T09:12:00.123456789+01:00", "2026-10-05 08:12:00.123456789"),  # nanoseconds
    ("2026-10-05T00:30:00+01:00", "2026-10-04 23:30:00"),  # the offset moves the day
    ("  2026-10-05T09:12:00Z ", "2026-10-05 09:12:00"),  # surrounding blanks ignored
    ("1970-01-01T00:00:00Z", "1970-01-01 00:00:00"),  # the first instant allowed
    ("2100-12-31T23:59:59.999Z", "2100-12-31 23:59:59.999"),  # the last year allowed
    ("2024-02-29", "2024-02-29 00:00:00"),  # a leap day
    ("2026-10-05T10:00+14:00", "2026-10-04 20:00:00"),  # the largest offset in use
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_form(text, expected):
    parsed, problems = parse([text])
    assert problems == []
    assert parsed.iloc[0] == ts(expected)
    assert parsed.dtype == "datetime64[ns]"


def test_mixed_forms_and_zones_in_one_column_give_naive_utc():
    values = ["2026-10-05T09:12:00Z", "2026-10-05 11:12+02:00", "2026-10-05T04:12:00-05:00", "2026-10-05 09:12"]
    parsed, problems = parse(values)
    assert problems == []
    assert parsed.tolist() == [ts("2026-10-05 09:12")] * 4


def test_missing_values_stay_missing_and_are_no_problem():
    parsed, problems = parse([None, np.nan, "", "   ", pd.NA, pd.NaT, "2026-10-05"])
    assert problems == []
    assert parsed.isna().tolist() == [True] * 6 + [False]


def test_index_is_kept():
    values = pd.Series(["2026-10-05", "2026-10-06"], index=[10, 3])
    parsed, _ = parse_timestamps(values, file="items.csv", column="created_at")
    assert list(parsed.index) == [10, 3]


def test_string_dtypes_parse_the_same():
    for dtype in ("string", "string[pyarrow]", object):
        values = pd.Series(["2026-10-05T09:12:00+02:00", None], dtype=dtype)
        parsed, problems = parse_timestamps(values, file="items.csv", column="created_at")
        assert problems == [] and parsed.iloc[0] == ts("2026-10-05 07:12") and pd.isna(parsed.iloc[1])


def test_input_is_not_changed():
    values = pd.Series([" 2026-10-05 ", "now"])
    before = values.copy()
    parse_timestamps(values, file="items.csv", column="created_at")
    pd.testing.assert_series_equal(values, before)


# --- refused: one test per form, naming the values ----------------------------------------------------------------

REFUSED = [
    # (values, words in the problem, words in the hint)
    (["2026-10-05 14:00 EST", "2026-10-05T14:00:00 CET", "2026-10-05 2:00 PM PST"], "time zone", "offset"),
    (["2026-10-05 14:00 UTC", "2026-10-05 14:00 Europe/Berlin", "2026-10-05T14:00 (CEST)"], "time zone", "offset"),
    (["05/10/2026", "10-05-2026", "05.10.2026", "5/10/26"], "day and month first", "year first"),
    (["10/05/2026 14:00"], "day and month first", "year first"),
    (["now", "today", "Yesterday", "tomorrow", "last week", "3 days ago"], "relative words", "actual date"),
    (["14:00", "14:00:00", "2:00 PM", "09:12:00.5"], "times without a date", "Add the date"),
    (["1759655520", "1759655520000", "1759655520.5", "20261005", "1.7e9"], "numbers", "ISO 8601"),
    (
        ["1900-01-01", "9999-12-31", "0202-10-05", "1969-12-31T23:59:59Z"],
        "outside the years 1970 to 2100",
        "placeholder",
    ),
    (["2101-01-01", "2100-12-31T23:00:00-05:00"], "outside the years 1970 to 2100", "placeholder"),
    (["1970-01-01T00:30:00+01:00"], "outside the years 1970 to 2100", "placeholder"),  # 1969 in UTC
    (
        ["2026-02-30", "2026-13-01", "2026-10-05T24:00", "2026-10-05T23:60", "2026-10-05T10:00+25:00"],
        "do not exist",
        "00 to 23",
    ),
    (["2026-W41-1", "2026-278", "20261005T091200Z", "2026-10-05t09:12z", "Oct 5, 2026"], "not ISO 8601", "ISO 8601"),
    (["2026/10/05", "2026-10", "2026-10-05T14", "2026-10-05T09:12:00.1234567891Z", "cat"], "not ISO 8601", "ISO 8601"),
    (["2026-10-05-05", "2026-10-05Z"], "not ISO 8601", "ISO 8601"),  # a zone needs a time
    (["2026-10-05T10:00+24:00", "2026-10-05T10:00+05:60"], "do not exist", "offsets"),
]


@pytest.mark.parametrize(("values", "problem", "hint"), REFUSED)
def test_refused_form_is_a_problem_naming_the_values(values, problem, hint):
    parsed, problems = parse(["2026-10-05", *values])
    assert parsed.iloc[0] == ts("2026-10-05")
    assert parsed.iloc[1:].isna().all()
    assert len(problems) == 1, [str(p) for p in problems]
    violation = problems[0]
    assert violation.file == "items.csv" and violation.column == "created_at"
    assert violation.problem.startswith(f"{len(values)} value(s)") and problem in violation.problem
    assert hint in violation.hint
    # CSV locations are lines, the header being line 1: the first bad value is on line 3
    expected = [f"line {i + 3}: created_at={v!r}" for i, v in enumerate(values[:5])]
    assert list(violation.examples) == expected


def test_several_kinds_give_one_violation_each_in_a_fixed_order():
    _, problems = parse(["now", "05/10/2026", "14:00", "2026-10-05 14:00 EST", "1900-01-01", "x", "today"])
    kinds = [p.problem.split(" value(s) ")[1].split(",")[0] for p in problems]
    assert kinds == [
        "are relative words",
        "are times without a date",
        "name a time zone (an abbreviation or zone name) instead of giving its offset; abbreviations are ambiguous "
        "(CST is three different zones)",
        "put the day and month first",
        "lie outside the years 1970 to 2100 (in UTC)",
        "are not ISO 8601 timestamps",
    ]
    assert problems[0].problem.startswith("2 value(s)")


def test_message_reads_as_the_contract_writes_it():
    _, problems = parse(["2026-10-05", "05/10/2026"], file="annotations.csv")
    assert str(problems[0]) == (
        "annotations.csv, column 'created_at': 1 value(s) put the day and month first, which is ambiguous "
        "(e.g. line 3: created_at='05/10/2026'). Write the date year first as ISO 8601, e.g. 2026-10-05 or "
        "2026-10-05T14:03:00Z"
    )


def test_parquet_locations_are_rows():
    _, problems = parse(["2026-10-05", "now"], file="items.parquet")
    assert problems[0].examples == ("row 2: created_at='now'",)


def test_examples_are_capped_and_long_values_shortened():
    _, problems = parse(["x" * 500] * 8)
    assert problems[0].problem.startswith("8 value(s)")
    assert len(problems[0].examples) == 5
    assert all(len(e) < 90 and e.endswith("...") for e in problems[0].examples)


def test_year_range_constants():
    assert (MIN_YEAR, MAX_YEAR) == (1970, 2100)


# --- columns that are not text ------------------------------------------------------------------------------------


def test_numeric_column_is_refused_as_numbers():
    parsed, problems = parse_timestamps(pd.Series([1759655520, 1759655580]), file="items.parquet", column="t")
    assert parsed.isna().all()
    assert "numbers" in problems[0].problem and problems[0].examples == ("row 1: t=1759655520", "row 2: t=1759655580")


def test_an_all_empty_csv_column_is_missing_not_numbers():
    parsed, problems = parse_timestamps(pd.Series([np.nan, np.nan]), file="items.csv", column="t")
    assert problems == [] and parsed.isna().all()


def test_datetime_column_with_a_zone_is_converted_to_utc():
    values = pd.Series(pd.to_datetime(["2026-10-05T09:12:00"]).tz_localize("Europe/Berlin"))
    parsed, problems = parse_timestamps(values, file="items.parquet", column="t")
    assert problems == [] and parsed.tolist() == [ts("2026-10-05 07:12")] and parsed.dtype == "datetime64[ns]"


def test_naive_datetime_column_is_taken_as_utc():
    values = pd.Series(pd.to_datetime(["2026-10-05T09:12:00", None]))
    parsed, problems = parse_timestamps(values, file="items.parquet", column="t")
    assert problems == [] and parsed.iloc[0] == ts("2026-10-05 09:12") and pd.isna(parsed.iloc[1])


def test_datetime_column_outside_the_years_is_refused():
    # microsecond precision holds years pandas' nanoseconds cannot (Parquet files written elsewhere do)
    values = pd.Series(np.array(["2026-10-05", "9999-12-31", "1960-01-01"], dtype="datetime64[us]"))
    parsed, problems = parse_timestamps(values, file="items.parquet", column="t")
    assert parsed.iloc[0] == ts("2026-10-05") and parsed.iloc[1:].isna().all()
    assert "outside the years" in problems[0].problem
    assert problems[0].examples == ("row 2: t='9999-12-31 00:00:00'", "row 3: t='1960-01-01 00:00:00'")


def test_python_datetimes_in_an_object_column():
    berlin = dt.timezone(dt.timedelta(hours=2))
    values = pd.Series([dt.datetime(2026, 10, 5, 9, 12, tzinfo=berlin), dt.date(2026, 10, 6), "2026-10-07", True, 5])
    parsed, problems = parse_timestamps(values, file="items.parquet", column="t")
    assert parsed.tolist()[:3] == [ts("2026-10-05 07:12"), ts("2026-10-06"), ts("2026-10-07")]
    assert [p.examples for p in problems] == [("row 5: t=5",), ("row 4: t=True",)]


def test_or_raise_raises_a_contract_error_with_the_violations():
    with pytest.raises(ContractError) as info:
        parse_timestamps_or_raise(pd.Series(["now", "2026-10-05"]), file="items.csv", column="created_at")
    assert len(info.value.violations) == 1 and "line 2: created_at='now'" in str(info.value)


# --- the same instants as pandas, and a million values --------------------------------------------------------------


def test_agrees_with_pandas_on_the_accepted_forms():
    texts = [t for t, _ in ACCEPTED]
    parsed, _ = parse(texts)
    reference = pd.to_datetime(pd.Series(texts).str.strip(), format="mixed", utc=True).dt.tz_localize(None)
    pd.testing.assert_series_equal(parsed, reference, check_names=False)


if given is not None:
    instants = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 12, 31))
    offsets = st.integers(min_value=-14 * 60, max_value=14 * 60)

    @settings(max_examples=200, deadline=None)
    @given(instants, offsets, st.sampled_from(["T", " "]), st.sampled_from(["Z", "+HH:MM", "+HHMM", "naive"]))
    def test_any_written_instant_parses_back(instant, offset_min, sep, zone):
        tz = dt.timezone(dt.timedelta(minutes=0 if zone in ("Z", "naive") else offset_min))
        local = instant.replace(tzinfo=dt.UTC).astimezone(tz)
        text = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{local.microsecond:06d}" if local.microsecond else "")
        if zone == "Z":
            text += "Z"
        elif zone != "naive":
            sign = "-" if offset_min < 0 else "+"
            hh, mm = divmod(abs(offset_min), 60)
            text += f"{sign}{hh:02d}:{mm:02d}" if zone == "+HH:MM" else f"{sign}{hh:02d}{mm:02d}"
        parsed, problems = parse([text])
        assert problems == []
        assert parsed.iloc[0] == pd.Timestamp(instant)


@pytest.mark.slow
def test_a_million_values():
    rng = np.random.default_rng(0)
    base = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**8, 1_000_000), unit="s")
    texts = pd.Series(base.strftime("%Y-%m-%dT%H:%M:%SZ"))
    texts.iloc[[10, 500_000]] = ["now", "05/10/2026"]
    parsed, problems = parse_timestamps(texts, file="annotations.csv", column="created_at")
    expected = pd.Series(base).where(~texts.isin(["now", "05/10/2026"]))
    pd.testing.assert_series_equal(parsed, expected.astype("datetime64[ns]"), check_names=False)
    assert [p.examples for p in problems] == [
        ("line 12: created_at='now'",),
        ("line 500002: created_at='05/10/2026'",),
    ]


def test_row_order_does_not_change_values():
    # each value parses as it would alone, whatever precedes it (zoned and naive values interleaved)
    texts = [t for t, _ in ACCEPTED]
    alone = [parse([t])[0].iloc[0] for t in texts]
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(len(texts))
        parsed, _ = parse([texts[i] for i in order])
        assert parsed.tolist() == [alone[i] for i in order]
