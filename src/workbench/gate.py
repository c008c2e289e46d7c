"""The promotion gate: does this week's data meet the thresholds a training pipeline requires?

``workbench gate`` computes what it needs from the store (no earlier report is
required) and checks each threshold of ``[gate]`` in ``workbench.toml`` (or
``[tool.workbench.gate]``):

==========================  =======  ==========================================================
key                         default  measured as
==========================  =======  ==========================================================
``min_alpha``               0.667    Krippendorff's alpha over items with two or more annotations
``min_label_health``        0.9      the label health score (share of items not flagged by Cleanlab)
``min_gold_accuracy``       0.9      annotators' accuracy on gold items
``max_drifted_share``       0.5      share of input features drifted in the week (Evidently's default)
``max_gap_severity``        0.5      severity of the top significant guideline gap
``max_open_expert_queue``   50       open or exported expert-tier queue entries
==========================  =======  ==========================================================

0.667 is Krippendorff's own floor for drawing tentative conclusions from
coded data. A threshold whose capability has nothing to measure (no gold
items, no guideline file, no queue, too few weeks for drift) is *not
applicable* and does not fail the gate, unless ``strict``.

Each check is a small function of ``(store, week)``; a capability adds its
check to :data:`CHECKS` without the gate knowing it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import load_config
from .errors import BadInputError
from .inputs.weeks import Week, check_week_in_data, choose_week
from .results import json_safe
from .store import Store

DEFAULTS = {
    "min_alpha": 0.667,
    "min_label_health": 0.9,
    "min_gold_accuracy": 0.9,
    "max_drifted_share": 0.5,
    "max_gap_severity": 0.5,
    "max_open_expert_queue": 50,
}


@dataclass(frozen=True)
class Measure:
    """What a check measured: ``value`` or, when there is nothing to measure, why not."""

    value: float | None
    detail: str = ""


def _alpha(store: Store, week: Week) -> Measure:
    from .annotators import compute_agreement_from_set
    from .inputs.annotations import read_annotations

    agreement = compute_agreement_from_set(read_annotations(store, until=week.end))
    alpha = agreement.overall.get("krippendorff_alpha")
    if alpha is None:
        return Measure(None, "no item has two or more annotations")
    return Measure(float(alpha), f"over {agreement.overall['items']:,} items with 2+ annotations")


def _label_health(store: Store, week: Week) -> Measure:
    from .labels import compute_label_quality

    try:
        result = compute_label_quality(store, until=week.end, slices=False)
    except BadInputError as exc:
        return Measure(None, str(exc))
    return Measure(float(result.health_score), f"{result.counts['label_issues']:,} likely label errors")


def _gold_accuracy(store: Store, week: Week) -> Measure:
    from .inputs.annotations import read_annotations
    from .inputs.predictions import read_gold

    gold = read_gold(store)
    if gold is None or gold.empty:
        return Measure(None, "the store has no gold labels")
    ann = read_annotations(store, until=week.end).frame
    on_gold = ann[ann["item_id"].isin(gold.index)]
    if on_gold.empty:
        return Measure(None, "no annotation of a gold item yet")
    hits = on_gold["label"].to_numpy() == gold.reindex(on_gold["item_id"]).to_numpy()
    return Measure(float(np.mean(hits)), f"{len(on_gold):,} annotations of {on_gold['item_id'].nunique():,} gold items")


def _drifted_share(store: Store, week: Week) -> Measure:
    from .drift import compute_drift

    try:
        result = compute_drift(store, week=week, include_labels=False)
    except BadInputError as exc:
        return Measure(None, str(exc))
    return Measure(
        float(result.drifted_share),
        f"{result.n_drifted} of {len(result.columns)} features, {result.current} against {result.reference}",
    )


def _gap_severity(store: Store, week: Week) -> Measure:
    from .gaps import compute_gaps

    if store.guidelines() is None:
        return Measure(None, "the store has no guidelines.md")
    try:
        result = compute_gaps(store, hygiene=False)
    except BadInputError as exc:
        return Measure(None, str(exc))
    significant = result.significant()
    if significant.empty:
        return Measure(0.0, "no significant guideline gap")
    top = significant.sort_values("severity", ascending=False).iloc[0]
    where = f"section {top['section_id']}" if isinstance(top["section_id"], str) and top["section_id"] else "no section"
    return Measure(float(top["severity"]), f"{top['kind']} gap ({where}) {top['classes'] or ''}".strip())


def _open_expert_queue(store: Store, week: Week) -> Measure:
    if not store.has("wb_queue"):
        return Measure(None, "no re-annotation queue in the store")
    q = store.table("wb_queue")
    if "tier" not in q.columns or "status" not in q.columns:
        return Measure(None, "the queue table has no tier or status")
    n = int(q.filter((q.tier == "expert") & q.status.isin(["open", "exported"])).count().execute())
    return Measure(float(n), "open or exported expert-tier entries")


# threshold key -> (what it measures, check, "min" or "max")
CHECKS: dict[str, tuple[str, Callable[[Store, Week], Measure], str]] = {
    "min_alpha": ("Krippendorff's alpha", _alpha, "min"),
    "min_label_health": ("label health score", _label_health, "min"),
    "min_gold_accuracy": ("gold accuracy", _gold_accuracy, "min"),
    "max_drifted_share": ("drifted share of input features", _drifted_share, "max"),
    "max_gap_severity": ("top guideline gap severity", _gap_severity, "max"),
    "max_open_expert_queue": ("open expert-tier queue", _open_expert_queue, "max"),
}


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict for a week; ``to_frame()`` has one row per threshold, keyed by ``threshold``."""

    week: str
    rows: tuple[dict, ...]
    strict: bool
    week_note: str = ""
    thresholds: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r["status"] in ("pass", "not applicable") for r in self.rows)

    def unmet(self) -> list[dict]:
        return [r for r in self.rows if r["status"] not in ("pass", "not applicable")]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=["threshold", "measure", "value", "limit", "status", "detail"])

    def to_dict(self) -> dict:
        return json_safe(
            {
                "week": self.week,
                "passed": self.passed,
                "strict": self.strict,
                "week_note": self.week_note,
                "checks": list(self.rows),
                "unmet": self.unmet(),
                "thresholds": self.thresholds,
            }
        )

    def summary_lines(self) -> list[str]:
        lines = [f"Gate for {self.week}: {'PASSED' if self.passed else 'FAILED'}"]
        for r in self.rows:
            value = "n/a" if r["value"] is None else f"{r['value']:.4g}"
            sign = ">=" if r["threshold"].startswith("min_") else "<="
            lines.append(f"  {r['status']:15s} {r['measure']}: {value} (needs {sign} {r['limit']:g}). {r['detail']}")
        return lines


