"""The weekly report for the notebook: the same sections and "This week" block as ``workbench report``."""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.weeks import weekly_counts
from ..report import WeeklyReport, _fmt_kpi, compute_report
from ..store import Store


@dataclass(frozen=True)
class ReportChoices:
    weeks: list[str]
    default: str
    store: str


def report_choices(target: str | None = None) -> ReportChoices:
    """Weeks with data and the default week (the report's), for the week picker."""
    from ..inputs.weeks import choose_week

    with Store.open(target, read_only=True) as store:
        weeks = [str(w) for w in weekly_counts(store)["week"]]
        default = str(choose_week(store).week)
        return ReportChoices(weeks=weeks, default=default, store=store.display_target)


def load_weekly_health(week: str | None = None, *, target: str | None = None) -> WeeklyReport:
    """:func:`~workbench.report.compute_report` on the store opened read-only (nothing is recorded)."""
    with Store.open(target, read_only=True) as store:
        return compute_report(store, week=week or None)


format_kpi = _fmt_kpi
