"""A synthetic labeling workload in the data contract, at any size.

``python bench/generate.py --items N --out DIR --seed S`` writes ``items.parquet``,
``annotations.parquet``, ``gold.parquet``, ``predictions.parquet`` and ``guidelines.md``:

- N items (default 1,000,000) over 8 ISO weeks from 2026-W40, with 20 numeric features
  (``num_00`` .. ``num_19``, some informative of the class), 5 categorical (``cat_0`` ..
  ``cat_4``) and one short free-text feature (``text``, mostly distinct per item), plus
  ``split``, ``source``, ``source_model``, ``created_at`` and ``meta_batch``;
- a shift in the last two weeks: numeric means move, a new ``cat_0`` value (``device``)
  appears, the class mix changes;
- about 3 annotations per item (2 to 4) from 1,000 annotators of varied skill, volume and
  confusion habits (each has a favourite wrong class per true class), with ``created_at``,
  ``guideline_version`` (``v1``, then ``v2`` from week 5) and ``duration_s``;
- 20 classes (``class_00`` .. ``class_19``) with a skewed mix and two easily confused pairs;
- gold labels for 2% of items, and predictions (``proba_<class>``, rows sum to 1) of a
  model right about 80% of the time.

Deterministic by seed; vectorised numpy and pyarrow (1M items in about 20 s here).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

START = np.datetime64("2026-09-28T00:00:00", "s")  # Monday of ISO week 2026-W40
N_WEEKS = 8
SHIFT_WEEK = 7  # 1-based: the last two weeks are shifted
V2_WEEK = 5  # guideline v2 from this week on
N_CLASSES = 20
N_ANNOTATORS = 1_000
N_NUMERIC = 20
N_CATEGORICAL = 5
GOLD_SHARE = 0.02
WORDS = np.array(
    "parcel refund late damaged missing invoice account login password card charge delivery store "
    "order return size colour broken screen battery noise smell wet torn cold warm slow fast rude kind "
    "manager courier address postcode phone email app update crash price discount coupon voucher "
    "subscription cancel renew upgrade downgrade warranty repair replace box label receipt tax".split()
)


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    codes = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), codes, "")


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


def generate(n_items: int = 1_000_000, *, seed: int = 0, n_annotators: int = N_ANNOTATORS) -> dict[str, pa.Table]:
    """The tables of the workload, as pyarrow tables (and ``truth``: the true class per item)."""
    rng = np.random.default_rng(seed)
    n, k, m = int(n_items), N_CLASSES, int(n_annotators)
    classes = np.array([f"class_{c:02d}" for c in range(k)])

    # Items: creation times over 8 weeks (sorted), split, source.
    seconds = np.sort(rng.integers(0, N_WEEKS * 7 * 86_400, n))
    created = START + seconds.astype("timedelta64[s]")
    week = seconds // (7 * 86_400) + 1
    shifted = week >= SHIFT_WEEK
    base_mix = rng.dirichlet(np.full(k, 2.0))
    late_mix = np.roll(base_mix, 3) * 0.5 + base_mix * 0.5
    truth = np.where(
        shifted,
        rng.choice(k, n, p=late_mix),
        rng.choice(k, n, p=base_mix),
    )
    split = np.where(rng.random(n) < 0.8, 0, 1)
    split[shifted] = 2
    synthetic = rng.random(n) < 0.1

    centers = rng.normal(0, 1.0, (k, N_NUMERIC)) * (np.arange(N_NUMERIC) < 8)  # the first 8 are informative
    numeric = rng.normal(0, 1.0, (n, N_NUMERIC)) + centers[truth]
    drift = np.zeros(N_NUMERIC)
    drift[[1, 4, 9, 12, 17]] = [0.6, -0.4, 0.8, 0.5, -0.7]
    numeric[shifted] += drift
    numeric = np.asfortranarray(np.round(numeric, 4))  # columns contiguous for the Parquet columns

    cat_sizes = (4, 6, 8, 10, 12)
    categorical = []
    for j, size in enumerate(cat_sizes):
        p = rng.dirichlet(np.full(size, 1.5))
        codes = rng.choice(size, n, p=p)
        if j == 0:
            codes[shifted & (rng.random(n) < 0.5)] = size  # a new value in the last two weeks
        names = [f"{'abcde'[j]}{v}" for v in range(size)] + (["device_new"] if j == 0 else [])
        categorical.append(pa.array(names).take(pa.array(codes)))

    w = rng.integers(0, len(WORDS), (n, 3))
    words = [pa.array(WORDS[w[:, j]]) for j in range(3)]
    detail = pc.cast(pa.array(rng.integers(0, 100_000, n)), pa.string())
    text = pc.binary_join_element_wise(words[0], words[1], words[2], detail, " ")

    items = pa.table(
        {
            "item_id": _ids("it", n, 7),
            "split": pa.array(["train", "eval", "production"]).take(pa.array(split)),
            "source": pa.array(["human", "synthetic"]).take(pa.array(synthetic.astype(np.int8))),
            "source_model": pa.array(
                np.where(synthetic, np.where(rng.random(n) < 0.5, "gen-a", "gen-b"), None), type=pa.string()
            ),
            "created_at": pa.array(created, type=pa.timestamp("s")),
            **{f"num_{j:02d}": pa.array(numeric[:, j]) for j in range(N_NUMERIC)},
            **{f"cat_{j}": categorical[j] for j in range(N_CATEGORICAL)},
            "text": text,
            "meta_batch": pa.array(np.char.add("b", (week * 10 + rng.integers(0, 3, n)).astype(str))),
        }
    )
    del numeric

    # Annotators: skill, volume, habits (a favourite wrong class per true class).
    skill = np.clip(rng.beta(8, 2, m), 0.3, 0.99)
    skill[rng.choice(m, m // 20, replace=False)] = rng.uniform(0.2, 0.45, m // 20)  # 5% careless
    volume = rng.lognormal(0, 0.8, m)
    habit = (np.arange(k)[None, :] + rng.integers(1, k, (m, k))) % k
    habit_share = rng.uniform(0.3, 0.9, m)
    confusable = {3: 4, 4: 3, 10: 11, 11: 10}  # two ambiguous pairs for everyone
    for a, b in confusable.items():
        habit[:, a] = b

    per = rng.choice([2, 3, 4], n, p=[0.25, 0.5, 0.25])
    item = np.repeat(np.arange(n), per)
    rank = np.arange(len(item)) - np.repeat(np.cumsum(per) - per, per)
    order = rng.permutation(m)
    start = rng.choice(m, n, p=volume / volume.sum())
    annotator = order[(start[item] + rank) % m]  # distinct annotators per item
    true = truth[item]
    u = rng.random(len(item))
    s = skill[annotator]
    label = np.where(
        u < s,
        true,
        np.where(u < s + (1 - s) * habit_share[annotator], habit[annotator, true], rng.integers(0, k, len(item))),
    )
    delay = rng.exponential(6 * 3600, len(item)).astype(np.int64) + rng.integers(60, 3600, len(item))
    ann_created = created[item] + delay.astype("timedelta64[s]")
    ann_week = (ann_created - START).astype(np.int64) // (7 * 86_400) + 1
    duration = np.round(rng.lognormal(np.log(20), 0.5, len(item)) * (1.5 - s), 1)
    annotations = pa.table(
        {
            "item_id": items["item_id"].take(pa.array(item)),
            "annotator_id": _ids("a", m, 4).take(pa.array(annotator)),
            "label": pa.array(classes).take(pa.array(label)),
            "created_at": pa.array(ann_created, type=pa.timestamp("s")),
            "guideline_version": pa.array(np.where(ann_week >= V2_WEEK, "v2", "v1")),
            "duration_s": pa.array(duration),
        }
    )

    gold_rows = np.flatnonzero(rng.random(n) < GOLD_SHARE)
    gold = pa.table({"item_id": items["item_id"].take(pa.array(gold_rows)), "label": classes[truth[gold_rows]]})

    # Predictions: right about 80% of the time, calibrated-ish.
    right = rng.random(n) < 0.8
    predicted = np.where(right, truth, np.where(rng.random(n) < 0.5, habit[0, truth], rng.integers(0, k, n)))
    logits = rng.normal(0, 1.0, (n, k))
    logits[np.arange(n), predicted] += rng.uniform(2.5, 6.0, n)
    proba = np.asfortranarray(_softmax(logits))
    del logits
    predictions = pa.table(
        {
            "item_id": items["item_id"],
            "model_version": pa.array(np.full(n, "m-2026-11")),
            **{f"proba_{c}": pa.array(proba[:, j]) for j, c in enumerate(classes)},
        }
    )
    return {
        "items": items,
        "annotations": annotations,
        "gold": gold,
        "predictions": predictions,
        "truth": pa.table({"item_id": items["item_id"], "label": classes[truth]}),
    }


def guidelines(version: str = "v2") -> str:
    lines = [f"# Ticket labeling guidelines ({version})", "", f"version: {version}", ""]
    lines += ["Label each ticket with the one class it belongs to.", "", "## General rules", ""]
    lines += ["- Label what the ticket says, not what the customer probably meant.", ""]
    for c in range(N_CLASSES):
        lines += [f"## class_{c:02d}", "", f"Tickets of kind {c}.", ""]
    if version == "v2":
        lines += ["## Changes", "", "- v2: class_03 versus class_04 is decided by the first sentence.", ""]
    return "\n".join(lines)


def write(out: str | Path, n_items: int = 1_000_000, *, seed: int = 0) -> dict[str, int]:
    """Write the workload to ``out`` (Parquet tables, ``guidelines.md``); returns the row counts."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate(n_items, seed=seed)
    truth = tables.pop("truth")
    for name, table in tables.items():
        pq.write_table(table, out / f"{name}.parquet", compression="snappy")
    pq.write_table(truth, out / "truth.parquet")  # not a contract table: ingest ignores it
    (out / "guidelines.md").write_text(guidelines("v2"), encoding="utf-8")
    counts = {name: t.num_rows for name, t in tables.items()}
    (out / "generated.json").write_text(json.dumps({"items": n_items, "seed": seed, "rows": counts}), encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t = time.perf_counter()
    counts = write(args.out, args.items, seed=args.seed)
    print(f"wrote {args.out} in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
