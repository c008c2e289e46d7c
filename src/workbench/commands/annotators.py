"""``workbench annotators``: consensus labels, annotator quality, agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..choices import ConsensusMethod, value
from .options import MethodOption, ModelVersionOption, OutOption, WeekOption


def register(app: typer.Typer) -> None:
    @app.command("annotators")
    def annotators(
        out_dir: Annotated[Path, OutOption("Folder for consensus.csv, annotators.csv, agreement.json.")],
        method: MethodOption = ConsensusMethod.auto,
        week: WeekOption = None,
        model_version: ModelVersionOption = None,
        gold_threshold: Annotated[
            float | None,
            typer.Option(
                "--gold-threshold",
                help="Flag annotators whose gold accuracy's 95% interval lies wholly below this (default 0.75).",
            ),
        ] = None,
        decline_fdr: Annotated[
            float | None,
            typer.Option(
                "--decline-fdr",
                help="False-discovery rate of the decline and label-mix flags over all their tests (default 0.05).",
            ),
        ] = None,
    ) -> None:
        """Consensus labels, per-annotator quality and calibration on gold, drift, and agreement statistics.

        Writes OUT/consensus.csv (item_id, consensus_label, consensus_quality,
        n_annotations, agreement, method), OUT/annotators.csv (annotator_id, kind,
        n_labels, quality, agreement_with_consensus, agreement_items, gold_accuracy,
        gold_ci_low, gold_ci_high, gold_labels, gold_status, gold_labels_needed,
        declined_from_week, duration_ratio, speeder, label_mix_divergence,
        label_mix_p_adjusted, flagged, flag_reason), OUT/annotator_drift.csv and
        OUT/agreement.json.

        Only annotations made up to the end of --week count (default: the
        report's default week, the latest that has ended and is not thin); the
        report's annotators section for that week shows the same flags.
        """
        from ..annotators import ANNOTATOR_COLUMNS, CONSENSUS_COLUMNS, annotators_overview
        from ..inputs.weeks import choose_week
        from ..outputs import write_csv, write_json
        from ._common import err, handled, open_store, out

        with handled():
            with open_store(read_only=True) as store, err.status("computing consensus and annotator quality"):
                choice = choose_week(store, week) if store.has("annotations") else None
                week = str(choice.week) if choice is not None else week
                result = annotators_overview(
                    store,
                    method=value(method),
                    gold_threshold=gold_threshold,
                    decline_fdr=decline_fdr,
                    week=week,
                    model_version=model_version,
                )
            consensus, report, agreement = result.consensus, result.report, result.agreement
            write_csv(consensus.to_frame()[CONSENSUS_COLUMNS], out_dir / "consensus.csv")
            write_csv(report.annotators[ANNOTATOR_COLUMNS], out_dir / "annotators.csv")
            write_csv(report.drift, out_dir / "annotator_drift.csv")
            write_json(agreement.to_dict() | {"consensus": consensus.to_dict()}, out_dir / "agreement.json")

        if choice is not None and choice.note:
            out.print(f"Week: {choice.note}", markup=False, highlight=False)
        # The same sentences as the report's annotators section, printed literally (they quote ids and labels).
        for line in result.summary_lines(week=week):
            out.print(line, markup=False, highlight=False)
        for note in result.notes:
            out.print(f"Note: {note}", markup=False, highlight=False)
        out.print(f"Written to {out_dir.resolve()}", markup=False, highlight=False)
