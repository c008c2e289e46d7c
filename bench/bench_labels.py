"""Benchmark of ``workbench labels``: ranking quality on real label errors, and speed at 1M items.

Part 1 (``--part quality``) uses the public label-error data in ``../shared/data/label-errors``
(out-of-sample predicted probabilities, given labels and crowd-validated errors for the MNIST,
CIFAR-10, 20news and IMDB test sets; see that folder's README). Each data set is loaded into a
temporary store (items, one annotation per item, a predictions table) and run through
:func:`workbench.labels.compute_label_quality`, exactly as the command does. Printed per data set:

* precision at k of the ranking (k = number of validated errors): the workbench's default
  (``normalized_margin``) next to every Cleanlab score, and next to plain Cleanlab's default call
  ``find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")``, whose ranking
  only covers the items it flags;
* precision of the flagged set (share of flagged items that are validated errors) for the
  workbench's default filter and for Cleanlab's default (``prune_by_noise_rate``).

Part 2 (``--part speed``) builds a store with ``--items`` items (default 1,000,000) and ``--classes``
classes (default 20) with given probabilities (a predictions table; 5 % of labels flipped), then
times the ``workbench labels --out ... .parquet`` command in a subprocess (wall time and peak
resident memory of that process) next to plain Cleanlab on the same arrays already in memory,
and Cleanlab's batched mode.

Part 3 (``--part datalab``) times the dataset-issue check at 20,000 and 100,000 items with the
workbench's neighbour graph, next to Datalab's own neighbour search (20,000 items only: it takes
minutes at 100,000).

Run from the project root::

    nice -n 10 .venv/bin/python bench/bench_labels.py            # all three parts
    nice -n 10 .venv/bin/python bench/bench_labels.py --part quality
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "label-errors"
DATASETS = ("mnist", "cifar10", "20news", "imdb")


# -- part 1: ranking quality on real label errors -------------------------------------------------


def load_label_errors(name: str) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """Given labels, renormalised probabilities and the rows the crowd validated as errors."""
    probs = np.load(DATA / "cross_validated_predicted_probabilities" / f"{name}_test_set_pyx.npy")
    probs = probs / probs.sum(axis=1, keepdims=True)
    labels = np.load(DATA / "original_test_labels" / f"{name}_test_set_original_labels.npy").astype(np.int64)
    reviews = json.loads((DATA / "mturk" / f"{name}_mturk.json").read_text())
    if name == "imdb":
        files = json.loads((DATA / "dataset_indexing" / "imdb_test_set_index_to_filename.json").read_text())
        row_of = {f.removesuffix(".txt"): i for i, f in enumerate(files)}
    errors = set()
    for r in reviews:
        row = row_of[r["id"].removeprefix("test/")] if name == "imdb" else int(r["id"])
        if r["mturk"]["given"] < 3:  # fewer than 3 of 5 workers chose the given label
            errors.add(int(row))
    return labels, probs, errors


def precision_at_k(order: np.ndarray, errors: set[int], k: int) -> float:
    top = list(order[:k])
    return sum(int(i) in errors for i in top) / k


def run_workbench(labels: np.ndarray, probs: np.ndarray, folder: Path, **options):
    """Write the arrays as a dataset folder, ingest it into a new store and run compute_label_quality."""
    from workbench.labels import compute_label_quality
    from workbench.store import Store

    classes = [f"c{j:02d}" for j in range(probs.shape[1])]
    ids = np.array([f"r{i:06d}" for i in range(len(labels))])
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"item_id": ids}).to_parquet(folder / "items.parquet", index=False)
    pd.DataFrame({"item_id": ids, "annotator_id": "original", "label": np.asarray(classes)[labels]}).to_parquet(
        folder / "annotations.parquet", index=False
    )
    pred = pd.DataFrame(probs, columns=[f"proba_{c}" for c in classes])
    pred.insert(0, "item_id", ids)
    pred.to_parquet(folder / "predictions.parquet", index=False)
    with Store.open(folder / "store.duckdb") as store:
        store.ingest(folder)
        result = compute_label_quality(store, slices=False, **options)
    row = result.issues["item_id"].str.slice(1).astype(int).to_numpy()
    return result, row


def part_quality() -> pd.DataFrame:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    from workbench.labels import DEFAULT_FILTER_BY, DEFAULT_RANK_BY, RANK_METHODS

    if not DATA.is_dir():
        print(f"label-error data not found at {DATA}; skipping the quality part")
        return pd.DataFrame()
    rows = []
    for name in DATASETS:
        labels, probs, errors = load_label_errors(name)
        k = len(errors)
        with tempfile.TemporaryDirectory() as tmp:
            result, ranked_rows = run_workbench(labels, probs, Path(tmp) / name)
        flagged_wb = ranked_rows[result.issues["is_label_issue"].to_numpy()]
        row = {
            "data set": name,
            "items": len(labels),
            "classes": probs.shape[1],
            "validated errors (k)": k,
            f"workbench P@k ({DEFAULT_RANK_BY})": precision_at_k(ranked_rows, errors, k),
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for method in RANK_METHODS:
                scores = get_label_quality_scores(labels, probs, method=method)
                row[f"cleanlab score P@k ({method})"] = precision_at_k(np.argsort(scores, kind="stable"), errors, k)
            plain = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
            row["plain cleanlab default P@k (flagged, ranked)"] = precision_at_k(plain, errors, k)
            row[f"workbench flagged ({DEFAULT_FILTER_BY})"] = len(flagged_wb)
            row["workbench flagged precision"] = np.mean([int(i) in errors for i in flagged_wb])
            row["plain cleanlab flagged (prune_by_noise_rate)"] = len(plain)
            row["plain cleanlab flagged precision"] = np.mean([int(i) in errors for i in plain])
        rows.append(row)
    table = pd.DataFrame(rows).set_index("data set")
    return table


# -- part 2: speed at 1M items ------------------------------------------------------------------


def synthetic(n: int, k: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(0.0, 1.0, (n, k)).astype(np.float64)
    logits[np.arange(n), true] += 3.0
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = true.copy()
    flip = rng.random(n) < 0.05
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    return labels, probs


def build_big_store(path: Path, labels: np.ndarray, probs: np.ndarray) -> None:
    """Write the contract tables (with lineage columns) straight into a DuckDB store file.

    ``workbench ingest`` would hash every row first; for a timing fixture the tables are created
    directly, with the same columns and types the store would hold.
    """
    import duckdb

    n, k = probs.shape
    classes = np.array([f"c{j:02d}" for j in range(k)])
    ids = pd.array([f"it{i:07d}" for i in range(n)], dtype=object)
    now = datetime(2026, 11, 16)
    lineage = {"wb_source_file": "bench", "wb_ingested_at": now}
    items = pd.DataFrame({"item_id": ids, **lineage, "wb_row_hash": ids})
    ann = pd.DataFrame(
        {
            "item_id": ids,
            "annotator_id": "bench",
            "label": classes[labels],
            "created_at": now,
            **lineage,
            "wb_row_hash": ids,
        }
    )
    pred = pd.DataFrame(probs, columns=[f"proba_{c}" for c in classes])
    pred.insert(0, "item_id", ids)
    pred.insert(1, "model_version", "bench")
    for key, value in lineage.items():
        pred[key] = value
    pred["wb_row_hash"] = ids
    con = duckdb.connect(str(path))
    try:
        for name, frame in (("items", items), ("annotations", ann), ("predictions", pred)):
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    finally:
        con.close()


def timed_command(store: Path, out: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS (GB) of ``workbench labels`` in its own process.

    CPU seconds (user + system) are less sensitive than wall time to other work on a shared machine.
    """
    cmd = [str(ROOT / ".venv" / "bin" / "workbench"), "--store", str(store), "labels", "--out", str(out)]
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage0.ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime + usage.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    peak = usage.ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"workbench labels failed ({proc.returncode}):\n{proc.stderr}")
    if peak <= before:
        print("note: peak RSS of the command is not above an earlier child's; the figure is an upper bound")
    return wall, cpu, peak / 1e6, proc.stdout


