"""Drift: have the inputs (and the labels and predictions) moved away from a reference window?

A *window* selects items: a date range on ``items.created_at``
(``2026-09-01..2026-09-30`` means 2026-09-01 <= created_at < 2026-10-01; either
end may be left open, and ISO weeks such as ``2026-W46`` or
``2026-W40..2026-W41`` work too) or a filter on an items column
(``split=train``, ``source=synthetic``).

:func:`compute_drift` compares a current window with a reference window,
feature by feature (numeric, categorical and free text), with Evidently's
method choice and thresholds; the statistics are computed in the store
(:mod:`workbench.drift_stats`), so windows of millions of rows stay cheap.
The share of drifted *input features* decides the dataset verdict
(``drift_share``, 0.5 by default, as Evidently); the drift of the annotation
labels and of the predicted labels is reported beside it, outside that verdict.

:func:`compute_drift_by_week` compares every ISO week with one reference
(by default the first two weeks with data), summarising the reference once;
:func:`save_drift_history` stores the result in ``wb_drift_history``.
:func:`evidently_report_html` renders Evidently's own report on a bounded
random sample, for people; :func:`evidently_drift_table` runs Evidently's
preset on frames and serves as the reference implementation in tests and
benchmarks. Evidently is imported only inside those two functions.

Example
-------
>>> from workbench.store import Store
>>> from workbench.drift import compute_drift
>>> with Store.open("data/workbench.duckdb", read_only=True) as store:  # doctest: +SKIP
...     result = compute_drift(store, reference="2026-W40..2026-W41", current="2026-W46")
>>> result.dataset_drift, result.drifted_share  # doctest: +SKIP
(True, 1.0)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import altair as alt
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from . import drift_stats as ds
from .config import load_config
from .contract import proba_columns
from .errors import BadInputError
from .inputs.annotations import latest_annotations
from .inputs.items import column_kinds, configured_kinds
from .inputs.predictions import prediction_table
from .inputs.vote import majority_vote_table
from .inputs.weeks import Week, item_weeks, resolve_week
from .store import Store

HISTORY_TABLE = "wb_drift_history"
DEFAULT_DRIFT_SHARE = 0.5
REFERENCE_WEEKS = 2
HTML_SAMPLE = 2000
WIDTH = 420
DISPLAY_BINS = 30  # buckets of a numeric distribution chart
TOP_VALUES = 12  # values shown in a categorical distribution chart

_DATE = r"\d{4}-\d{2}-\d{2}"
_WEEK = r"\d{4}-W\d{2}"


# -- windows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A selection of items: a ``created_at`` range ``[start, end)``, or ``column == value``.

    ``exclude`` removes the rows of another window (weekly windows compared
    with a filter reference leave the reference's rows out).
    """

    text: str
    start: datetime | None = None
    end: datetime | None = None
    column: str | None = None
    value: str | None = None
    exclude: Window | None = None

    @classmethod
    def parse(cls, text: str, *, option: str = "--current") -> Window:
        """Parse ``A..B`` (dates or ISO weeks, either end open), ``YYYY-Www``, or ``column=value``."""
        raw = text.strip()
        if "=" in raw:
            column, value = (p.strip() for p in raw.split("=", 1))
            if not column or not value:
                raise BadInputError(f"{option} {text!r}: write a filter as column=value, e.g. split=train.")
            return cls(text=raw, column=column, value=value)
        if re.fullmatch(_WEEK, raw):
            week = Week.parse(raw)
            return cls(text=raw, start=week.start, end=week.end)
        if ".." in raw:
            a, b = (p.strip() for p in raw.split("..", 1))
            start = _bound(a, option, text, end=False) if a else None
            end = _bound(b, option, text, end=True) if b else None
            if start is None and end is None:
                raise BadInputError(f"{option} {text!r}: give at least one end of the date range.")
            if start is not None and end is not None and start >= end:
                raise BadInputError(f"{option} {text!r}: the range is empty (its start is not before its end).")
            return cls(text=raw, start=start, end=end)
        raise BadInputError(
            f"{option} {text!r} is not a window. Use a date range A..B (e.g. 2026-09-01..2026-09-30, "
            "meaning A <= created_at < B + 1 day), an ISO week (2026-W46) or range of weeks "
            "(2026-W40..2026-W41), or a filter on an items column (split=train, source=synthetic)."
        )

    @classmethod
    def weeks(cls, first: Week, last: Week) -> Window:
        text = str(first) if first == last else f"{first}..{last}"
        return cls(text=text, start=first.start, end=last.end)

    @property
    def is_dates(self) -> bool:
        return self.column is None

    def apply(self, items: ir.Table, *, option: str = "window") -> ir.Table:
        """The items of this window (an ibis expression)."""
        if self.is_dates:
            if "created_at" not in items.columns:
                raise BadInputError(
                    f"{option} {self.text!r} is a date range, but the items table has no created_at column. "
                    "Use a filter window such as split=train, or add created_at to items."
                )
            cond = ibis.literal(True)
            if self.start is not None:
                cond &= items.created_at >= ibis.literal(self.start)
            if self.end is not None:
                cond &= items.created_at < ibis.literal(self.end)
            out = items.filter(cond)
        else:
            if self.column not in items.columns:
                raise BadInputError(
                    f"{option} {self.text!r}: the items table has no column '{self.column}'. "
                    f"Filter on one of: {', '.join(c for c in items.columns if not c.startswith('wb_'))}."
                )
            out = items.filter(items[self.column].cast("string") == self.value)
        if self.exclude is not None:
            out = out.anti_join(self.exclude.apply(items).select("item_id"), "item_id")
        return out

    def __str__(self) -> str:
        return self.text


