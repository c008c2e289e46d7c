"""Report section: the re-annotation queue (size, throughput per week, median time to label, open by tier)."""

from __future__ import annotations

import altair as alt

from ..inputs.weeks import Week
from ..queue.status import queue_status
from ..report import Action, Section, SectionResult
from ..store import Store


def build(store: Store, week: Week) -> SectionResult | None:
    status = queue_status(store)
    if status is None:
        return None
    figs = []
    if len(status.weekly):
        figs.append(
            alt.Chart(status.weekly, title="Items labeled back per week")
            .mark_bar()
            .encode(x=alt.X("week:N", title="ISO week"), y=alt.Y("labeled:Q", title="items labeled"))
        )
    if len(status.by_tier):
        figs.append(
            alt.Chart(status.by_tier, title="Open items by tier")
            .mark_bar()
            .encode(x=alt.X("open:Q", title="open or exported"), y=alt.Y("tier:N", title=None))
        )
    from ..gate import gate_thresholds

    k = status.kpis
    open_expert = int(status.by_tier.set_index("tier")["open"].get("expert", 0)) if len(status.by_tier) else 0
    limit = gate_thresholds()["max_open_expert_queue"]
    level = "red" if open_expert > limit else ("amber" if k["open"] else "green")
    actions = []
    if k["open"]:
        actions.append(Action(f"Label the {k['open']:,} open queue entries ({open_expert:,} for experts)",
                              "queue_by_tier.csv", 3 if level == "red" else 2))
    return SectionResult(
        summary=status.summary_lines(),
        kpis={**k, "open_expert": open_expert},
        charts=figs,
        tables={"weekly": status.weekly, "by_tier": status.by_tier},
        show=["weekly", "by_tier"],
        status=level,
        status_reason=f"{k['open']:,} open entries, {open_expert:,} for experts (the gate allows {limit:g})",
        actions=actions,
        headline={"open": "down"},
    )


SECTION = Section(key="queue", title="Re-annotation queue", order=60, build=build)
