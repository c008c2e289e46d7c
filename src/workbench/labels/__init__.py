"""Label errors: which given labels are likely wrong, and where they cluster.

One module per step: :mod:`.given` (given labels), :mod:`.probabilities` (predicted probabilities,
cross-validation), :mod:`.scoring` (Cleanlab on arrays), :mod:`.health` (class health, slices),
:mod:`.quality` (the :class:`LabelQuality` result and :func:`compute_label_quality`), :mod:`.context`
(item context and filters), :mod:`.charts`. Notebook loaders live in :mod:`workbench.loaders.labels`.

Three inputs, each read from the store and recorded in the result:

* **given labels** (:func:`given_labels`): the single annotation of an item, or
  the consensus of several. The default consensus is
  :func:`workbench.inputs.vote.majority_vote`; a caller with a better consensus
  (for example from the annotator models) passes it as a frame.
* **out-of-sample predicted probabilities** (:func:`predicted_probabilities`):
  the ``predictions`` table when present, otherwise K-fold cross-validated
  probabilities of a scikit-learn model on the item features
  (:mod:`workbench.features`).
* the **Cleanlab** options: how to score (``rank_by``) and which items to flag
  (``filter_by``).

:func:`compute_label_quality` returns a :class:`LabelQuality`: one row per
labeled item (``item_id, given_label, suggested_label, label_quality,
is_label_issue, rank``), class-level health (estimated noise rate per class,
the most confused class pairs, an overall health score) and the share of
flagged items sliced by source, split, guideline version and annotator.

The ranking is by ``label_quality`` (lower means more likely wrong), not by the
flag: on real data some of the lowest-scoring items are not flagged.
``normalized_margin`` is the default score because it ranked validated errors
best on the public label-error benchmarks (see ``bench/README.md``);
``confidence_weighted_entropy`` ranks poorly on some of them. The default flag
is Cleanlab's ``confident_learning`` filter, which flagged fewer items at equal
or higher precision than Cleanlab's default ``prune_by_noise_rate`` there.

Example
-------
>>> with Store.open("data/workbench.duckdb", read_only=True) as store:   # doctest: +SKIP
...     result = compute_label_quality(store)
>>> result.to_frame().head()                                             # doctest: +SKIP
"""

from __future__ import annotations

from ..choices import FILTER_METHODS, RANK_METHODS
from .charts import class_health_chart, confusion_chart, score_distribution_chart, slice_chart
from .context import filter_issues, item_context
from .given import GIVEN_BY, GivenLabels, consensus_for_given_labels, given_labels
from .health import ClassHealth, class_health, issue_slices
from .probabilities import DEFAULT_FOLDS, PredictedProbabilities, default_model, predicted_probabilities
from .quality import OUTPUT_COLUMNS, LabelQuality, compute_label_quality
from .scoring import DEFAULT_FILTER_BY, DEFAULT_RANK_BY, score_labels

__all__ = [
    "ClassHealth",
    "DEFAULT_FILTER_BY",
    "DEFAULT_FOLDS",
    "DEFAULT_RANK_BY",
    "FILTER_METHODS",
    "GIVEN_BY",
    "GivenLabels",
    "LabelQuality",
    "OUTPUT_COLUMNS",
    "PredictedProbabilities",
    "RANK_METHODS",
    "class_health",
    "class_health_chart",
    "compute_label_quality",
    "confusion_chart",
    "consensus_for_given_labels",
    "default_model",
    "filter_issues",
    "given_labels",
    "issue_slices",
    "item_context",
    "predicted_probabilities",
    "score_distribution_chart",
    "score_labels",
    "slice_chart",
]
