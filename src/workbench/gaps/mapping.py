"""Gap mapping: slices connected to guideline sections, as gaps of four kinds.

``ambiguous``
    a significant confusion pair (``labeled`` mode) that a section governs: the section lists the pair, or
    else names both classes. When that section changed after some labels were given, the pair is recounted
    without the stale items; if it is no longer significant, the change explains it (a ``stale`` gap).
``uncovered``
    a significant pair or class (``p_adjusted`` of its slice) that no section governs, or a significant
    feature slice (class and split mix adjusted, ``adjusted_lift`` of at least :data:`MIN_LIFT`: with a
    million items a lift of 1.01 is significant and means nothing)
    whose items no section's conditions match (fewer than half of them).
``stale``
    the items with a label given under a document version older than a change of a section governing that
    label's class (:func:`workbench.guidelines.staleness_frame`; sections with conditions: the items they
    match). Significance: one-sided Fisher exact test of their failure rate against the other items of the
    same classes; BH-adjusted together with the underrepresented candidates.
``underrepresented``
    a class or feature slice whose share of the labeled items is below ``ratio`` times its share of the
    production items (one-sided two-proportion z-test), and whose production items fail more than expected
    (binomial); the larger p-value counts.

**Severity** (0 to 1) = ``sqrt(share * (1 - 1 / lift))`` when ``lift > 1``, else 0: ``share`` is the
gap's failed items over all failed items of its mode (the share of failures the gap explains) and
``1 - 1/lift`` grows from 0 (the slice fails at the base rate) towards 1 (it fails far more often). A gap
must both explain many failures and concentrate them to rank high.
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd

from ..guidelines import Guidelines, Section, governing_sections, staleness_frame, to_ibis_filter
from .slices import Dimension, benjamini_hochberg, slice_predicate

UNDERREPRESENTED_RATIO = 0.5
MIN_LIFT = 1.1  # a feature slice must fail at least 10 % more often than its class and split mix predicts


def severity(share: float, lift: float) -> float:
    """``sqrt(share * (1 - 1/lift))`` for ``lift > 1``, else 0 (module docstring)."""
    if not lift or lift <= 1 or share <= 0:
        return 0.0
    return float(math.sqrt(min(share, 1.0) * (1.0 - 1.0 / lift)))


def pair_section(g: Guidelines | None, a: str, b: str) -> Section | None:
    """The section that governs a pair: one listing the pair, else one naming both classes, else None."""
    if g is None:
        return None
    listed = governing_sections(g, pair=(a, b))
    if listed:
        return listed[0]
    both = [s for s in governing_sections(g, classes=[a]) if b in s.governed_classes]
    return both[0] if both else None


def _gap(kind, section, classes, mode, n, f, base, p, examples, action, evidence, total_failed, p_adj=None) -> dict:
    rate = f / n if n else 0.0
    lift = rate / base if base else 0.0
    return {
        "kind": kind,
        "section_id": section.id if section is not None else None,
        "classes": classes,
        "mode": mode,
        "n_items": int(n),
        "n_failed": int(f),
        "failure_rate": rate,
        "base_rate": base,
        "lift": lift,
        "p_value": float(p),
        "p_adjusted": np.nan if p_adj is None else float(p_adj),
        "share_of_failures": f / total_failed if total_failed else 0.0,
        "severity": severity(f / total_failed if total_failed else 0.0, lift),
        "example_item_ids": list(examples),
        "suggested_action": action,
        "evidence": evidence,
    }


def _examples(table: ibis.Table, k: int) -> list[str]:
    t = table.filter(table.failed).select("item_id").distinct().order_by("item_id").limit(k)
    return [str(x) for x in t.execute()["item_id"]]


def stale_items(g: Guidelines, section: Section, annotations: ibis.Table, items: ibis.Table, classes) -> ibis.Table:
    """Distinct ``item_id`` of the items with a label that ``section`` makes stale."""
    names = g.version_names
    if section.conditions:
        changed = [names.index(h.version) for h in section.history]
        old = [v for i, v in enumerate(names) if changed and i < max(changed)]
        keep = items.filter(to_ibis_filter(section.condition, items)).select(item_id_i="item_id")
        a = annotations.filter(annotations.guideline_version.isin(old or ["\x00"]))
        a = a.join(keep, a.item_id == keep.item_id_i)
        return a.select("item_id").distinct()
    frame = staleness_frame(g, classes)
    frame = frame[frame["section_id"] == section.id][["label", "guideline_version"]]
    if frame.empty:
        return annotations.filter(ibis.literal(False)).select("item_id").distinct()
    m = ibis.memtable(frame.rename(columns={"label": "s_label", "guideline_version": "s_version"}))
    a = annotations.join(m, (annotations.label == m.s_label) & (annotations.guideline_version == m.s_version))
    return a.select("item_id").distinct()


def map_gaps(
    slices: pd.DataFrame,
    *,
    modes: ibis.Table,
    items: ibis.Table,
    annotations: ibis.Table,
    dims: dict[str, Dimension],
    guidelines: Guidelines | None,
    classes: tuple[str, ...],
    alpha: float,
    max_examples: int = 5,
    ratio: float = UNDERREPRESENTED_RATIO,
    min_lift: float = MIN_LIFT,
) -> pd.DataFrame:
    """Gap candidates from the slices, each with its p-value; BH-adjusted over the candidates."""
    g = guidelines if guidelines is not None and guidelines.sections else None
    totals = slices[slices["kind"] == "class"].groupby("mode")[["n_items", "n_failed"]].sum()
    base = (totals["n_failed"] / totals["n_items"]).to_dict()
    failed_total = totals["n_failed"].to_dict()
    lab = modes.filter(modes["mode"] == "labeled")
    sig = slices[slices["p_adjusted"] < alpha]
    gaps: list[dict] = []

    # stale: every section with a change after some version
    stale_by_section: dict[str, ibis.Table] = {}
    if g is not None and "guideline_version" in annotations.columns:
        for s in g.sections:
            if not any(g.version_names.index(h.version) > 0 for h in s.history):
                continue
            st = stale_items(g, s, annotations, items, classes)
            stale_by_section[s.id] = st
            scope = lab if s.conditions else lab.filter(lab.cls.isin(list(s.governed_classes) or classes))
            st_ids = st.select(item_id_s="item_id")
            marked = scope.left_join(st_ids, scope.item_id == st_ids.item_id_s)
            marked = marked.mutate(stale=marked.item_id_s.notnull())
            c = marked.group_by("stale").aggregate(n=ibis._.count(), f=marked.failed.cast("int64").sum()).execute()
            c = c.set_index("stale")
            if True not in c.index:
                continue
            n1, f1 = int(c.loc[True, "n"]), int(c.loc[True, "f"])
            n0, f0 = (int(c.loc[False, "n"]), int(c.loc[False, "f"])) if False in c.index else (0, 0)
            from scipy.stats import fisher_exact

            p = fisher_exact([[f1, n1 - f1], [f0, n0 - f0]], alternative="greater")[1] if n0 else 1.0
            changed = [f"{h.version} {h.kind}" for h in s.history if g.version_names.index(h.version) > 0]
            latest = [h.version for h in s.history][-1]
            ex = _examples(marked.filter(marked.stale), max_examples)
            gaps.append(
                _gap(
                    "stale", s, " / ".join(s.governed_classes), "labeled", n1, f1, base["labeled"], p, ex,
                    f"re-annotate the {n1:,} items labeled before {latest} under section {s.id} "
                    f"({'; '.join(changed)})",
                    {"failure_rate_current": f0 / n0 if n0 else None, "n_items_current": n0, "n_failed_current": f0,
                     "changed": changed, "test": "Fisher exact, one-sided, stale vs current labels"},
                    failed_total.get("labeled", 0),
                )
            )

    # pairs and classes (labeled mode)
    for r in sig[(sig["mode"] == "labeled") & sig["kind"].isin(["pair", "class"])].itertuples(index=False):
        cls = [c.strip() for c in r.value.split("/")]
        mode_rows = lab.filter(lab.cls.isin(cls))
        if r.kind == "pair":
            a, b = cls
            s = pair_section(g, a, b)
            if s is not None and s.id in stale_by_section:
                st = stale_by_section[s.id].select(item_id_s="item_id")
                rest = mode_rows.left_join(st, mode_rows.item_id == st.item_id_s)
                rest = rest.filter(rest.item_id_s.isnull())
                c = rest.aggregate(n=ibis._.count(), f=rest.failed.cast("int64").sum()).execute().iloc[0]
                from .slices import _binom_sf

                p_rest = float(_binom_sf(np.array([int(c.f)]), np.array([int(c.n)]), np.array([base["labeled"]]))[0])
                if p_rest >= alpha:
                    continue  # the change explains the pair: reported as a stale gap
            kind = "ambiguous" if s is not None else "uncovered"
            pf = mode_rows.filter(mode_rows.other.isin(cls) & (mode_rows.other != mode_rows.cls))
            ex = _examples(pf, max_examples)
            action = (
                f"clarify section {s.id} with examples separating {a} from {b}"
                if s is not None
                else f"add a section that tells {a} from {b} (- pairs: {a} / {b}) with examples"
            )
            ev = {"n_pair_failed": int(r.n_pair_failed), "pair_share": float(r.pair_share),
                  "chance_share": float(r.chance_share), "slice": r.value}
            gaps.append(_gap(kind, s, f"{a} / {b}", "labeled", r.n_items, r.n_failed, base["labeled"],
                             r.p_value, ex, action, ev, failed_total.get("labeled", 0), r.p_adjusted))
        elif g is None or not governing_sections(g, classes=cls):
            ex = _examples(mode_rows, max_examples)
            gaps.append(_gap("uncovered", None, cls[0], "labeled", r.n_items, r.n_failed, base["labeled"], r.p_value,
                             ex, f"add a section on class {cls[0]} (- classes: {cls[0]}) with examples",
                             {"slice": f"class = {cls[0]}"}, failed_total.get("labeled", 0), r.p_adjusted))

    # feature slices (class-mix adjusted): uncovered when no section's conditions match most of their items
    cond_sections = [s for s in (g.sections if g is not None else ()) if s.conditions]
    for r in sig[sig["kind"].isin(["categorical", "numeric", "text_length"])].itertuples(index=False):
        if r.dimension in ("split",) or r.adjusted_lift < min_lift:
            continue
        dim = dims[r.dimension]
        pred = slice_predicate(dim, r.value, r.lo, r.hi, items)
        members = items.filter(pred)
        covered = None
        if cond_sections:
            n_all = int(members.count().execute())
            for s in cond_sections:
                n_in = int(members.filter(to_ibis_filter(s.condition, members)).count().execute())
                if n_all and n_in / n_all >= 0.5:
                    covered = s
                    break
        if covered is not None:
            continue
        rows = modes.filter(modes["mode"] == r.mode)
        m_ids = members.select(item_id_m="item_id")
        rows = rows.join(m_ids, rows.item_id == m_ids.item_id_m)
        ex = _examples(rows, max_examples)
        cond = r.value if dim.kind != "categorical" else f"{dim.column} = '{r.value}'"
        gaps.append(_gap("uncovered", None, "", r.mode, r.n_items, r.n_failed, base[r.mode], r.p_value, ex,
                         f"add a section for items where {cond} (- conditions: {cond}) with examples",
                         {"slice": cond, "expected_rate": float(r.expected_rate),
                          "adjusted_lift": float(r.adjusted_lift)}, failed_total.get(r.mode, 0), r.p_adjusted))

    # underrepresented: rare among labeled items compared with production, and failing there
    if "production" in base:
        from statsmodels.stats.proportion import proportions_ztest

        n_lab = int(totals.loc["labeled", "n_items"]) if "labeled" in totals.index else 0
        n_prod = int(totals.loc["production", "n_items"])
        lab_sl = slices[slices["mode"] == "labeled"].set_index(["dimension", "value"])
        candidates = slices[
            (slices["mode"] == "production")
            & slices["kind"].isin(["class", "categorical", "numeric", "text_length"])
            & (slices["dimension"] != "split")
        ]
        for r in candidates.itertuples(index=False):
            nl = int(lab_sl.loc[(r.dimension, r.value), "n_items"]) if (r.dimension, r.value) in lab_sl.index else 0
            share_l = nl / n_lab if n_lab else 0.0
            share_p = r.n_items / n_prod if n_prod else 0.0
            if not n_lab or share_p <= 0 or share_l >= ratio * share_p or r.n_items < 5:
                continue
            p_repr = float(proportions_ztest([nl, r.n_items], [n_lab, n_prod], alternative="smaller")[1])
            p = max(p_repr, float(r.p_value))
            what = f"class {r.value}" if r.kind == "class" else r.value
            rows = modes.filter(modes["mode"] == "production")
            if r.kind == "class":
                rows = rows.filter(rows.cls == r.value)
            else:
                dim = dims[r.dimension]
                members = items.filter(slice_predicate(dim, r.value, r.lo, r.hi, items)).select(item_id_m="item_id")
                rows = rows.join(members, rows.item_id == members.item_id_m)
            ex = _examples(rows, max_examples)
            gaps.append(_gap("underrepresented", None, r.value if r.kind == "class" else "", "production",
                             r.n_items, r.n_failed, base["production"], p, ex,
                             f"collect and label more items of {what}: {share_l:.1%} of labeled items, "
                             f"{share_p:.1%} of production",
                             {"labeled_share": share_l, "production_share": share_p, "n_labeled": nl,
                              "p_representation": p_repr, "p_failure": float(r.p_value)},
                             failed_total.get("production", 0)))

    out = pd.DataFrame(gaps)
    if out.empty:
        return out
    # gaps from slices keep the slice's BH-adjusted p-value (over every slice); stale and underrepresented
    # candidates are tested apart from the slices and adjusted as their own family
    own = out["p_adjusted"].isna().to_numpy()
    if own.any():
        out.loc[own, "p_adjusted"] = benjamini_hochberg(out.loc[own, "p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    out = out.sort_values(["significant", "severity", "p_value"], ascending=[False, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
