"""The annotators loader for notebooks: run the pipeline on a store opened read-only for one call."""

from __future__ import annotations

from ..annotators import AnnotatorsOverview, annotators_overview
from ..store import Store


def load_annotators(target: str | None = None, *, method: str = "auto") -> AnnotatorsOverview:
    """:func:`~workbench.annotators.annotators_overview` on a store opened read-only for the call (for notebooks)."""
    with Store.open(target, read_only=True) as store:
        return annotators_overview(store, method=method)
