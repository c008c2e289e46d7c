"""Benchmark: the same drift statistics computed on Spark (local mode) and on DuckDB, side by side.

The drift statistics are ibis expressions (see ``workbench.drift_stats``), so
they run on whatever backend holds the data. This script checks that on a
second engine: it builds the data of ``bench_drift.py`` (``--rows`` reference
and ``--rows`` current rows, 16 numeric and 4 categorical features, some
shifted), writes it to Parquet, registers it as the ``items`` table of a
local Spark session and of an in-memory DuckDB, runs
:func:`workbench.drift.compute_drift` on both, and prints their times and
how far their statistics and verdicts differ.

Needs ``pyspark`` (``pip install -e '.[spark]'``) and Java 17. Usage (from the
project root)::

    nice -n 10 .venv/bin/python bench/bench_drift_spark.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_drift import _load_workbench, build_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows per window (reference and current)")
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import duckdb
    import ibis
    from pyspark.sql import SparkSession

    compute_drift, Store = _load_workbench()  # imports kept out of the timings

    with tempfile.TemporaryDirectory() as tmp:
        kinds = build_store(Path(tmp) / "bench.duckdb", args.rows, args.columns, args.seed)
        parquet = Path(tmp) / "items.parquet"
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"), read_only=True)
        con.execute(f"COPY items TO '{parquet}' (FORMAT parquet)")
        con.close()
        config = {"categorical_columns": [c for c, k in kinds.items() if k == "categorical"]}

        t0 = time.perf_counter()
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.driver.memory", "4g")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        spark.read.parquet(str(parquet)).createOrReplaceTempView("items")
        started = time.perf_counter() - t0
        spark_store = Store(ibis.pyspark.connect(spark), target="spark")

        duck = duckdb.connect()
        duck.execute(f"CREATE TABLE items AS SELECT * FROM '{parquet}'")
        duck_store = Store(ibis.duckdb.from_connection(duck), target="duckdb-memory")

        results = {}
        for name, store in (("spark", spark_store), ("duckdb", duck_store)):
            t = time.perf_counter()
            result = compute_drift(
                store, reference="meta_window=ref", current="meta_window=cur", include_labels=False, config=config
            )
            results[name] = (time.perf_counter() - t, result.to_frame().set_index("column"))
        spark.stop()

    (s_time, s), (d_time, d) = results["spark"], results["duckdb"]
    print(f"{args.rows:,} reference + {args.rows:,} current rows x {args.columns} columns; {os.cpu_count()} CPUs; "
          f"Spark local[2] session started in {started:.1f} s")
    print()
    print(f"{'backend':<24}{'seconds':>10}")
    print(f"{'Spark (local[2])':<24}{s_time:>10.2f}")
    print(f"{'DuckDB (in memory)':<24}{d_time:>10.2f}")
    print()
    same_method = int((s.method == d.method).sum())
    same_verdict = int((s.drifted == d.drifted).sum())
    print(f"methods agreeing: {same_method} of {len(s)}; verdicts agreeing: {same_verdict} of {len(s)}; "
          f"largest statistic difference {(s.statistic - d.statistic).abs().max():.2e}")
    print(f"drifted columns (Spark): {', '.join(sorted(s.index[s.drifted])) or 'none'}")


if __name__ == "__main__":
    main()
