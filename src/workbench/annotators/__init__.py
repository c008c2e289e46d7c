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
Per annotator (``annotators.csv``, :data:`ANNOTATOR_COLUMNS`): number of labels; a quality score
(CROWDLAB's annotator quality; for ``ds`` the estimated accuracy ``sum_c prior_c P(label=c|true=c)``; for
``mv`` agreement with consensus on multi-annotated items); ``agreement_with_consensus``, the share of the
annotator's labels on multi-annotated items that equal the majority vote of the *other* annotators of the
item (items where the others tie are left out), with ``agreement_items`` the number of items it rests on.
Each rule below can flag an annotator; ``flag_reason`` says which rule fired, since when, by how much and
with what adjusted evidence. The ``[annotators]`` keys of ``workbench.toml`` (defaults in brackets):

``gold_threshold`` (0.75) -- gold accuracy judged by its Wilson 95% interval
    ``gold_status`` is ``below`` (the whole interval lies below the threshold: flagged, re-calibration
    needed), ``ok`` (wholly at or above it), ``undecided`` (it straddles the threshold: "too little gold to
    judge", with the number of gold labels, in the summary) or ``no_gold``. ``gold_labels_needed`` is how
    many more gold labels, at the observed accuracy, would settle an undecided verdict. There is no
    minimum number of gold labels: the interval's width says when there are too few.
``decline_fdr`` (0.05), ``decline_min_drop`` (0.15) -- decline as change detection
    For every annotator and week, the agreement since that week against the agreement before it (exact
    one-sided test), Benjamini-Hochberg adjusted over every annotator-week of the workforce; a decline
    needs an adjusted p-value below ``decline_fdr`` and a drop of at least ``decline_min_drop``, and starts
    at the most likely change week (:mod:`.drift`). ``declined_from_week`` names it.
``speeder_ratio`` (0.2) -- speeders
    ``duration_ratio`` is the annotator's median ``duration_s`` relative to the peers' median time on items of
    the same consensus class; ``speeder`` when it is below ``speeder_ratio`` (on at least 20 timed labels)
    and the annotator's agreement is below the annotators' median agreement.
``label_mix_min_divergence`` (0.1) -- label mix
    ``label_mix_divergence`` is the total-variation distance between the annotator's label mix and the
    other annotators' labels on the same items; flagged when ``label_mix_p_adjusted`` (a chi-square test,
    Benjamini-Hochberg adjusted over annotators) is below ``decline_fdr`` and the divergence is at least
    ``label_mix_min_divergence`` (:mod:`.peers`).

``kind`` is ``human`` unless the annotator id matches a pattern of another kind under ``[annotators]
kinds``, e.g. ``kinds = {model = ["gpt-*"]}``.
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
from .drift import DECLINE_FDR, DRIFT_COLUMNS, DRIFT_MIN_DROP, DRIFT_MIN_LABELS, annotator_drift, decline_scan
from .methods import MethodResult, majority_vote_codes
from .peers import (
    LABEL_MIX_MIN_DIVERGENCE,
    SPEEDER_RATIO,
    label_mix_divergence,
    others_majority,
    speed_ratios,
)
from .pipeline import CONFIG_DEFAULTS, AnnotatorsOverview, annotators_overview, compute_annotators
from .quality import (
    ANNOTATOR_COLUMNS,
    GOLD_STATUSES,
    GOLD_THRESHOLD,
    AnnotatorReport,
    annotator_report_from,
    gold_status,
    wilson_interval,
)

__all__ = [
    "ANNOTATOR_COLUMNS",
    "ActiveLabResult",
    "Agreement",
    "AnnotatorReport",
    "AnnotatorsOverview",
    "CONFIG_DEFAULTS",
    "CONSENSUS_COLUMNS",
    "Consensus",
    "CrowdlabResult",
    "DECLINE_FDR",
    "DRIFT_COLUMNS",
    "DRIFT_MIN_DROP",
    "DRIFT_MIN_LABELS",
    "DS_MIN_LABELS",
    "GOLD_SIGNIFICANCE",
    "GOLD_STATUSES",
    "GOLD_THRESHOLD",
    "LABEL_MIX_MIN_DIVERGENCE",
    "LongLabels",
    "METHODS",
    "METHOD_CHOICES",
    "MIN_GOLD_FOR_AUTO",
    "MIN_SHARED_ITEMS",
    "MODEL_MARGIN",
    "MethodResult",
    "SPEEDER_RATIO",
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
    "decline_scan",
    "gold_status",
    "label_counts",
    "label_mix_divergence",
    "majority_vote_codes",
    "majority_vote_label",
    "others_majority",
    "pairwise_cohen_kappa",
    "per_class_agreement",
    "per_class_chart",
    "speed_ratios",
    "wilson_interval",
]
