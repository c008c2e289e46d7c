"""Report section: the top guideline gaps with their suggested actions, and the hygiene checks."""

from __future__ import annotations

import pandas as pd

from ..errors import BadInputError
from ..gaps import compute_gaps, gaps_config
from ..gaps.charts import gaps_chart
from ..inputs.weeks import Week
from ..report import Action, Section, SectionResult
from ..store import Store

TOP = 10


def _hygiene_tables(hygiene: dict) -> tuple[list[str], dict[str, pd.DataFrame]]:
    lines, tables = [], {}
    if "leakage" in hygiene:
        lk = hygiene["leakage"]
        lines.append(
            f"Train/eval leakage: {lk['train_eval_pairs']:,} near-duplicate pair(s) across train and eval "
            f"({lk['same_annotator_same_label_pairs']:,} labeled the same by the same annotator), "
            f"checked on {lk['checked_items']:,} items{' (a sample)' if lk['sampled'] else ''}."
        )
    if "synthetic_in_eval" in hygiene:
        q = hygiene["synthetic_in_eval"]
        lines.append(f"Synthetic quarantine: {q['items']:,} of {q['synthetic_items']:,} synthetic items are in eval.")
    if "synthetic_diversity" in hygiene:
        tables["synthetic_diversity"] = hygiene["synthetic_diversity"]
    return lines, tables


def build(store: Store, week: Week) -> SectionResult | None:
    if not store.has("annotations"):
        return None
    try:
        result = compute_gaps(store, **gaps_config())
    except BadInputError as exc:
        return SectionResult(summary=[f"Guideline gaps were not analysed: {exc}"])
    summary = result.summary_lines(top=TOP)
    hyg_lines, hyg_tables = _hygiene_tables(result.hygiene)
    summary += hyg_lines
    top = result.to_frame().head(TOP)
    tables = {"gaps": top, "all_gaps": result.to_frame(all=True), **hyg_tables,
              "slices": result.slices.head(200)}
    notes = [
        "Severity = sqrt(share of the mode's failures in the gap x (1 - 1/lift)); a gap is listed when its "
        f"Benjamini-Hochberg-adjusted p-value is below {result.params['alpha']} ([gaps] alpha)."
    ]
    if result.guidelines is None or not result.guidelines.sections:
        notes.append("Gaps have no section because the guidelines have no typed sections: "
                     + (result.notes[0] if result.notes else "add them (README, 'Versioned guidelines')."))
    kpis = {
        "significant_gaps": result.counts["significant_gaps"],
        "top_gap": (f"{top['kind'].iloc[0]}: {top['section_id'].iloc[0] or '-'} {top['classes'].iloc[0]}"
                    if len(top) else None),
    }
    if "leakage" in result.hygiene:
        kpis["train_eval_leakage_pairs"] = result.hygiene["leakage"]["train_eval_pairs"]
    if "synthetic_in_eval" in result.hygiene:
        kpis["synthetic_in_eval"] = result.hygiene["synthetic_in_eval"]["items"]
    status, reason, actions = _verdict(result)
    kpis["top_gap_severity"] = float(result.significant()["severity"].max()) if len(result.significant()) else 0.0
    return SectionResult(summary=summary, kpis=kpis, charts=[gaps_chart(result)], tables=tables,
                         show=["gaps", *hyg_tables], notes=notes, status=status, status_reason=reason,
                         actions=actions, headline={"significant_gaps": "down"})


def _verdict(result):
    """Red when the top gap is past the gate's severity threshold, amber with any significant gap."""
    from ..gate import gate_thresholds

    limit = gate_thresholds()["max_gap_severity"]
    sig = result.significant()
    if sig.empty:
        return "green", "no significant guideline gap", []
    top = sig.sort_values("severity", ascending=False).iloc[0]
    status = "red" if top["severity"] > limit else "amber"
    where = f"section {top['section_id']}" if isinstance(top["section_id"], str) and top["section_id"] else "no section"
    reason = f"{len(sig)} significant gap(s); the top one, {top['kind']} ({where}), has severity {top['severity']:.2f}"
    actions = [
        Action(f"Guidelines, {r.kind} gap ({r.section_id or 'no section'}): {r.suggested_action}", "#section-gaps",
               3 if r.severity > limit else 2)
        for r in sig.sort_values("severity", ascending=False).head(3).itertuples(index=False)
    ]
    return status, reason, actions


SECTION = Section(key="gaps", title="Guideline gaps", order=25, build=build)
