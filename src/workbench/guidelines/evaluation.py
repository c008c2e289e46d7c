"""Conditions evaluated: compiled to an ibis boolean expression (run in the store) or evaluated over a pandas
frame, with the same answer (tested equal). A test on a missing value is unknown, as in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd

from ..errors import BadInputError
from .conditions import And, Condition, Contains, Function, InList, IsNull, Not, Operand, Or, Value

# -------------------------------------------------------------------------------------- column kinds

_Kind = Literal["text", "number", "bool", "other"]


def _ibis_kind(dtype: Any) -> _Kind:
    if dtype.is_string():
        return "text"
    if dtype.is_boolean():
        return "bool"
    if dtype.is_numeric():
        return "number"
    return "other"


def _pandas_kind(series: pd.Series) -> _Kind:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        values = series.dropna()
        if len(values) and values.map(lambda v: isinstance(v, bool)).all():
            return "bool"
        return "text"
    return "other"


def _check_column(name: str, columns: Iterable[str], where: str) -> None:
    columns = list(columns)
    if name not in columns:
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        raise BadInputError(
            f"{where}names column {name!r}, which the items do not have (columns: {shown}). "
            "Fix the condition in the guidelines or add the column to the items"
        )


def _operand_kind(operand: Operand, column_kind: _Kind, where: str) -> _Kind:
    if isinstance(operand, Function):
        if column_kind != "text":
            raise BadInputError(
                f"{where}applies {operand.name}() to column {operand.column.name!r}, which is not text. "
                f"Use {operand.name}() on text columns only"
            )
        return "number" if operand.name == "length" else "text"
    return column_kind


def _literal(value: Value, kind: _Kind, operand: Operand, where: str) -> Any:
    """The literal as the operand's kind: numbers compare with text columns as their written text."""
    v = value.value
    if kind == "text":
        return v if isinstance(v, str) else value.raw
    if kind == "number":
        if isinstance(v, bool) or isinstance(v, str):
            raise BadInputError(
                f"{where}compares the numeric {operand} with {value.raw!r}, which is not a number. "
                "Write a number, or name a text column"
            )
        return v
    if kind == "bool":
        if isinstance(v, bool):
            return v
        raise BadInputError(f"{where}compares the true/false column {operand} with {value.raw!r}. Write true or false")
    raise BadInputError(
        f"{where}compares {operand}, whose type conditions do not support (only text, numbers, true/false), "
        f"with {value.raw!r}"
    )


def _where(condition: Condition, label: str | None) -> str:
    return f"{label}: condition `{condition}` " if label else f"condition `{condition}` "


# ----------------------------------------------------------------------------------------------- ibis


def to_ibis(condition: Condition, table: Any, *, label: str | None = None) -> Any:
    """The condition as an ibis boolean expression over a table of items, with SQL null semantics.

    Parameters
    ----------
    condition : Condition
        A parsed condition (:func:`parse_condition`).
    table : ibis.Table
        The items (any backend).
    label : str, optional
        Where the condition comes from (e.g. ``"guidelines.md, line 12 (section four-vs-nine)"``), used in
        error messages.

    Returns
    -------
    ibis.expr.types.BooleanValue
        Null where the condition is unknown (a test on a missing value); use :func:`to_ibis_filter` to select.

    Raises
    ------
    BadInputError
        When the condition names a column the table lacks, or compares a column with a value of another type.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.table({"note": "string"}, name="items")
    >>> expr = to_ibis(parse_condition("length(note) > 40"), t)  # t.note.length() > 40
    """
    import ibis

    schema = table.schema()
    where = _where(condition, label)

    def operand_expr(operand: Operand) -> tuple[Any, _Kind]:
        name = operand.column.name if isinstance(operand, Function) else operand.name
        _check_column(name, schema.names, where)
        kind = _operand_kind(operand, _ibis_kind(schema[name]), where)
        col = table[name]
        if isinstance(operand, Function):
            col = col.length() if operand.name == "length" else col.lower()
        return col, kind

    def compile_(cond: Condition) -> Any:
        if isinstance(cond, And):
            out = compile_(cond.parts[0])
            for p in cond.parts[1:]:
                out = out & compile_(p)
            return out
        if isinstance(cond, Or):
            out = compile_(cond.parts[0])
            for p in cond.parts[1:]:
                out = out | compile_(p)
            return out
        if isinstance(cond, Not):
            return ~compile_(cond.part)
        col, kind = operand_expr(cond.operand)
        if isinstance(cond, IsNull):
            return col.notnull() if cond.negated else col.isnull()
        if isinstance(cond, InList):
            values = [_literal(v, kind, cond.operand, where) for v in cond.values]
            return col.notin(values) if cond.negated else col.isin(values)
        if isinstance(cond, Contains):
            if kind != "text":
                raise BadInputError(f"{where}uses `contains` on {cond.operand}, which is not text")
            hit = col.contains(_literal(cond.value, kind, cond.operand, where))
            return ~hit if cond.negated else hit
        value = ibis.literal(_literal(cond.value, kind, cond.operand, where))
        return {
            "=": col == value,
            "!=": col != value,
            "<": col < value,
            "<=": col <= value,
            ">": col > value,
            ">=": col >= value,
        }[cond.op]

    return compile_(condition)


