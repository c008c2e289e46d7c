"""Predictions and gold labels as every capability reads them.

Which predictions count: the ``model_version`` given (``--model-version``),
else the most recently ingested one (by its latest ``wb_ingested_at``; ties
to the alphabetically last version). A table without ``model_version`` holds
one model.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from ..contract import proba_columns
from ..errors import BadInputError


def model_versions(store, *, as_of=None) -> list[str]:
    """Stored model versions, oldest ingestion first (the last one is the default)."""
    if not store.has("predictions"):
        return []
    t = store.data("predictions", as_of=as_of, lineage=True)
    if "model_version" not in t.columns:
        return []
    latest = t.wb_ingested_at.max() if "wb_ingested_at" in t.columns else ibis.literal(0)
    v = t.group_by("model_version").aggregate(latest=latest).execute()
    v = v.dropna(subset=["model_version"]).sort_values(["latest", "model_version"])
    return [str(x) for x in v["model_version"]]


def choose_model_version(store, model_version: str | None = None, *, as_of=None) -> str | None:
    """The model version that counts: ``model_version`` when given (checked), else the latest ingested."""
    versions = model_versions(store, as_of=as_of)
    if model_version is not None:
        if model_version not in versions:
            raise BadInputError(
                f"--model-version {model_version!r} is not in table 'predictions', column 'model_version'; "
                f"stored: {', '.join(versions) or 'none'}."
            )
        return model_version
    return versions[-1] if versions else None


def prediction_table(store, *, model_version: str | None = None, as_of=None) -> tuple[ibis.Table, str | None]:
    """The predictions of the version that counts (an ibis expression) and that version."""
    t = store.data("predictions", as_of=as_of)
    chosen = choose_model_version(store, model_version, as_of=as_of)
    if chosen is not None:
        t = t.filter(t.model_version == chosen)
    return t, chosen


@dataclass(frozen=True)
class Predictions:
    """Predicted probabilities aligned to ``classes``, a row per item of ``item_id``."""

    item_id: pd.Index
    proba: np.ndarray
    model_version: str | None
    notes: tuple[str, ...] = ()


def read_predictions(
    store, classes: tuple[str, ...], *, model_version: str | None = None, as_of=None
) -> Predictions | None:
    """The store's predicted probabilities for ``classes`` (one model version), or ``None`` without a table."""
    if not store.has("predictions"):
        return None
    t, version = prediction_table(store, model_version=model_version, as_of=as_of)
    cols = proba_columns(t.columns)
    missing = [c for c in classes if c not in cols]
    if missing:
        raise BadInputError(
            f"Table 'predictions' has no column proba_{missing[0]} for class {missing[0]!r}. "
            "Add a proba_<label> column for every class annotated."
        )
    notes = []
    if len(model_versions(store, as_of=as_of)) > 1:
        notes.append(f"predictions of model_version {version!r} were used (choose another with --model-version).")
    frame = t.select("item_id", *[cols[c] for c in classes]).execute()
    proba = frame[[cols[c] for c in classes]].to_numpy(dtype=float)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return Predictions(item_id=pd.Index(frame["item_id"]), proba=proba, model_version=version, notes=tuple(notes))


def read_gold(store, *, as_of=None) -> pd.Series | None:
    """Gold labels by item id, or ``None`` when the store has no gold table."""
    if not store.has("gold"):
        return None
    g = store.data("gold", as_of=as_of).select("item_id", "label").execute()
    return g.set_index("item_id")["label"]
