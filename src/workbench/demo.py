"""The demo dataset: real images from scikit-learn's bundled digits, simulated labeling.

Nothing is downloaded: the 1,797 8x8 digit images ship inside scikit-learn.
Around them the generator simulates eight weeks of continuous collection and
labeling, with problems planted on purpose so that every capability has
something real to find. The planted ground truth is written as ``truth.json``
(schema: :data:`TRUTH_SCHEMA`).

What is planted (all deterministic by ``seed``):

* items: 64 pixel features (numeric), ``device`` (categorical), ``note``
  (short free text), ``meta_batch`` (metadata); human-collected items beside
  synthetic ones (``source=synthetic``, ``source_model``); splits
  train/eval for the first six weeks, production afterwards;
* twelve annotators with different skill and confusion habits, one of them
  (``a07``) degrading from week 5;
* gold items annotated by several annotators;
* two guideline versions (``v1`` then ``v2`` from week 5) in one versioned
  ``guidelines.md`` (:func:`workbench.guidelines.demo_guidelines`): ``v2`` fixes the
  four/nine rule, while the one/seven pair is left ambiguous in both, so
  annotators split on it (``gaps=False`` switches both plants off);
* flipped labels on some single-annotated items;
* a shift of the production inputs in the last two weeks (a new phone
  capture device: lower contrast, new ``device`` value, new note wording);
* out-of-fold predicted probabilities from a scikit-learn model;
* five more annotators, for the annotator checks (drawn from a random stream
  of their own, after everything above, so nothing above moves): a speeder
  (``a13``: a tenth of the usual time, 60% accurate), an annotator who
  over-uses one class (``a14``: gives ``eight`` to 30% of items), and three
  annotators of known accuracy on gold whose Wilson intervals settle below
  the 75% threshold (``a15``), do not settle (``a16``) and settle above it
  (``a17``). They only label items that two or more annotators labeled and
  whose majority leads by more votes than the plants add, so no majority
  vote (and no ``wrong_labels`` entry, and no prediction) changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs.vote import majority_vote

CLASSES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
START = datetime(2026, 9, 28)  # Monday of ISO week 2026-W40
N_WEEKS = 8
SHIFT_WEEK = 7  # 1-based: production inputs shift from this week on
DEGRADE_WEEK = 5  # a07 degrades, and guidelines v2 start, from this week on
AMBIGUOUS_PAIR = ("one", "seven")
FIXED_PAIR = ("four", "nine")
N_SYNTHETIC = 240
N_GOLD = 120
FLIP_RATE = 0.07
MODEL_VERSION = "demo-logreg-v1"

TRUTH_SCHEMA = {
    "schema_version": "int: version of this schema (1)",
    "seed": "int: the seed the demo was generated with",
    "weeks": "list[str]: the ISO weeks with data, first to last (YYYY-Www)",
    "classes": "list[str]: the class labels",
    "true_labels": "{item_id: label}: the true class of every item",
    "wrong_labels": "list[item_id]: annotated items whose majority-vote label differs from the true label",
    "planted_flips": "list[item_id]: items whose single annotation was deliberately flipped to a wrong class",
    "degrading_annotator": "{annotator_id, from_week, accuracy_before, accuracy_after}",
    "annotators": "{annotator_id: {accuracy, confuses: [label, label], active_weeks: [YYYY-Www]}}",
    "ambiguous_pair": "[label, label]: the class pair the guidelines do not separate (both versions)",
    "guideline_fix": "{pair: [label, label], fixed_in: version}: a pair v1 left open and v2 settles",
    "guideline_versions": "{version: first day in use (YYYY-MM-DD)}",
    "shift": "{start (YYYY-MM-DD), week (YYYY-Www), features: [column], description}",
    "gold_items": "list[item_id]",
    "synthetic_items": "list[item_id]",
    "unannotated_items": "list[item_id]: production items nobody labeled yet",
    "speeder": "{annotator_id, accuracy, duration_factor}: labels at duration_factor x the usual time, less accurately",
    "divergent_label_mix": "{annotator_id, label, share}: gives `label` to `share` of its items whatever they show",
    "gold_calibration": "{annotator_id: {accuracy, gold_labels, gold_correct, gold_status}}: exact accuracy on gold "
    "and the verdict its Wilson 95% interval gives against 0.75 (below, undecided or ok)",
}


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    truth: dict
    counts: dict[str, int]


def _iso_week(ts: datetime) -> str:
    y, w, _ = ts.isocalendar()
    return f"{y}-W{w:02d}"


def _guidelines(version: str, *, gaps: bool = True) -> str:
    """The demo's guidelines in the versioned format (:func:`workbench.guidelines.demo_guidelines`)."""
    from .guidelines import demo_guidelines

    return demo_guidelines(version=version, gaps=gaps)


