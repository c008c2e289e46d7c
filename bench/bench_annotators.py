"""Scale of the annotators capability: sparse CROWDLAB / ActiveLab and agreement statistics.

Each measured step runs in its own Python process, so its peak memory (max
RSS, including the interpreter, the libraries and the step's input arrays) is
its own. Inputs are generated once, seeded, and shared through ``.npy`` files.

Tables printed:

1. the same input (``--dense-items`` x ``--dense-annotators``, as a dense table
   for Cleanlab and as a long table here): Cleanlab's
   ``get_label_quality_multiannotator`` and ``get_active_learning_scores``
   against :mod:`workbench.annotators.crowd_sparse`, time ratio and largest difference;
2. a workforce (``--items`` items, ``--annotators`` annotators,
   ``--per-item`` annotations per item): sparse CROWDLAB, sparse ActiveLab,
   agreement statistics from integer codes, and the whole path from a DuckDB
   store (read, de-duplicate, code, agree; consensus with CROWDLAB). Cleanlab's
   dense version is not run there: its table alone would not fit.

Usage: ``nice -n 10 python bench/bench_annotators.py`` (defaults: 1M items,
1,000 annotators, 3 annotations per item, 10 classes; dense comparison at
50,000 x 200).

``--null-workforce`` instead counts false flags: a workforce of 1,000 annotators whose skill never changes
(200,000 items, 3 labels each from distinct annotators, 8 weeks, 10 classes, skill 75% to 95%), written as
a dataset folder, ingested, and run through ``annotators_overview`` as ``workbench annotators`` runs it
(``--seed`` picks the workforce). Every flag there is a false alarm.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def generate(folder: Path, *, items: int, annotators: int, per_item: int, classes: int, seed: int) -> None:
    """Distinct annotators per item, 80%-accurate labels, a model that is right ~75% of the time."""
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(items), per_item)
    first = rng.integers(0, annotators, items)
    steps = np.sort(rng.choice(np.arange(1, annotators), size=(items, per_item - 1)), axis=1) if per_item > 1 else None
    offsets = np.zeros((items, per_item), dtype=np.int64)
    if steps is not None:
        # distinct offsets per item: sample without replacement via sorted unique draws, fixed up below
        offsets[:, 1:] = steps
        dup = np.any(np.diff(offsets, axis=1) == 0, axis=1)
        for i in np.flatnonzero(dup):
            offsets[i, 1:] = np.sort(rng.choice(np.arange(1, annotators), per_item - 1, replace=False))
    annotator = ((first[:, None] + offsets) % annotators).ravel()
    truth = rng.integers(0, classes, items)
    label = np.where(rng.random(len(item)) < 0.8, truth[item], rng.integers(0, classes, len(item)))
    pred = rng.dirichlet(np.ones(classes), items)
    pred[np.arange(items), truth] += rng.uniform(0, 1.2, items)
    pred /= pred.sum(axis=1, keepdims=True)
    week = rng.integers(0, 52, items)[item]
    for name, arr in {"item": item, "annotator": annotator, "label": label, "pred": pred, "week": week}.items():
        np.save(folder / f"{name}.npy", arr)
    (folder / "shape.json").write_text(json.dumps({"items": items, "annotators": annotators, "classes": classes}))


def load(folder: Path):
    shape = json.loads((folder / "shape.json").read_text())
    arrays = {n: np.load(folder / f"{n}.npy") for n in ("item", "annotator", "label", "pred", "week")}
    return shape, arrays


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_step(step: str, folder: Path) -> dict:
    """One measured step, in this (child) process."""
    import pandas as pd

    from workbench.annotators.crowd_sparse import LongLabels, activelab, crowdlab

    shape, a = load(folder)
    lab = LongLabels.from_arrays(
        a["item"],
        a["annotator"],
        a["label"],
        n_items=shape["items"],
        n_annotators=shape["annotators"],
        n_classes=shape["classes"],
    )
    out: dict = {}
    if step in ("dense_crowdlab", "dense_activelab"):
        import contextlib
        import io
        import warnings

        from cleanlab.multiannotator import get_active_learning_scores, get_label_quality_multiannotator

        dense = np.full((shape["items"], shape["annotators"]), np.nan)
        dense[lab.item, lab.annotator] = lab.label
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            if step == "dense_crowdlab":
                ref = get_label_quality_multiannotator(dense, a["pred"], return_weights=True)
                elapsed = time.perf_counter() - t
                mine = crowdlab(lab, a["pred"])
                out["max_abs_diff"] = float(
                    max(
                        np.abs(
                            mine.consensus_quality - ref["label_quality"]["consensus_quality_score"].to_numpy()
                        ).max(),
                        np.abs(
                            mine.annotator_quality - ref["annotator_stats"].sort_index()["annotator_quality"].to_numpy()
                        ).max(),
                    )
                )
                out["labels_differ"] = int(
                    np.sum(mine.consensus_label != ref["label_quality"]["consensus_label"].to_numpy())
                )
            else:
                ref, _ = get_active_learning_scores(dense, a["pred"])
                elapsed = time.perf_counter() - t
                out["max_abs_diff"] = float(np.abs(activelab(lab, a["pred"]).scores - ref).max())
        out["seconds"] = elapsed
    elif step == "sparse_crowdlab":
        t = time.perf_counter()
        crowdlab(lab, a["pred"])
        out["seconds"] = time.perf_counter() - t
    elif step == "sparse_activelab":
        t = time.perf_counter()
        activelab(lab, a["pred"])
        out["seconds"] = time.perf_counter() - t
    elif step == "agreement_codes":
        from workbench.annotators import compute_agreement_from_set
        from workbench.inputs import AnnotationSet

        classes = tuple(f"c{i}" for i in range(shape["classes"]))
        base = pd.Timestamp("2026-01-05").value
        frame = pd.DataFrame(
            {
                "item_id": a["item"],  # ids stay integers here: the codes below are what the statistics use
                "annotator_id": a["annotator"],
                "label": a["label"],
                "created_at": pd.to_datetime(base + a["week"] * 7 * 86_400 * 10**9),
                "_item": a["item"],
                "_annotator": a["annotator"],
                "_label": a["label"],
            }
        )
        t = time.perf_counter()
        res = compute_agreement_from_set(AnnotationSet(frame=frame, classes=classes))
        out["seconds"] = time.perf_counter() - t
        out["alpha"] = res.overall["krippendorff_alpha"]
        out["pairs"] = len(res.pairwise)
        out["weeks"] = len(res.per_week)
    elif step in ("store_agreement", "store_consensus", "store_activelab"):
        from workbench.annotators import active_learning_scores, compute_agreement, consensus_labels
        from workbench.store import Store

        with Store.open(folder / "store.duckdb", read_only=True) as store:
            t = time.perf_counter()
            if step == "store_agreement":
                res = compute_agreement(store)
                out["alpha"] = res.overall["krippendorff_alpha"]
            elif step == "store_activelab":
                out["items"] = len(active_learning_scores(store))
            else:
                res = consensus_labels(store, method="crowdlab")
                out["items"] = len(res.frame)
            out["seconds"] = time.perf_counter() - t
    out["peak_mb"] = _peak_mb()
    return out


def build_store(folder: Path) -> float:
    """A DuckDB store holding the generated annotations and predictions (string ids, as users have them)."""
    import ibis
    import pandas as pd

    from workbench.store import Store

    shape, a = load(folder)
    t = time.perf_counter()
    with Store.open(folder / "store.duckdb") as store:
        con = store.con
        n = len(a["item"])
        ann = pd.DataFrame({"i": a["item"], "a": a["annotator"], "l": a["label"], "w": a["week"]})
        con.create_table("raw_ann", ibis.memtable(ann))
        con.raw_sql(
            "CREATE TABLE annotations AS SELECT printf('it%07d', i) AS item_id, printf('a%04d', a) AS annotator_id, "
            "'c' || l AS label, TIMESTAMP '2026-01-05' + to_days(CAST(w * 7 AS INTEGER)) + to_seconds(i % 86400) "
            "AS created_at FROM raw_ann"
        )
        con.raw_sql("DROP TABLE raw_ann")
        probs = pd.DataFrame(a["pred"], columns=[f"proba_c{c}" for c in range(shape["classes"])])
        probs["i"] = np.arange(shape["items"])
        con.create_table("raw_pred", ibis.memtable(probs))
        cols = ", ".join(f"proba_c{c}" for c in range(shape["classes"]))
        con.raw_sql(
            f"CREATE TABLE predictions AS SELECT printf('it%07d', i) AS item_id, 'm1' AS model_version, {cols} "
            "FROM raw_pred"
        )
        con.raw_sql("DROP TABLE raw_pred")
        assert int(con.table("annotations").count().execute()) == n
    return time.perf_counter() - t


def measure(step: str, folder: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--step", step, "--folder", str(folder)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def null_workforce(folder: Path, *, seed: int, items: int = 200_000, annotators: int = 1_000) -> None:
    """The constant-skill workforce as a dataset folder (items.parquet, annotations.parquet)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    k, per_item, weeks = 10, 3, 8
    skill = rng.uniform(0.75, 0.95, annotators)
    who = np.argsort(rng.random((items, annotators)), axis=1)[:, :per_item] if annotators <= 50 else None
    if who is None:  # distinct annotators per item without an items x annotators array
        who = rng.integers(0, annotators, (items, per_item))
        clash = (who[:, 0] == who[:, 1]) | (who[:, 0] == who[:, 2]) | (who[:, 1] == who[:, 2])
        while clash.any():
            who[clash] = rng.integers(0, annotators, (int(clash.sum()), per_item))
            clash = (who[:, 0] == who[:, 1]) | (who[:, 0] == who[:, 2]) | (who[:, 1] == who[:, 2])
    truth = rng.integers(0, k, items)
    annotator = who.ravel()
    item = np.repeat(np.arange(items), per_item)
    right = rng.random(len(item)) < skill[annotator]
    label = np.where(right, truth[item], (truth[item] + rng.integers(1, k, len(item))) % k)
    start = pd.Timestamp("2026-01-05")
    created = start + pd.to_timedelta(rng.uniform(0, weeks * 7 * 86_400, items), unit="s")
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("it", np.char.zfill(np.arange(items).astype(str), 7))
    pd.DataFrame({"item_id": ids, "created_at": created.floor("s")}).to_parquet(folder / "items.parquet")
    lag = pd.to_timedelta(rng.exponential(3_600, len(item)), unit="s")
    pd.DataFrame(
        {
            "item_id": ids[item],
            "annotator_id": np.char.add("w", np.char.zfill(annotator.astype(str), 4)),
            "label": np.char.add("c", label.astype(str)),
            "created_at": (created[item] + lag).floor("s"),
        }
    ).to_parquet(folder / "annotations.parquet")


