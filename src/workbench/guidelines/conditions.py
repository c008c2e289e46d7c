"""Conditions on item columns: a small typed AST, its parser, an ibis compiler and a pandas evaluator.

A guideline section may say which items it governs with a condition such as ``device = phone``,
``source = synthetic and split in (train, eval)``, ``length(note) > 40`` or ``pixel_03 >= 0.5``.

Grammar (keywords are case-insensitive)::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" condition ")" | test
    test       := operand OP value
                | operand ["not"] "in" "(" value ("," value)* ")"
                | operand "is" ["not"] "null"
                | operand ["not"] "contains" value
    operand    := column | FUNCTION "(" column ")"        FUNCTION: length, lower
    OP         := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
    value      := number | 'quoted text' | "quoted text" | bare-word | true | false

Both :func:`to_ibis` and :func:`evaluate` follow SQL's three-valued logic: a test on a missing value
is unknown (null), ``not`` of unknown is unknown, ``and``/``or`` are Kleene's. An item *matches* a
condition only when the condition is true (:func:`matches`, :func:`to_ibis_filter`), so both give
the same items. ``NaN`` in a pandas frame counts as missing (``ibis.memtable`` stores it as NULL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Union

__all__ = [
    "And",
    "Column",
    "Compare",
    "Condition",
    "ConditionSyntaxError",
    "Contains",
    "Function",
    "InList",
    "IsNull",
    "Not",
    "Or",
    "Value",
    "columns_of",
    "parse_condition",
]

FUNCTIONS = ("length", "lower")
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
KEYWORDS = ("and", "or", "not", "in", "is", "null", "contains", "true", "false")


class ConditionSyntaxError(ValueError):
    """A condition that does not parse; ``token`` and ``position`` (0-based) say where."""

    def __init__(self, message: str, *, token: str, position: int) -> None:
        super().__init__(message)
        self.token = token
        self.position = position


# ----------------------------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Column:
    """An item column, e.g. ``device``."""

    name: str

    def __str__(self) -> str:
        return self.name

    def to_dict(self) -> dict:
        return {"column": self.name}


@dataclass(frozen=True)
class Function:
    """A function of one text column: ``length(note)`` (characters) or ``lower(device)``."""

    name: Literal["length", "lower"]
    column: Column

    def __str__(self) -> str:
        return f"{self.name}({self.column})"

    def to_dict(self) -> dict:
        return {"function": self.name, "column": self.column.name}


Operand = Union[Column, Function]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Value:
    """A literal: ``value`` is typed (str, int, float or bool); ``raw`` is the text as written.

    A number compared with a text column compares as its written text (``meta_batch = 7`` is ``'7'``).
    """

    value: str | int | float | bool
    raw: str

    def __str__(self) -> str:
        v = self.value
        if not isinstance(v, str):
            return self.raw
        if _BARE.fullmatch(v) and v.lower() not in KEYWORDS and not _NUMBER.fullmatch(v):
            return v
        quote = "'" if "'" not in v else '"'
        return f"{quote}{v}{quote}"

    def to_dict(self) -> dict:
        return {"value": self.value}


@dataclass(frozen=True)
class Compare:
    """``operand OP value`` with OP one of ``= != < <= > >=``."""

    operand: Operand
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Value

    def __str__(self) -> str:
        return f"{self.operand} {self.op} {self.value}"

    def to_dict(self) -> dict:
        return {"type": "compare", "operand": self.operand.to_dict(), "op": self.op, "value": self.value.value}


@dataclass(frozen=True)
class InList:
    """``operand in (v1, v2, ...)``, or ``not in`` when ``negated``."""

    operand: Operand
    values: tuple[Value, ...]
    negated: bool = False

    def __str__(self) -> str:
        inner = ", ".join(str(v) for v in self.values)
        return f"{self.operand} {'not in' if self.negated else 'in'} ({inner})"

    def to_dict(self) -> dict:
        return {
            "type": "in",
            "operand": self.operand.to_dict(),
            "values": [v.value for v in self.values],
            "negated": self.negated,
        }


@dataclass(frozen=True)
class IsNull:
    """``operand is null``, or ``is not null`` when ``negated``; never unknown."""

    operand: Operand
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.operand} is {'not null' if self.negated else 'null'}"

    def to_dict(self) -> dict:
        return {"type": "is_null", "operand": self.operand.to_dict(), "negated": self.negated}


@dataclass(frozen=True)
class Contains:
    """``operand contains value``: the text holds the value as a substring (case-sensitive)."""

    operand: Operand
    value: Value
    negated: bool = False

    def __str__(self) -> str:
        return f"{self.operand} {'not contains' if self.negated else 'contains'} {self.value}"

    def to_dict(self) -> dict:
        return {
            "type": "contains",
            "operand": self.operand.to_dict(),
            "value": self.value.value,
            "negated": self.negated,
        }


@dataclass(frozen=True)
class Not:
    """``not part``."""

    part: Condition

    def __str__(self) -> str:
        return f"not {_wrapped(self.part)}"

    def to_dict(self) -> dict:
        return {"type": "not", "part": self.part.to_dict()}


@dataclass(frozen=True)
class And:
    """All parts hold."""

    parts: tuple[Condition, ...]

    def __str__(self) -> str:
        return " and ".join(_wrapped(p) if isinstance(p, Or) else str(p) for p in self.parts)

    def to_dict(self) -> dict:
        return {"type": "and", "parts": [p.to_dict() for p in self.parts]}


@dataclass(frozen=True)
class Or:
    """At least one part holds."""

    parts: tuple[Condition, ...]

    def __str__(self) -> str:
        return " or ".join(str(p) for p in self.parts)

    def to_dict(self) -> dict:
        return {"type": "or", "parts": [p.to_dict() for p in self.parts]}


Condition = Union[Compare, InList, IsNull, Contains, Not, And, Or]  # noqa: UP007 (a runtime alias)


def _wrapped(cond: Condition) -> str:
    return f"({cond})" if isinstance(cond, And | Or) else str(cond)


def columns_of(condition: Condition) -> set[str]:
    """The item columns a condition reads.

    Examples
    --------
    >>> sorted(columns_of(parse_condition("device = phone and length(note) > 5")))
    ['device', 'note']
    """
    if isinstance(condition, And | Or):
        return set().union(*(columns_of(p) for p in condition.parts))
    if isinstance(condition, Not):
        return columns_of(condition.part)
    operand = condition.operand
    return {operand.column.name if isinstance(operand, Function) else operand.name}


# -------------------------------------------------------------------------------------------- parser

_BARE = re.compile(r"[A-Za-z0-9_.\-+]+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<quoted>'[^']*'|"[^"]*")
      | (?P<op>==|!=|<=|>=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z0-9_.\-+]+)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # quoted, op, punct, word, end
    text: str
    position: int

    @property
    def keyword(self) -> str | None:
        return self.text.lower() if self.kind == "word" and self.text.lower() in KEYWORDS else None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern always matches a non-space character
            break
        kind = m.lastgroup or "bad"
        start = m.start(kind)
        tok = m.group(kind)
        if kind == "bad":
            if tok in "'\"":
                raise ConditionSyntaxError(
                    f"the quote {tok} at character {start + 1} is never closed", token=text[start:], position=start
                )
            raise ConditionSyntaxError(f"unexpected character {tok!r}", token=tok, position=start)
        if kind == "op" and tok == "<>":
            tok = "!="
        tokens.append(_Token(kind, "=" if tok == "==" else tok, start))
        pos = m.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, expected: str) -> ConditionSyntaxError:
        tok = self.tok
        shown = "the end of the condition" if tok.kind == "end" else f"{tok.text!r} (character {tok.position + 1})"
        return ConditionSyntaxError(
            f"expected {expected} but found {shown}", token=tok.text or "<end>", position=tok.position
        )

    def take(self) -> _Token:
        tok = self.tok
        self.i += 1
        return tok

    def at_keyword(self, *words: str) -> bool:
        return self.tok.keyword in words

    def parse(self) -> Condition:
        if self.tok.kind == "end":
            raise self.fail("a condition such as `device = phone`")
        cond = self.parse_or()
        if self.tok.kind != "end":
            raise self.fail("`and`, `or` or the end of the condition")
        return cond

    def parse_or(self) -> Condition:
        parts = [self.parse_and()]
        while self.at_keyword("or"):
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Condition:
        parts = [self.parse_not()]
        while self.at_keyword("and"):
            self.take()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_not(self) -> Condition:
        if self.at_keyword("not"):
            self.take()
            return Not(self.parse_not())
        if self.tok.kind == "punct" and self.tok.text == "(":
            self.take()
            cond = self.parse_or()
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                raise self.fail("`)`")
            self.take()
            return cond
        return self.parse_test()

    def parse_operand(self) -> Operand:
        tok = self.tok
        if tok.kind != "word" or tok.keyword or not _COLUMN.fullmatch(tok.text):
            raise self.fail("a column name (letters, digits, underscores) or length(column)")
        self.take()
        if self.tok.kind == "punct" and self.tok.text == "(":
            if tok.text.lower() not in FUNCTIONS:
                raise ConditionSyntaxError(
                    f"unknown function {tok.text!r} (character {tok.position + 1}); known: {', '.join(FUNCTIONS)}",
                    token=tok.text,
                    position=tok.position,
                )
            self.take()
            inner = self.tok
            if inner.kind != "word" or inner.keyword or not _COLUMN.fullmatch(inner.text):
                raise self.fail(f"a column name inside {tok.text.lower()}( )")
            self.take()
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                raise self.fail("`)`")
            self.take()
            return Function(tok.text.lower(), Column(inner.text))  # type: ignore[arg-type]
        return Column(tok.text)

    def parse_value(self) -> Value:
        tok = self.tok
        if tok.kind == "quoted":
            self.take()
            return Value(tok.text[1:-1], tok.text)
        if tok.kind == "word" and tok.keyword in ("true", "false"):
            self.take()
            return Value(tok.keyword == "true", tok.text)
        if tok.kind == "word" and not tok.keyword:
            self.take()
            if _INT.fullmatch(tok.text):
                return Value(int(tok.text), tok.text)
            if _NUMBER.fullmatch(tok.text):
                return Value(float(tok.text), tok.text)
            return Value(tok.text, tok.text)
        raise self.fail("a value (a number, a word or 'quoted text')")

    def parse_test(self) -> Condition:
        operand = self.parse_operand()
        tok = self.tok
        if tok.kind == "op":
            self.take()
            return Compare(operand, tok.text, self.parse_value())  # type: ignore[arg-type]
        negated = False
        if self.at_keyword("is"):
            self.take()
            if self.at_keyword("not"):
                self.take()
                negated = True
            if not self.at_keyword("null"):
                raise self.fail("`null` after `is`" + (" not" if negated else ""))
            self.take()
            return IsNull(operand, negated)
        if self.at_keyword("not"):
            self.take()
            negated = True
            if not self.at_keyword("in", "contains"):
                raise self.fail("`in` or `contains` after `not`")
        if self.at_keyword("contains"):
            self.take()
            return Contains(operand, self.parse_value(), negated)
        if self.at_keyword("in"):
            self.take()
            if not (self.tok.kind == "punct" and self.tok.text == "("):
                raise self.fail("`(` to open the list after `in`")
            self.take()
            values = [self.parse_value()]
            while self.tok.kind == "punct" and self.tok.text == ",":
                self.take()
                values.append(self.parse_value())
            if not (self.tok.kind == "punct" and self.tok.text == ")"):
                raise self.fail("`,` or `)` in the list of values")
            self.take()
            return InList(operand, tuple(values), negated)
        raise self.fail(f"a comparison (=, !=, <, <=, >, >=, in, is null, contains) after {operand}")


def parse_condition(text: str) -> Condition:
    """Parse a condition such as ``split in (train, eval) and length(note) > 40``.

    Parameters
    ----------
    text : str
        The condition as written (surrounding backticks are ignored).

    Returns
    -------
    Condition
        The typed tree (:class:`Compare`, :class:`InList`, :class:`IsNull`, :class:`Contains`,
        :class:`Not`, :class:`And`, :class:`Or`); ``str()`` of it gives a canonical spelling.

    Raises
    ------
    ConditionSyntaxError
        Naming the token that could not be read and its position; the guidelines parser turns it
        into a :class:`~workbench.errors.BadInputError` with the file and line.

    Examples
    --------
    >>> parse_condition("device = phone")
    Compare(operand=Column(name='device'), op='=', value=Value(value='phone', raw='phone'))
    >>> str(parse_condition("SOURCE = synthetic AND (split = train OR split = eval)"))
    'SOURCE = synthetic and (split = train or split = eval)'
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        text = text[1:-1].strip()
    return _Parser(text).parse()
