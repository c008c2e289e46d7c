"""Drift: have the inputs (and the labels and predictions) moved away from a reference window?

A *window* selects items: a date range on ``items.created_at``
(``2026-09-01..2026-09-30`` means 2026-09-01 <= created_at < 2026-10-01; either
end may be left open, and ISO weeks such as ``2026-W46`` or
``2026-W40..2026-W41`` work too) or a filter on an items column
(``split=train``, ``source=synthetic``).

:func:`compute_drift` compares a current window with a reference window,
feature by feature (numeric, categorical and free text), with Evidently's
method choice and thresholds; the statistics are computed in the store, so
windows of millions of rows stay cheap. The share of drifted *input features*
decides the dataset verdict (``drift_share``, 0.5 by default, as Evidently);
the drift of the annotation labels and of the predicted labels is reported
beside it, outside that verdict.

:func:`compute_drift_by_week` compares every ISO week with one reference
(by default the first two weeks with data), summarising the reference once;
:func:`save_drift_history` stores the result in ``wb_drift_history``.
:func:`evidently_report_html` renders Evidently's own report on a bounded
random sample, for people; :func:`evidently_drift_table` runs Evidently's
preset on frames and serves as the reference implementation in tests and
benchmarks. Evidently and Altair are imported only inside the functions that
use them.

The modules, by what a reader looks for:

* :mod:`~workbench.drift.windows`: :class:`Window`, the default windows;
* :mod:`~workbench.drift.configuration`: the ``[drift]`` table, column kinds;
* :mod:`~workbench.drift.compute`: :class:`DriftResult`, :func:`compute_drift`;
* :mod:`~workbench.drift.weekly`: :class:`WeeklyDrift`, the stored history;
* :mod:`~workbench.drift.charts`: the charts of a result;
* :mod:`~workbench.drift.evidently_report`: Evidently's own report and preset;
* the statistics: :mod:`~workbench.drift.methods` (Evidently's method choice),
  :mod:`~workbench.drift.summary` and :mod:`~workbench.drift.summarising`
  (windows summarised in the store), :mod:`~workbench.drift.statistics`,
  :mod:`~workbench.drift.wasserstein` and :mod:`~workbench.drift.text` (the
  tests), :mod:`~workbench.drift.cache` (reference summaries kept in memory and
  on disk), :mod:`~workbench.drift.distributions` (what the charts draw).

Notebook loaders live in :mod:`workbench.loaders.drift`.

Example
-------
>>> from workbench.store import Store
>>> from workbench.drift import compute_drift
>>> with Store.open("data/workbench.duckdb", read_only=True) as store:  # doctest: +SKIP
...     result = compute_drift(store, reference="2026-W40..2026-W41", current="2026-W46")
>>> result.dataset_drift, result.drifted_share  # doctest: +SKIP
(True, 1.0)
"""

from .cache import DISK_CACHE_FILES, summarise_reference
from .charts import distribution_chart, drift_heatmap_chart, drifted_share_chart, top_drifted_chart
from .compute import ColumnDrift, DriftResult, compute_drift
from .configuration import DEFAULT_DRIFT_SHARE, REFERENCE_WEEKS, drift_config, infer_kinds
from .evidently_report import HTML_SAMPLE, evidently_drift_table, evidently_report_html
from .weekly import (
    HISTORY_COLUMNS,
    HISTORY_TABLE,
    WeeklyDrift,
    compute_drift_by_week,
    load_drift_history,
    save_drift_history,
)
from .windows import Window, default_reference, default_windows

__all__ = [
    "ColumnDrift",
    "DEFAULT_DRIFT_SHARE",
    "DISK_CACHE_FILES",
    "DriftResult",
    "HISTORY_COLUMNS",
    "HISTORY_TABLE",
    "HTML_SAMPLE",
    "REFERENCE_WEEKS",
    "WeeklyDrift",
    "Window",
    "compute_drift",
    "compute_drift_by_week",
    "default_reference",
    "default_windows",
    "distribution_chart",
    "drift_config",
    "drift_heatmap_chart",
    "drifted_share_chart",
    "evidently_drift_table",
    "evidently_report_html",
    "infer_kinds",
    "load_drift_history",
    "save_drift_history",
    "summarise_reference",
    "top_drifted_chart",
]
