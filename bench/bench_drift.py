"""Benchmark: drift statistics computed in the store vs Evidently's DataDriftPreset, side by side.

Builds a DuckDB store with a reference and a current window of ``--rows`` rows
each and ``--columns`` features (numeric and categorical, some shifted), then
runs, each in its own process so that peak memory is measured separately:

* ``workbench``: :func:`workbench.drift.compute_drift` (statistics in DuckDB), a first run and again
  with the reference summary cached in memory;
* ``workbench_next``: a later process against the same reference (its summary read from beside the store);
* ``evidently``: both windows pulled into pandas, then
  ``Report([DataDriftPreset()]).run(current, reference)``.

It prints time, peak resident memory, the ratio, and whether the per-column
verdicts agree. Usage (from the project root)::

    nice -n 10 .venv/bin/python bench/bench_drift.py --rows 1000000 --columns 20
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
from pathlib import Path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_store(path: Path, rows: int, columns: int, seed: int) -> dict[str, str]:
    """A store whose items hold ``rows`` reference and ``rows`` current rows; returns the feature kinds."""
    import duckdb

    n_cat = max(1, columns // 5)
    n_num = columns - n_cat
    exprs = []
    kinds = {}
    for i in range(n_num):
        name = f"num_{i:02d}"
        kinds[name] = "numeric"
        shift = 0.2 if i % 3 == 0 else 0.0  # every third numeric feature drifts in the current window
        if i % 4 == 3:  # integer-valued
            exprs.append(f"floor(20 + 5 * z{i} + (cur * {shift * 5}))::DOUBLE AS {name}")
        else:
            exprs.append(f"(z{i} * (1 + cur * {shift}) + cur * {shift})::DOUBLE AS {name}")
    for j in range(n_cat):
        name = f"cat_{j:02d}"
        kinds[name] = "categorical"
        bias = 0.15 if j % 2 == 0 else 0.0
        exprs.append(
            f"CASE WHEN u{j} < 0.5 - cur * {bias} THEN 'alpha' WHEN u{j} < 0.8 THEN 'beta' "
            f"WHEN u{j} < 0.95 THEN 'gamma' ELSE 'delta' END AS {name}"
        )
    normals = ", ".join(
        f"sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z{i}" for i in range(n_num)
    )
    uniforms = ", ".join(f"random() AS u{j}" for j in range(n_cat))
    con = duckdb.connect(str(path))
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(
        f"""
        CREATE TABLE items AS
        WITH base AS (
            SELECT i, (i >= {rows})::INT AS cur, {normals}, {uniforms}
            FROM range({2 * rows}) t(i)
        )
        SELECT 'it' || lpad(i::VARCHAR, 9, '0') AS item_id,
               CASE WHEN cur = 1 THEN 'cur' ELSE 'ref' END AS meta_window,
               TIMESTAMP '2026-11-30 06:00:00' AS wb_ingested_at,
               {", ".join(exprs)}
        FROM base
        """
    )
    con.close()
    return kinds


def _load_workbench():
    """The workbench's drift function and store, with the modules it loads lazily (ibis's DuckDB backend,
    scipy's tests) imported first: import cost is kept out of the timing, as for Evidently."""
    import ibis
    import scipy.spatial.distance  # noqa: F401
    import scipy.stats  # noqa: F401

    from workbench.drift import compute_drift
    from workbench.store import Store

    ibis.duckdb  # noqa: B018
    return compute_drift, Store


def _timed_drift(store_path: str, kinds: dict[str, str]):
    compute_drift, Store = _load_workbench()
    t0 = time.perf_counter()
    with Store.open(store_path, read_only=True) as store:
        result = compute_drift(
            store,
            reference="meta_window=ref",
            current="meta_window=cur",
            include_labels=False,
            config={"categorical_columns": [c for c, k in kinds.items() if k == "categorical"]},
        )
    return time.perf_counter() - t0, result


def run_workbench(store_path: str, kinds: dict[str, str]) -> dict:
    _load_workbench()
    base = _rss_mb()
    seconds, r = _timed_drift(store_path, kinds)
    # The next comparison against the same reference (e.g. next week) reuses its cached summary.
    cached, _ = _timed_drift(store_path, kinds)
    return {
        "seconds": seconds,
        "seconds_cached_reference": cached,
        "peak_rss_mb": _rss_mb(),
        "rss_after_imports_mb": base,
        "verdicts": {c.column: [c.method, c.statistic, c.drifted] for c in r.columns},
    }


