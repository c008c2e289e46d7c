"""Error analysis: model failures and annotator disagreement mapped to gaps in versioned guidelines.

* :mod:`.failures`: the failures the store holds, one row per item and mode (``labeled``: annotators
  split, a label issue, a model error on eval; ``production``: a low-confidence prediction);
* :mod:`.slices`: slices (confusion pairs, classes, feature values and bins, source, split, guideline
  version, annotator) with size, failure rate, lift, BH-adjusted significance; counts are ibis expressions;
* :mod:`.mapping`: gaps of four kinds (``uncovered``, ``ambiguous``, ``stale``, ``underrepresented``) tied to
  guideline sections, with a severity in [0, 1] = ``sqrt(share_of_failures * (1 - 1 / lift))``;
* :mod:`.hygiene`: train/eval leakage, synthetic items in eval, synthetic diversity per class;
* :mod:`.analysis`: :func:`compute_gaps`, the one function the command, the report and the notebook call.

Example
-------
>>> with Store.open("data/workbench.duckdb", read_only=True) as store:   # doctest: +SKIP
...     result = compute_gaps(store)
>>> result.to_frame().head()                                             # doctest: +SKIP
"""

from .analysis import ALPHA, GAP_COLUMNS, GapAnalysis, compute_gaps, gaps_config
from .mapping import severity
from .members import MEMBER_COLUMNS, gap_items
from .slices import SLICE_COLUMNS

__all__ = [
    "ALPHA",
    "GAP_COLUMNS",
    "GapAnalysis",
    "MEMBER_COLUMNS",
    "SLICE_COLUMNS",
    "compute_gaps",
    "gap_items",
    "gaps_config",
    "severity",
]
