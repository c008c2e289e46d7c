"""Computing drift: a current window against a reference window, feature by feature, plus labels and predictions.

:func:`compute_drift` compares the windows with Evidently's method choice and
thresholds; the statistics are computed in the store, so windows of millions
of rows stay cheap. The share of drifted *input features* decides the dataset
verdict (``drift_share``, 0.5 by default, as Evidently); the drift of the
annotation labels and of the predicted labels is reported beside it, outside
that verdict, with a two-sample chi-square by default
(:data:`~workbench.drift.methods.LABEL_METHOD`).

Every column says what its number is: ``statistic_kind`` (``p_value``,
``distance`` or ``roc_auc``), ``compared_with`` (the number on the same scale
that decides ``drifted``) and :meth:`ColumnDrift.comparison`, the sentence
(``K-S p = 3e-5 < 0.05``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..contract import proba_columns
from ..errors import BadInputError
from ..inputs.annotations import latest_annotations
from ..inputs.predictions import prediction_table
from ..inputs.vote import majority_vote_table
from ..inputs.weeks import Week
from ..results import json_safe
from ..store import Store
from . import summarising
from .cache import _cached, summarise_reference
from .configuration import DEFAULT_DRIFT_SHARE, drift_config, infer_kinds
from .distributions import _distributions
from .methods import CATEGORICAL, KINDS, LABEL_METHOD, METHODS, NUMERIC, comparison
from .statistics import ColumnStatistic, benjamini_hochberg, column_statistic, column_statistics
from .summary import WindowSummary
from .windows import Window, _check_window, _resolve_windows


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column: the method, its statistic, threshold and verdict.

    ``statistic`` is a p-value, a distance or a ROC AUC (``statistic_kind``);
    ``compared_with`` is the number on the statistic's scale that decides
    ``drifted`` (the threshold, or for ``perc_text_content_drift`` the random
    classifiers' ROC AUC at the ``threshold`` percentile).
    """

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
    def statistic_kind(self) -> str:
        """``"p_value"`` (drifted when below), ``"distance"`` (drifted when at or above) or ``"roc_auc"``."""
        return METHODS[self.method].statistic

    @property
    def compared_with(self) -> float | None:
        """The number the statistic is compared with, on its own scale (``None``: no text classifier fitted)."""
        return METHODS[self.method].compared_with(self.threshold, self.detail)

    def comparison(self) -> str:
        """The statistic against what it is compared with, naming the method (``K-S p = 3e-5 < 0.05``)."""
        return comparison(
            self.method, self.statistic, self.compared_with, threshold=self.threshold, p_adjusted=self.p_adjusted
        )

    @property
    def severity(self) -> float:
        """How far past what it is compared with the statistic is (> 1 means drifted, for every method):
        p-values on a log scale (``log p / log threshold``, the adjusted p-value where there is one), distances
        as a ratio, ROC AUC as the lift over chance (``(auc - 0.5) / (cutoff - 0.5)``)."""
        cut = self.compared_with
        kind = self.statistic_kind
        if kind == "p_value":
            p = self.p_adjusted if self.p_adjusted is not None else self.statistic
            return math.log10(max(p, 1e-300)) / math.log10(cut)
        if kind == "roc_auc":
            return 0.0 if cut is None else (self.statistic - 0.5) / max(cut - 0.5, 1e-9)
        return self.statistic / cut

    @property
    def verdict(self) -> str:
        """``"drifted"`` or ``"stable"``."""
        return "drifted" if self.drifted else "stable"

    def to_dict(self) -> dict:
        """JSON-safe (:func:`workbench.results.json_safe`): ``p_adjusted`` and ``detail`` only where set;
        ``comparison`` is the sentence (``two-sample chi-square p = 0.44 > 0.05``)."""
        out = {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": self.statistic,
            "statistic_kind": self.statistic_kind,
            "threshold": self.threshold,
            "compared_with": self.compared_with,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }
        if self.p_adjusted is not None:
            out["p_adjusted"] = self.p_adjusted
        if self.detail:
            out["detail"] = self.detail
        out["comparison"] = self.comparison()
        return json_safe(out)


