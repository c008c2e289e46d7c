"""Making text safe to show and to hand over: secrets redacted, terminals and spreadsheets left inert.

Three concerns, one function each, used everywhere the workbench shows or writes text it did not make itself:

:func:`redact_url`
    Passwords and tokens of connection URLs become ``***`` wherever they appear inside a text (messages, logs,
    reports, JSON, notebooks): ``postgres://user:***@host/db``, ``...?password=***``.
:func:`console_text`
    A data value made inert for a terminal: no rich markup, control characters and escape sequences shown
    escaped (``\\x1b``), long values truncated with a marker saying how much was left out.
:func:`defuse_cell` / :func:`defuse_frame`
    The OWASP CSV-injection rule for CSV files meant for people: a text cell a spreadsheet would run as a
    formula gets a leading single quote.

Examples
--------
>>> redact_url("Cannot open store postgres://ana:s3cret@db.example.com/labels")
'Cannot open store postgres://ana:***@db.example.com/labels'
>>> console_text("\\x1b[31mred[/]")
'\\\\x1b[31mred\\\\[/]'
>>> defuse_cell("=HYPERLINK(\\"http://x\\")"), defuse_cell("-0.5"), defuse_cell("+49 151 2345678")
('\\'=HYPERLINK("http://x")', '-0.5', '+49 151 2345678')
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "MAX_CONSOLE_CHARS",
    "REDACTED",
    "console_message",
    "console_text",
    "defuse_cell",
    "defuse_frame",
    "redact_url",
]

REDACTED = "***"
"""What a redacted secret is replaced with."""

MAX_CONSOLE_CHARS = 200
"""Values longer than this are truncated by :func:`console_text`."""

# --- redact_url ---------------------------------------------------------------------------------------------------

# ``scheme://user:password@host``. The password runs to the *last* ``@`` of the authority (as in
# ``urllib.parse.urlsplit``), so an unencoded ``@`` in a password is still redacted whole; the authority ends at
# whitespace or ``/ ? #``. Quotes and backslashes count as part of a password: when in doubt, more is redacted.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^\s/?#:]*:)(?P<secret>[^\s/?#]+)(?=@)")
# Parameter names whose value is a secret: the name *ends* with one of these (``password``, ``db_password``,
# ``refresh_token``, ``aws_secret_access_key``), so ``tokenizer=`` or ``token_type=`` are left alone; ``pass``
# and ``sig`` only as the whole name (not ``bypass=``).
_SECRET_NAME = (
    r"(?:[A-Za-z0-9_.\-]{0,64}?(?:password|passwd|pwd|token|secret|api[_\-]?key|apikey|access[_\-]?key|"
    r"private[_\-]?key|credentials?|signature)|pass|sig)"
)
# ``?password=...``, ``&token=...`` in URLs, and ``password=...`` keywords of connection strings
# (``host=db password=s3cret``, ``UID=ana;PWD=s3cret``). A value in single quotes (libpq) is redacted whole.
_PARAMETER = re.compile(
    r"(?P<head>(?:^|(?<=[?&;\s,(]))" + _SECRET_NAME + r"\s*=\s*)"
    r"(?P<secret>'[^'\n]*'|[^&#;\s]+)",
    re.IGNORECASE,
)


def _redact(match: re.Match[str]) -> str:
    return match.group("head") + REDACTED


def redact_url(text: str) -> str:
    """``text`` with the secrets of every connection URL in it replaced by ``***``.

    One function for every place the workbench shows or writes text that may hold a store URL: error messages,
    logs, report pages, JSON files and notebooks. What is redacted:

    * the password of ``scheme://user:password@host`` for any scheme (``postgres://``, ``snowflake://``,
      ``mysql+pymysql://``, ``bigquery://``, ``redis://:password@host``...);
    * the value of query parameters and connection-string keywords whose name ends in ``password``, ``passwd``,
      ``pwd``, ``token``, ``secret``, ``api_key`` / ``apikey``, ``access_key``, ``private_key``,
      ``credential(s)`` or ``signature``, or is ``pass`` or ``sig`` (``?password=``, ``&pwd=``,
      ``&auth_token=``, ``X-Amz-Signature=``, ``host=db password=...``, ``UID=ana;PWD=...``),
      case-insensitively; a single-quoted value (``password='a b'``) is redacted whole.

    File paths, user names, hosts and URLs without secrets are returned unchanged, as is an empty password.
    When in doubt more is redacted, never less: a password holding quotes or backslashes is redacted whole,
    and a URL without a path followed directly by more text with an ``@`` (``"pg://u:pw@h","to":"a@b"``)
    is redacted up to that ``@``. So redact each string of a structure before serialising it (as
    :func:`workbench.outputs.write_json` does), not JSON text.

    Parameters
    ----------
    text : str
        Any text (other objects are converted with ``str``).

    Returns
    -------
    str
        The text with each secret replaced by :data:`REDACTED`.

    Examples
    --------
    >>> redact_url("snowflake://ana:pw@acct/db/schema?warehouse=wh&token=abc")
    'snowflake://ana:***@acct/db/schema?warehouse=wh&token=***'
    >>> redact_url("data/workbench.duckdb")
    'data/workbench.duckdb'
    """
    if not isinstance(text, str):
        text = str(text)
    if "://" in text:
        text = _USERINFO.sub(_redact, text)
    if "=" in text:
        text = _PARAMETER.sub(_redact, text)
    return text


# --- console_text -------------------------------------------------------------------------------------------------

# C0 controls (all of them: a newline or tab inside a value would break a table row), DEL, C1 controls (0x9b is a
# one-byte CSI), and the Unicode format characters that reorder or hide text (bidi overrides and isolates, line
# and paragraph separators, zero-width characters). Escaping ESC and 0x9b is what makes ANSI CSI and OSC-8
# sequences inert: the rest of such a sequence is ordinary text.
_CONTROL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_FORMAT = [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, *range(0x2028, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
_ESCAPES = {c: f"\\x{c:02x}" for c in _CONTROL} | {c: f"\\u{c:04x}" for c in _FORMAT}
# What rich reads as markup: ``[`` followed by a tag-like start, up to ``]`` (rich.markup.RE_TAGS), and a
# backslash that would escape the next tag. Same rule as ``rich.markup.escape``, without importing rich here.
_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _escape_markup(text: str) -> str:
    text = _RICH_TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        text += "\\"
    return text


def console_text(value: Any, *, max_chars: int | None = MAX_CONSOLE_CHARS, markup: bool = True) -> str:
    """A data value as inert text for a terminal.

    * Rich markup is escaped (``[bold]`` is shown, not applied), the way ``rich.markup.escape`` does it.
    * Control characters are shown escaped: every C0 character (``\\n``, ``\\t`` included), DEL and C1
      (``\\x1b``, ``\\x9b``), so ANSI colour (CSI) and hyperlink (OSC-8) sequences do nothing; Unicode
      direction overrides, isolates and zero-width characters are shown as ``\\u202e`` and the like.
    * A value over ``max_chars`` characters is cut there, followed by ``... (N more characters)``; it is cut
      before anything else, so a 100,000-character label costs no more than a short one.

    Parameters
    ----------
    value : object
        The value to show; anything but a string is converted with ``str``.
    max_chars : int or None, default 200
        Characters kept from the value (``None`` keeps all).
    markup : bool, default True
        Escape rich markup, for text printed by a rich ``Console`` with markup on (the CLI's consoles). Pass
        ``False`` for plain output (``typer.echo``, logs), where a backslash before ``[`` would show.

    Returns
    -------
    str

    Examples
    --------
    >>> console_text("a\\nb[red]c")
    'a\\\\x0ab\\\\[red]c'
    >>> console_text("x" * 250)[-27:]
    'xxx... (50 more characters)'
    """
    text = value if isinstance(value, str) else str(value)
    left_out = 0
    if max_chars is not None and len(text) > max_chars:
        left_out = len(text) - max_chars
        text = text[:max_chars]
    text = text.translate(_ESCAPES)
    if left_out:
        text += f"... ({left_out:,} more characters)"
    return _escape_markup(text) if markup else text


def console_message(text: str, *, markup: bool = True) -> str:
    """A whole message (for example an error paragraph naming data values) made safe for a terminal.

    Like :func:`console_text` but for text that the workbench wrote around data: the secrets of URLs are
    redacted (:func:`redact_url`), newlines are kept (a message may have several lines), nothing is truncated;
    other control characters and rich markup are escaped.

    Parameters
    ----------
    text : str
        The message.
    markup : bool, default True
        Escape rich markup (see :func:`console_text`).

    Returns
    -------
    str

    Examples
    --------
    >>> console_message("2 problems:\\n  - label='[b]x\\x1b'")
    "2 problems:\\n  - label='\\\\[b]x\\\\x1b'"
    """
    lines = redact_url(text).split("\n")
    return "\n".join(console_text(line, max_chars=None, markup=markup) for line in lines)


# --- defuse_cell / defuse_frame -----------------------------------------------------------------------------------

_FORMULA_START = frozenset("=+-@\t\r")
# A number as a spreadsheet reads it: -1, -0.5, +1e5, .5
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# A phone number or signed id: a sign, a digit, then only digits, spaces, signs, parentheses and dots
# (+49 151 2345678, -1 (555) 010-999). Without letters, ``@``, ``!``, ``|``, ``:`` or ``=``, a spreadsheet can at
# most compute arithmetic from it: it cannot call a function, reach a file or run a command.
_SIGNED_DIGITS = re.compile(r"[+-]\d[\d +\-().]*")


def defuse_cell(value: Any) -> Any:
    """One cell of a CSV meant for people, safe to open in a spreadsheet (OWASP CSV injection).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single
    quote ``'``, so spreadsheets show it as text instead of running it as a formula, unless it is

    * a number (``-1``, ``-0.5``, ``+1e5``), or
    * a sign followed by a digit and then only digits, spaces, ``+``, ``-``, ``(``, ``)`` and ``.``
      (``+49 151 2345678``): ids and phone numbers stay intact, and without letters or ``@ ! | : =`` such a
      cell cannot call a function, reach a file or run a command.

    Anything that is not a string (numbers, missing values, timestamps) is returned unchanged.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        ``value``, or ``"'" + value`` for a text cell that would be read as a formula.

    Examples
    --------
    >>> [defuse_cell(v) for v in ["=1+1", "@SUM(A1)", "-1", "+49 151 2345678", "-x", 3]]
    ["'=1+1", "'@SUM(A1)", '-1', '+49 151 2345678', "'-x", 3]
    """
    if not isinstance(value, str) or not value or value[0] not in _FORMULA_START:
        return value
    if _NUMBER.fullmatch(value) or _SIGNED_DIGITS.fullmatch(value):
        return value
    return "'" + value


def _is_text_column(values: pd.Series) -> bool:
    dtype = values.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.StringDtype | pd.CategoricalDtype)
        or str(dtype).startswith("string")
    )


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`defuse_cell` applied to its text columns and column names.

    Only object, string and categorical columns are touched (numbers stay numbers, in numeric columns and as
    numbers inside object columns); a categorical column holding a defused value becomes an object column. The
    column names are defused too, since a spreadsheet reads the header row like any other. ``frame`` is not
    changed.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> defuse_frame(pd.DataFrame({"label": ["=cmd|' /C calc'!A0", "-1"], "n": [-1, 2]}))["label"].tolist()
    ["'=cmd|' /C calc'!A0", '-1']
    """
    out = frame.copy()
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not _is_text_column(values):
            continue
        raw = values.to_numpy(dtype=object)
        # Only cells starting with a trigger character need a look (usually none), so this stays a fast scan.
        hits = [i for i, v in enumerate(raw) if isinstance(v, str) and v[:1] in _FORMULA_START]
        changed = [i for i in hits if defuse_cell(raw[i]) is not raw[i]]
        if not changed:
            continue
        raw = raw.copy()  # to_numpy may return a view of the input's own array
        for i in changed:
            raw[i] = defuse_cell(raw[i])
        dtype = values.dtype if isinstance(values.dtype, pd.StringDtype) else object
        out.isetitem(position, pd.Series(raw, index=frame.index, dtype=dtype))
    names = [defuse_cell(c) for c in frame.columns]
    if any(new is not old for new, old in zip(names, frame.columns, strict=True)):
        out.columns = pd.Index(names, name=frame.columns.name)
    return out


def restore_cell(value: Any) -> Any:
    """The value :func:`defuse_cell` was given, from what it returned (for CSVs the workbench reads back).

    >>> [restore_cell(defuse_cell(v)) for v in ["=1+1", "-1", "'quoted", "plain"]]
    ['=1+1', '-1', "'quoted", 'plain']
    """
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and defuse_cell(value[1:]) == value:
        return value[1:]
    return value
