"""The quarterly data-quality audit: ``workbench report --quarter YYYY-Qn``.

The same report as the weekly one for the quarter's latest week with data, preceded by week-by-week trends
of every KPI over the quarter. Each week's KPIs come from the KPI history (``wb_kpi_history``) when a report
of that week was recorded; a week without a recorded row is computed now (and recorded when the store is
writable), so the trend covers every week of the quarter that has data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from .errors import BadInputError
from .inputs.weeks import Week, weekly_counts
from .kpis import kpi_rows, load_kpis, record_kpis
from .outputs import atomic_folder, write_csv, write_json, write_text
from .store import Store

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER.match(str(text).strip())
        if not m:
            raise BadInputError(f"--quarter {text!r} is not a quarter; write it as YYYY-Qn, e.g. 2026-Q4.")
        return cls(int(m.group(1)), int(m.group(2)))

    def weeks(self, available: list[Week]) -> list[Week]:
        """The ISO weeks (of ``available``) whose Thursday falls in this quarter (as ISO dates a week's year)."""
        first = date(self.year, 3 * self.number - 2, 1)
        last = date(self.year + (self.number == 4), 1 if self.number == 4 else 3 * self.number + 1, 1)
        return [w for w in available if first <= (w.start + timedelta(days=3)).date() < last]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True)
class QuarterResult:
    quarter: str
    path: Path
    weeks: list[str]
    computed: list[str]
    errors: dict[str, str]


def kpi_trends(store: Store, weeks: list[Week], *, record: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """``week, section, key, value`` for every numeric KPI of every week; weeks never recorded are computed."""
    from .report import compute_report

    stored = load_kpis(store)
    names = [str(w) for w in weeks]
    have = set(stored["week"]) if len(stored) else set()
    frames = [stored[stored["week"].isin(names)]] if len(stored) else []
    computed = []
    for w in weeks:
        if str(w) in have:
            continue
        report = compute_report(store, week=w)
        frames.append(kpi_rows(str(w), report.kpis()))
        computed.append(str(w))
        if record:
            try:
                record_kpis(store, str(w), report.kpis())
            except Exception as exc:  # a read-only store: the trend stands without recording
                if "read-only" not in str(exc).lower() and "read only" not in str(exc).lower():
                    raise
    frames = [f for f in frames if len(f)]
    trends = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["week", "section", "key"])
    trends = trends[["week", "section", "key", "value"]].sort_values(["section", "key", "week"]).reset_index(drop=True)
    return trends, computed


def trend_chart(trends: pd.DataFrame):
    """One small line chart per KPI (its own scale), week by week."""
    import altair as alt

    data = trends.assign(kpi=trends["section"] + ": " + trends["key"].str.replace("_", " "))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title=None),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=["kpi", "week", alt.Tooltip("value:Q", format=".4g")],
        )
        .properties(width=220, height=90)
        .facet(facet=alt.Facet("kpi:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def build_quarter_report(store: Store, quarter: str, *, out: str | Path = "reports") -> QuarterResult:
    """Write ``out/<YYYY-Qn>/index.html``: KPI trends over the quarter, then the latest week's report."""
    from .report import Section, SectionResult, compute_report, render_page

    q = Quarter.parse(quarter)
    available = list(weekly_counts(store)["week"])
    weeks = q.weeks(available)
    if not weeks:
        span = f"{available[0]} to {available[-1]}" if available else "no dated weeks"
        raise BadInputError(f"--quarter {q} has no week with data (the data spans {span}). Pick another quarter.")
    trends, computed = kpi_trends(store, weeks)
    wide = trends.assign(kpi=trends["section"] + "." + trends["key"]).pivot_table(
        index="week", columns="kpi", values="value", aggfunc="last"
    ).reset_index()

    def trends_section(store, week):
        return SectionResult(
            summary=[
                f"Week-by-week KPIs over {q}: {len(weeks)} week(s) with data ({weeks[0]} to {weeks[-1]}); "
                f"{len(computed)} computed now, the others as recorded by their weekly report."
            ],
            charts=[trend_chart(trends)] if len(trends) else [],
            tables={"kpi_trends": wide, "kpi_trends_long": trends},
            show=["kpi_trends"],
        )

    report = compute_report(store, week=weeks[-1])
    report.rendered.insert(0, (Section("quarter", f"Quarter {q}: KPI trends", 0, trends_section),
                               trends_section(store, weeks[-1]), None))
    report.specs["quarter"] = [c.to_dict() for c in report.rendered[0][1].charts]
    report.tables = {"quarter_kpi_trends.csv": wide, "quarter_kpi_trends_long.csv": trends, **report.tables}
    page = render_page(report, store=store, title=f"Data quality audit — quarter {q}")
    final = Path(out) / str(q)
    with atomic_folder(final) as folder:
        for name, frame in report.tables.items():
            write_csv(frame, folder / name)
        write_text(folder / "index.html", page)
        write_json(
            {"quarter": str(q), "weeks": [str(w) for w in weeks], "computed_weeks": computed, "trends": trends,
             "errors": report.errors},
            folder / "report.json",
        )
    return QuarterResult(str(q), final / "index.html", [str(w) for w in weeks], computed, report.errors)
