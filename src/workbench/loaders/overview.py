"""Overview loaders for notebooks and apps: open the store read-only for one call, keep no connection."""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.weeks import weeks_with_data
from ..overview import Overview, compute_overview
from ..store import Store


@dataclass(frozen=True)
class OverviewChoices:
    """What the overview can be filtered by: weeks with data, classes, annotators."""

    store: str
    weeks: list[str]
    classes: list[str]
    annotators: list[str]


def overview_choices(target: str | None = None) -> OverviewChoices:
    """Open the store read-only, list the filter values, and close it (for notebooks and apps)."""
    with Store.open(target, read_only=True) as store:
        info = store.info()
        return OverviewChoices(
            store=store.display_target,
            weeks=[str(w) for w in weeks_with_data(store)],
            classes=info.classes,
            annotators=info.annotators,
        )


def load_overview(
    target: str | None = None,
    *,
    week: str | None = None,
    classes: list[str] | None = None,
    annotators: list[str] | None = None,
) -> Overview:
    """:func:`compute_overview` on a store opened read-only for the call (no connection is kept)."""
    with Store.open(target, read_only=True) as store:
        return compute_overview(store, week=week, classes=classes or None, annotators=annotators or None)
