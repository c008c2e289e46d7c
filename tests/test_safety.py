"""Secrets redacted, terminal output inert, CSV cells defused: with values."""

from __future__ import annotations

import io
import unicodedata

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from rich.text import Text

from workbench.safety import (
    MAX_CONSOLE_CHARS,
    console_message,
    console_text,
    defuse_cell,
    defuse_frame,
    redact_url,
)

try:
    from hypothesis import given
    from hypothesis import strategies as st
except ImportError:  # property tests need hypothesis (pip install hypothesis)
    given = None

# --- redact_url ---------------------------------------------------------------------------------------------------

REDACTED_CASES = [
    ("postgres://user:PASSWORD@host/db", "postgres://user:***@host/db"),
    ("postgresql://ana:s3cr3t@db.example.com:5432/labels", "postgresql://ana:***@db.example.com:5432/labels"),
    # an unencoded @ in the password: redacted up to the last @ of the authority, as urllib splits it
    ("postgresql://ana:p@ss@host/db?sslmode=require", "postgresql://ana:***@host/db?sslmode=require"),
    ("snowflake://ana:pw!x@acct/db/schema?warehouse=wh", "snowflake://ana:***@acct/db/schema?warehouse=wh"),
    ("snowflake://ana@corp.com:pw@acct/db", "snowflake://ana@corp.com:***@acct/db"),
    ("bigquery://svc:secret@project/dataset", "bigquery://svc:***@project/dataset"),
    ("mysql+pymysql://root:hunter2@localhost:3306/db", "mysql+pymysql://root:***@localhost:3306/db"),
    ("redis://:pw@localhost:6379/0", "redis://:***@localhost:6379/0"),
    ("jdbc:postgresql://u:pw@h/db", "jdbc:postgresql://u:***@h/db"),
    ("trino://u@host:8080/cat?password=abc&x=1", "trino://u@host:8080/cat?password=***&x=1"),
    ("mssql://h/db?user=a&pwd=abc", "mssql://h/db?user=a&pwd=***"),
    ("https://api.example.com/v1?token=abc123", "https://api.example.com/v1?token=***"),
    ("https://x.org/?secret=s&api_key=k&apikey=k2", "https://x.org/?secret=***&api_key=***&apikey=***"),
    ("https://x.org/?access_token=t&refresh_token=r", "https://x.org/?access_token=***&refresh_token=***"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Signature=ab12", "https://b.s3.amazonaws.com/k?X-Amz-Signature=***"),
    ("https://x.org/?PASSWORD=Upper", "https://x.org/?PASSWORD=***"),
    # connection strings (libpq keywords, ODBC)
    ("host=db port=5432 password=s3cret user=ana", "host=db port=5432 password=*** user=ana"),
    ("password='a b c' host=x", "password=*** host=x"),
    ("Driver={x};UID=ana;PWD=s3cret;Server=h", "Driver={x};UID=ana;PWD=***;Server=h"),
    # inside messages, JSON and reprs, several at once
    (
        "Cannot open store 'postgres://u:pw@h/db': refused; mail me@x.org",
        "Cannot open store 'postgres://u:***@h/db': refused; mail me@x.org",
    ),
    ('{"store":"postgres://u:pw@h/db","to":"x@y"}', '{"store":"postgres://u:***@h/db","to":"x@y"}'),
    ("a mysql://r:1@h b redis://:2@h c", "a mysql://r:***@h b redis://:***@h c"),
]

UNCHANGED = [
    "data/workbench.duckdb",
    "duckdb:///path/to/file.duckdb",
    "duckdb://",
    "/home/ana/data:2026/items.csv",
    r"C:\Users\ana\store.duckdb",
    "postgres://user@host/db",
    "postgres://user:@host/db",  # an empty password: nothing to hide
    "http://host:8080/x?email=a@b.com",
    "https://example.com/a?tokenizer=bert&token_type=x&bypass=1&compass=n",
    "sqlite:///relative/path.db?mode=ro",
    "label=cat, annotator=a01",
    "2026-10-05T09:12:00+02:00",
    "",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED_CASES)
def test_redact_url_hides_the_secret(text, expected):
    assert redact_url(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_redact_url_leaves_text_without_secrets_unchanged(text):
    assert redact_url(text) == text


def test_redact_url_is_idempotent():
    text = "postgres://ana:p'w\\x@h/db and see https://x.org/?token=abc"
    once = redact_url(text)
    assert once == "postgres://ana:***@h/db and see https://x.org/?token=***"
    assert redact_url(once) == once


def test_redact_url_redacts_too_much_rather_than_too_little():
    # a URL without a path, followed by more text with an @: redacted up to that @ (JSON files are redacted
    # value by value, see test_outputs)
    assert redact_url('{"a":"pg://u:pw@h","to":"x@y"}') == '{"a":"pg://u:***@y"}'


def test_redact_url_accepts_any_object():
    assert redact_url(ValueError("Cannot open store mysql://r:pw@h")) == "Cannot open store mysql://r:***@h"


# --- console_text -------------------------------------------------------------------------------------------------


def rendered(markup: str) -> Text:
    """What a rich console shows for ``markup`` (markup on, as the CLI prints)."""
    return Text.from_markup(markup)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("[bold]shout[/bold]", "[bold]shout[/bold]"),
        ("[red]x", "[red]x"),
        ("[link=https://evil.example]click[/link]", "[link=https://evil.example]click[/link]"),
        ("a\\[b]", "a\\[b]"),  # a backslash before a tag stays a backslash, the tag stays text
        ("ends with a backslash \\", "ends with a backslash \\"),  # (doubled at the very end, as rich does)
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ANSI CSI
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "\\x1b]8;;https://evil.example\\x1b\\link"),
        ("\x9b31m", "\\x9b31m"),  # the one-byte C1 CSI
        ("tab\there\nnew\rline", "tab\\x09here\\x0anew\\x0dline"),
        ("bell\x07 del\x7f nul\x00", "bell\\x07 del\\x7f nul\\x00"),
        ("abc\u202edcba", "abc\\u202edcba"),  # a right-to-left override
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("plain label, ünïcödé ok 猫", "plain label, ünïcödé ok 猫"),
        (3.5, "3.5"),
        (None, "None"),
    ],
)
def test_console_text_is_shown_literally(value, shown):
    text = rendered(console_text(value))
    assert text.plain.startswith(shown)
    assert not text.spans  # no style was applied


