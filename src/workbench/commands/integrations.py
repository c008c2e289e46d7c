"""``workbench import labelstudio|argilla EXPORT --out DIR``: a labeling tool's export as a dataset folder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ImportKind(StrEnum):
    """Export formats ``workbench import`` reads."""

    labelstudio = "labelstudio"
    argilla = "argilla"


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_export(
        kind: Annotated[
            ImportKind,
            typer.Argument(help="Format of the export: labelstudio (JSON export) or argilla (Argilla 2.x records)."),
        ],
        export: Annotated[
            Path,
            typer.Argument(
                help="Label Studio: the JSON file of /api/projects/ID/export?exportType=JSON. Argilla: a "
                "Dataset.to_disk folder or a JSON file of records."
            ),
        ],
        out_dir: Annotated[Path, typer.Option("--out", help="Dataset folder to write (must be new or empty).")],
        overwrite: Annotated[
            bool, typer.Option("--overwrite", help="Replace --out if it already holds files.")
        ] = False,
    ) -> None:
        """Convert a Label Studio or Argilla export (single-choice classification) into a dataset folder.

        Writes OUT/items.parquet, OUT/annotations.parquet, OUT/predictions.parquet (when the export holds
        per-class scores), OUT/prelabel.csv (per annotation: the model's suggested label and whether the
        annotator kept it; not a contract table) and OUT/import.json, all or nothing. Load the folder with
        `workbench ingest OUT`. Prints what was written and what was dropped and why.
        """
        from ..integrations import IMPORTERS
        from ._common import err, handled, out

        with handled(), err.status(f"converting {export}"):
            result = IMPORTERS[kind.value](export, out_dir, overwrite=overwrite)
        for line in result.summary_lines():
            out.print(line, highlight=False, markup=False)
        out.print(f"next         workbench ingest {out_dir}", highlight=False, markup=False)
