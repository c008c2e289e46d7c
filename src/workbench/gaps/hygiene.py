"""Hygiene checks from the same analysis: train/eval leakage, synthetic quarantine, synthetic diversity.

Near-duplicates and leakage reuse :mod:`workbench.dataset_issues` (Datalab's near-duplicate sets on the
:func:`~workbench.dataset_issues.knn_graph` neighbour graph, and ``_split_leakage`` for the pairs across
splits), on a seeded sample of at most ``max_items`` items. Counts that need no neighbours (synthetic items
in eval, dispersion per class and source) are ibis aggregates over every item.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from ..contract import feature_columns
from ..dataset_issues import dataset_issues_from_frame

MAX_ITEMS = 20_000


def _ngrams(texts: pd.Series, n: int = 2) -> tuple[int, int]:
    seen, total = set(), 0
    for t in texts.dropna().astype(str):
        words = t.lower().split()
        grams = list(zip(*[words[i:] for i in range(n)], strict=False))
        total += len(grams)
        seen.update(grams)
    return len(seen), total


def hygiene_checks(
    store, classes_of: ibis.Table, *, kinds: dict[str, str], annotations: ibis.Table, max_items: int = MAX_ITEMS,
    seed: int = 0,
) -> dict:
    """``leakage``, ``synthetic_in_eval`` and ``synthetic_diversity`` (a row per class and source)."""
    items = store.data("items")
    out: dict = {}
    has_split, has_source = "split" in items.columns, "source" in items.columns
    feats = [c for c in feature_columns(items.columns) if kinds.get(c) in ("numeric", "categorical", "text")]

    # synthetic quarantine, over every item
    if has_split and has_source:
        bad = items.filter((items.source == "synthetic") & (items.split == "eval"))
        n_bad = int(bad.count().execute())
        n_syn = int(items.filter(items.source == "synthetic").count().execute())
        ex = bad.select("item_id").order_by("item_id").limit(5).execute()["item_id"].tolist()
        out["synthetic_in_eval"] = {"items": n_bad, "synthetic_items": n_syn, "examples": ex,
                                    "action": "move synthetic items out of eval" if n_bad else None}

    # near-duplicates and train/eval leakage on a seeded sample
    sample = None
    if feats and has_split:
        cols = ["item_id", "split", *(["source"] if has_source else []), *feats]
        t = items.select(*cols)
        n_total = int(t.count().execute())
        if n_total > max_items:
            t = t.mutate(_h=(t.item_id.cast("string") + f":{seed}").hash()).order_by("_h").limit(max_items).drop("_h")
        sample = t.execute()
        if len(sample) >= 3:
            frame = sample.drop(columns=["source"]) if has_source else sample
            res = dataset_issues_from_frame(frame, max_items=max_items, seed=seed, n_items=n_total,
                                            kinds={c: kinds[c] for c in feats})
            sample = sample.merge(res.items[["item_id", "is_near_duplicate"]], on="item_id", how="left")
            leak = res.leakage
            te = leak[leak[["split", "other_split"]].isin(["train", "eval"]).all(axis=1)] if len(leak) else leak
            same = 0
            if len(te):
                ids = list(set(te["item_id"]) | set(te["other_item_id"]))
                a = annotations.filter(annotations.item_id.isin(ids)).select("item_id", "annotator_id", "label")
                a = a.execute()
                keyed = set(zip(a["item_id"], a["annotator_id"], a["label"], strict=True))
                by_item: dict[str, set] = {}
                for i, an, lb in keyed:
                    by_item.setdefault(i, set()).add((an, lb))
                same = sum(bool(by_item.get(x, set()) & by_item.get(y, set()))
                           for x, y in zip(te["item_id"], te["other_item_id"], strict=True))
            out["leakage"] = {
                "checked_items": int(res.n_checked), "sampled": bool(res.sampled),
                "near_duplicates": int(res.items["is_near_duplicate"].sum()),
                "train_eval_pairs": int(len(te)), "same_annotator_same_label_pairs": int(same),
                "examples": [f"{x} ~ {y}" for x, y in zip(te["item_id"][:5], te["other_item_id"][:5], strict=True)],
                "action": "drop or move the eval item of each pair" if len(te) else None,
            }

    # diversity of synthetic vs human items per class
    if has_source:
        numeric = [c for c in feats if kinds.get(c) == "numeric"]
        j = items.join(classes_of, items.item_id == classes_of.item_id_c)
        if numeric:
            gvar = items.aggregate(**{f"v{i}": items[c].var() for i, c in enumerate(numeric)}).execute().iloc[0]
            grp = j.group_by(["cls", "source"]).aggregate(
                n=ibis._.count(), **{f"v{i}": j[c].var() for i, c in enumerate(numeric)}
            ).execute()
            scale = np.array([gvar[f"v{i}"] or 1.0 for i in range(len(numeric))], dtype=float)
            scale[scale <= 0] = 1.0
            v = grp[[f"v{i}" for i in range(len(numeric))]].to_numpy(dtype=float) / scale
            grp["dispersion"] = np.sqrt(np.nanmean(v, axis=1))
            div = grp[["cls", "source", "n", "dispersion"]]
        else:
            div = j.group_by(["cls", "source"]).aggregate(n=ibis._.count()).execute()
        if sample is not None and "is_near_duplicate" in sample:
            c = classes_of.execute().rename(columns={"item_id_c": "item_id"})
            s = sample.merge(c, on="item_id")
            nd = s.groupby(["cls", "source"])["is_near_duplicate"].mean().rename("near_duplicate_rate")
            div = div.merge(nd.reset_index(), on=["cls", "source"], how="left")
            texts = [c for c in feats if kinds.get(c) == "text"]
            if texts:
                rows = []
                for (cl, so), grp_s in s.groupby(["cls", "source"]):
                    d, tot = _ngrams(grp_s[texts[0]])
                    rows.append({"cls": cl, "source": so, "distinct_bigram_share": d / tot if tot else None})
                div = div.merge(pd.DataFrame(rows), on=["cls", "source"], how="left")
        out["synthetic_diversity"] = div.rename(columns={"cls": "class"}).sort_values(["class", "source"]).reset_index(
            drop=True
        )
    return out