def count_null_flags(seed: int) -> None:
    """Print how many annotators ``annotators_overview`` flags on the null workforce (all false alarms)."""
    from workbench.annotators import annotators_overview
    from workbench.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "null"
        null_workforce(folder, seed=seed)
        with Store.open(Path(tmp) / "store.duckdb") as store:
            store.ingest(folder)
        t = time.perf_counter()
        with Store.open(Path(tmp) / "store.duckdb", read_only=True) as store:
            report = annotators_overview(store, agreement=False).report
        table = report.annotators
        print(
            f"null workforce seed {seed}: {len(table):,} annotators, {int(table['flagged'].sum())} flagged "
            f"(consensus {report.consensus.method}, {time.perf_counter() - t:.0f} s)"
        )
        for r in table[table["flagged"]].head(5).itertuples():
            print(f"  {r.annotator_id}: {r.flag_reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=1_000)
    parser.add_argument("--per-item", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--dense-items", type=int, default=50_000)
    parser.add_argument("--dense-annotators", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--null-workforce", action="store_true", help="count false flags on a constant workforce")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.folder)))
        return
    if args.null_workforce:
        count_null_flags(args.seed)
        return

    with tempfile.TemporaryDirectory() as tmp:
        dense_dir = Path(tmp) / "dense"
        dense_dir.mkdir()
        generate(
            dense_dir,
            items=args.dense_items,
            annotators=args.dense_annotators,
            per_item=args.per_item,
            classes=args.classes,
            seed=args.seed,
        )
        print(
            f"\n1. Cleanlab (dense) vs workbench.annotators.crowd_sparse on {args.dense_items:,} items x "
            f"{args.dense_annotators} annotators, {args.dense_items * args.per_item:,} annotations, "
            f"{args.classes} classes\n"
        )
        print(
            f"{'step':<22}{'cleanlab s':>12}{'sparse s':>10}{'speed-up':>10}{'cleanlab MB':>13}{'sparse MB':>11}"
            f"{'max |diff|':>12}"
        )
        for name, dense_step, sparse_step in (
            ("CROWDLAB", "dense_crowdlab", "sparse_crowdlab"),
            ("ActiveLab", "dense_activelab", "sparse_activelab"),
        ):
            d, s = measure(dense_step, dense_dir), measure(sparse_step, dense_dir)
            if "error" in d or "error" in s:
                print(f"{name:<22} error: {d.get('error') or s.get('error')}")
                continue
            print(
                f"{name:<22}{d['seconds']:>12.2f}{s['seconds']:>10.2f}{d['seconds'] / s['seconds']:>9.0f}x"
                f"{d['peak_mb']:>13.0f}{s['peak_mb']:>11.0f}{d['max_abs_diff']:>12.1e}"
            )

        big = Path(tmp) / "big"
        big.mkdir()
        t = time.perf_counter()
        generate(
            big,
            items=args.items,
            annotators=args.annotators,
            per_item=args.per_item,
            classes=args.classes,
            seed=args.seed,
        )
        gen_s = time.perf_counter() - t
        store_s = build_store(big)
        n_ann = args.items * args.per_item
        dense_gb = args.items * args.annotators * 8 / 1e9
        print(
            f"\n2. Workforce scale: {args.items:,} items, {args.annotators:,} annotators, {n_ann:,} annotations, "
            f"{args.classes} classes (inputs generated in {gen_s:.1f} s, store built in {store_s:.1f} s)\n"
        )
        print(f"{'step':<58}{'seconds':>9}{'peak MB':>9}  target")
        rows = (
            ("CROWDLAB consensus + annotator quality (sparse)", "sparse_crowdlab", "<= 30 s, <= 2 GB"),
            ("ActiveLab scores (sparse)", "sparse_activelab", "<= 30 s, <= 2 GB"),
            ("agreement statistics from integer codes", "agreement_codes", "<= 5 s"),
            ("agreement statistics from the DuckDB store (read+dedup+code)", "store_agreement", ""),
            ("consensus_labels(store, method='crowdlab'), end to end", "store_consensus", ""),
            ("active_learning_scores(store), end to end", "store_activelab", ""),
        )
        for label, step, target in rows:
            r = measure(step, big)
            if "error" in r:
                print(f"{label:<58} error: {r['error']}")
            else:
                print(f"{label:<58}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}  {target}")
        print(
            f"{'Cleanlab dense CROWDLAB / ActiveLab':<58}{'not run':>9}{'':>9}  the dense float table alone "
            f"would take {dense_gb:.1f} GB"
        )


if __name__ == "__main__":
    main()