def gate_thresholds(config: dict | None = None, *, overrides: dict | None = None) -> dict:
    """``[gate]`` of the configuration over :data:`DEFAULTS`; unknown keys and non-numbers are bad input."""
    table = dict((load_config() if config is None else config).get("gate", {}) or {})
    table.update(overrides or {})
    unknown = sorted(set(table) - set(DEFAULTS) - {"strict"})
    if unknown:
        raise BadInputError(
            f"[gate] {', '.join(unknown)}: not a gate threshold. Thresholds: {', '.join(DEFAULTS)}."
        )
    out = dict(DEFAULTS)
    for key, value in table.items():
        if key == "strict":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInputError(f"[gate] {key} = {value!r}: give a number, e.g. {key} = {DEFAULTS[key]}.")
        out[key] = float(value)
    return out


def run_gate(
    store: Store, *, week: str | Week | None = None, thresholds: dict | None = None, strict: bool = False
) -> GateResult:
    """Measure each threshold's quantity for ``week`` (default: the default week) and compare."""
    if isinstance(week, str):
        week = Week.parse(week)
    check_week_in_data(store, week)
    choice = choose_week(store, week)
    limits = gate_thresholds() if thresholds is None else thresholds
    rows = []
    for key, (measure, check, kind) in CHECKS.items():
        m = check(store, choice.week)
        limit = float(limits[key])
        if m.value is None:
            status = "failed (strict)" if strict else "not applicable"
        else:
            ok = m.value >= limit if kind == "min" else m.value <= limit
            status = "pass" if ok else "failed"
        rows.append({"threshold": key, "measure": measure, "value": m.value, "limit": limit, "status": status,
                     "detail": m.detail})
    return GateResult(week=str(choice.week), rows=tuple(rows), strict=strict, week_note=choice.note,
                      thresholds=limits)