def _bound(text: str, option: str, whole: str, *, end: bool) -> datetime:
    if re.fullmatch(_WEEK, text):
        week = Week.parse(text)
        return week.end if end else week.start
    if re.fullmatch(_DATE, text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise BadInputError(f"{option} {whole!r}: {text} is not a valid date ({exc}).") from exc
        moment = datetime.combine(day, datetime.min.time())
        return moment + timedelta(days=1) if end else moment
    raise BadInputError(f"{option} {whole!r}: {text!r} is neither a date (YYYY-MM-DD) nor an ISO week (YYYY-Www).")


def _resolve_windows(store: Store, reference, current, *, week=None, config=None) -> tuple[Window, Window]:
    """Windows given as text or :class:`Window`; a missing one takes its default (:func:`default_windows`)."""
    if reference is None or current is None:
        dref, dcur = default_windows(store, week=week, config=config)
        reference = dref if reference is None else reference
        current = dcur if current is None else current
    reference = Window.parse(reference, option="--reference") if isinstance(reference, str) else reference
    current = Window.parse(current, option="--current") if isinstance(current, str) else current
    return reference, current


def default_reference(store: Store, *, config: dict | None = None) -> Window:
    """The drift reference: ``[drift] reference`` when configured, else the first two ISO weeks with items.

    One rule for the command, the report and the notebook; a fixed reference
    is also what lets its summary be cached between weekly runs.
    """
    config = drift_config() if config is None else config
    if config.get("reference"):
        return Window.parse(str(config["reference"]), option="[drift] reference")
    weeks = item_weeks(store)
    n = int(config.get("reference_weeks", REFERENCE_WEEKS))
    if len(weeks) <= n:
        raise BadInputError(
            f"The default drift reference is the first {n} ISO weeks with items, and a later week is compared "
            f"with it, but items (items.created_at) span {len(weeks)} week(s). Pass --reference and --current, "
            "e.g. --reference split=train --current split=eval, or set [drift] reference in workbench.toml."
        )
    return Window.weeks(weeks[0], weeks[n - 1])


def default_windows(store: Store, *, week=None, config: dict | None = None) -> tuple[Window, Window]:
    """Reference: :func:`default_reference`; current: ``week`` (default: the default week of every command)."""
    reference = default_reference(store, config=config)
    week = resolve_week(store, week)
    if reference.is_dates and reference.end is not None and week.start < reference.end and (
        reference.start is None or week.end > reference.start
    ):
        raise BadInputError(
            f"{week} is part of the drift reference ({reference}); later weeks are compared with it. "
            "Choose a later --week or another --reference."
        )
    return reference, Window.weeks(week, week)


def _check_window(store: Store, items: ir.Table, window: Window, option: str) -> int:
    n = int(window.apply(items, option=option).count().execute())
    if n:
        return n
    extra = ""
    if window.is_dates and "created_at" in items.columns:
        span = items.aggregate(lo=items.created_at.min(), hi=items.created_at.max()).execute().iloc[0]
        lo, hi = span["lo"], span["hi"]
        outside = (window.end is not None and window.end <= lo) or (window.start is not None and window.start > hi)
        if outside:
            extra = f" Its dates are outside the data: items were created from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}."
        else:
            extra = f" (items span {lo:%Y-%m-%d} to {hi:%Y-%m-%d})."
    elif not window.is_dates:
        values = items.select(v=items[window.column].cast("string")).distinct().limit(12).execute()["v"]
        extra = f" Values of {window.column} include: {', '.join(map(str, values.dropna()))}."
    raise BadInputError(f"{option} {window.text!r} selects no items.{extra} Choose a window with data.")


# -- configuration and column kinds ------------------------------------------------------------------


def drift_config() -> dict:
    """The ``[drift]`` table of the configuration (empty when absent)."""
    return dict(load_config().get("drift", {}))


def infer_kinds(store: Store, columns: list[str] | None = None, *, config: dict | None = None) -> dict[str, str]:
    """Kind of each feature: the workbench's one rule (:mod:`workbench.inputs.items`, Evidently's).

    ``config`` (a whole configuration, default ``workbench.toml``) supplies the
    per-column overrides.
    """
    overrides = configured_kinds()
    if config is not None:
        overrides.update(configured_kinds({"drift": config}))
    return column_kinds(store, columns, overrides=overrides)


# -- results -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column: Evidently's method, statistic, threshold and verdict."""

    column: str
    kind: str
    method: str
    statistic: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    scope: str = "feature"  # feature, label or prediction
    p_adjusted: float | None = None
    detail: dict = field(default_factory=dict)

    @property
    def severity(self) -> float:
        """How far past its threshold the statistic is (> 1 means drifted, for every method)."""
        if ds.METHODS[self.method].statistic == "p_value":
            p = self.p_adjusted if self.p_adjusted is not None else self.statistic
            return math.log10(max(p, 1e-300)) / math.log10(self.threshold)
        if self.method == "perc_text_content_drift":
            cutoff = self.detail.get("random_auc_percentile", 0.5)
            return (self.statistic - 0.5) / max(cutoff - 0.5, 1e-9)
        if self.method == "abs_text_content_drift":
            return (self.statistic - 0.5) / max(self.threshold - 0.5, 1e-9)
        return self.statistic / self.threshold

    def to_dict(self) -> dict:
        out = {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": _num(self.statistic),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }
        if self.p_adjusted is not None:
            out["p_adjusted"] = _num(self.p_adjusted)
        if self.detail:
            out["detail"] = {k: _num(v) if isinstance(v, float) else v for k, v in self.detail.items()}
        return out


def _num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


@dataclass(frozen=True)
class DriftResult:
    """Drift of a current window against a reference window.

    ``columns`` holds the input features; the dataset verdict counts only
    them. ``label_drift`` and ``prediction_drift`` (annotation labels and
    predicted labels of the windows' items) are reported beside it.
    ``distributions`` holds small frames (reference vs current shares per
    bucket) for the charts.
    """

    reference: str
    current: str
    n_reference: int
    n_current: int
    columns: tuple[ColumnDrift, ...]
    drift_share: float
    correction: str
    label_drift: ColumnDrift | None
    prediction_drift: ColumnDrift | None
    distributions: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    params: dict = field(default_factory=dict)

    @property
    def n_drifted(self) -> int:
        return sum(c.drifted for c in self.columns)

    @property
    def drifted_share(self) -> float:
        return self.n_drifted / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drifted_share >= self.drift_share

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)

    def drifted_columns(self) -> list[str]:
        """Drifted features, most severe first."""
        return [c.column for c in sorted(self.columns, key=lambda c: -c.severity) if c.drifted]

    def to_frame(self) -> pd.DataFrame:
        """One row per column (features, then the label and prediction rows)."""
        rows = [dict(scope=c.scope, **c.to_dict(), severity=c.severity) for c in self._all()]
        frame = pd.DataFrame(rows)
        if "detail" in frame:
            frame = frame.drop(columns="detail")
        return frame

    def _all(self) -> list[ColumnDrift]:
        extra = [c for c in (self.label_drift, self.prediction_drift) if c is not None]
        return [*self.columns, *extra]

    def to_dict(self) -> dict:
        return {
            "reference": {"window": self.reference, "rows": self.n_reference},
            "current": {"window": self.current, "rows": self.n_current},
            "dataset_drift": self.dataset_drift,
            "drifted_share": self.drifted_share,
            "drift_share": self.drift_share,
            "n_features": len(self.columns),
            "n_drifted": self.n_drifted,
            "correction": self.correction,
            "columns": [c.to_dict() for c in self.columns],
            "label_drift": self.label_drift.to_dict() if self.label_drift else None,
            "prediction_drift": self.prediction_drift.to_dict() if self.prediction_drift else None,
            "params": self.params,
        }


# -- computing -----------------------------------------------------------------------------------------

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 16


def _data_version(store: Store) -> tuple:
    t = store.table("items")
    if "wb_ingested_at" in t.columns:
        r = t.aggregate(n=t.count(), at=t.wb_ingested_at.max()).execute().iloc[0]
        return int(r["n"]), str(r["at"])
    return (int(t.count().execute()),)


def summarise_reference(
    store: Store, window: Window, kinds: dict[str, str], *, n_bins: int = ds.N_BINS
) -> ds.WindowSummary:
    """The reference window's summary, computed once and reused: in memory for the process, and on disk beside
    a DuckDB store file (``<store>.cache/drift/``) for later processes, e.g. next week's ``workbench drift``
    against the same reference. An entry stands while the window's rows do (their count and latest
    ingestion time); deleting the folder is always safe."""
    items = store.data("items")
    table = window.apply(items, option="--reference")
    disk = _disk_entry(store, window, kinds, n_bins)
    return _cached(store, ("items", window, n_bins), table, kinds, label=str(window), n_bins=n_bins, disk=disk)


def _cached(
    store: Store,
    key: tuple,
    table: ir.Table,
    kinds: dict[str, str],
    *,
    label: str,
    n_bins: int = ds.N_BINS,
    disk: Path | None = None,
):
    key = (store.target, *key, tuple(kinds.items()), _data_version(store))
    order = ("item_id",)
    hit = _CACHE.get(key)
    if hit is None and disk is not None:
        hit = _load_summary(disk, table=None)
    if hit is not None:
        _remember(key, hit)
        # The cached numbers stand; the expression is rebound to this connection.
        return dataclasses.replace(hit, table=ds.prepare(table, kinds, order_by=order, clean=set(hit.cleaned)))
    summary = ds.summarise(table, kinds, label=label, n_bins=n_bins, order_by=order)
    _remember(key, summary)
    if disk is not None:
        _save_summary(disk, summary)
    return summary


def _remember(key: tuple, summary: ds.WindowSummary) -> None:
    """Keep ``summary`` as the most recently used of at most ``_CACHE_SIZE`` in memory."""
    _CACHE[key] = summary
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


DISK_CACHE_FILES = 4  # reference summaries kept beside a store (the most recently used)
_DISK_FORMAT = 2


def _disk_entry(store: Store, window: Window, kinds: dict[str, str], n_bins: int) -> Path | None:
    """Where the summary of ``window`` lives on disk, named after what it depends on; None where there is no
    store file to keep it beside, or no ingestion times to tell a changed window from an unchanged one."""
    if store.path is None:
        return None
    items = store.table("items")
    if "wb_ingested_at" not in items.columns:
        return None
    rows = window.apply(items, option="--reference")
    r = rows.aggregate(n=rows.count(), at=rows.wb_ingested_at.max()).execute().iloc[0]
    from . import __version__

    # What the summary's layout and contents depend on besides the data, so that a changed summariser never
    # reads an entry written by another.
    layout = (
        [f.name for f in dataclasses.fields(ds.WindowSummary)],
        [f.name for f in dataclasses.fields(ds.ColumnProfile)],
        (ds.TAIL_BINS, ds.TAIL_LINEAR, ds.TAIL_PER_DOUBLING, ds.VALUE_COUNTS_MAX, ds.EXACT_KS_MAX),
    )
    ident = repr(
        (_DISK_FORMAT, __version__, layout, str(window), sorted(kinds.items()), n_bins, int(r["n"]), str(r["at"]))
    )
    name = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return store.path.with_name(store.path.name + ".cache") / "drift" / f"reference-{name}.npz"


def _load_summary(path: Path, table: ir.Table) -> ds.WindowSummary | None:
    if not path.exists():
        return None
    try:
        summary = ds.read_summary(path, table)
        os.utime(path)  # most recently used
        return summary
    except Exception:  # unreadable (a partial copy, another format): summarise again, replacing it
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


def _save_summary(path: Path, summary: ds.WindowSummary) -> None:
    """Best effort: a store folder that cannot be written to only loses the cache."""
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            ds.write_summary(summary, f)
        os.replace(tmp, path)  # whole or not at all, also with another process writing the same entry
        entries = sorted(path.parent.glob("reference-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[DISK_CACHE_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _check_types(ref: ds.WindowSummary, cur: ds.WindowSummary, forced: set[str]) -> None:
    for col, pr in ref.profiles.items():
        pc = cur.profiles[col]
        if pr.kind == ds.NUMERIC or col in forced or not pr.sampled or not pc.sampled:
            continue
        ref_numeric = pr.numeric_strings == pr.sampled
        cur_numeric = pc.numeric_strings == pc.sampled
        if ref_numeric != cur_numeric:
            which = (ref.label, cur.label) if ref_numeric else (cur.label, ref.label)
            raise BadInputError(
                f"Column '{col}' changes type between windows: all its values are numbers in '{which[0]}' but not "
                f"in '{which[1]}'. Fix the data, or declare its kind under [drift] (e.g. categorical_columns = "
                f'["{col}"]) to compare it as it is.'
            )


def compute_drift(
    store: Store,
    *,
    reference: Window | str | None = None,
    current: Window | str | None = None,
    columns: list[str] | None = None,
    drift_share: float | None = None,
    correction: str | None = None,
    methods: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    include_labels: bool = True,
    week: str | Week | None = None,
    model_version: str | None = None,
    seed: int = 0,
    config: dict | None = None,
    _reference_summary: ds.WindowSummary | None = None,
    _kinds: dict[str, str] | None = None,
) -> DriftResult:
    """Compare the ``current`` window with the ``reference`` window, column by column.

    Parameters
    ----------
    reference, current
        Windows (see :class:`Window`); default: :func:`default_windows`, the
        ``[drift] reference`` window or the first two ISO weeks with items,
        against ``week``.
    week
        The current window when ``current`` is not given (default: the
        default week of every command, the latest with data).
    model_version
        Predictions of this model version for prediction drift (default: the
        latest ingested).
    columns
        Features to compare (default: every feature column of ``items``).
    drift_share
        Share of drifted input features at which the dataset counts as drifted
        (default 0.5, or ``[drift] drift_share``).
    correction
        ``"bh"`` applies Benjamini-Hochberg across the features' p-values
        (K-S, chi-square, Z-test); distance measures are left as they are.
        Off by default (``[drift] correction``).
    methods, thresholds
        Per-column overrides (Evidently's method names: ks, chisquare, z,
        wasserstein, jensenshannon, perc_text_content_drift,
        abs_text_content_drift); ``[drift.columns.<name>]`` in the config sets
        them too.
    """
    config = drift_config() if config is None else config
    reference, current = _resolve_windows(store, reference, current, week=week, config=config)
    drift_share = float(config.get("drift_share", DEFAULT_DRIFT_SHARE) if drift_share is None else drift_share)
    if not 0 < drift_share <= 1:
        raise BadInputError(f"drift_share {drift_share} must be in (0, 1].")
    correction = (config.get("correction", "none") if correction is None else correction) or "none"
    if correction not in ("none", "bh"):
        raise BadInputError(f"correction {correction!r}: use 'none' or 'bh' (Benjamini-Hochberg).")
    per_column = {k: dict(v) for k, v in (config.get("columns", {}) or {}).items()}
    for c, m in (methods or {}).items():
        per_column.setdefault(c, {})["method"] = m
    for c, t in (thresholds or {}).items():
        per_column.setdefault(c, {})["threshold"] = t

    items = store.data("items")
    n_ref = _check_window(store, items, reference, "--reference")
    n_cur = _check_window(store, items, current, "--current")
    kinds = _kinds or infer_kinds(store, columns, config=config)
    if not kinds:
        raise BadInputError("The items table has no feature columns to compare (see the data contract).")
    ref_summary = _reference_summary or summarise_reference(store, reference, kinds)
    cur_summary = ds.summarise(
        current.apply(items, option="--current"),
        kinds,
        label=str(current),
        bins_from=ref_summary,
        order_by=("item_id",),
    )
    forced = {c for k in ds.KINDS for c in (config.get(f"{k}_columns", []) or [])}
    _check_types(ref_summary, cur_summary, forced)

    stats = ds.column_statistics(
        ref_summary,
        cur_summary,
        list(kinds),
        methods={c: o.get("method") for c, o in per_column.items()},
        thresholds={c: o.get("threshold") for c, o in per_column.items()},
        seed=seed,
    )
    cols = [_column_drift(s, "feature") for s in stats]
    if correction == "bh":
        idx = [i for i, c in enumerate(cols) if ds.METHODS[c.method].statistic == "p_value"]
        adjusted = ds.benjamini_hochberg([cols[i].statistic for i in idx])
        for i, p in zip(idx, adjusted, strict=True):
            m = ds.METHODS[cols[i].method]
            cols[i] = dataclasses.replace(cols[i], p_adjusted=p, drifted=m.drifted(p, cols[i].threshold))

    label = prediction = None
    notes = []
    if include_labels:
        label, note = _label_drift(store, items, reference, current, seed=seed)
        notes += [note] if note else []
        prediction, note = _prediction_drift(store, items, reference, current, seed=seed, model_version=model_version)
        notes += [note] if note else []

    return DriftResult(
        reference=str(reference),
        current=str(current),
        n_reference=n_ref,
        n_current=n_cur,
        columns=tuple(cols),
        drift_share=drift_share,
        correction="benjamini-hochberg (p-value methods only)" if correction == "bh" else "none",
        label_drift=label,
        prediction_drift=prediction,
        distributions=_distributions(ref_summary, cur_summary),
        params={
            "kinds": kinds,
            "overrides": per_column,
            "methods_source": "Evidently 0.7 defaults (get_stattest), statistics computed in the store",
            "notes": notes,
            "seed": seed,
        },
    )


def _column_drift(s: ds.ColumnStatistic, scope: str) -> ColumnDrift:
    return ColumnDrift(
        column=s.column,
        kind=s.kind,
        method=s.method,
        statistic=s.statistic,
        threshold=s.threshold,
        drifted=s.drifted,
        n_reference=s.n_reference,
        n_current=s.n_current,
        scope=scope,
        detail=s.detail,
    )


def _small_drift(store: Store, ref_t: ir.Table, cur_t: ir.Table, column: str, scope: str, labels, seed: int):
    kinds = {column: ds.CATEGORICAL}
    r = _cached(store, (scope, labels[0]), ref_t, kinds, label=labels[0])
    c = ds.summarise(cur_t, kinds, label=labels[1], bins_from=r)
    if not r.profiles[column].n or not c.profiles[column].n:
        side = labels[0] if not r.profiles[column].n else labels[1]
        return None, f"no {scope} drift: window '{side}' has no {scope}s"
    return _column_drift(ds.column_statistic(r, c, column, seed=seed), scope), None


def _label_drift(store: Store, items: ir.Table, reference: Window, current: Window, *, seed: int):
    """Drift of the items' majority-vote labels (one label per item: annotations of one item are not
    independent draws, so counting annotations would overstate the evidence)."""
    if not store.has("annotations"):
        return None, "no label drift: the store has no annotations"
    # One label per item: the majority vote over each annotator's latest label.
    consensus = majority_vote_table(latest_annotations(store)).select("item_id", label="consensus_label")

    def labels(w: Window) -> ir.Table:
        return consensus.semi_join(w.apply(items).select("item_id"), "item_id").select("label")

    windows = (str(reference), str(current))
    return _small_drift(store, labels(reference), labels(current), "label", "label", windows, seed)


def _prediction_drift(
    store: Store, items: ir.Table, reference: Window, current: Window, *, seed: int, model_version: str | None = None
):
    if not store.has("predictions"):
        return None, "no prediction drift: the store has no predictions"
    pred, _ = prediction_table(store, model_version=model_version)
    probas = proba_columns(pred.columns)
    if not probas:
        return None, "no prediction drift: predictions have no proba_ columns"
    top = ibis.greatest(*[pred[c] for c in probas.values()])
    predicted = ibis.cases(*[(pred[col] == top, ibis.literal(label)) for label, col in sorted(probas.items())])
    pred = pred.select("item_id", predicted_label=predicted)

    def preds(w: Window) -> ir.Table:
        return pred.semi_join(w.apply(items).select("item_id"), "item_id").select("predicted_label")

    windows = (str(reference), str(current))
    return _small_drift(store, preds(reference), preds(current), "predicted_label", "prediction", windows, seed)


# -- distributions for charts -------------------------------------------------------------------------

def _regroup(hist: pd.DataFrame | None, edges: np.ndarray) -> np.ndarray:
    """Counts of fine bins regrouped onto display bins ``[e_j, e_j+1)``; a fine bin's rows are spread evenly
    over its [min, max] (a single value lands in its display bin), rows below or above the edges go to the
    first or last display bin.

    The fine bins' value ranges do not overlap, so the rows below an edge are a cumulative count up to the
    last bin ending before it, plus a share of the one bin the edge may cut: a sort and two binary searches,
    not a bins x edges matrix.
    """
    counts = np.zeros(len(edges) - 1)
    if hist is None or hist.empty:
        return counts
    order = np.argsort(hist["lo"].to_numpy(dtype=float), kind="stable")
    lows, highs, ns = (hist[k].to_numpy(dtype=float)[order] for k in ("lo", "hi", "n"))
    highs = np.maximum.accumulate(highs)  # (already sorted for disjoint ranges; kept sorted for the search)
    cum = np.concatenate([[0.0], np.cumsum(ns)])
    inner = np.asarray(edges[1:-1], dtype=float)
    k = np.searchsorted(highs, inner, side="left")  # bins [0, k) end before the edge
    below = cum[k]
    cut = np.minimum(k, len(lows) - 1)
    spread = (k < len(lows)) & (lows[cut] < inner) & (highs[cut] > lows[cut])
    share = np.where(spread, (inner - lows[cut]) / np.where(spread, highs[cut] - lows[cut], 1.0), 0.0)
    below = below + ns[cut] * np.clip(share, 0.0, 1.0)
    return np.diff(np.concatenate([[0.0], below, [cum[-1]]]))


def _display_source(summary: ds.WindowSummary, column: str) -> pd.DataFrame | None:
    """The fine bins of ``column`` with its tail bins in place of bins -1 and n, for regrouping onto the
    display bins (a window that moved out of the reference's range keeps its shape there)."""
    hist = summary.histograms.get(column)
    tails = summary.tails.get(column)
    if hist is None or tails is None or tails.empty:
        return hist
    n = summary.bins[column].n
    inside = hist[(hist["bin"] >= 0) & (hist["bin"] < n)]
    return pd.concat([inside, tails], ignore_index=True)


def _distributions(ref: ds.WindowSummary, cur: ds.WindowSummary) -> dict[str, pd.DataFrame]:
    """Reference vs current shares per bucket for every column (charts), regrouped from the drift
    histograms: no further pass over the data. A display bin's count is exact but for the one fine bin
    (1/32,768 of the reference's range) or tail bin (1/64 of it) that straddles each of its edges."""
    out = {}
    for col, pr in ref.profiles.items():
        pc = cur.profiles[col]
        if not pr.n or not pc.n:
            continue
        if pr.kind == ds.NUMERIC and col in ref.bins:
            lo = min(pr.min, pc.min)
            hi = max(pr.max, pc.max)
            edges = np.linspace(lo, hi, DISPLAY_BINS + 1) if hi > lo else np.array([lo, lo + 1.0])
            rows = []
            for window, summary, prof in (("reference", ref, pr), ("current", cur, pc)):
                counts = _regroup(_display_source(summary, col), edges)
                for j, n in enumerate(counts):
                    rows.append(
                        {"window": window, "start": edges[j], "end": edges[j + 1], "share": n / prof.n, "value": None}
                    )
            out[col] = pd.DataFrame(rows)
        elif col in ref.value_counts and col in cur.value_counts:
            r = ref.value_counts[col] / pr.n
            c = cur.value_counts[col] / pc.n
            both = pd.concat([r.rename("reference"), c.rename("current")], axis=1).fillna(0.0)
            both = both.loc[both.max(axis=1).sort_values(ascending=False).index]
            if len(both) > TOP_VALUES:
                rest = both.iloc[TOP_VALUES:].sum()
                both = pd.concat([both.iloc[:TOP_VALUES], pd.DataFrame([rest], index=["(other)"])])
            long = both.reset_index(names="value").melt(id_vars="value", var_name="window", value_name="share")
            long["value"] = long["value"].astype(str)
            out[col] = long
    return out


# -- by week -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyDrift:
    """Every ISO week compared with one reference window (summarised once)."""

    reference: str
    results: tuple[tuple[str, DriftResult], ...]  # (week, result), in week order

    @property
    def weeks(self) -> list[str]:
        return [w for w, _ in self.results]

    def result(self, week: str) -> DriftResult:
        return dict(self.results)[str(week)]

    def to_frame(self) -> pd.DataFrame:
        """One row per week and column (features, label and prediction)."""
        frames = []
        for week, r in self.results:
            f = r.to_frame()
            f.insert(0, "week", week)
            f.insert(1, "reference", self.reference)
            f["drifted_share"] = r.drifted_share
            f["dataset_drift"] = r.dataset_drift
            f["drift_share"] = r.drift_share
            frames.append(f)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """One row per week: drifted share, dataset verdict, label and prediction drift."""
        rows = []
        for week, r in self.results:
            rows.append(
                {
                    "week": week,
                    "n_current": r.n_current,
                    "n_drifted": r.n_drifted,
                    "drifted_share": r.drifted_share,
                    "dataset_drift": r.dataset_drift,
                    "label_drift": r.label_drift.drifted if r.label_drift else None,
                    "prediction_drift": r.prediction_drift.drifted if r.prediction_drift else None,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {"reference": self.reference, "weeks": {w: r.to_dict() for w, r in self.results}}


def compute_drift_by_week(
    store: Store,
    *,
    reference: Window | str | None = None,
    weeks: list[str] | None = None,
    columns: list[str] | None = None,
    drift_share: float | None = None,
    correction: str | None = None,
    methods: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    model_version: str | None = None,
    seed: int = 0,
    config: dict | None = None,
) -> WeeklyDrift:
    """Compare each ISO week with ``reference`` (default: :func:`default_reference`).

    Weeks that overlap a date reference are not compared; with a filter
    reference (``split=train``), each week leaves the reference's rows out.
    """
    config = drift_config() if config is None else config
    available = item_weeks(store)
    if not available:
        raise BadInputError("--by week needs items.created_at; the items table has no created_at values.")
    if reference is None:
        reference = default_reference(store, config=config)
    elif isinstance(reference, str):
        reference = Window.parse(reference, option="--reference")
    chosen = [Week.parse(w) for w in weeks] if weeks else available
    for w in chosen:
        if w not in available:
            raise BadInputError(f"Week {w} has no items; weeks with items: {', '.join(map(str, available))}.")
    compared = []
    for w in chosen:
        if reference.is_dates:
            start = reference.start or datetime.min
            end = reference.end or datetime.max
            if w.start < end and w.end > start:
                continue
            compared.append(Window.weeks(w, w))
        else:
            compared.append(dataclasses.replace(Window.weeks(w, w), exclude=reference))
    if not compared:
        raise BadInputError(f"Every week with items overlaps the reference {reference}; nothing to compare.")
    items = store.data("items")
    _check_window(store, items, reference, "--reference")
    kinds = infer_kinds(store, columns, config=config)
    ref_summary = summarise_reference(store, reference, kinds)
    results = []
    for window in compared:
        r = compute_drift(
            store,
            reference=reference,
            current=window,
            columns=columns,
            drift_share=drift_share,
            correction=correction,
            methods=methods,
            thresholds=thresholds,
            model_version=model_version,
            seed=seed,
            config=config,
            _reference_summary=ref_summary,
            _kinds=kinds,
        )
        results.append((str(Week.of(window.start)), r))
    return WeeklyDrift(reference=str(reference), results=tuple(results))


def save_drift_history(store: Store, weekly: WeeklyDrift) -> int:
    """Store the weekly rows in ``wb_drift_history``; re-running a week replaces its rows."""
    frame = weekly.to_frame()
    if frame.empty:
        return 0
    frame = frame.copy()
    frame["computed_at"] = datetime.now(UTC).replace(tzinfo=None)
    frame["p_adjusted"] = frame["p_adjusted"] if "p_adjusted" in frame else np.nan
    frame = frame[HISTORY_COLUMNS]
    with store.transaction():
        for week in weekly.weeks:
            rows = frame[frame["week"] == week].reset_index(drop=True)
            store.write_table(HISTORY_TABLE, rows, replace_where={"week": week})
    return len(frame)


HISTORY_COLUMNS = [
    "week",
    "reference",
    "scope",
    "column",
    "kind",
    "method",
    "statistic",
    "threshold",
    "drifted",
    "p_adjusted",
    "severity",
    "n_reference",
    "n_current",
    "drifted_share",
    "dataset_drift",
    "drift_share",
    "computed_at",
]


def load_drift_history(store: Store) -> pd.DataFrame:
    """The stored weekly drift rows (empty when ``workbench drift --by week`` never ran)."""
    if not store.has(HISTORY_TABLE):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return store.table(HISTORY_TABLE).order_by(["week", "scope", "column"]).execute()


# -- charts --------------------------------------------------------------------------------------------


def distribution_chart(result: DriftResult, column: str) -> alt.Chart:
    """Reference vs current distribution of one column (shares per bucket)."""
    data = result.distributions.get(column)
    c = result.column(column) if column in {x.column for x in result.columns} else None
    title = column if c is None else f"{column}: {c.method} {c.statistic:.3g} ({'drifted' if c.drifted else 'stable'})"
    color = alt.Color("window:N", scale=alt.Scale(domain=["reference", "current"], range=["#7f7f7f", "#d62728"]))
    if data is None or data.empty:
        return alt.Chart(pd.DataFrame({"note": ["no distribution (text column)"]}), title=title).mark_text().encode(
            text="note:N"
        )
    if data["value"].isna().all():
        return (
            alt.Chart(data, title=title)
            .mark_bar(opacity=0.5)
            .encode(
                x=alt.X("start:Q", title=column, bin="binned"),
                x2="end:Q",
                y=alt.Y("share:Q", title="share of rows", stack=None),
                color=color,
                tooltip=["window", alt.Tooltip("start:Q", format=".3g"), alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(width=WIDTH, height=160)
        )
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", title=None, sort="-x"),
            x=alt.X("share:Q", title="share of rows"),
            color=color,
            yOffset="window:N",
            tooltip=["value", "window", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=WIDTH, height=alt.Step(9))
    )


def top_drifted_chart(result: DriftResult, *, n: int = 4) -> alt.VConcatChart | alt.Chart:
    """Distribution overlays of the ``n`` most drifted features (the most severe when none drifted)."""
    ranked = sorted(result.columns, key=lambda c: -c.severity)
    chosen = [c.column for c in ranked if c.column in result.distributions][:n]
    charts = [distribution_chart(result, c) for c in chosen]
    if not charts:
        return alt.Chart(pd.DataFrame({"note": ["no features to chart"]})).mark_text().encode(text="note:N")
    return alt.vconcat(*charts).properties(title=f"{result.current} vs {result.reference}: most drifted features")


def drift_heatmap_chart(frame: pd.DataFrame, *, max_columns: int = 40) -> alt.Chart:
    """Features x weeks: how far past its threshold each statistic is (outlined cells drifted); with more
    than ``max_columns`` features, the ones drifted in the most weeks, then nearest their thresholds over all
    weeks (a shift that drifts every feature at once does not hide the ones that drifted before it)."""
    data = frame[frame["scope"] == "feature"] if "scope" in frame else frame
    title = "Feature drift per week (outlined: drifted)"
    n_features = data["column"].nunique()
    if n_features > max_columns:
        rank = data.assign(capped=data["severity"].clip(upper=3.0), weeks=data["drifted"].astype(int))
        rank = rank.groupby("column")[["weeks", "capped"]].sum().sort_values(["weeks", "capped"], ascending=False)
        data = data[data["column"].isin(rank.index[:max_columns])]
        title = f"Feature drift per week, the {max_columns} most drifted of {n_features} features (outlined: drifted)"
    data = data.assign(severity_capped=data["severity"].clip(upper=3.0))
    return (
        alt.Chart(data[["week", "column", "method", "statistic", "threshold", "drifted", "severity_capped"]])
        .mark_rect(stroke="black")
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y("column:N", title=None, sort=None, axis=alt.Axis(labelFontSize=10)),
            color=alt.Color(
                "severity_capped:Q", title="statistic / threshold", scale=alt.Scale(scheme="orangered", domain=[0, 3])
            ),
            strokeWidth=alt.condition("datum.drifted", alt.value(1.5), alt.value(0)),
            tooltip=["week", "column", "method", alt.Tooltip("statistic:Q", format=".3g"), "threshold", "drifted"],
        )
        .properties(width=WIDTH, height=alt.Step(13), title=title)  # 13 px a row: labels do not overlap
    )


def drifted_share_chart(summary: pd.DataFrame, *, drift_share: float = DEFAULT_DRIFT_SHARE) -> alt.LayerChart:
    """Share of drifted input features per week, with the dataset threshold."""
    line = (
        alt.Chart(summary)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title="ISO week"),
            y=alt.Y("drifted_share:Q", title="share of drifted features", scale=alt.Scale(domain=[0, 1])),
            tooltip=["week", alt.Tooltip("drifted_share:Q", format=".0%"), "dataset_drift"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [drift_share]})).mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="y:Q")
    return alt.layer(line, rule).properties(width=WIDTH, title="Drifted share of input features per week")


# -- Evidently: HTML on a sample, and the reference implementation -------------------------------------


def _sample(table: ir.Table, n: int, size: int, seed: int) -> pd.DataFrame:
    if n <= size:
        frame = table.execute()
    else:
        # A seeded random sample: rank rows by a hash of their id and the seed, keep the first `size`.
        key = (table.item_id.cast("string") + ibis.literal(f"#{seed}")).hash()
        frame = table.mutate(__k=key).order_by("__k").limit(size).drop("__k").execute()
    return frame.sort_values("item_id").reset_index(drop=True) if "item_id" in frame else frame


def evidently_report_html(
    store: Store,
    *,
    reference: Window | str | None = None,
    current: Window | str | None = None,
    columns: list[str] | None = None,
    sample_size: int = HTML_SAMPLE,
    seed: int = 0,
) -> str:
    """Evidently's own drift report, on a random sample of at most ``sample_size`` rows per window.

    The page says so at the top: its numbers are the sample's, the
    workbench's own figures (``drift.json``) use every row.
    """
    reference, current = _resolve_windows(store, reference, current)
    items = store.data("items")
    kinds = infer_kinds(store, columns)
    n_ref = _check_window(store, items, reference, "--reference")
    n_cur = _check_window(store, items, current, "--current")
    cols = ["item_id", *kinds]
    ref = _sample(reference.apply(items).select(*cols), n_ref, sample_size, seed)
    cur = _sample(current.apply(items).select(*cols), n_cur, sample_size, seed + 1)
    html, _ = _run_evidently(ref[list(kinds)], cur[list(kinds)], kinds, html=True)
    banner = (
        "<div style='background:#fff3cd;border:1px solid #d39e00;padding:8px 12px;margin:8px;"
        "font-family:system-ui,sans-serif'><b>Evidently report on a random sample</b>: "
        f"{len(ref):,} of {n_ref:,} reference rows ({reference}) and {len(cur):,} of {n_cur:,} current rows "
        f"({current}), seed {seed}. Its statistics are the sample's; the workbench's drift.json uses every row.</div>"
    )
    if "<body>" in html:
        return html.replace("<body>", "<body>" + banner, 1)
    return banner + html


def _run_evidently(reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str], *, html: bool = False,
                   drift_share: float = DEFAULT_DRIFT_SHARE):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=[c for c, k in kinds.items() if k == ds.NUMERIC],
        categorical_columns=[c for c, k in kinds.items() if k == ds.CATEGORICAL],
        text_columns=[c for c, k in kinds.items() if k == ds.TEXT],
    )
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    snapshot = Report([DataDriftPreset(drift_share=drift_share)], include_tests=True).run(cur, ref)
    return (snapshot.get_html_str(as_iframe=False) if html else None), snapshot