def part_speed(n: int, k: int) -> pd.DataFrame:
    from cleanlab.experimental.label_issues_batched import find_label_issues_batched
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels, probs = synthetic(n, k)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "big.duckdb"
        t0 = time.perf_counter()
        build_big_store(store, labels, probs)
        print(f"built a store with {n:,} items x {k} classes in {time.perf_counter() - t0:.1f} s")
        out = Path(tmp) / "labels.parquet"
        wall, cpu, peak, stdout = timed_command(store, out)
        written = len(pd.read_parquet(out, columns=["rank"]))
        print(stdout.strip())
        rows.append(
            {
                "run": "workbench labels --out labels.parquet (store -> file, whole command)",
                "seconds": wall,
                "CPU seconds": cpu,
                "peak RSS GB": peak,
                "rows": written,
            }
        )
        from workbench.labels import compute_label_quality
        from workbench.store import Store

        t0, c0 = time.perf_counter(), time.process_time()
        with Store.open(store, read_only=True) as opened:
            result = compute_label_quality(opened, slices=False)
        rows.append(
            {
                "run": "workbench compute_label_quality in-process (store -> result, libraries already imported)",
                "seconds": time.perf_counter() - t0,
                "CPU seconds": time.process_time() - c0,
                "peak RSS GB": None,
                "rows": len(result.issues),
            }
        )
        del result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0, c0 = time.perf_counter(), time.process_time()
        get_label_quality_scores(labels, probs, method="normalized_margin")
        flags = find_label_issues(labels, probs, filter_by="confident_learning", n_jobs=1)
        rows.append(
            {
                "run": "plain cleanlab, arrays in memory: scores + find_label_issues(confident_learning)",
                "seconds": time.perf_counter() - t0,
                "CPU seconds": time.process_time() - c0,
                "peak RSS GB": None,
                "rows": int(flags.sum()),
            }
        )
        t0, c0 = time.perf_counter(), time.process_time()
        flags = find_label_issues(labels, probs, n_jobs=1)
        rows.append(
            {
                "run": "plain cleanlab, arrays in memory: find_label_issues() defaults",
                "seconds": time.perf_counter() - t0,
                "CPU seconds": time.process_time() - c0,
                "peak RSS GB": None,
                "rows": int(flags.sum()),
            }
        )
        t0, c0 = time.perf_counter(), time.process_time()
        idx = find_label_issues_batched(labels=labels, pred_probs=probs, batch_size=100_000, n_jobs=1, verbose=False)
        rows.append(
            {
                "run": "cleanlab batched mode, arrays in memory: find_label_issues_batched",
                "seconds": time.perf_counter() - t0,
                "CPU seconds": time.process_time() - c0,
                "peak RSS GB": None,
                "rows": len(idx),
            }
        )
    table = pd.DataFrame(rows)
    base = table.loc[2, "seconds"]
    table["ratio to plain cleanlab"] = table["seconds"] / base
    load = os.getloadavg()[0]
    print(f"1-minute load average at the end: {load:.1f} on {os.cpu_count()} CPU(s)")
    return table


