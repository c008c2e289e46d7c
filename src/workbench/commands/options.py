"""Option types shared by the commands, so that the same option reads the same everywhere.

``--out``, ``--json``, ``--seed``, ``--week``, ``--model-version`` and
``--method`` are declared once here; choices are enums, so ``--help`` lists
them and typer refuses other values with exit status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..choices import ConsensusMethod


def OutOption(help: str):  # noqa: N802 - reads as a type in signatures
    """``--out``: where a command writes (the help names what)."""
    return typer.Option("--out", help=help)


JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of text.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same result.")]
WeekOption = Annotated[
    str | None,
    typer.Option(
        "--week",
        help="ISO week YYYY-Www to analyse (default: the latest week with data, as in the report).",
    ),
]
ModelVersionOption = Annotated[
    str | None,
    typer.Option(
        "--model-version", help="Which stored predictions model_version to use (default: the latest ingested)."
    ),
]


MethodOption = Annotated[
    ConsensusMethod,
    typer.Option(
        "--method",
        help="Consensus method: auto (by gold accuracy with >= 30 annotated gold items, else a documented rule), "
        "mv (majority vote), ds (Dawid-Skene), crowdlab (needs predictions).",
    ),
]

OutFile = Annotated[Path, typer.Option("--out", help="File to write.")]