def run_workbench_next_process(store_path: str, kinds: dict[str, str]) -> dict:
    """A later process (next week's job) against the same reference: its summary is read from beside the store."""
    seconds, _ = _timed_drift(store_path, kinds)
    return {"seconds": seconds, "peak_rss_mb": _rss_mb()}


def run_evidently(store_path: str, kinds: dict[str, str]) -> dict:
    import duckdb
    import evidently  # noqa: F401  (import cost kept out of the timing)

    from workbench.drift import evidently_drift_table

    base = _rss_mb()
    t0 = time.perf_counter()
    con = duckdb.connect(store_path, read_only=True)
    cols = ", ".join(kinds)
    ref = con.execute(f"SELECT {cols} FROM items WHERE meta_window = 'ref' ORDER BY item_id").df()
    cur = con.execute(f"SELECT {cols} FROM items WHERE meta_window = 'cur' ORDER BY item_id").df()
    con.close()
    loaded = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, _ = evidently_drift_table(ref, cur, kinds)
    seconds = time.perf_counter() - t0 - loaded
    return {
        "seconds": seconds,
        "load_seconds": loaded,
        "peak_rss_mb": _rss_mb(),
        "rss_after_imports_mb": base,
        "verdicts": {r.column: [r.method, r.statistic, bool(r.drifted)] for r in table.itertuples()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per window (reference and current)")
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--worker", choices=["workbench", "workbench_next", "evidently"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--kinds", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        kinds = json.loads(args.kinds)
        fn = {"workbench": run_workbench, "workbench_next": run_workbench_next_process,
              "evidently": run_evidently}[args.worker]
        print(json.dumps(fn(args.store, kinds)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        kinds = build_store(store, args.rows, args.columns, args.seed)
        print(f"store: {args.rows:,} reference + {args.rows:,} current rows x {args.columns} columns "
              f"({sum(k == 'numeric' for k in kinds.values())} numeric, "
              f"{sum(k == 'categorical' for k in kinds.values())} categorical), built in "
              f"{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs")
        results = {}
        for worker in ["workbench", "workbench_next"] + ([] if args.skip_evidently else ["evidently"]):
            cmd = [sys.executable, __file__, "--worker", worker, "--store", str(store), "--kinds", json.dumps(kinds)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[worker] = json.loads(proc.stdout.strip().splitlines()[-1])

    wb = results["workbench"]
    print()
    print(f"{'method':<34}{'seconds':>10}{'peak RSS MB':>14}{'speed-up':>10}")
    print(f"{'workbench (statistics in DuckDB)':<34}{wb['seconds']:>10.2f}{wb['peak_rss_mb']:>14.0f}{'1.0x':>10}")
    print(f"{'  again, reference summary cached':<34}{wb['seconds_cached_reference']:>10.2f}")
    nxt = results["workbench_next"]
    print(f"{'  next process, summary from disk':<34}{nxt['seconds']:>10.2f}{nxt['peak_rss_mb']:>14.0f}")
    if "evidently" in results:
        ev = results["evidently"]
        ratio = ev["seconds"] / wb["seconds"]
        print(f"{'evidently DataDriftPreset (run)':<34}{ev['seconds']:>10.2f}{ev['peak_rss_mb']:>14.0f}{ratio:>9.1f}x")
        print(f"{'  + loading both windows to pandas':<34}{ev['load_seconds']:>10.2f}")
        agree = sum(
            wb["verdicts"][c][0] == ev["verdicts"][c][0] and wb["verdicts"][c][2] == ev["verdicts"][c][2]
            for c in kinds
        )
        worst = max(abs(wb["verdicts"][c][1] - ev["verdicts"][c][1]) for c in kinds)
        print()
        print(f"verdicts and methods agreeing: {agree} of {len(kinds)} columns; "
              f"largest statistic difference {worst:.2e}")
        print(f"workbench is {ratio:.1f}x faster on a first run; with the reference summary cached "
              f"{ev['seconds'] / wb['seconds_cached_reference']:.1f}x in the same process and "
              f"{ev['seconds'] / nxt['seconds']:.1f}x in a later one; peak memory {wb['peak_rss_mb']:.0f} MB "
              f"vs {ev['peak_rss_mb']:.0f} MB")
    drifted = sorted(c for c, v in wb["verdicts"].items() if v[2])
    print(f"drifted columns (workbench): {', '.join(drifted) or 'none'}")


if __name__ == "__main__":
    main()
