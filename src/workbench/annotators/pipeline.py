"""The annotators pipeline: consensus, annotator report and agreement, the one function every caller uses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import load_config
from ..inputs.annotations import latest_annotations, read_annotations
from ..inputs.predictions import read_gold, read_predictions
from ..inputs.weeks import Week
from ..store import Store
from .agreement import Agreement, compute_agreement_from_set
from .consensus import Consensus, consensus_from_annotations
from .drift import DECLINE_FDR, DRIFT_MIN_DROP
from .peers import LABEL_MIX_MIN_DIVERGENCE, SPEEDER_RATIO
from .quality import GOLD_THRESHOLD, AnnotatorReport, annotator_report_from, with_durations

#: ``[annotators]`` keys of ``workbench.toml`` this pipeline reads, with their defaults.
CONFIG_DEFAULTS = {
    "gold_threshold": GOLD_THRESHOLD,
    "decline_fdr": DECLINE_FDR,
    "decline_min_drop": DRIFT_MIN_DROP,
    "speeder_ratio": SPEEDER_RATIO,
    "label_mix_min_divergence": LABEL_MIX_MIN_DIVERGENCE,
}


@dataclass(frozen=True)
class AnnotatorsOverview:
    """Consensus, annotator report and agreement statistics: what the annotators command writes and the
    notebook shows."""

    report: AnnotatorReport
    agreement: Agreement | None
    consensus: Consensus

    @property
    def default_annotator(self) -> str:
        """The annotator to drill into first: the first flagged one, else the lowest quality."""
        return str(self.report.annotators["annotator_id"].iloc[0])

    @property
    def notes(self) -> tuple[str, ...]:
        """The agreement's and the report's notes, each once."""
        agreement_notes = self.agreement.notes if self.agreement is not None else ()
        return tuple(dict.fromkeys([*agreement_notes, *self.report.notes]))

    def summary_lines(self, *, week: str | Week | None = None) -> list[str]:
        """Agreement (``week`` against the week before, when given), consensus, flagged annotators, gold accuracy:
        the sentences the command and the report print."""
        lines = self.agreement.summary_lines(week=week) if self.agreement is not None else []
        return lines + self.report.summary_lines()


def annotators_overview(
    store: Store,
    *,
    method: str = "auto",
    classes: list[str] | None = None,
    gold_threshold: float | None = None,
    decline_fdr: float | None = None,
    week: str | Week | None = None,
    model_version: str | None = None,
    as_of=None,
    seed: int = 0,
    agreement: bool = True,
) -> AnnotatorsOverview:
    """The annotators pipeline: consensus, annotator report and agreement statistics.

    The one function behind ``workbench annotators``, the report's annotators
    section and the annotators notebook, so all three flag the same
    annotators on the same store and configuration. Options left as None take
    ``[annotators]`` in ``workbench.toml``, else this module's constants.
    ``week`` keeps the annotations created before its end (default: all).
    The ``[annotators]`` keys and their defaults are :data:`CONFIG_DEFAULTS`.
    """

    cfg = load_config().get("annotators", {})
    until = None
    if week is not None:
        until = (week if isinstance(week, Week) else Week.parse(week)).end
    annotations = read_annotations(store, classes=classes, until=until, as_of=as_of)
    predictions = read_predictions(store, annotations.classes, model_version=model_version, as_of=as_of)
    gold = read_gold(store, as_of=as_of)
    consensus = consensus_from_annotations(annotations, method=method, predictions=predictions, gold=gold, seed=seed)
    consensus, adjudicated = _with_adjudications(store, consensus)
    if store.has("annotations") and "duration_s" in store.data("annotations").columns:
        durations = latest_annotations(
            store, as_of=as_of, until=until, columns=["item_id", "annotator_id", "duration_s"]
        ).execute()
        annotations = with_durations(annotations, durations)

    def setting(name: str, given=None) -> float:
        return float(given if given is not None else cfg.get(name, CONFIG_DEFAULTS[name]))

    report = annotator_report_from(
        annotations,
        consensus,
        gold=gold,
        kinds=cfg.get("kinds"),
        gold_threshold=setting("gold_threshold", gold_threshold),
        decline_fdr=setting("decline_fdr", decline_fdr),
        drift_min_drop=setting("decline_min_drop"),
        speeder_ratio=setting("speeder_ratio"),
        label_mix_min_divergence=setting("label_mix_min_divergence"),
    )
    if adjudicated is not None:
        # the crowd's accuracy against expert adjudications joins annotator quality, like gold accuracy
        report = dataclasses.replace(
            report, annotators=report.annotators.merge(adjudicated, on="annotator_id", how="left")
        )
    return AnnotatorsOverview(
        report=report,
        agreement=compute_agreement_from_set(annotations) if agreement else None,
        consensus=consensus,
    )


def compute_annotators(
    store: Store,
    *,
    method: str = "auto",
    classes: list[str] | None = None,
    gold_threshold: float | None = None,
    decline_fdr: float | None = None,
    week: str | Week | None = None,
    model_version: str | None = None,
    as_of=None,
    seed: int = 0,
) -> AnnotatorReport:
    """Consensus, annotator quality, calibration on gold and drift for the store's annotations.

    Thresholds default to ``[annotators]`` in ``workbench.toml`` (:data:`CONFIG_DEFAULTS`, and
    ``kinds``), else to those defaults. ``week``
    (default: every annotation) keeps the annotations made up to its end.
    """
    return annotators_overview(
        store,
        method=method,
        classes=classes,
        gold_threshold=gold_threshold,
        decline_fdr=decline_fdr,
        week=week,
        model_version=model_version,
        as_of=as_of,
        seed=seed,
        agreement=False,
    ).report


def _with_adjudications(store: Store, consensus):
    """The consensus with expert-adjudicated items taking the expert's label (re-annotation queue,
    ``wb_adjudications``), and the crowd's accuracy on those items; unchanged without adjudications."""
    from ..queue.adjudication import adjudicated_labels, apply_adjudications, crowd_accuracy_on_adjudicated

    adjudicated = adjudicated_labels(store)
    if adjudicated.empty:
        return consensus, None
    frame = apply_adjudications(consensus.frame, adjudicated)
    n = int(frame["adjudicated"].sum())
    note = f"{n:,} item(s) are settled by an expert adjudication from the re-annotation queue (method 'adjudicated')."
    consensus = dataclasses.replace(consensus, frame=frame, notes=(*consensus.notes, note))
    return consensus, crowd_accuracy_on_adjudicated(store)
