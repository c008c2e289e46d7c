"""The result contract every capability's result object follows.

A result (label quality, dataset issues, consensus, annotator report,
agreement, drift, overview) is a frozen dataclass with:

* ``to_frame()``: a pandas frame keyed by ``item_id``, or by the key its
  docstring names (``annotator_id``, ``column``, ...), one row per key;
* ``to_dict()``: JSON-safe (no NaN, no numpy scalars, timestamps as ISO
  text), built on :func:`json_safe`, with the parameters used;
* ``summary_lines()``: the sentences the CLI, the report and the notebooks
  print.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd


def json_safe(obj: Any) -> Any:
    """``obj`` as plain JSON values, ready for ``json.dumps(..., allow_nan=False)``.

    * ``None``, ``bool``, ``int``, ``str`` stay; a float stays unless it is NaN or infinite (then ``None``).
    * numpy scalars become Python ones (``np.int64(3)`` -> ``3``, ``np.float64("nan")`` -> ``None``,
      ``np.bool_`` -> ``bool``); ``decimal.Decimal`` a float.
    * ``pandas.Timestamp``, ``datetime``, ``date``, ``time`` and ``numpy.datetime64`` become ISO 8601 strings
      (``"2026-10-05T09:12:00"``; an aware timestamp keeps its offset); ``Timedelta`` / ``timedelta`` seconds as
      a float; ``NaT``, ``pd.NA`` and ``None`` become ``None``.
    * mappings become dicts with string keys (``1`` -> ``"1"``, ``None`` -> ``"null"``); lists, tuples, sets
      (sorted when possible), numpy arrays and pandas Series become lists; a DataFrame a list of row records.
    * objects with a ``to_dict()`` method (the workbench's results) and dataclasses become their dicts;
      ``Path`` and enum members their string and value; anything else its ``str``.

    Parameters
    ----------
    obj : object

    Returns
    -------
    object
        Made of ``dict``, ``list``, ``str``, ``int``, ``float`` (finite), ``bool`` and ``None`` only.

    Examples
    --------
    >>> json_safe({"alpha": np.float64(0.5), "nan": np.nan, "at": pd.Timestamp("2026-10-05 09:12"), 1: [np.int8(2)]})
    {'alpha': 0.5, 'nan': None, 'at': '2026-10-05T09:12:00', '1': [2]}
    """
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, enum.Enum):  # before str and int: a StrEnum member is a str
        return json_safe(obj.value)
    if isinstance(obj, str):
        return str(obj)  # also numpy.str_
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, np.datetime64 | np.timedelta64):
        if np.isnat(obj):
            return None
        obj = pd.Timestamp(obj) if isinstance(obj, np.datetime64) else pd.Timedelta(obj)
    elif isinstance(obj, np.generic):
        obj = obj.item()
        if isinstance(obj, bytes | complex):
            return str(obj)
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, decimal.Decimal):
        return float(obj) if obj.is_finite() else None
    if isinstance(obj, dt.timedelta):  # pandas.Timedelta too
        return obj.total_seconds()
    if isinstance(obj, dt.datetime | dt.date | dt.time):  # pandas.Timestamp too
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return {_json_key(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [json_safe(dict(zip(obj.columns, row, strict=True))) for row in obj.itertuples(index=False)]
    if isinstance(obj, pd.Series | pd.Index):
        return [json_safe(v) for v in obj.tolist()]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "biuf":
            return json_safe(obj.tolist())  # fast path: Python numbers
        return [json_safe(v) for v in obj]
    if isinstance(obj, set | frozenset):
        items = [json_safe(v) for v in obj]
        with contextlib.suppress(TypeError):
            items.sort()
        return items
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, PurePath):
        return str(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return json_safe(to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return json_safe({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    return str(obj)


def _json_key(key: Any) -> str:
    key = json_safe(key)
    if isinstance(key, str):
        return key
    return json.dumps(key)  # 1 -> "1", None -> "null", True -> "true", 0.5 -> "0.5"


# --- errors -------------------------------------------------------------------------------------------------------
