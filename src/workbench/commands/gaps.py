"""``workbench gaps``: failures and disagreement mapped to gaps in the versioned guidelines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .options import JsonOption, ModelVersionOption, OutOption, SeedOption

OUT_SUFFIXES = (".csv", ".json")


def register(app: typer.Typer) -> None:
    @app.command("gaps")
    def gaps_command(
        out: Annotated[Path | None, OutOption("Output file, .csv or .json (the extension sets the format).")] = None,
        all_gaps: Annotated[
            bool, typer.Option("--all", help="List every candidate gap, not only significant ones.")
        ] = False,
        guidelines: Annotated[
            Path | None,
            typer.Option("--guidelines", help="A guidelines.md to use instead of the store's latest ingested one."),
        ] = None,
        model_version: ModelVersionOption = None,
        no_hygiene: Annotated[bool, typer.Option("--no-hygiene", help="Skip the hygiene checks.")] = False,
        seed: SeedOption = 0,
        as_json: JsonOption = False,
    ) -> None:
        """Rank gaps in the guidelines (uncovered, ambiguous, stale, underrepresented) behind the failures.

        Writes OUT with rank, kind, section_id, classes, n_items, failure_rate, lift, p_adjusted, severity,
        example_item_ids and suggested_action: only gaps whose Benjamini-Hochberg-adjusted p-value is below
        [gaps] alpha (default 0.05) unless --all. --json prints the same plus the hygiene checks. On bad
        input (guidelines that do not parse, unknown guideline versions) nothing is written (exit status 2).
        """
        from ..errors import BadInputError
        from ..gaps import compute_gaps, gaps_config
        from ..outputs import write_csv, write_json
        from ._common import err, handled, open_store
        from ._common import out as console

        with handled():
            if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
                raise BadInputError(f"--out {out}: the file name must end in .csv or .json (it sets the format).")
            text = None
            if guidelines is not None:
                if not guidelines.is_file():
                    raise BadInputError(f"--guidelines {guidelines}: no such file.")
                text = guidelines.read_text(encoding="utf-8")
            options = gaps_config()
            with open_store(read_only=True) as store, err.status("analysing failures"):
                result = compute_gaps(
                    store, guidelines=text, model_version=model_version, hygiene=not no_hygiene, seed=seed, **options
                )
            if out is not None:
                if out.suffix.lower() == ".csv":
                    write_csv(result.to_frame(all=all_gaps), out)
                else:
                    write_json(result.records(all=all_gaps), out)
        if as_json:
            data = result.to_dict(all=all_gaps)
            data.pop("guidelines", None)
            if out is not None:
                data["out"] = str(out)
            typer.echo(json.dumps(data, indent=1, default=str))
            return
        for line in result.summary_lines():
            console.print(line, highlight=False, markup=False)
        if out is not None:
            n = len(result.to_frame(all=all_gaps))
            err.print(f"wrote {n} gap(s) to {out}", highlight=False, markup=False)