def evidently_drift_table(
    reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str], *, drift_share: float = DEFAULT_DRIFT_SHARE
) -> tuple[pd.DataFrame, dict]:
    """Evidently's ``DataDriftPreset`` on two frames: a row per column (method, statistic, threshold, drifted).

    The reference implementation for :func:`compute_drift`; it holds both
    frames in memory, so use it on samples or in tests.
    """
    _, snapshot = _run_evidently(reference, current, kinds, drift_share=drift_share)
    d = snapshot.dict()
    by_display = {m.display_name: m.name for m in ds.METHODS.values()}
    rows = {}
    dataset = {}
    for m in d["metrics"]:
        cfg = m["config"]
        if cfg.get("type", "").endswith("ValueDrift"):
            rows[cfg["column"]] = {
                "column": cfg["column"],
                "method": by_display.get(cfg.get("method"), cfg.get("method")),
                "statistic": float(m["value"]),
                "threshold": float(cfg["threshold"]),
            }
        elif cfg.get("type", "").endswith("DriftedColumnsCount"):
            dataset = {"n_drifted": int(m["value"]["count"]), "drifted_share": float(m["value"]["share"])}
    for t in d.get("tests", []):
        name = t.get("name", "")
        if name.startswith("Value Drift for column "):
            col = name[len("Value Drift for column ") :]
            if col in rows:
                rows[col]["drifted"] = t["status"] == "FAIL"
        elif name.startswith("Share of Drifted Columns"):
            dataset["dataset_drift"] = t["status"] == "FAIL"
    return pd.DataFrame(list(rows.values())), dataset


