"""Report section: the re-annotation queue (size, throughput per week, median time to label, open by tier)."""

from __future__ import annotations

import altair as alt

from ..inputs.weeks import Week
from ..queue.status import queue_status
from ..report import Section, SectionResult
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
    return SectionResult(
        summary=status.summary_lines(),
        kpis=status.kpis,
        charts=figs,
        tables={"weekly": status.weekly, "by_tier": status.by_tier},
        show=["weekly", "by_tier"],
    )


SECTION = Section(key="queue", title="Re-annotation queue", order=60, build=build)
