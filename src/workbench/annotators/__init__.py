"""Consensus labels, annotator quality, calibration on gold, annotator drift and agreement.

One module per concern: :mod:`.consensus` (the methods' results and the ``auto`` rule; the methods
themselves in :mod:`.methods`), :mod:`.quality` (:class:`AnnotatorReport`, gold calibration),
:mod:`.drift`, :mod:`.activelab` (re-annotation priority), :mod:`.agreement` (inter-annotator
agreement), :mod:`.crowd_sparse` (CROWDLAB and ActiveLab over the long table), :mod:`.charts`, and
:mod:`.pipeline` (:func:`annotators_overview`, the one function the command, the report section and
the notebook loader :mod:`workbench.loaders.annotators` call).

Consensus methods
-----------------
``mv``
    Majority vote, with the tie rule of :mod:`workbench.inputs.vote`
    (most votes; then the label whose first annotation is earliest; then the
    lexicographically smallest label). Quality: the share of the item's
    annotations that gave the consensus label.
``ds``
    Dawid-Skene (crowd-kit's ``DawidSkene``): one confusion matrix per
    annotator, estimated by EM. Quality: the posterior probability of the
    consensus label.
``crowdlab``
    Cleanlab's CROWDLAB, which weighs each annotator and the model's predicted
    probabilities by their estimated trustworthiness; computed over the long
    table by :mod:`workbench.annotators.crowd_sparse` (same results as Cleanlab's dense
    implementation). Quality: CROWDLAB's consensus quality score. Needs the
    ``predictions`` table; items without predictions get the majority vote.
``auto`` (the default)
    Without enough gold, this rule:

    1. predictions exist and, on the items with two or more annotations, the
       model agrees with the majority vote more often than two annotators
       agree with each other (percent agreement) by at least
       ``model_margin`` (0.08): ``crowdlab``;
    2. else, annotators gave a median of at least ``ds_min_labels`` (10)
       labels each, enough to estimate a confusion matrix per annotator:
       ``ds``;
    3. else ``mv``.

    With at least ``min_gold`` (30) annotated gold items, each method's
    accuracy on them is measured; the rule's method is kept unless another
    method is significantly more accurate on the gold items (exact one-sided
    McNemar test on the items where the two disagree, p < 0.05), in which
    case the most accurate such method is chosen. A handful of gold items
    does not overturn the rule by chance.

    ``bench/bench_crowd.py`` checks the rule on public crowdsourcing data sets
    (CF, MS, SP, ZenCrowd), with simulated predictions of known accuracy for
    CROWDLAB: the chosen method is at least as accurate as Dawid-Skene on
    each.

Annotator quality
-----------------
Per annotator: number of labels, a quality score (CROWDLAB's annotator
quality; for ``ds`` the estimated accuracy ``sum_c prior_c P(label=c|true=c)``;
for ``mv`` agreement with consensus on items with two or more annotations),
agreement with the consensus, accuracy on gold items with a Wilson 95%
confidence interval, and a flag with its reason when gold accuracy is below
``gold_threshold`` (0.75) on at least ``min_gold_labels`` (20) gold labels
(re-calibration needed), or when quality declined significantly (drift).
``kind`` is ``human`` unless the annotator id matches a pattern of another
kind under ``[annotators] kinds`` in ``workbench.toml``, e.g.
``kinds = {model = ["gpt-*"]}``; ``gold_threshold`` and ``min_gold_labels``
can be set there too.

Drift: per annotator and ISO week, agreement with the consensus on items with
two or more annotations, compared with the annotator's earlier weeks (those not
already flagged) by a one-sided two-proportion z-test; a week is flagged when
p < ``drift_alpha`` (0.01) and the drop is at least ``drift_min_drop`` (0.15),
with at least 10 labels in the week and in the baseline.
"""

from __future__ import annotations

from .activelab import active_learning_scores
from .agreement import (
    MIN_SHARED_ITEMS,
    Agreement,
    agreement_from_counts,
    compute_agreement,
    compute_agreement_from_set,
    label_counts,
    pairwise_cohen_kappa,
    per_class_agreement,
)
from .charts import (
    agreement_trend_chart,
    annotator_drift_chart,
    annotator_quality_chart,
    confusion_chart,
    per_class_chart,
)
from .consensus import (
    CONSENSUS_COLUMNS,
    DS_MIN_LABELS,
    GOLD_SIGNIFICANCE,
    METHOD_CHOICES,
    METHODS,
    MIN_GOLD_FOR_AUTO,
    MODEL_MARGIN,
    Consensus,
    consensus_from_annotations,
    consensus_labels,
)
from .crowd_sparse import ActiveLabResult, CrowdlabResult, LongLabels, activelab, crowdlab, majority_vote_label
from .drift import DRIFT_ALPHA, DRIFT_MIN_DROP, DRIFT_MIN_LABELS, annotator_drift
from .methods import MethodResult, majority_vote_codes
from .pipeline import AnnotatorsOverview, annotators_overview, compute_annotators
from .quality import (
    ANNOTATOR_COLUMNS,
    GOLD_THRESHOLD,
    MIN_GOLD_LABELS,
    AnnotatorReport,
    annotator_report_from,
    wilson_interval,
)

__all__ = [
    "ANNOTATOR_COLUMNS",
    "ActiveLabResult",
    "Agreement",
    "AnnotatorReport",
    "AnnotatorsOverview",
    "CONSENSUS_COLUMNS",
    "Consensus",
    "CrowdlabResult",
    "DRIFT_ALPHA",
    "DRIFT_MIN_DROP",
    "DRIFT_MIN_LABELS",
    "DS_MIN_LABELS",
    "GOLD_SIGNIFICANCE",
    "GOLD_THRESHOLD",
    "LongLabels",
    "METHODS",
    "METHOD_CHOICES",
    "MIN_GOLD_FOR_AUTO",
    "MIN_GOLD_LABELS",
    "MIN_SHARED_ITEMS",
    "MODEL_MARGIN",
    "MethodResult",
    "active_learning_scores",
    "activelab",
    "agreement_from_counts",
    "agreement_trend_chart",
    "annotator_drift",
    "annotator_drift_chart",
    "annotator_quality_chart",
    "annotator_report_from",
    "annotators_overview",
    "compute_agreement",
    "compute_agreement_from_set",
    "compute_annotators",
    "confusion_chart",
    "consensus_from_annotations",
    "consensus_labels",
    "crowdlab",
    "label_counts",
    "majority_vote_codes",
    "majority_vote_label",
    "pairwise_cohen_kappa",
    "per_class_agreement",
    "per_class_chart",
    "wilson_interval",
]
