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
   have no model), to check the model-agreement threshold of the ``auto`` rule;
4. the workbench's sparse Dawid-Skene (``workbench.annotators.dawid_skene``) beside
   crowd-kit's ``DawidSkene`` on each data set: largest posterior difference, labels
   agreeing, iterations, accuracy on gold, seconds;
5. the same two at scale: the workload of ``bench/generate.py`` with ``--speed-items``
   items (default 200,000, about 600,000 annotations from 1,000 annotators).

Usage: ``python bench/bench_crowd.py [--data DIR] [--speed-items N] [--only-ds]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.annotators import consensus_from_annotations
from workbench.annotators.dawid_skene import dawid_skene
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


def _ds_side_by_side(item, annotator, label, n_items: int, k: int) -> dict:
    """Sparse Dawid-Skene and crowd-kit's on the same codes: differences and seconds."""
    from crowdkit.aggregation import DawidSkene

    t = time.perf_counter()
    ours = dawid_skene(item, annotator, label, n_items=n_items, n_classes=k)
    t_ours = time.perf_counter() - t
    df = pd.DataFrame({"worker": annotator, "task": item, "label": label})
    t = time.perf_counter()
    ck = DawidSkene(n_iter=100).fit(df)
    t_ck = time.perf_counter() - t
    probas = ck.probas_.reindex(index=np.arange(n_items), columns=np.arange(k), fill_value=0.0).to_numpy()
    ck_labels = ck.labels_.reindex(np.arange(n_items)).to_numpy().astype(np.int64)
    return {
        "annotations": len(item),
        "max_abs_posterior_diff": float(np.abs(probas - ours.posteriors).max()),
        "labels_equal": float(np.mean(ck_labels == ours.labels)),
        "iterations": ours.n_iter,
        "crowdkit_iterations": len(ck.loss_history_),
        "seconds": t_ours,
        "crowdkit_seconds": t_ck,
        "speedup": t_ck / t_ours,
        "_labels": ours.labels,
        "_ck_labels": ck_labels,
    }


def ds_tables(data: Path, speed_items: int) -> tuple[list[dict], list[dict]]:
    rows = []
    for name, file in DATASETS.items():
        path = data / file
        if not path.exists():
            continue
        raw = pd.read_csv(path, header=None, dtype=str).iloc[:, :4]
        raw.columns = ["annotator_id", "item_id", "label", "gold"]
        raw = raw.drop_duplicates(["item_id", "annotator_id"], keep="last")
        item, items = pd.factorize(raw["item_id"], sort=True)
        annotator, _ = pd.factorize(raw["annotator_id"], sort=True)
        label, classes = pd.factorize(raw["label"], sort=True)
        gold = raw.groupby("item_id")["gold"].first().reindex(items).to_numpy()
        row = {"dataset": name, **_ds_side_by_side(item, annotator, label, len(items), len(classes))}
        row["accuracy"] = float(np.mean(np.asarray(classes)[row.pop("_labels")] == gold))
        row["crowdkit_accuracy"] = float(np.mean(np.asarray(classes)[row.pop("_ck_labels")] == gold))
        rows.append(row)
    speed = []
    if speed_items:
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_generate", Path(__file__).with_name("generate.py"))
        generate = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generate)
        tables = generate.generate(speed_items, seed=0)
        ann = tables["annotations"].select(["item_id", "annotator_id", "label"]).to_pandas()
        truth = tables["truth"].to_pandas().set_index("item_id")["label"]
        item, items = pd.factorize(ann["item_id"], sort=True)
        annotator, _ = pd.factorize(ann["annotator_id"], sort=True)
        label, classes = pd.factorize(ann["label"], sort=True)
        row = {
            "workload": f"generate.py {speed_items:,} items",
            **_ds_side_by_side(item, annotator, label, len(items), len(classes)),
        }
        gold = truth.reindex(items).to_numpy()
        row["accuracy"] = float(np.mean(np.asarray(classes)[row.pop("_labels")] == gold))
        row["crowdkit_accuracy"] = float(np.mean(np.asarray(classes)[row.pop("_ck_labels")] == gold))
        speed.append(row)
    return rows, speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "crowd")
    parser.add_argument("--speed-items", type=int, default=200_000)
    parser.add_argument("--only-ds", action="store_true", help="only tables 4 and 5")
    args = parser.parse_args()
    if args.only_ds:
        fmt = {"float_format": lambda v: f"{v:.3g}"}
        pd.set_option("display.width", 250)
        pd.set_option("display.max_columns", 30)
        rows, speed = ds_tables(args.data, args.speed_items) if args.data.is_dir() else ([], [])
        print("\n4. Sparse Dawid-Skene vs crowd-kit's DawidSkene on the crowd data sets\n")
        print(pd.DataFrame(rows).to_string(index=False, **fmt))
        print("\n5. The same at scale\n")
        print(pd.DataFrame(speed).to_string(index=False, **fmt))
        return
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
    rows, speed = ds_tables(args.data, args.speed_items)
    print("\n4. Sparse Dawid-Skene vs crowd-kit's DawidSkene on the crowd data sets\n")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\n5. The same at scale\n")
    print(pd.DataFrame(speed).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
