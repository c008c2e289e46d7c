"""``workbench annotators``: consensus labels, annotator quality, agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("annotators")
    def annotators(
        out_dir: Annotated[
            Path, typer.Option("--out", help="Folder for consensus.csv, annotators.csv, agreement.json.")
        ],
        method: Annotated[
            str,
            typer.Option(
                "--method",
                help="Consensus method: auto (by gold accuracy with >= 30 annotated gold items, else a documented "
                "rule), mv (majority vote), ds (Dawid-Skene), crowdlab (needs predictions).",
            ),
        ] = "auto",
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
        """
        import json

        from ..annotators import ANNOTATOR_COLUMNS, CONSENSUS_COLUMNS, METHOD_CHOICES, annotators_overview
        from ..cli import err, handled, open_store, out
        from ..errors import BadInputError

        with handled():
            if method not in METHOD_CHOICES:
                raise BadInputError(f"--method {method!r} is not known; choose one of {', '.join(METHOD_CHOICES)}.")
            with open_store(read_only=True) as store, err.status("computing consensus and annotator quality"):
                result = annotators_overview(
                    store, method=method, gold_threshold=gold_threshold, min_gold_labels=min_gold_labels
                )
            consensus, report, agreement = result.consensus, result.report, result.agreement
            out_dir.mkdir(parents=True, exist_ok=True)
            consensus.to_frame()[CONSENSUS_COLUMNS].to_csv(out_dir / "consensus.csv", index=False)
            report.annotators[ANNOTATOR_COLUMNS].to_csv(out_dir / "annotators.csv", index=False)
            report.drift.to_csv(out_dir / "annotator_drift.csv", index=False)
            payload = agreement.to_dict() | {"consensus": consensus.to_dict()}
            (out_dir / "agreement.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")

        o = agreement.overall
        out.print(f"consensus    {consensus.method} for {len(consensus.frame):,} items: {consensus.reason}")
        for note in report.notes:
            out.print(f"note         {note}")
        if o["percent_agreement"] is not None:
            out.print(
                f"agreement    {o['percent_agreement']:.1%} of annotator pairs agree; Krippendorff alpha "
                f"{o['krippendorff_alpha']:.3f}, Gwet AC1 {o['gwet_ac1']:.3f} over {o['items']:,} items with 2+ "
                f"annotations ({o['single_annotation_items']:,} single-annotation items excluded)"
            )
        flagged = report.flagged()
        out.print(f"annotators   {len(report.annotators)}, flagged {len(flagged)}")
        for r in flagged.itertuples():
            out.print(f"  {r.annotator_id}: {r.flag_reason}")
        out.print(f"written to   {out_dir.resolve()}")
