"""The ``[queue]`` table of ``workbench.toml``: signal weights, expert classes, gold rate, caps.

.. code-block:: toml

    [queue]
    weights = { label_issue = 1.0, consensus = 1.0, activelab = 0.5, uncertainty = 0.5 }
    expert_classes = ["one", "seven"]   # high-stakes classes go to the expert tier
    gold_rate = 0.05                    # gold items injected on top of the budget (share of it)
    class_cap = 0                       # at most this many entries per class (0: off)
    slice_by = "source"                 # an items column; with slice_cap, at most slice_cap entries per value
    slice_cap = 0
    duplicate_distance = 0.005          # cosine distance under which two items are near-duplicates

Weights not given keep their defaults (:data:`DEFAULT_WEIGHTS`); a weight of 0 turns a signal off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from ..config import load_config
from ..errors import BadInputError

#: Default weight of each signal (see :mod:`workbench.queue.signals`).
DEFAULT_WEIGHTS: dict[str, float] = {
    "label_issue": 1.0,
    "consensus": 1.0,
    "activelab": 0.5,
    "uncertainty": 0.5,
    "drift_novelty": 0.25,
    "gap": 0.5,
    "stale_guideline": 0.5,
}
DEFAULT_GOLD_RATE = 0.05
DEFAULT_DUPLICATE_DISTANCE = 0.005


@dataclass(frozen=True)
class QueueSettings:
    """How a queue batch is built; :func:`queue_settings` reads it from ``[queue]`` with overrides."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    expert_classes: tuple[str, ...] = ()
    gold_rate: float = DEFAULT_GOLD_RATE
    class_cap: int | None = None
    slice_by: str | None = None
    slice_cap: int | None = None
    duplicate_distance: float = DEFAULT_DUPLICATE_DISTANCE

    def to_dict(self) -> dict:
        return {
            "weights": dict(self.weights),
            "expert_classes": list(self.expert_classes),
            "gold_rate": self.gold_rate,
            "class_cap": self.class_cap,
            "slice_by": self.slice_by,
            "slice_cap": self.slice_cap,
            "duplicate_distance": self.duplicate_distance,
        }


def check_weights(weights: dict[str, Any], *, where: str = "weights") -> dict[str, float]:
    """Weights as floats >= 0 over known signal names; all zero is bad input."""
    out = check_weights_raw(weights, where)
    if not any(out.values()):
        raise BadInputError(
            f"{where}: every weight is 0, so no item would have a priority. Give at least one signal a weight "
            "above 0 (for example label_issue=1)."
        )
    return out


def _cap(value: Any, where: str) -> int | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or int(value) != value:
        raise BadInputError(f"{where}: {value!r} is not a whole number >= 0 (0 turns the cap off).")
    return int(value)


def queue_settings(config: dict | None = None, **overrides: Any) -> QueueSettings:
    """The ``[queue]`` settings (defaults overlaid with the file), then ``overrides`` (None means not given).

    ``weights`` in ``overrides`` are merged over the configured ones.
    """
    table = dict((config if config is not None else load_config()).get("queue", {}))
    given = {k: v for k, v in overrides.items() if v is not None}
    weights = dict(DEFAULT_WEIGHTS)
    if "weights" in table:
        if not isinstance(table["weights"], dict):
            raise BadInputError("[queue] weights must be a table such as { label_issue = 1.0, consensus = 0.5 }.")
        weights |= check_weights_raw(table["weights"], "[queue] weights")
    if "weights" in given:
        weights |= check_weights_raw(given.pop("weights"), "--weight")
    weights = check_weights(weights, where="[queue] weights / --weight")
    expert = given.pop("expert_classes", table.get("expert_classes", ()))
    if isinstance(expert, str) or not all(isinstance(c, str | int) for c in expert):
        raise BadInputError("[queue] expert_classes must be a list of class labels, e.g. ['one', 'seven'].")
    gold_rate = given.pop("gold_rate", table.get("gold_rate", DEFAULT_GOLD_RATE))
    if isinstance(gold_rate, bool) or not isinstance(gold_rate, int | float) or not 0 <= gold_rate <= 1:
        raise BadInputError(f"[queue] gold_rate / --gold-rate: {gold_rate!r} is not a share between 0 and 1.")
    distance = given.pop("duplicate_distance", table.get("duplicate_distance", DEFAULT_DUPLICATE_DISTANCE))
    if isinstance(distance, bool) or not isinstance(distance, int | float) or distance < 0:
        raise BadInputError(f"[queue] duplicate_distance: {distance!r} is not a number >= 0 (0 turns it off).")
    settings = QueueSettings(
        weights=weights,
        expert_classes=tuple(str(c) for c in expert),
        gold_rate=float(gold_rate),
        class_cap=_cap(given.pop("class_cap", table.get("class_cap")), "[queue] class_cap / --class-cap"),
        slice_by=given.pop("slice_by", table.get("slice_by")) or None,
        slice_cap=_cap(given.pop("slice_cap", table.get("slice_cap")), "[queue] slice_cap / --slice-cap"),
        duplicate_distance=float(distance),
    )
    if settings.slice_cap is not None and settings.slice_by is None:
        raise BadInputError("a slice cap needs the column to slice by: set [queue] slice_by or pass --slice-by.")
    if given:
        settings = replace(settings, **given)
    return settings


def check_weights_raw(weights: Any, where: str) -> dict:
    """Weights given somewhere (a table, options), checked one by one but not yet for all-zero."""
    from .signals import SIGNALS

    if not isinstance(weights, dict):
        raise BadInputError(f"{where}: weights must map signal names to numbers.")
    out = {}
    for name, value in weights.items():
        if name not in SIGNALS:
            raise BadInputError(f"{where}: unknown signal {name!r}; the signals are {', '.join(SIGNALS)}.")
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise BadInputError(f"{where}: weight of {name!r} is {value!r}, not a number.") from None
        if not math.isfinite(w) or w < 0:
            raise BadInputError(f"{where}: weight of {name!r} is {value!r}; weights are numbers >= 0.")
        out[name] = w
    return out


def parse_weight_options(values: list[str] | None) -> dict[str, float] | None:
    """``--weight NAME=W`` options (repeatable; ``a=1,b=0.5`` also works) as a dict."""
    if not values:
        return None
    out: dict[str, Any] = {}
    for text in values:
        for part in str(text).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise BadInputError(f"--weight {text!r}: write NAME=WEIGHT, e.g. --weight label_issue=1.")
            name, value = (p.strip() for p in part.split("=", 1))
            out[name] = value
    return out
