"""The choices the capabilities offer, as enums (light: the CLI's ``--help`` imports it).

The capabilities take the values as plain strings; the CLI uses these enums so
that ``--help`` lists the choices and typer refuses anything else.
"""

from __future__ import annotations

from enum import Enum

CONSENSUS_METHODS = ("auto", "mv", "ds", "crowdlab")
RANK_METHODS = ("normalized_margin", "self_confidence", "confidence_weighted_entropy")
FILTER_METHODS = (
    "confident_learning",
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
PROBA_SOURCES = ("auto", "predictions", "cross_validation")


def _enum(name: str, values: tuple[str, ...]) -> type[Enum]:
    return Enum(name, {v: v for v in values}, type=str)


ConsensusMethod = _enum("ConsensusMethod", CONSENSUS_METHODS)
RankBy = _enum("RankBy", RANK_METHODS)
FilterBy = _enum("FilterBy", FILTER_METHODS)
ProbaSource = _enum("ProbaSource", PROBA_SOURCES)


def value(choice) -> str:
    """The plain string of an enum member (or of a string)."""
    return choice.value if isinstance(choice, Enum) else str(choice)
