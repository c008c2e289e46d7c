"""Effectiveness of the re-annotation queue: items worth re-annotating found per 100 queued.

Three rankings side by side, with the same budget and the same candidates (gold items are never queued
as regular entries, so they are left out of every ranking):

* **queue**: :func:`workbench.queue.build_queue` with the default ``[queue]`` weights (every signal the
  store supports; the others are skipped and listed), near-duplicates collapsed, no caps, no gold;
* **cleanlab**: Cleanlab's label quality score alone (:func:`workbench.labels.compute_label_quality`,
  lowest first), where it exists (it needs predictions or features);
* **random**: the expected count of a uniform draw from the same candidates.

Data:

* the demo (``workbench.demo.write_demo`` in a temporary folder): worth re-annotating = ``truth.json``'s
  ``wrong_labels`` (annotated items whose majority label differs from the true label). The queue may also
  spend budget on unlabeled production items (model uncertainty), which by this definition are never
  "worth it"; the table says how many it queued;
* the crowd sets in ``../shared/data/crowd`` (no features, no predictions; gold answers kept out of the
  store): worth = the store's consensus label (``consensus_labels``, method ``auto``) differs from gold;
* the label-error sets in ``../shared/data/label-errors`` (given labels, out-of-sample probabilities):
  worth = a crowd-validated label error (fewer than 3 of 5 reviewers chose the given label).

Run: ``PYTHONPATH=src .venv/bin/python bench/bench_queue.py [--budget 100] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CROWD = {"CF": "CF.csv", "MS": "MS.csv", "SP": "SP.csv", "ZenCrowd": "ZenCrowd_all.csv"}
LABEL_ERRORS = ("mnist", "cifar10", "20news", "imdb")


def measure(store, worth: set[str], *, budget: int, label: str) -> dict:
    from workbench.errors import BadInputError
    from workbench.labels import compute_label_quality
    from workbench.queue import build_queue, queue_settings

    t0 = time.perf_counter()
    batch = build_queue(store, budget=budget, settings=queue_settings({}, gold_rate=0.0))
    seconds = time.perf_counter() - t0
    gold = set()
    if store.has("gold"):
        gold = set(store.data("gold").select("item_id").execute()["item_id"].astype(str))
    items = set(store.data("items").select("item_id").execute()["item_id"].astype(str))
    candidates = items - gold
    queued = batch.entries["item_id"]
    labeled = set(store.data("annotations").select("item_id").execute()["item_id"].astype(str))
    found_queue = int(queued.isin(worth).sum())
    try:
        issues = compute_label_quality(store, slices=False).issues
        ranked = issues[~issues["item_id"].isin(gold)]["item_id"].head(budget)
        found_cleanlab = int(ranked.isin(worth).sum())
    except BadInputError:
        found_cleanlab = None
    per100 = 100.0 / budget
    random_rate = len(worth & candidates) / len(candidates) * 100.0
    q = found_queue * per100
    return {
        "data": label,
        "budget": budget,
        "worth": len(worth & candidates),
        "candidates": len(candidates),
        "queue": round(q, 1),
        "cleanlab": None if found_cleanlab is None else round(found_cleanlab * per100, 1),
        "random": round(random_rate, 1),
        "queue_x_random": round(q / random_rate, 1) if random_rate else None,
        "unlabeled_queued": int((~queued.isin(labeled)).sum()),
        "signals": ",".join(batch.signals_used),
        "queue_s": round(seconds, 1),
    }


def demo(budget: int) -> dict:
    from workbench.demo import write_demo
    from workbench.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        result = write_demo(Path(tmp) / "demo")
        with Store.open(Path(tmp) / "wb.duckdb") as store:
            store.ingest(result.folder)
            return measure(store, set(result.truth["wrong_labels"]), budget=budget, label="demo")


def crowd(name: str, budget: int) -> dict | None:
    from workbench.annotators import consensus_labels
    from workbench.store import Store

    path = SHARED / "crowd" / CROWD[name]
    if not path.is_file():
        return None
    raw = pd.read_csv(path, header=None, dtype=str).iloc[:, :4]
    raw.columns = ["annotator_id", "item_id", "label", "gold"]
    gold = raw.groupby("item_id")["gold"].first()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ds"
        folder.mkdir()
        pd.DataFrame({"item_id": gold.index}).to_csv(folder / "items.csv", index=False)
        raw[["item_id", "annotator_id", "label"]].to_csv(folder / "annotations.csv", index=False)
        with Store.open(Path(tmp) / "wb.duckdb") as store:
            store.ingest(folder)
            cons = consensus_labels(store).to_frame().set_index("item_id")["consensus_label"]
            worth = set(cons.index[cons.astype(str) != gold.reindex(cons.index).astype(str)])
            return measure(store, worth, budget=budget, label=f"crowd {name}")


def label_errors(name: str, budget: int) -> dict | None:
    from bench_labels import DATA, load_label_errors  # the label-error sets as bench_labels reads them

    from workbench.store import Store

    if not (DATA / "cross_validated_predicted_probabilities" / f"{name}_test_set_pyx.npy").is_file():
        return None
    labels, probs, error_rows = load_label_errors(name)
    errors = {f"r{row:06d}" for row in error_rows}
    classes = [f"c{j:02d}" for j in range(probs.shape[1])]
    ids = np.array([f"r{i:06d}" for i in range(len(labels))])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ds"
        folder.mkdir()
        pd.DataFrame({"item_id": ids}).to_parquet(folder / "items.parquet", index=False)
        pd.DataFrame({"item_id": ids, "annotator_id": "original", "label": np.asarray(classes)[labels]}).to_parquet(
            folder / "annotations.parquet", index=False
        )
        pred = pd.DataFrame(probs, columns=[f"proba_{c}" for c in classes])
        pred.insert(0, "item_id", ids)
        pred.to_parquet(folder / "predictions.parquet", index=False)
        with Store.open(Path(tmp) / "wb.duckdb") as store:
            store.ingest(folder)
            return measure(store, errors, budget=budget, label=f"label-errors {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="demo, crowd CF and MS, label-errors mnist only")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = [demo(args.budget)]
    crowd_sets = ("CF", "MS") if args.quick else tuple(CROWD)
    errors = ("mnist",) if args.quick else LABEL_ERRORS
    missing = []
    for name in crowd_sets:
        row = crowd(name, args.budget)
        rows.append(row) if row else missing.append(f"crowd {name}")
    for name in errors:
        row = label_errors(name, args.budget)
        rows.append(row) if row else missing.append(f"label-errors {name}")
    table = pd.DataFrame(rows)
    print(f"items worth re-annotating per 100 queued (budget {args.budget})")
    print(table.to_string(index=False))
    if missing:
        print("absent (not found under ../shared/data): " + ", ".join(missing), file=sys.stderr)


if __name__ == "__main__":
    main()
