"""Benchmark of ``workbench gaps``: the whole analysis on a generated store, time and peak memory.

There is no shared scale generator (``bench/generate.py``) yet, so this script builds its own store with
numpy: ``--items`` items (default 1,000,000) with four numeric features, a categorical ``device``, a free
``note`` text, ``split`` (train/eval/production) and ``source``; about three annotations per labeled item
(the labeled share is 80 %) under two guideline versions; predictions over ``--classes`` classes. A planted
ambiguous pair (c0/c1) and a planted stale pair (c2/c3 in v1) give the analysis something to find.

The store is built and ingested first (not timed), then ``workbench gaps --out gaps.csv`` runs in a
subprocess: its wall time and peak resident memory are printed, with and without the hygiene checks.

Run from the project root::

    nice -n 10 .venv/bin/python bench/bench_gaps.py --items 200000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

GUIDELINES = """# Bench guidelines

## Versions

- v1 (2026-01-05): first version
- v2 (2026-02-02): settles c2 versus c3

## Shapes {{#shapes}}

- classes: {classes}
- history: v1 added

What each class is.

## c0 and c1 {{#c0-vs-c1}}

- pairs: c0 / c1
- history: v1 added

Not decided yet.

## c2 and c3 {{#c2-vs-c3}}

- pairs: c2 / c3
- history:
  - v1 added: left open
  - v2 changed: settled

Settled in v2.
"""


def generate(folder: Path, n: int, k: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    classes = np.array([f"c{i}" for i in range(k)])
    y = rng.integers(0, k, n)
    ids = np.char.add("it", np.char.zfill(np.arange(n).astype(str), 8))
    split = rng.choice(["train", "eval", "production"], n, p=[0.6, 0.2, 0.2])
    x = rng.normal(0, 1, (n, 4)) + y[:, None] * 0.3
    notes = np.char.add(rng.choice(["clean scan", "faint photo", "smudged form", "tilted scan"], n),
                        np.char.add(" ref ", rng.integers(0, 10**9, n).astype(str)))
    items = pd.DataFrame({"item_id": ids, "split": split, "source": rng.choice(["human", "synthetic"], n, p=[0.9, 0.1]),
                          "f0": x[:, 0], "f1": x[:, 1], "f2": x[:, 2], "f3": x[:, 3],
                          "device": rng.choice(["a", "b", "c", "phone"], n), "note": notes})
    items.loc[(items.source == "synthetic") & (items.split == "eval"), "split"] = "train"
    labeled = (split != "production") | (rng.random(n) < 0.5)
    idx = np.flatnonzero(labeled)
    reps = rng.choice([1, 2, 3, 4], len(idx), p=[0.2, 0.2, 0.4, 0.2])
    item_idx = np.repeat(idx, reps)
    m = len(item_idx)
    truth = y[item_idx]
    ann_id = rng.integers(0, 200, m)
    version = np.where(rng.random(m) < 0.5, "v1", "v2")
    label = truth.copy()
    noise = rng.random(m) < 0.06
    label[noise] = rng.integers(0, k, noise.sum())
    amb = (truth <= 1) & (rng.random(m) < 0.3)
    label[amb] = 1 - truth[amb]
    stale = np.isin(truth, [2, 3]) & (version == "v1") & (rng.random(m) < 0.2)
    label[stale] = 5 - truth[stale]
    start = np.datetime64("2026-01-05T00:00:00")
    created = start + (rng.random(m) * 8 * 7 * 86400).astype("timedelta64[s]")
    version = np.where(created >= np.datetime64("2026-02-02"), "v2", "v1")
    ann = pd.DataFrame({"item_id": ids[item_idx], "annotator_id": np.char.add("a", ann_id.astype(str)),
                        "label": classes[label], "created_at": created, "guideline_version": version})
    ann = ann.drop_duplicates(["item_id", "annotator_id"])
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 2.5
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    preds = pd.DataFrame(p, columns=[f"proba_{c}" for c in classes])
    preds.insert(0, "item_id", ids)
    preds.insert(1, "model_version", "m1")
    folder.mkdir(parents=True, exist_ok=True)
    items.to_parquet(folder / "items.parquet", index=False)
    ann.to_parquet(folder / "annotations.parquet", index=False)
    preds.to_parquet(folder / "predictions.parquet", index=False)
    (folder / "guidelines.md").write_text(GUIDELINES.format(classes=", ".join(classes)), encoding="utf-8")


def run(cmd: list[str], env: dict, tmp: Path) -> tuple[float, float, str]:
    """Wall time, peak resident memory (MB) and stdout of one command in a subprocess."""
    out_path, err_path = tmp / "stdout.txt", tmp / "stderr.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({status}):\n{err_path.read_text()[-3000:]}")
    return wall, usage.ru_maxrss / 1024, out_path.read_text()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=10)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from workbench.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        generate(tmp / "data", args.items, args.classes)
        store = tmp / "store.duckdb"
        with Store.open(store) as s:
            s.ingest(tmp / "data")
        print(f"generated and ingested {args.items:,} items in {time.perf_counter() - t:.1f} s")
        env = {**os.environ, "WORKBENCH_STORE": str(store)}
        exe = [sys.executable, "-m", "workbench.cli"]
        rows = []
        for label, extra in (("gaps --no-hygiene", ["--no-hygiene"]), ("gaps (with hygiene)", [])):
            wall, rss, out = run([*exe, "gaps", "--out", str(tmp / "gaps.csv"), *extra], env, tmp)
            rows.append((label, wall, rss))
            print(out.strip())
        print(f"\n{'command':<24}{'items':>12}{'wall s':>10}{'peak RSS MB':>14}")
        for label, wall, rss in rows:
            print(f"{label:<24}{args.items:>12,}{wall:>10.1f}{rss:>14.0f}")


if __name__ == "__main__":
    main()
