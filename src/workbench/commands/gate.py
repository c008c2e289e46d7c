"""``workbench gate``: exit 0 when this week's data meets the promotion thresholds, else 1 with what failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .options import JsonOption, WeekOption


def register(app: typer.Typer) -> None:
    app.command(name="gate")(gate)


def gate(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="A TOML file whose [gate] table holds the thresholds (default: workbench.toml)."),
    ] = None,
    week: WeekOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="A threshold with nothing to measure fails instead of not applying.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check this week's data against the promotion thresholds, for training pipelines and CI.

    Thresholds (``[gate]`` in workbench.toml, defaults in brackets): min_alpha [0.667], min_label_health [0.9],
    min_gold_accuracy [0.9], max_drifted_share [0.5], max_gap_severity [0.5], max_open_expert_queue [50].
    Exit 0 when all hold, 1 with a table of the unmet thresholds, 2 on bad input.
    """
    from ..errors import BadInputError
    from ..gate import gate_thresholds, run_gate
    from ._common import data_text, handled, open_store, out

    with handled():
        cfg = None
        if config is not None:
            import tomllib

            try:
                raw = tomllib.loads(config.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise BadInputError(f"--config {config}: no such file.") from None
            except tomllib.TOMLDecodeError as exc:
                raise BadInputError(f"--config {config}: not valid TOML ({exc}).") from None
            cfg = {"gate": raw.get("gate", raw.get("tool", {}).get("workbench", {}).get("gate", {}))}
        thresholds = gate_thresholds(cfg)
        with open_store(read_only=True) as store:
            result = run_gate(store, week=week, thresholds=thresholds, strict=strict)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1))
    else:
        if result.week_note:
            out.print(f"week: {data_text(result.week_note)}", markup=False)
        for line in result.summary_lines():
            out.print(line, markup=False, highlight=False)
    raise typer.Exit(0 if result.passed else 1)
