"""Items and their features, and the one rule that decides each feature's kind.

Column kinds
------------
Every capability (the feature matrix, drift, and what comes later) treats a
feature column as ``numeric``, ``categorical`` or ``text`` by the same rule,
which equals Evidently 0.7's ``infer_column_type`` so that our drift verdicts
match Evidently's:

* float: numeric;
* integer: categorical when it has at most 10 distinct values, else numeric;
* string: text only when its distinct values exceed half of its non-null
  rows, otherwise categorical (short multi-word values such as
  ``20K - 40K €`` or ``New York`` are categorical);
* bool: categorical;
* anything else (timestamps, lists) is not a feature for these capabilities.

The counts are computed in the store over the whole items table (one
aggregation), so the kinds do not depend on which window is looked at.
Override per column in ``workbench.toml``::

    [features]
    kinds = { note = "text", zip_code = "categorical" }

(``[drift] text_columns = [...]``, ``categorical_columns`` and
``numeric_columns`` are read too.) Our own code rather than Evidently's
function: Evidently's needs the column in memory as pandas; this is the same
rule as an ibis aggregation, so it runs on any backend at any size.
"""

from __future__ import annotations

import ibis
import pandas as pd

from ..config import load_config
from ..contract import feature_columns
from ..errors import BadInputError

NUMERIC, CATEGORICAL, TEXT = "numeric", "categorical", "text"
KINDS = (NUMERIC, CATEGORICAL, TEXT)
INTEGER_CARDINALITY_LIMIT = 10  # Evidently's limit for integer columns to count as categorical


def read_items(store, *, item_ids=None, columns: list[str] | None = None, as_of=None) -> pd.DataFrame:
    """``item_id`` plus feature columns (or ``columns``) of the store's items, as pandas.

    ``item_ids`` restricts the rows (a list, array or an ibis column expression).
    """
    t = store.data("items", as_of=as_of)
    cols = ["item_id", *(feature_columns(t.columns) if columns is None else [c for c in columns if c != "item_id"])]
    t = t.select(*cols)
    if item_ids is not None:
        t = t.filter(t.item_id.isin(list(item_ids)))
    return t.execute()


def configured_kinds(config: dict | None = None) -> dict[str, str]:
    """Per-column kind overrides from ``[features] kinds`` (and the ``[drift] *_columns`` lists)."""
    config = load_config() if config is None else config
    forced: dict[str, str] = {}
    drift = config.get("drift", {}) or {}
    for kind in KINDS:
        for c in drift.get(f"{kind}_columns", []) or []:
            forced[str(c)] = kind
    table = (config.get("features", {}) or {}).get("kinds", {}) or {}
    if not isinstance(table, dict):
        raise BadInputError(
            f'workbench.toml: [features] kinds must be a table such as {{ note = "text" }}; got {table!r}.'
        )
    for c, kind in table.items():
        if kind not in (*KINDS, "drop"):
            raise BadInputError(
                f"workbench.toml: [features] kinds.{c} = {kind!r} is not one of {', '.join(KINDS)} or 'drop'."
            )
        forced[str(c)] = kind
    return forced


def kind_of(dtype, *, distinct: int | None = None, count: int | None = None) -> str | None:
    """The kind of a column of ibis type ``dtype`` with ``distinct`` values among ``count`` non-null rows."""
    if dtype.is_boolean():
        return CATEGORICAL
    if dtype.is_floating() or dtype.is_decimal():
        return NUMERIC
    if dtype.is_integer():
        return CATEGORICAL if (distinct or 0) <= INTEGER_CARDINALITY_LIMIT else NUMERIC
    if dtype.is_string():
        return TEXT if (distinct or 0) > 0.5 * (count or 0) else CATEGORICAL
    return None


def table_kinds(table: ibis.Table, columns: list[str], *, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """:func:`kind_of` every column of an ibis table, counted in one query; ``overrides`` win."""
    overrides = overrides or {}
    schema = table.schema()
    counted = [c for c in columns if c not in overrides and (schema[c].is_integer() or schema[c].is_string())]
    stats: dict = {}
    if counted:
        aggs = {}
        for i, c in enumerate(counted):
            aggs[f"d{i}"] = table[c].nunique()
            aggs[f"n{i}"] = table[c].count()
        row = table.aggregate(**aggs).execute().iloc[0]
        stats = {c: (int(row[f"d{i}"]), int(row[f"n{i}"])) for i, c in enumerate(counted)}
    kinds: dict[str, str] = {}
    for c in columns:
        if c in overrides:
            if overrides[c] != "drop":
                kinds[c] = overrides[c]
            continue
        d, n = stats.get(c, (None, None))
        kind = kind_of(schema[c], distinct=d, count=n)
        if kind is not None:
            kinds[c] = kind
    return kinds


def column_kinds(
    store, columns: list[str] | None = None, *, overrides: dict[str, str] | None = None, as_of=None
) -> dict[str, str]:
    """The kind of each feature column of the store's items (module docstring), overrides applied.

    ``overrides`` default to the configuration's (:func:`configured_kinds`).
    """
    items = store.data("items", as_of=as_of)
    features = feature_columns(items.columns)
    if columns:
        unknown = [c for c in columns if c not in items.columns]
        if unknown:
            raise BadInputError(
                f"--columns: the items table has no column(s) {', '.join(unknown)}. "
                f"Features are: {', '.join(features)}."
            )
        features = list(columns)
    overrides = configured_kinds() if overrides is None else overrides
    # A configured column absent from this store is ignored: one configuration may serve several stores.
    return table_kinds(items, features, overrides={c: k for c, k in overrides.items() if c in features})


def frame_kinds(frame: pd.DataFrame, columns: list[str] | None = None, *, overrides=None) -> dict[str, str]:
    """:func:`column_kinds` of an in-memory items frame (same rule, through an in-memory ibis table)."""
    cols = feature_columns(frame.columns) if columns is None else list(columns)
    if not cols:
        return {}
    return table_kinds(ibis.memtable(frame[cols]), cols, overrides=overrides)
