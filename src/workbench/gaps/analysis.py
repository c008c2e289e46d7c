"""The gap analysis: one function (:func:`compute_gaps`) the command, the report section and the notebook call."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import BadInputError
from ..guidelines import Guidelines, check_versions, parse_guidelines, structure_hint
from ..inputs import column_kinds, known_classes, latest_annotations
from ..results import json_safe
from .failures import LOW_CONFIDENCE, item_failures, mode_table
from .hygiene import MAX_ITEMS, hygiene_checks
from .mapping import map_gaps
from .slices import BINS, MIN_SIZE, compute_slices, dimensions

ALPHA = 0.05
GAP_COLUMNS = (
    "rank",
    "kind",
    "section_id",
    "classes",
    "n_items",
    "failure_rate",
    "lift",
    "p_adjusted",
    "severity",
    "example_item_ids",
    "suggested_action",
)


@dataclass(frozen=True)
class GapAnalysis:
    """Gaps in the guidelines behind the store's failures, keyed by ``rank``.

    ``gaps``: every candidate gap, ranked (significant first, then by severity), with ``significant``,
    ``evidence`` and ``share_of_failures``. ``slices``: every slice's statistics. ``hygiene``: leakage,
    synthetic quarantine and diversity. ``guidelines``: the parsed document (None without one).
    """

    gaps: pd.DataFrame
    slices: pd.DataFrame
    hygiene: dict
    guidelines: Guidelines | None
    counts: dict
    params: dict
    notes: tuple[str, ...] = field(default_factory=tuple)

    def significant(self) -> pd.DataFrame:
        if self.gaps.empty:
            return self.gaps
        return self.gaps[self.gaps["significant"]]

    def to_frame(self, *, all: bool = False) -> pd.DataFrame:
        """The gap table: :data:`GAP_COLUMNS`, only significant gaps unless ``all``; ids joined by ``;``."""
        g = self.gaps if all else self.significant()
        if g.empty:
            return pd.DataFrame(columns=list(GAP_COLUMNS))
        out = g[list(GAP_COLUMNS)].copy()
        out["example_item_ids"] = out["example_item_ids"].map(lambda ids: ";".join(ids))
        out["section_id"] = out["section_id"].fillna("")
        return out.reset_index(drop=True)

    def records(self, *, all: bool = False) -> list[dict]:
        """JSON-safe gap rows: :data:`GAP_COLUMNS` plus ``evidence``, ``n_failed``, ``base_rate``, ``mode``."""
        g = self.gaps if all else self.significant()
        if g.empty:
            return []
        cols = [*GAP_COLUMNS, "n_failed", "base_rate", "share_of_failures", "p_value", "mode", "evidence"]
        return json_safe(g[cols])

    def to_dict(self, *, all: bool = False) -> dict:
        return json_safe(
            {
                "gaps": self.records(all=all),
                "hygiene": self.hygiene,
                "counts": self.counts,
                "params": self.params,
                "notes": list(self.notes),
                "guidelines": self.guidelines.to_dict() if self.guidelines is not None else None,
            }
        )

    def section_text(self, section_id: str | None) -> str:
        """The verbatim Markdown of a gap's section (empty for a gap with none)."""
        if not section_id or self.guidelines is None or not isinstance(section_id, str):
            return ""
        return self.guidelines.text_of(section_id)

    def summary_lines(self, *, top: int = 5) -> list[str]:
        c = self.counts
        sig = self.significant()
        lines = [
            f"Failures: {c['labeled_failed']:,} of {c['labeled_items']:,} labeled items "
            f"({c['labeled_failed'] / max(c['labeled_items'], 1):.1%}) and {c['production_failed']:,} of "
            f"{c['production_items']:,} production predictions below {self.params['low_confidence']} confidence.",
            f"{len(sig)} significant gap(s) of {len(self.gaps)} candidate(s) (BH-adjusted p < {self.params['alpha']}).",
        ]
        for r in sig.head(top).itertuples(index=False):
            where = f"section {r.section_id}" if isinstance(r.section_id, str) and r.section_id else "no section"
            lines.append(
                f"  {r.rank}. {r.kind} ({where}) {r.classes or ''}: {r.n_items:,} items, failure rate "
                f"{r.failure_rate:.1%}, lift {r.lift:.2f}, severity {r.severity:.2f}: {r.suggested_action}"
            )
        lines += list(self.notes)
        return lines


def resolve_guidelines(store, guidelines: str | Guidelines | None, classes) -> Guidelines | None:
    """The parsed guidelines (given, else the store's latest), checked against the annotations' versions."""
    if isinstance(guidelines, Guidelines):
        g = guidelines
    else:
        text = guidelines if guidelines is not None else store.guidelines()
        if text is None:
            return None
        g = parse_guidelines(text, classes=classes or None, source="guidelines.md")
    ann = store.data("annotations")
    if g.is_structured and (g.sections or any(v.date for v in g.versions)) and "guideline_version" in ann.columns:
        used = ann.select("guideline_version").distinct().execute()["guideline_version"]
        check_versions(g, used.dropna().astype(str))
    return g


