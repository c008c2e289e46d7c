"""The annotators pipeline: consensus, annotator report and agreement, the one function every caller uses."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import load_config
from ..inputs.annotations import read_annotations
from ..inputs.predictions import read_gold, read_predictions
from ..inputs.weeks import Week
from ..store import Store
from .agreement import Agreement, compute_agreement_from_set
from .consensus import Consensus, consensus_from_annotations
from .quality import GOLD_THRESHOLD, MIN_GOLD_LABELS, AnnotatorReport, annotator_report_from


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
    min_gold_labels: int | None = None,
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
    """

    cfg = load_config().get("annotators", {})
    until = None
    if week is not None:
        until = (week if isinstance(week, Week) else Week.parse(week)).end
    annotations = read_annotations(store, classes=classes, until=until, as_of=as_of)
    predictions = read_predictions(store, annotations.classes, model_version=model_version, as_of=as_of)
    gold = read_gold(store, as_of=as_of)
    consensus = consensus_from_annotations(annotations, method=method, predictions=predictions, gold=gold, seed=seed)
    report = annotator_report_from(
        annotations,
        consensus,
        gold=gold,
        kinds=cfg.get("kinds"),
        gold_threshold=float(
            gold_threshold if gold_threshold is not None else cfg.get("gold_threshold", GOLD_THRESHOLD)
        ),
        min_gold_labels=int(
            min_gold_labels if min_gold_labels is not None else cfg.get("min_gold_labels", MIN_GOLD_LABELS)
        ),
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
    min_gold_labels: int | None = None,
    week: str | Week | None = None,
    model_version: str | None = None,
    as_of=None,
    seed: int = 0,
) -> AnnotatorReport:
    """Consensus, annotator quality, calibration on gold and drift for the store's annotations.

    Thresholds default to ``[annotators]`` in ``workbench.toml`` (``gold_threshold``,
    ``min_gold_labels``, ``kinds``), else to this module's constants. ``week``
    (default: every annotation) keeps the annotations made up to its end.
    """
    return annotators_overview(
        store,
        method=method,
        classes=classes,
        gold_threshold=gold_threshold,
        min_gold_labels=min_gold_labels,
        week=week,
        model_version=model_version,
        as_of=as_of,
        seed=seed,
        agreement=False,
    ).report
