"""Building a queue batch: signals -> one priority -> near-duplicates collapsed -> caps -> budget -> tiers -> gold.

:func:`compute_signals` runs the registered signals once (the heavy part); :func:`combine_signals`
turns them into a priority per item with any weights (cheap, so a notebook can re-weight live);
:func:`select_batch` picks the batch; :func:`build_queue` does all three.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ..errors import BadInputError, WorkbenchError
from ..results import json_safe
from .config import QueueSettings, check_weights, queue_settings
from .signals import SIGNALS, SignalContext, SignalUnavailable
from .table import pending_items, utc_now

TIERS = ("expert", "generalist")
ENTRY_COLUMNS = (
    "item_id",
    "rank",
    "priority",
    "tier",
    "reasons",
    "queue_id",
    "is_gold",
    "label",
    "suggested_label",
    "suggested_score",
    "model_version",
    "top_signal",
    "n_duplicates",
)


@dataclass(frozen=True)
class SignalSet:
    """Computed signals: per signal a frame ``item_id, score, value, detail``; skipped ones with why."""

    frames: dict[str, pd.DataFrame]
    skipped: dict[str, str]
    context: SignalContext = field(repr=False, compare=False)

    def wide(self) -> pd.DataFrame:
        """Scores as columns, one row per item scored by any signal (missing scores are 0)."""
        parts = [f.set_index("item_id")["score"].rename(n) for n, f in self.frames.items() if len(f)]
        if not parts:
            return pd.DataFrame(columns=list(self.frames))
        return pd.concat(parts, axis=1).fillna(0.0)


def compute_signals(store, *, names=None, seed: int = 0, model_version: str | None = None) -> SignalSet:
    """Run the signals ``names`` (default: every registered one); those that cannot run are skipped with why."""
    ctx = SignalContext(store=store, seed=seed, model_version=model_version)
    frames: dict[str, pd.DataFrame] = {}
    skipped: dict[str, str] = {}
    for name in names or list(SIGNALS):
        if name not in SIGNALS:
            raise BadInputError(f"unknown signal {name!r}; the signals are {', '.join(SIGNALS)}.")
        try:
            frame = SIGNALS[name].compute(ctx)
        except SignalUnavailable as exc:
            skipped[name] = str(exc)
            continue
        frame = frame.dropna(subset=["item_id"]).drop_duplicates("item_id")
        frame["item_id"] = frame["item_id"].astype(str)
        frames[name] = frame.reset_index(drop=True)
    return SignalSet(frames=frames, skipped=skipped, context=ctx)


def combine_signals(signals: SignalSet, weights: dict[str, float]) -> pd.DataFrame:
    """Priority per item: the weighted mean of the available signals' scores, with reasons.

    Returns ``item_id, priority, top_signal, reasons`` (a list of ``{signal, score, value, weight,
    contribution, detail}`` for the signals that score the item above 0, largest contribution first),
    highest priority first (ties by ``item_id``).
    """
    weights = check_weights(weights)
    used = {n: w for n, w in weights.items() if w > 0 and n in signals.frames}
    if not used:
        raise BadInputError(
            "no weighted signal could be computed on this store: "
            + "; ".join(f"{n}: {signals.skipped.get(n, 'weight 0')}" for n in weights)
            + ". Give a weight to a signal that exists."
        )
    total = sum(used.values())
    wide = signals.wide().reindex(columns=list(used), fill_value=0.0)
    contrib = wide * pd.Series(used) / total
    priority = contrib.sum(axis=1)
    lookup = {n: signals.frames[n].set_index("item_id") for n in used}
    reasons = []
    tops = []
    for item_id, row in contrib.iterrows():
        entry = []
        for name in row.sort_values(ascending=False).index:
            if wide.at[item_id, name] <= 0:
                continue
            src = lookup[name].loc[item_id]
            entry.append(
                {
                    "signal": name,
                    "score": round(float(src["score"]), 4),
                    "value": None if pd.isna(src["value"]) else round(float(src["value"]), 4),
                    "weight": used[name],
                    "contribution": round(float(row[name]), 4),
                    "detail": None if pd.isna(src.get("detail")) else str(src.get("detail")),
                }
            )
        reasons.append(entry)
        tops.append(entry[0]["signal"] if entry else None)
    out = pd.DataFrame(
        {"item_id": contrib.index.astype(str), "priority": priority.to_numpy(), "top_signal": tops, "reasons": reasons}
    )
    return out.sort_values(["priority", "item_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def reasons_text(reasons: list[dict]) -> str:
    """``label_issue 0.82 (given four, model suggests nine); consensus 0.50 (ds, 3 annotation(s))``."""
    parts = []
    for r in reasons or []:
        text = f"{r['signal']} {r['score']:.2f}"
        if r.get("detail"):
            text += f" ({r['detail']})"
        parts.append(text)
    return "; ".join(parts)


@dataclass(frozen=True)
class QueueBatch:
    """One queue batch: the entries to label next, why, and how they were chosen.

    ``to_frame()`` is keyed by ``item_id``: ``rank, priority, tier, reasons`` (text), ``queue_id``,
    ``is_gold``, ``label`` (the current majority label, None when unlabeled), the model's
    ``suggested_label`` / ``suggested_score`` / ``model_version``, ``top_signal`` and ``n_duplicates``
    (near-duplicates this entry stands for).
    """

    queue_id: str
    created_at: datetime
    entries: pd.DataFrame
    budget: int
    settings: QueueSettings
    signals_used: dict[str, float]
    signals_skipped: dict[str, str]
    guideline_version: str | None
    counts: dict[str, int]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        frame = self.entries.copy()
        frame["reasons"] = frame["reasons"].map(reasons_text)
        return frame[list(ENTRY_COLUMNS)].reset_index(drop=True)

    def to_dict(self) -> dict:
        return json_safe(
            {
                "queue_id": self.queue_id,
                "created_at": self.created_at,
                "budget": self.budget,
                "settings": self.settings.to_dict(),
                "signals_used": self.signals_used,
                "signals_skipped": self.signals_skipped,
                "guideline_version": self.guideline_version,
                "counts": self.counts,
                "notes": list(self.notes),
                "entries": self.entries[list(ENTRY_COLUMNS)],
            }
        )

    def mix(self, by: str) -> pd.DataFrame:
        """Entries per ``class`` (label, else suggested label), ``tier`` or ``signal`` (the top signal)."""
        col = {"class": None, "tier": "tier", "signal": "top_signal"}.get(by, by)
        frame = self.entries
        values = frame["label"].fillna(frame["suggested_label"]) if col is None else frame[col]
        counts = values.fillna("(none)").astype(str).value_counts().rename_axis(by).reset_index(name="entries")
        return counts.sort_values(["entries", by], ascending=[False, True]).reset_index(drop=True)

    def summary_lines(self) -> list[str]:
        c = self.counts
        lines = [
            f"queue {self.queue_id}: {c['entries']} entries ({c['regular']} by priority, budget {self.budget}; "
            f"{c['gold']} gold for calibration)",
            "tiers: " + ", ".join(f"{t} {int((self.entries['tier'] == t).sum())}" for t in TIERS),
            "signals: " + ", ".join(f"{n} (weight {w:g})" for n, w in self.signals_used.items()),
        ]
        lines += [f"skipped signal {n}: {why}" for n, why in self.signals_skipped.items()]
        if c.get("collapsed"):
            lines.append(f"near-duplicates collapsed: {c['collapsed']} item(s) stand behind their representatives")
        if c.get("excluded_pending"):
            lines.append(f"left out: {c['excluded_pending']} item(s) already pending in an earlier batch")
        lines += [f"note: {n}" for n in self.notes]
        return lines


def current_guideline_version(store) -> str | None:
    """The guidelines version in force: the last version the stored guidelines declare, else the latest used."""
    text = store.guidelines()
    if text:
        try:
            from ..guidelines import parse_guidelines

            names = parse_guidelines(text).version_names
            if names:
                return str(names[-1])
        except WorkbenchError:
            pass
    if store.has("annotations") and "guideline_version" in store.table("annotations").columns:
        t = store.data("annotations")
        order = "created_at" if "created_at" in t.columns else "guideline_version"
        row = t.filter(t.guideline_version.notnull()).order_by(t[order].desc()).limit(1).execute()
        if len(row):
            return str(row["guideline_version"].iloc[0])
    return None


def _collapse_duplicates(store, ranked: pd.DataFrame, *, distance: float, limit: int, seed: int):
    """Drop near-duplicates of higher-ranked candidates among the first ``limit``; returns (kept, n_dup, note)."""
    if distance <= 0 or len(ranked) < 2:
        return ranked.assign(n_duplicates=0), 0, None
    from ..dataset_issues import knn_graph
    from ..features import store_feature_matrix

    head = ranked.iloc[:limit]
    try:
        fm = store_feature_matrix(store, item_ids=list(head["item_id"]))
    except WorkbenchError as exc:
        return ranked.assign(n_duplicates=0), 0, f"near-duplicates not collapsed: {str(exc).splitlines()[0]}"
    x = fm.dense(seed=seed)
    k = min(10, len(head) - 1)
    graph = knn_graph(x, k=k) if x.shape[1] > 3 else None
    if graph is None:
        from sklearn.neighbors import NearestNeighbors

        norms = np.linalg.norm(x, axis=1, keepdims=True)
        unit = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
        graph = NearestNeighbors(n_neighbors=k, metric="cosine").fit(unit).kneighbors_graph(mode="distance")
    graph = graph.tocsr()
    dropped = np.zeros(len(head), dtype=bool)
    represents = np.zeros(len(head), dtype=int)
    for i in range(len(head)):  # highest priority first
        if dropped[i]:
            continue
        row = slice(graph.indptr[i], graph.indptr[i + 1])
        for j, d in zip(graph.indices[row], graph.data[row], strict=True):
            if j > i and not dropped[j] and d <= distance:
                dropped[j] = True
                represents[i] += 1
    kept = head.assign(n_duplicates=represents)[~dropped]
    rest = ranked.iloc[limit:].assign(n_duplicates=0)
    return pd.concat([kept, rest], ignore_index=True), int(dropped.sum()), None


def check_budget(budget) -> int:
    """A budget is a whole number > 0."""
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer) or budget <= 0:
        raise BadInputError(f"--budget {budget!r}: the budget is how many items to queue; give a whole number > 0.")
    return int(budget)


def select_batch(
    store,
    signals: SignalSet,
    *,
    budget: int,
    settings: QueueSettings | None = None,
    seed: int = 0,
    now: datetime | None = None,
    exclude: set[str] | None = None,
) -> QueueBatch:
    """Choose a batch from computed signals (see :func:`build_queue`)."""
    check_budget(budget)
    settings = settings or queue_settings()
    ranked = combine_signals(signals, settings.weights)
    scored = ranked
    ctx = signals.context
    notes: list[str] = []
    items = ctx.items
    known = set(items["item_id"].astype(str))
    pending = pending_items(store) if exclude is None else set(exclude)
    gold_ids = set()
    if store.has("gold"):
        gold_ids = set(store.data("gold").select("item_id").execute()["item_id"].astype(str))
    n_pending = int(ranked["item_id"].isin(pending).sum())
    ranked = ranked[
        ranked["item_id"].isin(known) & ~ranked["item_id"].isin(pending) & ~ranked["item_id"].isin(gold_ids)
    ]
    ranked = ranked[ranked["priority"] > 0].reset_index(drop=True)
    labels = ctx.labels.set_index("item_id")["label"] if len(ctx.labels) else pd.Series(dtype=object)
    ranked["label"] = ranked["item_id"].map(labels)
    suggested, score, version = _suggestions(ctx, ranked["item_id"])
    ranked["suggested_label"], ranked["suggested_score"], ranked["model_version"] = suggested, score, version

    limit = min(len(ranked), budget * 4 + 50)
    ranked, n_collapsed, note = _collapse_duplicates(
        store, ranked, distance=settings.duplicate_distance, limit=limit, seed=seed
    )
    if note:
        notes.append(note)

    slice_values = None
    if settings.slice_cap is not None:
        if settings.slice_by not in items.columns:
            raise BadInputError(
                f"[queue] slice_by / --slice-by {settings.slice_by!r} is not an items column "
                f"(columns: {', '.join(c for c in items.columns if not c.startswith('pixel_'))[:300]})."
            )
        slice_values = ranked["item_id"].map(items.set_index("item_id")[settings.slice_by].astype("string"))
    chosen = []
    per_class: dict[str, int] = {}
    per_slice: dict[str, int] = {}
    capped = 0
    for pos, row in enumerate(ranked.itertuples(index=False)):
        if len(chosen) == budget:
            break
        cls = row.label if isinstance(row.label, str) else row.suggested_label
        if settings.class_cap is not None and per_class.get(cls, 0) >= settings.class_cap:
            capped += 1
            continue
        sv = None if slice_values is None else str(slice_values.iloc[pos])
        if slice_values is not None and per_slice.get(sv, 0) >= settings.slice_cap:
            capped += 1
            continue
        per_class[cls] = per_class.get(cls, 0) + 1
        if sv is not None:
            per_slice[sv] = per_slice.get(sv, 0) + 1
        chosen.append(pos)
    batch = ranked.iloc[chosen].assign(is_gold=False)
    if len(batch) < budget:
        notes.append(f"only {len(batch)} item(s) have a priority above 0 and fit the caps; the budget was {budget}")

    gold = _inject_gold(ctx, batch, gold_ids - pending, scored, rate=settings.gold_rate, budget=budget, seed=seed)
    if settings.gold_rate > 0 and not gold_ids:
        notes.append("no gold items in the store, so none were injected")
    entries = pd.concat([batch, gold], ignore_index=True) if len(gold) else batch.reset_index(drop=True)
    entries["is_gold"] = entries["is_gold"].astype(bool)
    entries["tier"] = _tiers(entries, signals, settings)
    entries = entries.sort_values(["priority", "item_id"], ascending=[False, True], kind="stable")
    entries["rank"] = np.arange(1, len(entries) + 1)
    created = (now or utc_now()).replace(microsecond=0)
    digest = hashlib.sha1(json.dumps(sorted(entries["item_id"])).encode()).hexdigest()[:6]
    queue_id = f"q-{created:%Y%m%dT%H%M%S}-{digest}"
    entries["queue_id"] = queue_id
    entries = entries.reset_index(drop=True)
    return QueueBatch(
        queue_id=queue_id,
        created_at=created,
        entries=entries[list(ENTRY_COLUMNS)],
        budget=budget,
        settings=settings,
        signals_used={n: w for n, w in settings.weights.items() if w > 0 and n in signals.frames},
        signals_skipped={n: why for n, why in signals.skipped.items() if settings.weights.get(n, 0) > 0}
        | {n: "weight 0" for n, w in settings.weights.items() if w == 0},
        guideline_version=current_guideline_version(store),
        counts={
            "entries": len(entries),
            "regular": len(batch),
            "gold": len(gold),
            "candidates": len(ranked),
            "collapsed": n_collapsed,
            "capped": capped,
            "excluded_pending": n_pending,
        },
        notes=tuple(notes),
    )


def _suggestions(ctx: SignalContext, item_ids: pd.Series):
    preds = ctx.predictions
    n = len(item_ids)
    if preds is None:
        return [None] * n, [np.nan] * n, [None] * n
    ids, proba, classes, version = preds
    pos = ids.get_indexer(item_ids)
    cls = np.asarray(classes, dtype=object)
    top = np.where(pos >= 0, cls[proba[np.maximum(pos, 0)].argmax(axis=1)], None)
    score = np.where(pos >= 0, proba[np.maximum(pos, 0)].max(axis=1), np.nan)
    return list(top), list(score), [version if p >= 0 else None for p in pos]


def _inject_gold(
    ctx, batch: pd.DataFrame, gold_ids: set[str], scored: pd.DataFrame, *, rate: float, budget: int, seed: int
) -> pd.DataFrame:
    """Gold entries on top of the budget, placed among the regular ones.

    Gold items that any signal scores are drawn first, so they carry reasons of their own; each takes a
    priority between two neighbouring regular entries (drawn at random), so it sits among them.
    """
    columns = list(batch.columns)
    candidates = sorted(gold_ids - set(batch["item_id"]))
    n = min(len(candidates), math.ceil(rate * budget)) if rate > 0 else 0
    if n == 0 or batch.empty:
        return pd.DataFrame(columns=columns)
    rng = np.random.default_rng(seed)
    scored = scored.set_index("item_id")
    with_reasons = [c for c in candidates if c in scored.index and scored.at[c, "priority"] > 0]
    others = [c for c in candidates if c not in set(with_reasons)]
    picked = list(rng.permutation(with_reasons))[:n]
    picked += list(rng.permutation(others))[: n - len(picked)]
    levels = np.sort(batch["priority"].to_numpy())[::-1]
    slots = rng.integers(0, len(levels), n)
    below = np.append(levels[1:], levels[-1] * 0.5)
    priority = (levels[slots] + below[slots]) / 2.0
    labels = ctx.labels.set_index("item_id")["label"] if len(ctx.labels) else pd.Series(dtype=object)
    suggested, score, version = _suggestions(ctx, pd.Series(picked))
    gold = pd.DataFrame(
        {
            "item_id": picked,
            "priority": priority,
            "top_signal": [scored["top_signal"].get(i) for i in picked],
            "reasons": [scored["reasons"].get(i, []) if i in scored.index else [] for i in picked],
            "label": [labels.get(i) for i in picked],
            "suggested_label": suggested,
            "suggested_score": score,
            "model_version": version,
            "n_duplicates": 0,
            "is_gold": True,
        }
    )
    return gold[columns]


def _tiers(entries: pd.DataFrame, signals: SignalSet, settings: QueueSettings) -> list[str]:
    """Expert for gap members and configured high-stakes classes, generalist otherwise."""
    expert = set(settings.expert_classes)
    in_gap = set(signals.frames["gap"]["item_id"]) if "gap" in signals.frames else set()
    out = []
    for row in entries.itertuples(index=False):
        high_stakes = row.label in expert or row.suggested_label in expert
        out.append("expert" if high_stakes or row.item_id in in_gap else "generalist")
    return out


def build_queue(
    store,
    *,
    budget: int,
    settings: QueueSettings | None = None,
    seed: int = 0,
    model_version: str | None = None,
    now: datetime | None = None,
) -> QueueBatch:
    """Build the next queue batch (nothing is written; :func:`save_queue` stores it).

    Parameters
    ----------
    store : Store
    budget : int
        Entries chosen by priority (> 0); gold entries come on top (``settings.gold_rate`` of it).
    settings : QueueSettings, optional
        Weights, expert classes, gold rate, caps; default :func:`queue_settings` (``[queue]``).
    seed : int
        Seeds the signals' randomness and the gold draw.

    Raises
    ------
    BadInputError
        A budget <= 0, weights that are all 0, or no weighted signal computable on this store.

    Examples
    --------
    >>> with Store.open("data/workbench.duckdb", read_only=True) as store:  # doctest: +SKIP
    ...     batch = build_queue(store, budget=100)
    >>> batch.to_frame().head()  # doctest: +SKIP
    """
    check_budget(budget)
    settings = settings or queue_settings()
    names = [n for n, w in settings.weights.items() if w > 0] + (["gap"] if "gap" not in settings.weights else [])
    signals = compute_signals(store, names=list(dict.fromkeys(names)), seed=seed, model_version=model_version)
    return select_batch(store, signals, budget=budget, settings=settings, seed=seed, now=now)


def batch_rows(batch: QueueBatch, *, status: str = "open") -> pd.DataFrame:
    """The batch as ``wb_queue`` rows."""
    e = batch.entries
    return pd.DataFrame(
        {
            "queue_id": batch.queue_id,
            "created_at": batch.created_at,
            "item_id": e["item_id"].astype(str),
            "rank": e["rank"].astype("int64"),
            "priority": e["priority"].astype(float),
            "reasons": [json.dumps(json_safe(r)) for r in e["reasons"]],
            "tier": e["tier"].astype("string"),
            "status": status,
            "guideline_version": pd.Series([batch.guideline_version] * len(e), dtype="string"),
            "is_gold": e["is_gold"].astype(bool),
            "updated_at": batch.created_at,
        }
    )


def save_queue(store, batch: QueueBatch, *, status: str = "open") -> int:
    """Store the batch in ``wb_queue`` (all or nothing); returns the entries written."""
    from .table import append_entries

    rows = batch_rows(batch, status=status)
    with store.transaction():
        append_entries(store, rows)
    return len(rows)
