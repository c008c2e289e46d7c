"""Consensus accuracy on public crowdsourcing data sets with gold labels.

Reads ``../shared/data/crowd`` (or ``--data``): headerless CSVs of
``worker_id, task_id, worker_label, gold_label``. Each data set is loaded into a
temporary DuckDB store through the workbench's own ingestion, then every
consensus method is scored against the gold labels, beside crowd-kit's plain
``MajorityVote`` and ``DawidSkene`` run in the same process.

Tables printed:

1. accuracy per method and data set, and the ratio to crowd-kit's Dawid-Skene;
2. ``auto`` with a small gold set: 50 gold items drawn at random pick the
   method, accuracy is measured on the other items (mean over 5 draws);
3. CROWDLAB with simulated predictions of known accuracy (these data sets
   have no model), to check the model-agreement threshold of the ``auto`` rule.

Usage: ``python bench/bench_crowd.py [--data DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.annotators import consensus_from_annotations
from workbench.inputs import Predictions, read_annotations
from workbench.store import Store

DATASETS = {"CF": "CF.csv", "MS": "MS.csv", "SP": "SP.csv", "ZenCrowd": "ZenCrowd_all.csv"}
MODEL_ACCURACIES = (0.5, 0.65, 0.8, 0.95)


def load(path: Path, folder: Path) -> tuple[pd.DataFrame, pd.Series]:
    raw = pd.read_csv(path, header=None, dtype=str).iloc[:, :4]
    raw.columns = ["annotator_id", "item_id", "label", "gold"]
    gold = raw.groupby("item_id")["gold"].first()
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"item_id": gold.index}).to_csv(folder / "items.csv", index=False)
    raw[["item_id", "annotator_id", "label"]].to_csv(folder / "annotations.csv", index=False)
    return raw, gold


def simulated_predictions(gold: pd.Series, classes: tuple[str, ...], accuracy: float, seed: int) -> Predictions:
    rng = np.random.default_rng(seed)
    k = len(classes)
    truth = pd.Categorical(gold, categories=list(classes)).codes
    right = rng.random(len(gold)) < accuracy
    other = (truth + rng.integers(1, k, len(gold))) % k
    pred = np.where(right, truth, other)
    conf = rng.uniform(1.0 / k + 0.05, 0.95, len(gold))
    proba = np.tile(((1 - conf) / (k - 1))[:, None], (1, k))
    proba[np.arange(len(gold)), pred] = conf
    return Predictions(item_id=pd.Index(gold.index), proba=proba, model_version=f"simulated-{accuracy}")


def accuracy(consensus, gold: pd.Series, items=None) -> float:
    frame = consensus.to_frame().set_index("item_id")
    if items is not None:
        frame = frame.loc[frame.index.intersection(items)]
    return float(np.mean(frame["consensus_label"].to_numpy() == gold.reindex(frame.index).to_numpy()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "crowd")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"crowd data not found at {args.data}; nothing to benchmark")
        return
    from crowdkit.aggregation import DawidSkene, MajorityVote

    table1, table2, table3 = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, file in DATASETS.items():
            path = args.data / file
            if not path.exists():
                print(f"{path} is absent; skipped")
                continue
            raw, gold = load(path, Path(tmp) / name)
            with Store.open(Path(tmp) / f"{name}.duckdb") as store:
                store.ingest(Path(tmp) / name)
                annotations = read_annotations(store)
            df = annotations.frame.rename(columns={"annotator_id": "worker", "item_id": "task"})[
                ["worker", "task", "label"]
            ]
            t = time.perf_counter()
            ck_mv = MajorityVote().fit_predict(df)
            t_ck_mv = time.perf_counter() - t
            t = time.perf_counter()
            ck_ds = DawidSkene(n_iter=100).fit_predict(df)
            t_ck_ds = time.perf_counter() - t
            acc_ck_ds = float(np.mean(ck_ds.to_numpy() == gold.reindex(ck_ds.index).to_numpy()))
            acc_ck_mv = float(np.mean(ck_mv.to_numpy() == gold.reindex(ck_mv.index).to_numpy()))
            row = {
                "dataset": name,
                "items": annotations.n_items,
                "annotators": annotations.frame["annotator_id"].nunique(),
                "labels": len(annotations.frame),
                "repeats_dropped": annotations.duplicates_dropped,
                "median_labels_per_annotator": float(annotations.frame.groupby("annotator_id").size().median()),
                "crowdkit_mv": acc_ck_mv,
                "crowdkit_ds": acc_ck_ds,
            }
            times = {"crowdkit_mv": t_ck_mv, "crowdkit_ds": t_ck_ds}
            for method in ("mv", "ds", "auto"):
                t = time.perf_counter()
                c = consensus_from_annotations(annotations, method=method)
                times[method] = time.perf_counter() - t
                row[method] = accuracy(c, gold)
                if method == "auto":
                    row["auto_chose"] = c.method
            row["auto/crowdkit_ds"] = row["auto"] / acc_ck_ds
            row["ds_seconds"] = times["ds"]
            row["crowdkit_ds_seconds"] = times["crowdkit_ds"]
            table1.append(row)

            # auto with a small gold set: pick on 50 gold items, score on the rest
            chosen, accs, accs_ds, accs_mv = [], [], [], []
            for seed in range(5):
                rng = np.random.default_rng(seed)
                picked = pd.Index(rng.choice(gold.index.to_numpy(), 50, replace=False))
                rest = gold.index.difference(picked)
                c = consensus_from_annotations(annotations, method="auto", gold=gold.loc[picked], min_gold=30)
                chosen.append(c.method)
                accs.append(accuracy(c, gold, rest))
                accs_ds.append(accuracy(consensus_from_annotations(annotations, method="ds"), gold, rest))
                accs_mv.append(accuracy(consensus_from_annotations(annotations, method="mv"), gold, rest))
            table2.append(
                {
                    "dataset": name,
                    "auto_gold50": float(np.mean(accs)),
                    "mv": float(np.mean(accs_mv)),
                    "ds": float(np.mean(accs_ds)),
                    "auto/ds": float(np.mean(accs)) / float(np.mean(accs_ds)),
                    "chosen": ",".join(sorted(set(chosen))),
                }
            )

            # CROWDLAB with simulated predictions of known accuracy
            for acc in MODEL_ACCURACIES:
                preds = simulated_predictions(gold, annotations.classes, acc, seed=1)
                cl = consensus_from_annotations(annotations, method="crowdlab", predictions=preds)
                auto = consensus_from_annotations(annotations, method="auto", predictions=preds)
                table3.append(
                    {
                        "dataset": name,
                        "model_accuracy": acc,
                        "crowdlab": accuracy(cl, gold),
                        "ds": row["ds"],
                        "mv": row["mv"],
                        "auto": accuracy(auto, gold),
                        "auto_chose": auto.method,
                        "crowdlab/ds": accuracy(cl, gold) / row["ds"],
                    }
                )
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    fmt = {"float_format": lambda v: f"{v:.3f}"}
    print("\n1. Consensus accuracy against gold (all methods on all items; crowd-kit plain runs beside)\n")
    print(pd.DataFrame(table1).to_string(index=False, **fmt))
    print("\n2. auto with 50 random gold items choosing the method, accuracy on the other items (5 draws)\n")
    print(pd.DataFrame(table2).to_string(index=False, **fmt))
    print("\n3. CROWDLAB with simulated predictions of a given accuracy (no gold: auto follows its rule)\n")
    print(pd.DataFrame(table3).to_string(index=False, **fmt))


if __name__ == "__main__":
    main()
