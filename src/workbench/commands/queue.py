"""`workbench queue` builds and exports the next re-annotation batch; `workbench ingest-labels` reads labels back."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .options import JsonOption, ModelVersionOption, OutOption, SeedOption


class QueueFormat(StrEnum):
    """Formats ``workbench queue`` writes (the same as :class:`workbench.queue.QueueFormat`)."""

    csv = "csv"
    jsonl = "jsonl"
    labelstudio = "labelstudio"
    argilla = "argilla"


def register(app: typer.Typer) -> None:
    @app.command("queue")
    def queue(
        budget: Annotated[int, typer.Option("--budget", help="How many items to queue by priority (> 0).")],
        out_file: Annotated[
            Path, OutOption("File to write: .csv, .jsonl, or (with --format) Label Studio tasks / Argilla records.")
        ],
        fmt: Annotated[
            QueueFormat | None,
            typer.Option("--format", help="csv, jsonl, labelstudio or argilla (default: from --out's extension)."),
        ] = None,
        weight: Annotated[
            list[str] | None,
            typer.Option("--weight", help="Signal weight NAME=W, repeatable (overrides \\[queue] weights)."),
        ] = None,
        class_cap: Annotated[int | None, typer.Option("--class-cap", help="At most N entries per class.")] = None,
        slice_by: Annotated[str | None, typer.Option("--slice-by", help="Items column for --slice-cap.")] = None,
        slice_cap: Annotated[
            int | None, typer.Option("--slice-cap", help="At most N entries per value of --slice-by.")
        ] = None,
        gold_rate: Annotated[
            float | None, typer.Option("--gold-rate", help="Gold items added on top, as a share of the budget.")
        ] = None,
        model_version: ModelVersionOption = None,
        seed: SeedOption = 0,
        as_json: JsonOption = False,
    ) -> None:
        """Build the next re-annotation batch from the signals, store it in wb_queue and export it.

        Items already open or exported in an earlier batch are left out. Gold items are injected on top
        of the budget (marked in the store, not in the export). Label Studio writes OUT (tasks) and
        OUT.xml (labeling config) beside it; Argilla OUT (records) and <stem>.settings.json.
        """
        from ..outputs import json_safe
        from ..queue import batch_rows, build_queue, export_queue, parse_weight_options, queue_settings
        from ..queue.build import check_budget
        from ..queue.export import resolve_format
        from ..queue.table import append_entries
        from ._common import err, handled, open_store, out

        with handled():
            check_budget(budget)
            kind = resolve_format(out_file, fmt)
            settings = queue_settings(
                weights=parse_weight_options(weight),
                class_cap=class_cap,
                slice_by=slice_by,
                slice_cap=slice_cap,
                gold_rate=gold_rate,
            )
            with open_store(read_only=False) as store:
                with err.status("computing the queue's signals"):
                    batch = build_queue(store, budget=budget, settings=settings, seed=seed, model_version=model_version)
                with store.transaction():
                    append_entries(store, batch_rows(batch, status="exported"))
                    written = export_queue(store, batch, out_file, fmt=kind)
        if as_json:
            import json

            typer.echo(json.dumps(json_safe(batch.to_dict() | {"files": written}), indent=1))
            return
        for line in batch.summary_lines():
            out.print(line, markup=False, highlight=False)
        for path in written:
            out.print(f"wrote        {path}", markup=False, highlight=False)

    @app.command("ingest-labels")
    def ingest_labels_command(
        labels_file: Annotated[
            Path,
            typer.Argument(
                help="A Label Studio JSON export, an Argilla export (folder or records JSON), or a CSV with "
                "item_id, annotator_id, label, created_at (optional queue_id)."
            ),
        ],
        as_json: JsonOption = False,
    ) -> None:
        """Append labels as annotations with lineage (queue id, annotator, time, guideline version).

        Marks the queue entries done; a label on an expert-tier entry settles its item (wb_adjudications).
        Idempotent: labels already recorded are skipped. On bad input nothing is written (exit 2).
        """
        from ..outputs import json_safe
        from ..queue import ingest_labels
        from ._common import handled, open_store, out

        with handled(), open_store(read_only=False) as store:
            result = ingest_labels(store, labels_file)
        if as_json:
            import json

            typer.echo(json.dumps(json_safe(result.to_dict()), indent=1))
            return
        for line in result.summary_lines():
            out.print(line, markup=False, highlight=False)
