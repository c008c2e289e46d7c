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

import math
from datetime import date, datetime
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd


def json_safe(value):
    """``value`` with every part made JSON-safe: NaN and infinities become None, numpy scalars Python ones,
    timestamps ISO text, frames lists of records, tuples and sets lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_safe(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is pd.NaT or (not isinstance(value, list | dict) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if hasattr(value, "to_dict"):
        return json_safe(value.to_dict())
    return str(value)