# -- notebook helpers: each opens the store, computes and closes it -----------------------------------


@dataclass(frozen=True)
class DriftChoices:
    """What a notebook offers to choose from: weeks with items, features, and the default windows."""

    weeks: list[str]
    features: list[str]
    reference: str
    current: str


def drift_choices(target: str | None = None) -> DriftChoices:
    with Store.open(target, read_only=True) as store:
        weeks = [str(w) for w in item_weeks(store)]
        features = list(infer_kinds(store))
        ref, cur = default_windows(store)
    return DriftChoices(weeks=weeks, features=features, reference=str(ref), current=str(cur))


def load_drift(
    reference: str | None = None,
    current: str | None = None,
    *,
    columns: list[str] | None = None,
    correction: str | None = None,
    target: str | None = None,
) -> DriftResult:
    """:func:`compute_drift` on the store ``target`` (default: ``WORKBENCH_STORE``), opened read-only."""
    with Store.open(target, read_only=True) as store:
        return compute_drift(
            store, reference=reference or None, current=current or None, columns=columns or None, correction=correction
        )


def load_weekly_drift(*, target: str | None = None) -> pd.DataFrame:
    """Weekly drift rows: the stored history (``workbench drift --by week``) or, without one, computed now."""
    with Store.open(target, read_only=True) as store:
        history = load_drift_history(store)
        if not history.empty:
            return history
        return compute_drift_by_week(store).to_frame()


def weekly_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per week from weekly drift rows: drifted share and dataset verdict."""
    features = frame[frame["scope"] == "feature"]
    return (
        features.groupby("week")
        .agg(
            n_drifted=("drifted", "sum"),
            drifted_share=("drifted_share", "first"),
            dataset_drift=("dataset_drift", "first"),
        )
        .reset_index()
    )


def load_evidently_html(
    reference: str | None = None,
    current: str | None = None,
    *,
    columns: list[str] | None = None,
    sample_size: int = HTML_SAMPLE,
    target: str | None = None,
) -> str:
    """:func:`evidently_report_html` on the store ``target``, opened read-only."""
    with Store.open(target, read_only=True) as store:
        return evidently_report_html(
            store,
            reference=reference or None,
            current=current or None,
            columns=columns or None,
            sample_size=sample_size,
        )
