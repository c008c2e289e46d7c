"""Dataset issues through Cleanlab's Datalab: outliers, near-duplicates, train/eval leakage, imbalance, nulls.

Datalab runs on the encoded item features (:mod:`workbench.features`):

``outlier``
    items far from their nearest neighbours (Datalab's outlier score).
``near_duplicate``
    items (almost) identical to another item.
``split_leakage``
    near-duplicate sets whose members sit in different ``split`` values
    (for example a train item duplicated in eval): a leak between training
    and evaluation data. Derived from the near-duplicate sets.
``class_imbalance``
    items of a class much rarer than the others (needs given labels).
``null``
    items whose numeric features are all missing, from Datalab's null check
    on the raw (not imputed) numeric features.

The neighbour search grows quadratically with the number of items. The graph
is built by :func:`knn_graph` (the graph Datalab would build, ten times faster:
about 3 s for 20,000 items and 30 s for 100,000 items of 32 features on two
shared cores, against 18 s and 5 minutes for Datalab's own search). Above
``max_items`` (default :data:`MAX_ITEMS`, 100,000) the check runs on a
uniform random sample of ``max_items`` items drawn with ``seed``; the result
says so (``sampled``, ``n_checked``). Leakage and near-duplicates are then only
found within the sample.

Other capabilities reuse :func:`dataset_issues_from_frame` (for example
leakage checks between synthetic and human items). The notebook loader is
:func:`workbench.loaders.labels.load_dataset_issues`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import BadInputError
from .results import json_safe

if TYPE_CHECKING:
    import altair as alt
    import scipy.sparse as sp

MAX_ITEMS = 100_000
MAX_EXAMPLES = 5
ISSUE_TYPES = ("outlier", "near_duplicate", "split_leakage", "class_imbalance", "null")
_DESCRIPTIONS = {
    "outlier": "items far from every other item in feature space",
    "near_duplicate": "items (almost) identical to another item",
    "split_leakage": "near-duplicates that straddle split values (train/eval leakage)",
    "class_imbalance": "items of a class much rarer than the others",
    "null": "items whose numeric features are all missing",
}


@dataclass(frozen=True)
class DatasetIssues:
    """Datalab's findings, keyed by ``item_id``.

    ``summary``: a row per issue type (``issue_type, items, share, score,
    examples, description``). ``items``: a row per checked item with an
    ``is_<type>`` flag and score per issue type. ``leakage``: near-duplicate
    pairs across splits (``item_id, other_item_id, split, other_split``).
    """

    summary: pd.DataFrame
    items: pd.DataFrame
    leakage: pd.DataFrame
    n_items: int
    n_checked: int
    sampled: bool
    params: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """A row per checked item, keyed by ``item_id``: an ``is_<type>`` flag and a score per issue type."""
        return self.items.copy()

    def to_dict(self) -> dict:
        return json_safe(
            {
                "n_items": self.n_items,
                "n_checked": self.n_checked,
                "sampled": self.sampled,
                "params": self.params,
                "summary": self.summary,
                "leakage_pairs": int(len(self.leakage)),
            }
        )

    def summary_lines(self, *, compact: bool = False) -> list[str]:
        """What was checked and the items flagged per issue type (``compact``: one sentence, as the report
        prints it)."""
        if compact:
            return [
                "Dataset issues (Datalab"
                + (f", sample of {self.n_checked:,} items" if self.sampled else "")
                + "): "
                + ", ".join(f"{r.issue_type} {r.items:,}" for r in self.summary.itertuples())
                + "."
            ]
        scope = (
            f"a random sample of {self.n_checked:,} of {self.n_items:,} items (seed {self.params.get('seed')})"
            if self.sampled
            else f"all {self.n_checked:,} items"
        )
        lines = [f"Dataset issues (Cleanlab Datalab) on {scope}:"]
        for r in self.summary.itertuples():
            ex = f" e.g. {r.examples}" if r.examples else ""
            lines.append(f"  {r.issue_type}: {r.items:,} item(s) ({r.share:.1%}){ex}")
        return lines


def dataset_issues_from_frame(
    items: pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    max_items: int = MAX_ITEMS,
    seed: int = 0,
    k: int = 10,
    kinds: dict[str, str] | None = None,
    n_items: int | None = None,
    straddle: str = "split",
    fast_neighbors: bool = True,
) -> DatasetIssues:
    """Run Datalab on an items frame (``item_id``, optional ``split``, feature columns).

    Parameters
    ----------
    items : DataFrame
    labels : DataFrame, optional
        ``item_id``, ``given_label`` (for the class imbalance check).
    max_items : int
        Above this many items, check a random sample of this size.
    seed : int
        Seed of the sample.
    k : int
        Neighbours per item in Datalab's neighbour graph.
    kinds : dict, optional
        Feature kinds override, see :func:`workbench.features.feature_matrix`.
    n_items : int, optional
        Total items when ``items`` is already a sample (for reporting).
    straddle : str
        The column whose values near-duplicates must not straddle (default
        ``split``: train/eval leakage; ``source`` checks synthetic items that
        copy human ones). The column is not used as a feature.
    fast_neighbors : bool
        Build the neighbour graph with :func:`knn_graph` (same neighbours and
        cosine distances as Datalab's own search, much faster); ``False`` lets
        Datalab search itself.
    """
    from cleanlab import Datalab

    from .features import feature_matrix

    if max_items < 2:
        raise BadInputError(f"--max-items {max_items}: need at least 2 items to compare.")
    total = len(items) if n_items is None else n_items
    sampled = total > len(items)
    if len(items) > max_items:
        items = items.sample(n=max_items, random_state=seed)
        sampled = True
    items = items.sort_values("item_id", kind="stable").reset_index(drop=True)
    if len(items) < 2:
        raise BadInputError("items: fewer than 2 items; dataset issues need at least two items to compare.")
    kinds = {**(kinds or {}), **({straddle: "drop"} if straddle in items.columns and straddle != "split" else {})}
    fm = feature_matrix(items, kinds=kinds)
    dense = fm.dense(seed=seed)
    ids = items["item_id"].to_numpy(dtype=object)
    out = pd.DataFrame({"item_id": ids})
    kk = int(min(k, len(items) - 1))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lab = Datalab(data={"item_id": list(ids)}, verbosity=0)
        graph = knn_graph(dense, k=kk) if fast_neighbors else None
        lab.find_issues(
            **({"knn_graph": graph} if graph is not None else {"features": dense}),
            issue_types={"outlier": {"k": kk}, "near_duplicate": {"k": kk}},
        )
    outl = lab.get_issues("outlier")
    out["is_outlier"] = outl["is_outlier_issue"].to_numpy(dtype=bool)
    out["outlier_score"] = outl["outlier_score"].to_numpy(dtype=float)
    nd = lab.get_issues("near_duplicate")
    out["is_near_duplicate"] = nd["is_near_duplicate_issue"].to_numpy(dtype=bool)
    out["near_duplicate_score"] = nd["near_duplicate_score"].to_numpy(dtype=float)
    sets = nd["near_duplicate_sets"].to_numpy()

    leakage = _split_leakage(
        ids, items[straddle] if straddle in items.columns else None, out["is_near_duplicate"], sets, name=straddle
    )
    leaking = set(leakage["item_id"]) | set(leakage["other_item_id"])
    out["is_split_leakage"] = out["item_id"].isin(leaking).to_numpy()

    numeric = [c for c, kind in fm.kinds.items() if kind == "numeric"]
    if numeric:
        raw = items[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lab_null = Datalab(data={"item_id": list(ids)}, verbosity=0)
            lab_null.find_issues(features=raw, issue_types={"null": {}})
        nl = lab_null.get_issues("null")
        out["is_null"] = nl["is_null_issue"].to_numpy(dtype=bool)
        out["null_score"] = nl["null_score"].to_numpy(dtype=float)

    if labels is not None and len(labels):
        lab_map = labels.set_index("item_id")["given_label"]
        given = out["item_id"].map(lab_map)
        has = given.notna().to_numpy()
        out["is_class_imbalance"] = False
        if has.sum() >= 2 and given[has].nunique() >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lab_ci = Datalab(
                    data={"given_label": given[has].astype(str).tolist()}, label_name="given_label", verbosity=0
                )
                lab_ci.find_issues(issue_types={"class_imbalance": {}})
            ci = lab_ci.get_issues("class_imbalance")
            out.loc[has, "is_class_imbalance"] = ci["is_class_imbalance_issue"].to_numpy(dtype=bool)

    rows = []
    for issue in ISSUE_TYPES:
        col = f"is_{issue}"
        if col not in out:
            continue
        flagged = out[col].to_numpy()
        score_col = f"{issue}_score"
        if score_col in out and flagged.any():
            order = np.argsort(out[score_col].to_numpy()[flagged], kind="stable")
            examples = out["item_id"].to_numpy()[flagged][order][:MAX_EXAMPLES]
        else:
            examples = out["item_id"].to_numpy()[flagged][:MAX_EXAMPLES]
        rows.append(
            {
                "issue_type": issue,
                "items": int(flagged.sum()),
                "share": float(flagged.mean()) if len(flagged) else 0.0,
                "score": float(out[score_col].mean()) if score_col in out else None,
                "examples": ", ".join(map(str, examples)),
                "description": _DESCRIPTIONS[issue],
            }
        )
    summary = pd.DataFrame(rows)
    return DatasetIssues(
        summary=summary,
        items=out,
        leakage=leakage,
        n_items=int(total),
        n_checked=len(items),
        sampled=bool(sampled),
        params={
            "seed": seed,
            "max_items": max_items,
            "k": kk,
            "features": fm.to_dict(),
            "dense_dimensions": int(dense.shape[1]),
            "straddle": straddle,
        },
    )


def knn_graph(features: np.ndarray, *, k: int) -> sp.csr_matrix | None:
    """The k-nearest-neighbour graph Datalab would build with cosine distance, built faster.

    Datalab uses cosine distance for vectors of more than three dimensions and
    searches by brute force with a generic reduction, which takes minutes at
    100,000 items. On unit-length rows the cosine distance is half the squared
    Euclidean distance, which scikit-learn's optimised brute-force search
    finds in seconds; the distances are converted back, so Datalab receives
    the same graph. Exact duplicates are then corrected as Datalab does.
    Returns ``None`` (let Datalab search) for three or fewer dimensions or
    when Cleanlab's graph helpers are missing.
    """
    try:
        from cleanlab.internal.neighbor.knn_graph import construct_knn_graph_from_index, correct_knn_graph
    except ImportError:  # pragma: no cover - other Cleanlab versions
        return None
    from sklearn.neighbors import NearestNeighbors

    if features.shape[1] <= 3:
        return None
    x = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    knn = NearestNeighbors(n_neighbors=k, metric="euclidean", algorithm="brute").fit(unit)
    graph = construct_knn_graph_from_index(knn)
    graph.data = np.clip(graph.data**2 / 2.0, 0.0, 2.0)  # cosine distance = |a - b|^2 / 2 for unit vectors
    return correct_knn_graph(unit, graph)


def _split_leakage(
    ids: np.ndarray, split: pd.Series | None, flagged: pd.Series, sets: np.ndarray, *, name: str = "split"
) -> pd.DataFrame:
    """Near-duplicate pairs whose ``name`` values differ: ``item_id, other_item_id, <name>, other_<name>``."""
    cols = ["item_id", "other_item_id", name, f"other_{name}"]
    if split is None:
        return pd.DataFrame(columns=cols)
    splits = split.to_numpy(dtype=object)
    pairs = []
    for i in np.flatnonzero(flagged.to_numpy()):
        for j in np.asarray(sets[i], dtype=int):
            if i < j and splits[i] != splits[j] and splits[i] is not None and splits[j] is not None:
                pairs.append((ids[i], ids[j], splits[i], splits[j]))
    return pd.DataFrame(pairs, columns=cols)


def find_dataset_issues(
    store,
    *,
    max_items: int = MAX_ITEMS,
    seed: int = 0,
    k: int = 10,
    with_labels: bool = True,
) -> DatasetIssues:
    """:func:`dataset_issues_from_frame` on the store's items.

    The sample (above ``max_items``) is drawn in the backend, so only the
    sampled rows reach memory. Given labels (for class imbalance) come from
    :func:`workbench.labels.given_labels`.
    """
    from .contract import feature_columns

    t = store.data("items")
    feats = feature_columns(t.columns)
    if not feats:
        raise BadInputError(
            "items: there are no feature columns, so there is nothing for Datalab to compare. "
            "Add feature columns to items (every column that is not item_id, split, source, source_model, "
            "created_at or meta_*)."
        )
    cols = ["item_id", *(["split"] if "split" in t.columns else []), *feats]
    n_total = int(t.count().execute())
    t = t.select(*cols)
    if n_total > max_items:
        # Deterministic sample: order by a seeded hash of the id, keep the first max_items.
        t = t.mutate(_h=(t.item_id.cast("string") + f":{seed}").hash()).order_by("_h").limit(max_items).drop("_h")
    frame = t.execute()
    labels = None
    if with_labels and store.has("annotations"):
        from .labels import given_labels

        labels = given_labels(store).frame[["item_id", "given_label"]]
    return dataset_issues_from_frame(frame, labels=labels, max_items=max_items, seed=seed, k=k, n_items=n_total)


def dataset_issues_chart(result: DatasetIssues) -> alt.Chart:
    """Items flagged per issue type."""
    import altair as alt

    return (
        alt.Chart(result.summary, title="Dataset issues (Cleanlab Datalab)")
        .mark_bar()
        .encode(
            y=alt.Y("issue_type:N", sort="-x", title=None),
            x=alt.X("items:Q", title="items flagged"),
            tooltip=["issue_type", "items", alt.Tooltip("share:Q", format=".2%"), "examples", "description"],
        )
        .properties(width=400)
    )
