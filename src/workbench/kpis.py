"""KPI history: each report run stores its week's headline numbers, so deltas and trends need no recomputation.

Table ``wb_kpi_history``: ``week`` (``YYYY-Www``), ``section``, ``key``, ``value`` (float; booleans as 0/1),
``recorded_at``. Re-running a week replaces its rows. Our own code: a small table in the store, read and
written through ibis like every other ``wb_`` table.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd

HISTORY_TABLE = "wb_kpi_history"
COLUMNS = ["week", "section", "key", "value", "recorded_at"]


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) else None
    try:  # numpy scalars
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def kpi_rows(week: str, kpis_by_section: dict[str, dict]) -> pd.DataFrame:
    """The numeric KPIs of a report run as history rows (text KPIs such as a class name are not kept)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for section, kpis in kpis_by_section.items():
        for key, value in kpis.items():
            number = _number(value)
            if number is not None:
                rows.append({"week": week, "section": section, "key": key, "value": number, "recorded_at": now})
    return pd.DataFrame(rows, columns=COLUMNS)


def record_kpis(store, week: str, kpis_by_section: dict[str, dict]) -> int:
    """Store the week's KPIs, replacing what an earlier run of the same week stored. Returns the row count."""
    frame = kpi_rows(week, kpis_by_section)
    if frame.empty:
        return 0
    with store.transaction():
        store.write_table(HISTORY_TABLE, frame, replace_where={"week": week})
    return len(frame)


def load_kpis(store) -> pd.DataFrame:
    """Every stored KPI row (empty, with the columns, when nothing was recorded yet)."""
    if not store.has(HISTORY_TABLE):
        return pd.DataFrame(columns=COLUMNS)
    return store.table(HISTORY_TABLE).execute()
