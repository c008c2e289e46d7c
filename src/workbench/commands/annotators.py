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
            typer.Option("--gold-threshold", help="Flag annotators whose gold accuracy is below this (default 0.75)."),
        ] = None,
        min_gold_labels: Annotated[
            int | None,
            typer.Option(
                "--min-gold-labels", help="Gold labels an annotator needs before the gold flag applies (default 20)."
            ),
        ] = None,
    ) -> None:
        """Consensus labels, per-annotator quality and calibration on gold, drift, and agreement statistics.

        Writes OUT/consensus.csv (item_id, consensus_label, consensus_quality,
        n_annotations, agreement, method), OUT/annotators.csv (annotator_id, kind,
        n_labels, quality, agreement_with_consensus, gold_accuracy, gold_ci_low,
        gold_ci_high, flagged, flag_reason), OUT/annotator_drift.csv and
        OUT/agreement.json.

        With --week, only annotations made up to the end of that week count
        (the report's annotators section for that week shows the same flags).
        """
        import json

        from ..annotators import ANNOTATOR_COLUMNS, CONSENSUS_COLUMNS, annotators_overview
        from ._common import err, handled, open_store, out

        with handled():
            with open_store(read_only=True) as store, err.status("computing consensus and annotator quality"):
                result = annotators_overview(
                    store,
                    method=value(method),
                    gold_threshold=gold_threshold,
                    min_gold_labels=min_gold_labels,
                    week=week,
                    model_version=model_version,
                )
            consensus, report, agreement = result.consensus, result.report, result.agreement
            out_dir.mkdir(parents=True, exist_ok=True)
            consensus.to_frame()[CONSENSUS_COLUMNS].to_csv(out_dir / "consensus.csv", index=False)
            report.annotators[ANNOTATOR_COLUMNS].to_csv(out_dir / "annotators.csv", index=False)
            report.drift.to_csv(out_dir / "annotator_drift.csv", index=False)
            payload = agreement.to_dict() | {"consensus": consensus.to_dict()}
            (out_dir / "agreement.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")

        # The same sentences as the report's annotators section, printed literally (they quote ids and labels).
        for line in result.summary_lines(week=week):
            out.print(line, markup=False, highlight=False)
        for note in result.notes:
            out.print(f"Note: {note}", markup=False, highlight=False)
        out.print(f"Written to {out_dir.resolve()}", markup=False, highlight=False)