def test_console_text_shows_literally_inside_our_own_markup():
    text = rendered(f"[bold]label:[/] {console_text('[/]x[i]y')} [dim]end[/dim]")
    assert text.plain == "label: [/]x[i]y end"


def test_console_text_prints_no_escape_sequence_to_a_terminal():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=500)
    console.print(console_text("\x1b[2J\x1b]0;title\x07[blink]x[/]"), highlight=False)
    assert "\x1b" not in buffer.getvalue()
    assert buffer.getvalue().strip() == "\\x1b[2J\\x1b]0;title\\x07[blink]x[/]"


def test_console_text_truncates_long_values_saying_how_much_was_left_out():
    value = "é" * 100_000
    text = console_text(value)
    assert text == "é" * MAX_CONSOLE_CHARS + "... (99,800 more characters)"
    assert console_text("x" * MAX_CONSOLE_CHARS) == "x" * MAX_CONSOLE_CHARS  # at the limit: whole
    assert console_text("abcdef", max_chars=2) == "ab... (4 more characters)"
    assert console_text("y" * 300, max_chars=None) == "y" * 300


def test_console_text_cuts_before_escaping():
    # 199 letters then controls: the cut counts characters of the value, not of the escaped text
    text = console_text("a" * 199 + "\x1b" * 10)
    assert text == "a" * 199 + "\\x1b" + "... (9 more characters)"


def test_console_text_without_markup_escaping_for_plain_output():
    assert console_text("[b]x\x1b", markup=False) == "[b]x\\x1b"


def test_console_message_keeps_lines_and_redacts():
    message = "2 problem(s):\n  - items.csv: label='[b]x\x1b'\nstore postgres://u:pw@h/db"
    shown = rendered(console_message(message))
    assert shown.plain == "2 problem(s):\n  - items.csv: label='[b]x\\x1b'\nstore postgres://u:***@h/db"
    assert not shown.spans