def compute_gaps(
    store,
    *,
    guidelines: str | Guidelines | None = None,
    alpha: float = ALPHA,
    low_confidence: float = LOW_CONFIDENCE,
    bins: int = BINS,
    min_size: int = MIN_SIZE,
    model_version: str | None = None,
    label_quality=None,
    hygiene: bool = True,
    max_items: int = MAX_ITEMS,
    max_examples: int = 5,
    seed: int = 0,
) -> GapAnalysis:
    """Map the store's failures to gaps in its guidelines.

    Parameters
    ----------
    store : Store
    guidelines : str or Guidelines, optional
        The guidelines (text or parsed); default the store's latest ingested ``guidelines.md``.
    alpha : float
        A gap is significant when its BH-adjusted p-value is below this (``[gaps] alpha``).
    low_confidence : float
        A production prediction fails when its top probability is below this.
    bins, min_size
        Quantile bins per numeric and text-length feature; slices smaller than ``min_size`` are not tested.
    model_version : str, optional
        Which predictions count (default the latest ingested).
    label_quality : LabelQuality, optional
        A result of :func:`workbench.labels.compute_label_quality` to reuse (else it is computed).
    hygiene : bool
        Run the hygiene checks (near-duplicates on a sample of ``max_items``).

    Raises
    ------
    BadInputError
        No annotations; guidelines that do not parse (line named); annotations naming a version the
        guidelines do not list. Nothing is written.
    """
    if not store.has("annotations"):
        raise BadInputError("annotations: the store has none, so there are no failures to analyse. Ingest first.")
    classes = known_classes(store) or ()
    g = resolve_guidelines(store, guidelines, classes)
    notes = []
    if g is None:
        notes.append("No guidelines are stored: every gap is reported without a section. Add guidelines.md to "
                     "the dataset folder (see README, 'Versioned guidelines').")
    elif (hint := structure_hint(g)) is not None and not g.sections:
        notes.append(hint)
    if label_quality is None:
        from ..labels import compute_label_quality

        label_quality = compute_label_quality(store, slices=False, model_version=model_version, seed=seed)
    failures = item_failures(store, label_issues=label_quality.issues, model_version=model_version,
                             low_confidence=low_confidence)
    failures = failures.cache()
    modes = mode_table(failures).cache()
    try:
        return _analyse(store, g, failures, modes, label_quality, notes=notes, alpha=alpha, bins=bins,
                        min_size=min_size, low_confidence=low_confidence, model_version=model_version,
                        hygiene=hygiene, max_items=max_items, max_examples=max_examples, seed=seed, classes=classes)
    finally:
        for t in (modes, failures):
            try:
                t.release()
            except Exception:  # noqa: BLE001 - a cached table already gone is fine
                pass


def _analyse(store, g, failures, modes, label_quality, *, notes, alpha, bins, min_size, low_confidence,
             model_version, hygiene, max_items, max_examples, seed, classes) -> GapAnalysis:
    kinds = column_kinds(store)
    items = store.data("items")
    dims = dimensions(store, kinds=kinds, bins=bins)
    annotations = latest_annotations(store)
    slices, _ = compute_slices(modes, items, dims, annotations=annotations, min_size=min_size)
    gaps = map_gaps(slices, modes=modes, items=items, annotations=annotations, dims={d.name: d for d in dims},
                    guidelines=g, classes=tuple(classes), alpha=alpha, max_examples=max_examples)
    if gaps.empty:
        gaps = pd.DataFrame(columns=[*GAP_COLUMNS, "significant", "evidence", "n_failed", "base_rate",
                                     "share_of_failures", "p_value", "mode"])
    by_mode = slices[slices["kind"] == "class"].groupby("mode")[["n_items", "n_failed"]].sum()

    def _c(mode, col):
        return int(by_mode.loc[mode, col]) if mode in by_mode.index else 0

    kinds_count = failures.aggregate(
        annotator_split=failures.annotator_split.cast("int64").sum(),
        label_issue=failures.label_issue.cast("int64").sum(),
        model_error=failures.model_error.cast("int64").sum(),
        low_confidence=failures.low_confidence.cast("int64").sum(),
    ).execute().iloc[0]
    counts = {
        "labeled_items": _c("labeled", "n_items"),
        "labeled_failed": _c("labeled", "n_failed"),
        "production_items": _c("production", "n_items"),
        "production_failed": _c("production", "n_failed"),
        **{k: int(v) for k, v in kinds_count.items()},
        "slices": int(len(slices)),
        "candidate_gaps": int(len(gaps)),
        "significant_gaps": int(gaps["significant"].sum()) if len(gaps) else 0,
    }
    hyg = {}
    if hygiene:
        lab = modes.filter(modes["mode"] == "labeled").select(item_id_c="item_id", cls="cls")
        hyg = hygiene_checks(store, lab, kinds=kinds, annotations=annotations, max_items=max_items, seed=seed)
    params = {"alpha": alpha, "low_confidence": low_confidence, "bins": bins, "min_size": min_size,
              "model_version": model_version, "label_quality": label_quality.params.get("probabilities"),
              "seed": seed, "max_items": max_items}
    return GapAnalysis(gaps=gaps, slices=slices, hygiene=hyg, guidelines=g, counts=counts, params=params,
                       notes=tuple(notes))


def gaps_config(config: dict | None = None) -> dict:
    """``[gaps]`` options from ``workbench.toml`` (``alpha``, ``low_confidence``, ``bins``, ``min_size``)."""
    from ..config import load_config

    cfg = (config if config is not None else load_config()).get("gaps", {})
    out = {}
    for key, typ in (("alpha", float), ("low_confidence", float), ("bins", int), ("min_size", int)):
        if key in cfg:
            try:
                out[key] = typ(cfg[key])
            except (TypeError, ValueError) as exc:
                raise BadInputError(f"workbench.toml [gaps] {key} = {cfg[key]!r}: expected a {typ.__name__}") from exc
    if "alpha" in out and not 0 < out["alpha"] < 1:
        raise BadInputError(f"workbench.toml [gaps] alpha = {out['alpha']}: must be between 0 and 1")
    return out