def _notes(rng, n: int, shifted: np.ndarray) -> list[str]:
    quality = ["clean", "faint", "smudged", "crisp", "tilted", "thick"]
    place = ["front desk", "mail room", "branch office", "archive", "kiosk"]
    mobile = ["mobile upload", "phone photo", "app capture"]
    out = []
    for i in range(n):
        if shifted[i] and rng.random() < 0.8:
            out.append(f"{rng.choice(mobile)}, {rng.choice(quality)} stroke, low light")
        else:
            out.append(f"{rng.choice(quality)} scan from {rng.choice(place)}")
    return out


def build_demo(*, seed: int = 0, gaps: bool = True) -> tuple[dict[str, pd.DataFrame], str, str, dict]:
    """Generate the demo tables, guidelines (current and as first issued, v1) and truth, in memory.

    ``gaps=False`` is the variant with no planted guideline gap: one/seven is not ambiguous and v2 changes
    no section (no four/nine fix). Every random draw happens in the same order, so the rest of the demo
    (items, annotators, flips, predictions of the other classes) stays where it is.
    """
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    digits = load_digits()
    X_h = digits.data.astype(float)
    y_h = digits.target.astype(int)

    # Synthetic items: blend two images of the same class and add noise.
    syn_y = rng.integers(0, 10, N_SYNTHETIC)
    syn_X = np.empty((N_SYNTHETIC, 64))
    for i, c in enumerate(syn_y):
        a, b = rng.choice(np.flatnonzero(y_h == c), 2, replace=False)
        w = rng.uniform(0.3, 0.7)
        syn_X[i] = np.clip(w * X_h[a] + (1 - w) * X_h[b] + rng.normal(0, 1.0, 64), 0, 16)
    X = np.vstack([X_h, syn_X])
    y = np.concatenate([y_h, syn_y])
    n = len(y)
    is_syn = np.arange(n) >= len(y_h)
    order = rng.permutation(n)
    X, y, is_syn = X[order], y[order], is_syn[order]
    item_ids = np.array([f"it{i:05d}" for i in range(n)])

    # Creation times spread over eight weeks.
    offsets = np.sort(rng.uniform(0, N_WEEKS * 7 * 24, n))  # hours
    created = np.array([START + timedelta(hours=float(h)) for h in offsets])
    week_no = (offsets // (7 * 24)).astype(int) + 1
    shift_start = START + timedelta(weeks=SHIFT_WEEK - 1)
    shifted = (week_no >= SHIFT_WEEK) & ~is_syn

    # Split: train/eval before the shift, production during it.
    split = np.where(rng.random(n) < 0.8, "train", "eval").astype(object)
    split[week_no >= SHIFT_WEEK] = "production"
    split[is_syn] = "train"

    # Planted input shift: a phone capture device with lower contrast.
    X = X.copy()
    X[shifted] = np.clip(X[shifted] * 0.7 + 2.0 + rng.normal(0, 0.8, (shifted.sum(), 64)), 0, 16)
    X = np.round(X, 1)
    device = rng.choice(["scanner_a", "scanner_b", "scanner_c"], n, p=[0.5, 0.3, 0.2]).astype(object)
    device[shifted & (rng.random(n) < 0.75)] = "phone"

    items = pd.DataFrame(X, columns=[f"pixel_{i:02d}" for i in range(64)])
    items.insert(0, "item_id", item_ids)
    items.insert(1, "split", split)
    items.insert(2, "source", np.where(is_syn, "synthetic", "human"))
    items.insert(3, "source_model", np.where(is_syn, rng.choice(["gen-a", "gen-b"], n), None))
    items.insert(4, "created_at", pd.to_datetime(created).floor("s"))
    items["device"] = device
    items["note"] = _notes(rng, n, shifted)
    # Free text is mostly distinct per item (it is text, not a category, by Evidently's rule): each note
    # gets its own detail, drawn from a stream of its own so that every other plant stays where it is.
    note_rng = np.random.default_rng([seed, 1])
    minutes = note_rng.integers(2, 240, n)
    items["note"] = [f"{t}, filed {m} min after intake" for t, m in zip(items["note"], minutes, strict=True)]
    items["meta_batch"] = [f"b{w:02d}-{rng.integers(1, 4)}" for w in week_no]

    # Annotators: skill, a habitual confusion, active weeks.
    ann_ids = [f"a{i:02d}" for i in range(1, 13)]
    skill = dict(zip(ann_ids, np.round(rng.uniform(0.88, 0.98, 12), 3), strict=True))
    skill["a07"] = 0.95
    habits = {}
    for a in ann_ids:
        p = rng.choice(10, 2, replace=False)
        habits[a] = (CLASSES[p[0]], CLASSES[p[1]])
    active = {
        a: sorted(set(rng.choice(np.arange(1, N_WEEKS + 1), rng.integers(5, 9), replace=False).tolist()))
        for a in ann_ids
    }
    active["a07"] = list(range(1, N_WEEKS + 1))
    degrade_after = 0.55
    degrade_start = START + timedelta(weeks=DEGRADE_WEEK - 1)
    v2_start = degrade_start

    gold_idx = rng.choice(np.flatnonzero(~is_syn & (week_no < N_WEEKS)), N_GOLD, replace=False)
    is_gold = np.zeros(n, dtype=bool)
    is_gold[gold_idx] = True

    rows = []
    flipped: list[str] = []
    end = START + timedelta(weeks=N_WEEKS) - timedelta(seconds=1)
    for i in range(n):
        if split[i] == "production" and not is_gold[i] and rng.random() < 0.3:
            continue  # unlabeled production item
        if is_gold[i]:
            k = 4
        else:
            k = int(rng.choice([1, 2, 3], p=[0.5, 0.2, 0.3]))
        ts_item = created[i]
        latency_h = rng.exponential(14.0, k) + 0.2
        stamps = [min(ts_item + timedelta(hours=float(h)), end) for h in latency_h]
        # Pick annotators active in the week of each annotation.
        wk = int(min((stamps[0] - START).days // 7 + 1, N_WEEKS))
        pool = [a for a in ann_ids if wk in active[a]] or ann_ids
        chosen = rng.choice(pool, min(k, len(pool)), replace=False)
        truth_label = CLASSES[y[i]]
        for a, ts in zip(chosen, stamps, strict=False):
            acc = skill[a]
            if a == "a07" and ts >= degrade_start:
                acc = degrade_after
            version = "v2" if ts >= v2_start else "v1"
            label = truth_label
            r = rng.random()
            if truth_label in AMBIGUOUS_PAIR and r < 0.3:
                if gaps:  # without the plant the label stays right, and no draw is added or skipped
                    label = AMBIGUOUS_PAIR[1] if truth_label == AMBIGUOUS_PAIR[0] else AMBIGUOUS_PAIR[0]
            elif truth_label in FIXED_PAIR and version == "v1" and r < 0.2:
                if gaps:
                    label = FIXED_PAIR[1] if truth_label == FIXED_PAIR[0] else FIXED_PAIR[0]
            elif rng.random() > acc:
                h = habits[a]
                if truth_label in h and rng.random() < 0.7:
                    label = h[1] if truth_label == h[0] else h[0]
                else:
                    label = CLASSES[rng.choice([c for c in range(10) if CLASSES[c] != truth_label])]
            slow = gaps and truth_label in AMBIGUOUS_PAIR
            duration = float(np.round(rng.lognormal(np.log(30 if slow else 18), 0.5), 1))
            rows.append((item_ids[i], a, label, ts, version, duration))
        if k == 1 and not is_gold[i] and rng.random() < FLIP_RATE:
            wrong = CLASSES[rng.choice([c for c in range(10) if c != y[i]])]
            last = rows[-1]
            rows[-1] = (last[0], last[1], wrong, *last[3:])
            flipped.append(str(item_ids[i]))
    annotations = pd.DataFrame(
        rows, columns=["item_id", "annotator_id", "label", "created_at", "guideline_version", "duration_s"]
    )
    annotations["created_at"] = pd.to_datetime(annotations["created_at"]).dt.floor("s")
    annotations, planted = _plant_annotators(annotations, item_ids, created, y, is_gold, seed=seed, v2_start=v2_start)
    gold = pd.DataFrame({"item_id": item_ids[is_gold], "label": [CLASSES[c] for c in y[is_gold]]})

    mv = majority_vote(annotations)
    true_map = dict(zip(item_ids, [CLASSES[c] for c in y], strict=True))
    wrong = sorted(mv.loc[mv["consensus_label"] != mv["item_id"].map(true_map), "item_id"].tolist())

    predictions = _out_of_fold_predictions(items, mv, seed=seed)

    weeks = [_iso_week(START + timedelta(weeks=w)) for w in range(N_WEEKS)]
    annotated = set(annotations["item_id"])
    truth = {
        "schema_version": 1,
        "seed": seed,
        "weeks": weeks,
        "classes": list(CLASSES),
        "true_labels": true_map,
        "wrong_labels": wrong,
        "planted_flips": sorted(flipped),
        "degrading_annotator": {
            "annotator_id": "a07",
            "from_week": weeks[DEGRADE_WEEK - 1],
            "accuracy_before": skill["a07"],
            "accuracy_after": degrade_after,
        },
        "annotators": {
            **{
                a: {
                    "accuracy": float(skill[a]),
                    "confuses": list(habits[a]),
                    "active_weeks": [weeks[w - 1] for w in active[a]],
                }
                for a in ann_ids
            },
            **planted["annotators"],
        },
        "ambiguous_pair": list(AMBIGUOUS_PAIR) if gaps else [],
        "guideline_fix": {"pair": list(FIXED_PAIR), "fixed_in": "v2"} if gaps else {"pair": [], "fixed_in": None},
        "guideline_versions": {"v1": START.date().isoformat(), "v2": v2_start.date().isoformat()},
        "shift": {
            "start": shift_start.date().isoformat(),
            "week": weeks[SHIFT_WEEK - 1],
            "features": [f"pixel_{i:02d}" for i in range(64)] + ["device", "note"],
            "description": "production items from a phone capture device: pixel contrast x0.7 + 2, "
            "device=phone for 75%, note wording about mobile capture",
        },
        "gold_items": sorted(item_ids[is_gold].tolist()),
        "synthetic_items": sorted(item_ids[is_syn].tolist()),
        "unannotated_items": sorted(set(item_ids) - annotated),
        "speeder": planted["speeder"],
        "divergent_label_mix": planted["divergent_label_mix"],
        "gold_calibration": planted["gold_calibration"],
    }
    tables = {"items": items, "annotations": annotations, "gold": gold, "predictions": predictions}
    return tables, _guidelines("v2", gaps=gaps), _guidelines("v1", gaps=gaps), truth


SPEEDER = {"annotator_id": "a13", "accuracy": 0.6, "duration_factor": 0.1, "items": 150}
DIVERGENT = {"annotator_id": "a14", "label": "eight", "share": 0.3, "accuracy": 0.92, "items": 200}
# Exact accuracy on gold: (gold labels, correct ones); 27/50 gives a 95% Wilson interval of 40%-67% (below 75%),
# 6/10 one of 31%-83% (undecided), 39/40 one of 87%-100% (ok).
GOLD_CALIBRATION = {"a15": (50, 27, "below"), "a16": (10, 6, "undecided"), "a17": (40, 39, "ok")}


def _plant_annotators(annotations, item_ids, created, y, is_gold, *, seed: int, v2_start: datetime):
    """Add the speeder, the divergent label mix and the gold-calibration annotators (a stream of their own).

    They label only items with two or more annotations whose majority label leads the runner-up by more
    votes than the planted annotators add to the item, so every majority vote stays as it was.
    """
    rng = np.random.default_rng([seed, 2])
    end = START + timedelta(weeks=N_WEEKS) - timedelta(seconds=1)
    pos = {str(i): n for n, i in enumerate(item_ids)}
    votes = annotations.groupby(["item_id", "label"]).size().unstack(fill_value=0)
    counts = np.sort(votes.to_numpy(), axis=1)
    lead = pd.Series(counts[:, -1] - (counts[:, -2] if counts.shape[1] > 1 else 0), index=votes.index)
    n_ann = votes.sum(axis=1)
    room = (lead - 1).where(n_ann >= 2, 0).clip(lower=0)  # planted votes an item can take
    gold_ids = set(item_ids[is_gold].tolist())
    rows: list[tuple] = []

    def pick(n: int, *, gold: bool) -> list[str]:
        pool = sorted(i for i in room.index[room > 0] if (i in gold_ids) == gold)
        chosen = [str(i) for i in rng.choice(pool, min(n, len(pool)), replace=False)]
        room.loc[chosen] -= 1
        return chosen

    def stamp(item: str) -> datetime:
        return min(created[pos[item]] + timedelta(hours=float(rng.exponential(14.0) + 0.2)), end)

    def wrong(c: int) -> str:
        return CLASSES[rng.choice([k for k in range(10) if k != c])]

    def usual_duration(c: int, factor: float = 1.0) -> float:
        base = 18 if CLASSES[c] not in AMBIGUOUS_PAIR else 30
        return float(np.round(rng.lognormal(np.log(base * factor), 0.5), 1))

    def add(annotator: str, item: str, label: str, duration: float) -> None:
        ts = stamp(item)
        rows.append((item, annotator, label, ts, "v2" if ts >= v2_start else "v1", duration))

    a = SPEEDER["annotator_id"]
    for item in pick(SPEEDER["items"], gold=False):
        c = int(y[pos[item]])
        label = CLASSES[c] if rng.random() < SPEEDER["accuracy"] else wrong(c)
        add(a, item, label, max(usual_duration(c, SPEEDER["duration_factor"]), 0.5))
    a = DIVERGENT["annotator_id"]
    for item in pick(DIVERGENT["items"], gold=False):
        c = int(y[pos[item]])
        if rng.random() < DIVERGENT["share"]:
            label = DIVERGENT["label"]
        else:
            label = CLASSES[c] if rng.random() < DIVERGENT["accuracy"] else wrong(c)
        add(a, item, label, usual_duration(c))
    for a, (n, correct, _) in GOLD_CALIBRATION.items():
        right = rng.permutation(np.arange(n) < correct)
        for item, ok in zip(pick(n, gold=True), right, strict=False):
            c = int(y[pos[item]])
            add(a, item, CLASSES[c] if ok else wrong(c), usual_duration(c))
    extra = pd.DataFrame(rows, columns=annotations.columns)
    extra["created_at"] = pd.to_datetime(extra["created_at"]).dt.floor("s")
    weeks_of = extra.groupby("annotator_id")["created_at"].agg(lambda t: sorted({_iso_week(x) for x in t}))
    planted = {
        "speeder": {k: SPEEDER[k] for k in ("annotator_id", "accuracy", "duration_factor")},
        "divergent_label_mix": {k: DIVERGENT[k] for k in ("annotator_id", "label", "share")},
        "gold_calibration": {
            a: {"accuracy": correct / n, "gold_labels": n, "gold_correct": correct, "gold_status": status}
            for a, (n, correct, status) in GOLD_CALIBRATION.items()
        },
        "annotators": {
            a: {"accuracy": acc, "confuses": [], "active_weeks": weeks_of.get(a, [])}
            for a, acc in [
                (SPEEDER["annotator_id"], SPEEDER["accuracy"]),
                (DIVERGENT["annotator_id"], DIVERGENT["accuracy"] * (1 - DIVERGENT["share"])),
                *[(a, correct / n) for a, (n, correct, _) in GOLD_CALIBRATION.items()],
            ]
        },
    }
    return pd.concat([annotations, extra], ignore_index=True), planted


def _out_of_fold_predictions(items: pd.DataFrame, consensus: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """5-fold out-of-fold probabilities on the annotated items; a model fit on all of them for the rest."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pixels = [c for c in items.columns if c.startswith("pixel_")]
    labels = consensus.set_index("item_id")["consensus_label"]
    annotated = items["item_id"].isin(labels.index).to_numpy()
    X = items[pixels].to_numpy()
    y = items.loc[annotated, "item_id"].map(labels).to_numpy()
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    proba = np.zeros((len(items), len(CLASSES)))
    oof = cross_val_predict(model, X[annotated], y, cv=cv, method="predict_proba")
    classes_sorted = sorted(set(y))
    model.fit(X[annotated], y)
    rest = model.predict_proba(X[~annotated]) if (~annotated).any() else np.zeros((0, len(classes_sorted)))
    col = {c: CLASSES.index(c) for c in classes_sorted}
    for j, c in enumerate(classes_sorted):
        proba[annotated, col[c]] = oof[:, j]
        proba[~annotated, col[c]] = rest[:, j]
    proba = proba / proba.sum(axis=1, keepdims=True)
    out = pd.DataFrame(np.round(proba, 6), columns=[f"proba_{c}" for c in CLASSES])
    out = out.div(out.sum(axis=1), axis=0)
    out.insert(0, "item_id", items["item_id"].to_numpy())
    out.insert(1, "model_version", MODEL_VERSION)
    return out


def write_demo(out: str | Path, *, seed: int = 0, gaps: bool = True) -> DemoResult:
    """Write the demo dataset folder (Parquet tables, versioned ``guidelines.md``, ``truth.json``).

    ``guidelines.md`` is one document in the versioned format: its history says what v2 changed, so the
    v1 text is not shipped separately. ``gaps=False``: the variant with no planted guideline gap
    (:func:`build_demo`).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables, guidelines, _, truth = build_demo(seed=seed, gaps=gaps)
    for name, frame in tables.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    (out / "guidelines.md").write_text(guidelines, encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return DemoResult(folder=out, truth=truth, counts={k: len(v) for k, v in tables.items()})
