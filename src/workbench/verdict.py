"""The report's first screen, "This week": status per area, headline KPIs with their trend, the actions, and
what the likely errors cost where they sit.

It knows no capability by name: each section's :class:`~workbench.report.SectionResult` brings its status,
actions, headline KPIs (with the direction that is better), their weekly history and its costs. Stored KPI
history (:mod:`workbench.kpis`) gives the earlier weeks; a week with no stored row takes the value a section
computed from the store for it, else it shows as not recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

SEVERITY_OF = {"red": 3, "amber": 2, "green": 1}
SHARE_WORDS = ("share", "percent", "alpha", "score", "accuracy", "ac1", "kappa", "health")


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    delta: str = ""
    trend: str = ""  # "better", "worse" or "" (unchanged or no previous week)
    previous_week: str = ""
    spark: str = ""  # inline SVG
    not_recorded: bool = False


@dataclass(frozen=True)
class Verdict:
    statuses: list[dict] = field(default_factory=list)
    tiles: list[Tile] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    cost_total: str = ""
    cost_unit: str = "units"
    overall: str = "green"

    def to_dict(self) -> dict:
        return {
            "overall": self.overall,
            "statuses": self.statuses,
            "tiles": [t.__dict__ | {"spark": None} for t in self.tiles],
            "actions": self.actions,
            "costs": self.costs,
            "cost_total": self.cost_total,
            "cost_unit": self.cost_unit,
        }


def _is_share(key: str, *values: float) -> bool:
    return any(w in key for w in SHARE_WORDS) and all(0.0 <= v <= 1.0 for v in values)


def sparkline(points: list[tuple[str, float]], *, width: int = 90, height: int = 22) -> str:
    """A small inline SVG line of the values in week order (no script, prints as it shows)."""
    values = [v for _, v in points]
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    step = width / (len(values) - 1)
    xy = " ".join(f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in enumerate(values))
    last_x, last_y = xy.split(" ")[-1].split(",")
    return (
        f"<svg class='spark' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
        f"aria-label='trend over {len(values)} weeks'><polyline fill='none' stroke='#1f3a5f' stroke-width='1.5' "
        f"points='{xy}'/><circle cx='{last_x}' cy='{last_y}' r='2.2' fill='#1f3a5f'/></svg>"
    )


def _series(key: str, section: str, week: str, current: float, stored: pd.DataFrame, computed: dict) -> dict:
    series: dict[str, float] = {}
    for w, v in (computed or {}).items():
        if v is not None and not (isinstance(v, float) and math.isnan(v)) and w < week:
            series[str(w)] = float(v)
    if not stored.empty:
        rows = stored[(stored["section"] == section) & (stored["key"] == key) & (stored["week"] < week)]
        for w, v in zip(rows["week"], rows["value"], strict=True):
            series[str(w)] = float(v)  # what was recorded then wins over a recomputation
    series[week] = float(current)
    return dict(sorted(series.items()))


def build_verdict(rendered, *, week: str, stored: pd.DataFrame, fmt, unit_cost: float = 1.0, cost_unit: str = "units"):
    """The "This week" block from the rendered sections (``(section, result, error)`` triples)."""
    statuses, tiles, actions, costs = [], [], [], []
    for section, result, error in rendered:
        anchor = f"#section-{section.key}"
        if error is not None:
            statuses.append({"area": section.title, "status": "red", "reason": "could not be computed",
                             "link": anchor})
            continue
        if result.status:
            statuses.append({"area": section.title, "status": result.status, "reason": result.status_reason,
                             "link": anchor})
        for key, better in result.headline.items():
            value = result.kpis.get(key)
            if value is None or isinstance(value, str):
                continue
            current = float(value)
            series = _series(key, section.key, week, current, stored, result.history.get(key, {}))
            earlier = [w for w in series if w < week]
            label = key.replace("_", " ")
            if not earlier:
                tiles.append(Tile(label, fmt(key, value), not_recorded=True))
                continue
            prev_week = earlier[-1]
            prev = series[prev_week]
            diff = current - prev
            if _is_share(key, current, prev):
                delta = f"{diff * 100:+.1f} pts"
            else:
                delta = f"{diff:+,.3g}"
            trend = "" if diff == 0 else ("better" if (diff > 0) == (better == "up") else "worse")
            tiles.append(
                Tile(label, fmt(key, value), delta=delta, trend=trend, previous_week=prev_week,
                     spark=sparkline(list(series.items())))
            )
        for a in result.actions:
            evidence = a.evidence or anchor
            text = a.text[:1].upper() + a.text[1:]
            actions.append({"text": text, "link": evidence, "severity": a.severity, "area": section.title})
        for c in result.costs:
            costs.append({"where": c.where, "items": int(c.items), "multiplier": c.multiplier,
                          "estimate": c.items * c.multiplier * unit_cost})
    actions.sort(key=lambda a: -a["severity"])
    overall = max((s["status"] for s in statuses), key=lambda s: SEVERITY_OF.get(s, 0), default="green")
    total = sum(c["estimate"] for c in costs)
    return Verdict(
        statuses=statuses,
        tiles=tiles,
        actions=actions,
        costs=costs,
        cost_total=f"{total:,.0f}" if costs else "",
        cost_unit=cost_unit,
        overall=overall,
    )