@dataclass(frozen=True)
class DriftResult:
    """Drift of a current window against a reference window, keyed by ``column``.

    ``to_frame()`` has one row per ``column``: the input features, then the
    ``label`` and ``predicted_label`` rows (told apart by ``scope``).
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
        """One row per column, keyed by ``column`` (features, then the label and prediction rows), with its
        ``statistic``, ``statistic_kind``, ``compared_with``, ``drifted``, ``severity`` and ``comparison`` (the
        sentence: ``K-S p = 3e-5 < 0.05``)."""
        rows = [
            dict(scope=c.scope, **c.to_dict(), severity=c.severity) for c in self._all()
        ]
        frame = pd.DataFrame(rows)
        if "detail" in frame:
            frame = frame.drop(columns="detail")
        return frame

    def _all(self) -> list[ColumnDrift]:
        extra = [c for c in (self.label_drift, self.prediction_drift) if c is not None]
        return [*self.columns, *extra]

    def to_dict(self) -> dict:
        """JSON-safe (:func:`workbench.results.json_safe`), with the parameters used."""
        return json_safe(
            {
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
        )

    def summary_lines(self) -> list[str]:
        """The verdict over input features, then label and prediction drift (what ``workbench drift`` prints)."""
        verdict = "dataset drift" if self.dataset_drift else "no dataset drift"
        lines = [
            f"{self.current} vs {self.reference}: {verdict}: {self.n_drifted} of {len(self.columns)} input "
            f"features drifted ({self.drifted_share:.0%}; threshold {self.drift_share:.0%})"
        ]
        for name, c in (("labels", self.label_drift), ("predictions", self.prediction_drift)):
            if c is not None:
                lines.append(f"{name}: {c.verdict} ({c.comparison()})")
        return lines


def _check_types(ref: WindowSummary, cur: WindowSummary, forced: set[str]) -> None:
    for col, pr in ref.profiles.items():
        pc = cur.profiles[col]
        if pr.kind == NUMERIC or col in forced or not pr.sampled or not pc.sampled:
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
    _reference_summary: WindowSummary | None = None,
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
        abs_text_content_drift, and chisquare_2sample, the two-sample
        contingency chi-square); ``[drift.columns.<name>]`` in the config sets
        them too. The ``label`` and ``predicted_label`` columns (label and
        prediction drift) take them the same way; their default is
        chisquare_2sample at p < 0.05.
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
    cur_summary = summarising.summarise(
        current.apply(items, option="--current"),
        kinds,
        label=str(current),
        bins_from=ref_summary,
        order_by=("item_id",),
    )
    forced = {c for k in KINDS for c in (config.get(f"{k}_columns", []) or [])}
    _check_types(ref_summary, cur_summary, forced)

    stats = column_statistics(
        ref_summary,
        cur_summary,
        list(kinds),
        methods={c: o.get("method") for c, o in per_column.items()},
        thresholds={c: o.get("threshold") for c, o in per_column.items()},
        seed=seed,
    )
    cols = [_column_drift(s, "feature") for s in stats]
    if correction == "bh":
        idx = [i for i, c in enumerate(cols) if METHODS[c.method].statistic == "p_value"]
        adjusted = benjamini_hochberg([cols[i].statistic for i in idx])
        for i, p in zip(idx, adjusted, strict=True):
            m = METHODS[cols[i].method]
            cols[i] = dataclasses.replace(cols[i], p_adjusted=p, drifted=m.drifted(p, cols[i].threshold))

    label = prediction = None
    notes = []
    if include_labels:
        label, note = _label_drift(store, items, reference, current, seed=seed, override=per_column.get("label"))
        notes += [note] if note else []
        prediction, note = _prediction_drift(
            store,
            items,
            reference,
            current,
            seed=seed,
            model_version=model_version,
            override=per_column.get("predicted_label"),
        )
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
            "label_methods": {
                "label": label.method if label else None,
                "predicted_label": prediction.method if prediction else None,
                "default": f"{LABEL_METHOD} (two-sample contingency chi-square, scipy.stats.chi2_contingency)",
            },
            "notes": notes,
            "seed": seed,
        },
    )


def _column_drift(s: ColumnStatistic, scope: str) -> ColumnDrift:
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


def _small_drift(
    store: Store, ref_t: ir.Table, cur_t: ir.Table, column: str, scope: str, labels, seed: int, override: dict | None
):
    kinds = {column: CATEGORICAL}
    r = _cached(store, (scope, labels[0]), ref_t, kinds, label=labels[0])
    c = summarising.summarise(cur_t, kinds, label=labels[1], bins_from=r)
    if not r.profiles[column].n or not c.profiles[column].n:
        side = labels[0] if not r.profiles[column].n else labels[1]
        return None, f"no {scope} drift: window '{side}' has no {scope}s"
    override = override or {}
    stat = column_statistic(
        r, c, column, method=override.get("method") or LABEL_METHOD, threshold=override.get("threshold"), seed=seed
    )
    return _column_drift(stat, scope), None


def _label_drift(
    store: Store, items: ir.Table, reference: Window, current: Window, *, seed: int, override: dict | None = None
):
    """Drift of the items' majority-vote labels (one label per item: annotations of one item are not
    independent draws, so counting annotations would overstate the evidence)."""
    if not store.has("annotations"):
        return None, "no label drift: the store has no annotations"
    # One label per item: the majority vote over each annotator's latest label.
    consensus = majority_vote_table(latest_annotations(store)).select("item_id", label="consensus_label")

    def labels(w: Window) -> ir.Table:
        return consensus.semi_join(w.apply(items).select("item_id"), "item_id").select("label")

    windows = (str(reference), str(current))
    return _small_drift(store, labels(reference), labels(current), "label", "label", windows, seed, override)


def _prediction_drift(
    store: Store,
    items: ir.Table,
    reference: Window,
    current: Window,
    *,
    seed: int,
    model_version: str | None = None,
    override: dict | None = None,
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
    return _small_drift(
        store, preds(reference), preds(current), "predicted_label", "prediction", windows, seed, override
    )