if given is not None:

    @given(st.text())
    def test_console_text_never_leaves_markup_or_controls(value):
        markup = console_text(value, max_chars=None)
        text = rendered(f"[bold]{markup}[/bold]")  # never a MarkupError, even with our own tags around it
        assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in "\u202e\u2066\u200b" for c in text.plain)
        assert [(s.start, s.end) for s in text.spans] == [(0, len(text.plain))]

    @given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
    def test_console_text_shows_printable_text_exactly(value):
        # between tags, as the CLI prints: a trailing backslash is doubled like rich.markup.escape does, so it
        # cannot escape the tag that follows
        assert rendered(f"[b]{console_text(value, max_chars=None)}[/b]").plain == value

    @given(
        st.text(
            alphabet=st.characters(blacklist_characters="/?#", blacklist_categories=("Cc", "Z", "Cs")),
            min_size=1,
        ),
        st.sampled_from(["postgres", "snowflake", "mysql+pymysql", "bigquery", "trino"]),
    )
    def test_redact_url_never_leaks_a_password(password, scheme):
        text = f"error: cannot open {scheme}://ana:{password}@host/db (check it)"
        assert redact_url(text) == f"error: cannot open {scheme}://ana:***@host/db (check it)"


# --- defuse_cell / defuse_frame -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-x", "'-x"),
        ("+", "'+"),
        ("-", "'-"),
        ("=", "'="),
        # numbers and phone-like ids stay intact
        ("-1", "-1"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("-1e5", "-1e5"),
        ("-.5", "-.5"),
        ("+49 151 2345678", "+49 151 2345678"),
        ("+1 (555) 010-9999", "+1 (555) 010-9999"),
        ("-1-2", "-1-2"),
        # not starting with a trigger: unchanged
        ("cat", "cat"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
        # not text: unchanged
        (-1, -1),
        (-0.5, -0.5),
        (None, None),
    ],
)
def test_defuse_cell(value, expected):
    assert defuse_cell(value) == expected


def test_defuse_cell_keeps_nan():
    assert np.isnan(defuse_cell(float("nan")))


def test_defuse_frame_touches_only_text_columns_and_copies():
    frame = pd.DataFrame(
        {
            "label": ["=cmd", "-1", "cat", None],
            "mixed": ["@x", -1, 2.5, "+49 151 2345678"],
            "n": [-1, 2, 3, 4],
            "x": [-0.5, 1.0, np.nan, 2.0],
            "s": pd.array(["=a", None, "b", "-c"], dtype="string"),
            "c": pd.Categorical(["=a", "b", "=a", "b"]),
            "when": pd.to_datetime(["2026-10-05"] * 4),
        }
    )
    before = frame.copy(deep=True)
    out = defuse_frame(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    assert out["label"].tolist() == ["'=cmd", "-1", "cat", None]
    assert out["mixed"].tolist() == ["'@x", -1, 2.5, "+49 151 2345678"]
    pd.testing.assert_series_equal(out["n"], frame["n"])
    pd.testing.assert_series_equal(out["x"], frame["x"])
    assert out["s"].dtype == "string" and out["s"].tolist() == ["'=a", pd.NA, "b", "'-c"]
    assert out["c"].tolist() == ["'=a", "b", "'=a", "b"]
    pd.testing.assert_series_equal(out["when"], frame["when"])


def test_defuse_frame_defuses_column_names_and_keeps_clean_frames_equal():
    out = defuse_frame(pd.DataFrame({"=evil()": ["a"], "ok": ["b"]}))
    assert list(out.columns) == ["'=evil()", "ok"]
    clean = pd.DataFrame({"item_id": ["it001", "it002"], "score": [0.1, -0.2]})
    pd.testing.assert_frame_equal(defuse_frame(clean), clean)


def test_defuse_frame_keeps_duplicate_column_names_and_index():
    frame = pd.DataFrame([["=a", "=b"]], columns=["v", "v"], index=[7])
    out = defuse_frame(frame)
    assert out.values.tolist() == [["'=a", "'=b"]] and list(out.index) == [7]