def to_ibis_filter(condition: Condition, table: Any, *, label: str | None = None) -> Any:
    """The condition as an ibis boolean that is never null: true exactly for the items that match.

    ``table.filter(to_ibis_filter(cond, table))`` selects the items a section governs.
    """
    return to_ibis(condition, table, label=label).fill_null(False)


# --------------------------------------------------------------------------------------------- pandas


def _known(values: Any, missing: pd.Series) -> pd.Series:
    """A nullable boolean series: ``values`` where known, <NA> where ``missing``."""
    out = pd.Series(pd.array(values, dtype="boolean"), index=missing.index)
    out[missing.to_numpy()] = pd.NA
    return out


def evaluate(condition: Condition, frame: pd.DataFrame, *, label: str | None = None) -> pd.Series:
    """Evaluate a condition over a pandas frame of items, with the same answers as :func:`to_ibis`.

    Parameters
    ----------
    condition : Condition
        A parsed condition.
    frame : pandas.DataFrame
        One row per item; not modified.
    label : str, optional
        Where the condition comes from, for error messages.

    Returns
    -------
    pandas.Series
        Nullable booleans (``boolean`` dtype) aligned with ``frame.index``: <NA> where the condition is
        unknown, as SQL gives NULL. ``matches`` turns unknown into False.

    Examples
    --------
    >>> frame = pd.DataFrame({"device": ["phone", "scanner_a", None]})
    >>> evaluate(parse_condition("device = phone"), frame).tolist()
    [True, False, <NA>]
    """
    where = _where(condition, label)

    def operand_values(operand: Operand) -> tuple[pd.Series, _Kind]:
        name = operand.column.name if isinstance(operand, Function) else operand.name
        _check_column(name, [str(c) for c in frame.columns], where)
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(series.dtype.categories.dtype).astype(object).where(series.notna(), None)
        kind = _operand_kind(operand, _pandas_kind(series), where)
        if isinstance(operand, Function):
            text = series.astype(object).where(series.notna(), None)
            series = text.map(lambda v: None if v is None else (len(v) if operand.name == "length" else v.lower()))
        return series, kind

    def compare(series: pd.Series, op: str, value: Any, kind: _Kind) -> Any:
        present = series.notna()
        vals = series[present]
        if kind == "number":
            vals = vals.astype(float)
        result = pd.Series(False, index=series.index)
        if len(vals):
            result[present] = {
                "=": vals == value,
                "!=": vals != value,
                "<": vals < value,
                ">": vals > value,
                "<=": vals <= value,
                ">=": vals >= value,
            }[op].to_numpy(dtype=bool)
        return result.to_numpy()

    def eval_(cond: Condition) -> pd.Series:
        if isinstance(cond, And):
            out = eval_(cond.parts[0])
            for p in cond.parts[1:]:
                out = out & eval_(p)
            return out
        if isinstance(cond, Or):
            out = eval_(cond.parts[0])
            for p in cond.parts[1:]:
                out = out | eval_(p)
            return out
        if isinstance(cond, Not):
            return ~eval_(cond.part)
        series, kind = operand_values(cond.operand)
        missing = series.isna()
        if isinstance(cond, IsNull):
            values = missing.to_numpy() if not cond.negated else ~missing.to_numpy()
            return pd.Series(pd.array(values, dtype="boolean"), index=frame.index)
        if isinstance(cond, InList):
            values = [_literal(v, kind, cond.operand, where) for v in cond.values]
            if kind == "number":
                hit = series.astype(float).isin([float(v) for v in values]).to_numpy()
            else:
                hit = series.isin(values).to_numpy()
            return _known(~hit if cond.negated else hit, missing)
        if isinstance(cond, Contains):
            if kind != "text":
                raise BadInputError(f"{where}uses `contains` on {cond.operand}, which is not text")
            needle = _literal(cond.value, kind, cond.operand, where)
            hit = series.map(lambda v: False if v is None or v is pd.NA or v != v else needle in str(v)).to_numpy()
            return _known(~hit.astype(bool) if cond.negated else hit.astype(bool), missing)
        value = _literal(cond.value, kind, cond.operand, where)
        return _known(compare(series, cond.op, value, kind), missing)

    out = eval_(condition)
    out.name = None
    return out


def matches(condition: Condition, frame: pd.DataFrame, *, label: str | None = None) -> pd.Series:
    """Plain booleans: True exactly for the rows where the condition is true (unknown counts as False)."""
    return evaluate(condition, frame, label=label).fillna(False).astype(bool)