# -- part 3: dataset issues (Datalab) -----------------------------------------------------------


def part_datalab(sizes: list[int], *, plain_up_to: int = 20_000) -> pd.DataFrame:
    """Datalab outliers + near-duplicates on random 32-feature items: the workbench's graph vs Datalab's own."""
    from workbench.dataset_issues import dataset_issues_from_frame

    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        x = rng.normal(size=(n, 32))
        frame = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(32)])
        frame.insert(0, "item_id", [f"i{i:07d}" for i in range(n)])
        frame["split"] = np.where(rng.random(n) < 0.8, "train", "eval")
        runs = [("workbench (fast neighbour graph)", True)]
        if n <= plain_up_to:
            runs.append(("plain Datalab neighbour search", False))
        for name, fast in runs:
            t0, c0 = time.perf_counter(), time.process_time()
            result = dataset_issues_from_frame(frame, fast_neighbors=fast, max_items=n)
            rows.append(
                {
                    "items": n,
                    "run": name,
                    "seconds": time.perf_counter() - t0,
                    "CPU seconds": time.process_time() - c0,
                    "outliers": int(result.items["is_outlier"].sum()),
                    "near-duplicates": int(result.items["is_near_duplicate"].sum()),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["all", "quality", "speed", "datalab"], default="all")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=20)
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    if args.part in ("all", "quality"):
        table = part_quality()
        if len(table):
            print("\n== Precision against crowd-validated label errors ==")
            shown = table.T.astype(object).map(lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:.3f}")
            print(shown.to_string())
    if args.part in ("all", "speed"):
        table = part_speed(args.items, args.classes)
        print(f"\n== Speed: {args.items:,} items x {args.classes} classes, given probabilities ==")
        print(table.to_string(index=False))
    if args.part in ("all", "datalab"):
        table = part_datalab([20_000, 100_000])
        print("\n== Dataset issues (Datalab outliers + near-duplicates), 32 random features ==")
        print(table.to_string(index=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
