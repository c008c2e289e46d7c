"""The weekly job at scale: every workbench command as a user runs it, beside the plain libraries.

``python bench/run.py --items N [--work DIR] [--results FILE] [--limit S]``

1. generates the workload (``bench/generate.py``) into ``DIR/data`` unless it is there;
2. runs each command in a new process, one at a time, against a fresh store
   ``DIR/store.duckdb``: ``ingest``, ``labels``, ``annotators``, ``drift``,
   ``dataset-issues``, ``report``, and ``gate``, ``gaps`` and ``queue`` when their
   ``--help`` exits 0 (so they join as they land). Wall time and peak resident memory
   (``os.wait4``'s ``ru_maxrss``, the child alone) are recorded per command;
3. runs the plain-library baselines on the same data, each in a new process (imports
   included): a pandas + DuckDB load, pandas majority vote + Cleanlab
   ``find_label_issues``, Evidently's ``DataDriftPreset`` on the raw rows of the drift
   windows, Cleanlab's dense CROWDLAB, crowd-kit's ``DawidSkene`` and ``krippendorff``'s
   alpha. A baseline that cannot finish at full size within ``--limit`` seconds runs on
   growing random subsamples of items (x2 each time) and its full-size time is
   extrapolated from the two largest measured points (a power law, exponent at least 1):
   both the measured points and the extrapolation are written, labelled as such;
4. writes the tables and the machine to ``--results`` (default ``bench/results.md``).

Use ``nice -n 10`` on a shared machine. ``--items 2000`` is the CI smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORE = ("ingest", "labels", "annotators", "drift", "dataset-issues", "report")
OPTIONAL = ("gate", "gaps", "queue")
ALLOWED_EXIT = {"gate": {0, 1}}  # the gate exits 1 when the week misses a threshold: it ran
BASELINES = {
    # name: (what it is, the workbench command doing that work, runs on subsamples)
    "pandas_duckdb_ingest": ("pandas read_parquet + DuckDB CREATE TABLE of the four tables", "ingest", False),
    "cleanlab_labels": ("pandas majority vote + Cleanlab find_label_issues (ranked)", "labels", False),
    "evidently_drift": ("Evidently DataDriftPreset on the raw rows of the drift windows", "drift", False),
    "crowdkit_ds": ("crowd-kit DawidSkene(n_iter=100) on the long table", "annotators", True),
    "cleanlab_crowdlab": ("Cleanlab get_label_quality_multiannotator (dense items x annotators)", "annotators", True),
    "krippendorff_alpha": ("krippendorff.alpha, nominal, dense annotators x items matrix", "annotators", True),
}
PACKAGES = (
    "workbench",
    "numpy",
    "pandas",
    "pyarrow",
    "duckdb",
    "ibis-framework",
    "scikit-learn",
    "cleanlab",
    "crowd-kit",
    "evidently",
    "krippendorff",
    "altair",
)


@dataclass
class Run:
    name: str
    seconds: float
    peak_mb: float
    exit: int
    items: int | None = None
    note: str = ""
    tail: str = ""
    extra: dict = field(default_factory=dict)


def run_child(cmd: list[str], *, timeout: float | None = None, env=None, cwd=None) -> tuple[float, float, int, str]:
    """Run ``cmd``; wall seconds, peak RSS of that child (MB), exit status (-9 if timed out), output tail."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"wb-bench-{os.getpid()}-{time.monotonic_ns()}.log"
    with open(out_path, "w") as log:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        timer = None
        if timeout:
            timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    tail = out_path.read_text(errors="replace")[-2000:]
    out_path.unlink(missing_ok=True)
    return seconds, usage.ru_maxrss / 1024, proc.returncode, tail


def has_command(python: str, env: dict, name: str) -> bool:
    cmd = [python, "-m", "workbench.cli", name, "--help"]
    return subprocess.run(cmd, env=env, capture_output=True, timeout=120).returncode == 0


def command_args(name: str, work: Path, data: Path) -> list[str]:
    out = work / "out"
    return {
        "ingest": ["ingest", str(data)],
        "labels": ["labels", "--out", str(out / "labels.csv")],
        "annotators": ["annotators", "--out", str(out / "annotators")],
        "drift": ["drift", "--out", str(out / "drift")],
        "dataset-issues": ["dataset-issues", "--out", str(out / "dataset_issues.csv")],
        "report": ["report", "--out", str(out / "reports")],
        "gate": ["gate"],
        "gaps": ["gaps", "--out", str(out / "gaps.csv")],
        "queue": ["queue", "--budget", "100", "--out", str(out / "queue.csv")],
    }[name]


# ---------------------------------------------------------------- baselines (each runs in its own process)


def _subsample(data: Path, n_items: int | None, seed: int = 0):
    import numpy as np
    import pandas as pd

    items = pd.read_parquet(data / "items.parquet", columns=["item_id"])
    annotations = pd.read_parquet(data / "annotations.parquet", columns=["item_id", "annotator_id", "label"])
    if n_items is not None and n_items < len(items):
        keep = pd.Index(np.random.default_rng(seed).choice(items["item_id"].to_numpy(), n_items, replace=False))
        annotations = annotations[annotations["item_id"].isin(keep)]
    return annotations


def _predictions_for(data: Path, item_ids, classes):
    import pandas as pd

    pred = pd.read_parquet(data / "predictions.parquet").set_index("item_id")
    return pred.loc[item_ids, [f"proba_{c}" for c in classes]].to_numpy()


def baseline(name: str, data: Path, n_items: int | None, work: Path) -> dict:
    import numpy as np
    import pandas as pd

    if name == "pandas_duckdb_ingest":
        import duckdb

        path = work / "plain.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        for table in ("items", "annotations", "gold", "predictions"):
            frame = pd.read_parquet(data / f"{table}.parquet")  # noqa: F841 (DuckDB reads it by name)
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
        con.close()
        return {}
    if name == "cleanlab_labels":
        from cleanlab.filter import find_label_issues

        ann = _subsample(data, n_items)
        classes = sorted(ann["label"].unique())
        votes = ann.groupby(["item_id", "label"]).size().unstack(fill_value=0)
        given = votes.reindex(columns=classes, fill_value=0).to_numpy().argmax(axis=1)
        proba = _predictions_for(data, votes.index, classes)
        ranked = find_label_issues(given, proba, return_indices_ranked_by="normalized_margin")
        return {"issues": int(len(ranked))}
    if name == "evidently_drift":
        from evidently import Report
        from evidently.presets import DataDriftPreset

        items = pd.read_parquet(data / "items.parquet")
        week = items["created_at"].dt.isocalendar()
        key = week["year"].astype(int) * 100 + week["week"].astype(int)
        weeks = sorted(key.unique())
        features = [c for c in items.columns if c.startswith(("num_", "cat_")) or c == "text"]
        reference = items.loc[key.isin(weeks[:2]).to_numpy(), features]
        current = items.loc[(key == weeks[-1]).to_numpy(), features]
        snapshot = Report([DataDriftPreset()]).run(current, reference)
        snapshot.dict()
        return {"reference_rows": len(reference), "current_rows": len(current)}
    ann = _subsample(data, n_items)
    if name == "crowdkit_ds":
        from crowdkit.aggregation import DawidSkene

        df = ann.rename(columns={"item_id": "task", "annotator_id": "worker"})
        DawidSkene(n_iter=100).fit(df)
        return {"annotations": len(df)}
    if name == "cleanlab_crowdlab":
        from cleanlab.multiannotator import get_label_quality_multiannotator

        classes = sorted(ann["label"].unique())
        ann = ann.assign(code=pd.Categorical(ann["label"], categories=classes).codes)
        wide = ann.pivot(index="item_id", columns="annotator_id", values="code").astype(float)
        wide = wide.loc[wide.notna().sum(axis=1) >= 1]
        proba = _predictions_for(data, wide.index, classes)
        wide = wide.loc[:, wide.notna().any()]
        get_label_quality_multiannotator(wide.reset_index(drop=True), proba, verbose=False)
        return {"annotations": len(ann)}
    if name == "krippendorff_alpha":
        import krippendorff

        classes = sorted(ann["label"].unique())
        ann = ann.assign(code=pd.Categorical(ann["label"], categories=classes).codes)
        wide = ann.pivot(index="annotator_id", columns="item_id", values="code").astype(float)
        alpha = krippendorff.alpha(reliability_data=wide.to_numpy(), level_of_measurement="nominal")
        return {"alpha": float(np.round(alpha, 6)), "annotations": len(ann)}
    raise SystemExit(f"unknown baseline {name}")


def run_baseline(python: str, name: str, data: Path, work: Path, n_total: int, limit: float) -> list[Run]:
    """Full size first when it is not a subsampled kind; else growing subsamples until the limit."""
    script = str(Path(__file__).resolve())
    base = [python, script, "--baseline", name, "--data", str(data), "--work", str(work)]
    if not BASELINES[name][2]:
        s, mb, rc, tail = run_child(base, timeout=limit * 3)
        return [
            Run(
                name,
                s,
                mb,
                rc,
                n_total,
                "measured" if rc == 0 else "timed out" if rc == -9 else "failed",
                tail if rc else "",
            )
        ]
    runs: list[Run] = []
    n = min(n_total, 2_000)
    while True:
        s, mb, rc, tail = run_child([*base, "--sample", str(n)], timeout=limit)
        runs.append(
            Run(
                name, s, mb, rc, n, "measured" if rc == 0 else "timed out" if rc == -9 else "failed", tail if rc else ""
            )
        )
        if rc != 0 or n >= n_total:
            break
        if s * 2.2 > limit:  # the next doubling would not finish in time
            break
        n = min(n * 2, n_total)
    return runs


def extrapolate(runs: list[Run], n_total: int) -> Run | None:
    ok = [r for r in runs if r.exit == 0]
    if not ok or ok[-1].items >= n_total:
        return None
    import math

    if len(ok) >= 2 and ok[-1].items > ok[-2].items and ok[-1].seconds > ok[-2].seconds:
        b = max(1.0, math.log(ok[-1].seconds / ok[-2].seconds) / math.log(ok[-1].items / ok[-2].items))
    else:
        b = 1.0
    f = n_total / ok[-1].items
    bm = (
        max(1.0, math.log(ok[-1].peak_mb / ok[-2].peak_mb) / math.log(ok[-1].items / ok[-2].items))
        if len(ok) >= 2 and ok[-1].peak_mb > ok[-2].peak_mb and ok[-1].items > ok[-2].items
        else 1.0
    )
    return Run(
        ok[-1].name,
        ok[-1].seconds * f**b,
        ok[-1].peak_mb * f ** min(bm, 2.0),
        0,
        n_total,
        f"extrapolated (time ~ n^{b:.2f} from {ok[-2].items if len(ok) > 1 else ok[-1].items:,} and "
        f"{ok[-1].items:,} items)",
    )


# ---------------------------------------------------------------- machine and results


def machine() -> dict:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024**2
    except OSError:
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = "not installed"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_1min": round(os.getloadavg()[0], 2),
        "versions": versions,
    }


def _fmt_s(s: float) -> str:
    return f"{s:,.1f}" if s >= 1 else f"{s:.2f}"


def write_results(
    path: Path,
    *,
    items: int,
    counts: dict,
    generate: Run,
    commands: list[Run],
    baselines: dict[str, list[Run]],
    info: dict,
) -> str:
    by_cmd = {r.name: r for r in commands}
    lines = [
        f"# Scale benchmark: {items:,} items",
        "",
        f"Written by `bench/run.py --items {items}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        "Each command and each baseline ran in a new process, one at a time (imports included); peak memory is "
        "that process's maximum resident set size.",
        "",
        "Workload (`bench/generate.py`): "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + (
            "; generated by an earlier run (reused)."
            if generate.note == "reused"
            else f"; generated in {_fmt_s(generate.seconds)} s, peak {generate.peak_mb:,.0f} MB."
        ),
        "",
        "## Workbench commands",
        "",
        "| command | seconds | peak MB | exit |",
        "|---|---:|---:|---:|",
    ]
    for r in commands:
        status = str(r.exit) + (
            "" if r.exit == 0 else " (gate: thresholds unmet)" if r.name == "gate" and r.exit == 1 else " FAILED"
        )
        lines.append(f"| {r.name} | {_fmt_s(r.seconds)} | {r.peak_mb:,.0f} | {status} |")
    lines += [
        "",
        "## Plain-library baselines on the same data",
        "",
        "Ratio = baseline seconds / workbench command seconds (above 1: the workbench is faster). The workbench "
        "command does more than each baseline (e.g. `annotators` computes agreement, three consensus methods, "
        "quality and drift; `drift` includes label and prediction drift and writes charts).",
        "",
        "| baseline | what | items | seconds | peak MB | kind | workbench command | its seconds | ratio |",
        "|---|---|---:|---:|---:|---|---|---:|---:|",
    ]
    for name, runs in baselines.items():
        what, cmd, _ = BASELINES[name]
        ours = by_cmd.get(cmd)
        rows = list(runs)
        ext = extrapolate(runs, items)
        if ext:
            rows.append(ext)
        for r in rows:
            full = r.items == items and r.exit == 0
            ratio = f"{r.seconds / ours.seconds:.2f}" if full and ours and ours.seconds else ""
            kind = r.note + (f" (exit {r.exit})" if r.exit not in (0, -9) else "")
            lines.append(
                f"| {name} | {what} | {r.items:,} | {_fmt_s(r.seconds)} | {r.peak_mb:,.0f} | {kind} | {cmd} | "
                f"{_fmt_s(ours.seconds) if ours and full else ''} | {ratio} |"
            )
    lines += [
        "",
        "## Machine",
        "",
        f"- nproc {info['nproc']}, memory {info['memory_gb']} GB, Python {info['python']}, {info['platform']}; "
        f"1-minute load at the end {info['load_1min']} (the machine is shared: times are indicative)",
        "- " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        "",
    ]
    failed = [r for r in commands if r.exit not in ALLOWED_EXIT.get(r.name, {0})]
    if failed:
        lines += ["## Failures (last output)", ""]
        for r in failed:
            lines += [f"### {r.name} (exit {r.exit})", "", "```", r.tail.strip()[-1500:], "```", ""]
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (path.with_suffix(".json")).write_text(
        json.dumps(
            {
                "items": items,
                "counts": counts,
                "machine": info,
                "commands": [r.__dict__ | {"tail": ""} for r in commands],
                "baselines": {k: [r.__dict__ | {"tail": ""} for r in v] for k, v in baselines.items()},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="working folder (default bench/out/scale-<items>)")
    parser.add_argument("--results", type=Path, default=HERE / "results.md")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds a baseline run may take")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--reuse-baselines", type=Path, help="take the baselines from an earlier run's results .json (same --items)"
    )
    parser.add_argument("--only", nargs="*", help="run only these commands (ingest always runs)")
    parser.add_argument("--baselines", nargs="*", choices=list(BASELINES), help="run only these baselines")
    parser.add_argument("--baseline", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.baseline:  # a child process: one baseline
        extra = baseline(args.baseline, args.data, args.sample, args.work)
        print(json.dumps(extra))
        return 0

    python = sys.executable
    work = (args.work or HERE / "out" / f"scale-{args.items}").resolve()
    data = work / "data"
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("MPLBACKEND", "Agg")
    only = set(args.only or ())

    gen_meta = data / "generated.json"
    if (
        gen_meta.exists()
        and json.loads(gen_meta.read_text()).get("items") == args.items
        and json.loads(gen_meta.read_text()).get("seed") == args.seed
    ):
        generate = Run("generate", 0.0, 0.0, 0, args.items, "reused")
    else:
        cmd = [
            python,
            str(HERE / "generate.py"),
            "--items",
            str(args.items),
            "--out",
            str(data),
            "--seed",
            str(args.seed),
        ]
        s, mb, rc, tail = run_child(cmd)
        if rc != 0:
            print(tail, file=sys.stderr)
            return 1
        generate = Run("generate", s, mb, rc, args.items)
    counts = json.loads(gen_meta.read_text())["rows"]
    print(f"data: {data} ({', '.join(f'{k} {v:,}' for k, v in counts.items())})", flush=True)

    store = work / "store.duckdb"
    for p in (store, Path(str(store) + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(Path(str(store) + ".cache"), ignore_errors=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    (work / "out").mkdir()

    names = list(CORE) + [c for c in OPTIONAL if has_command(python, env, c)]
    commands: list[Run] = []
    for name in names:
        if only and name not in only and name != "ingest":
            continue
        cmd = [python, "-m", "workbench.cli", "--store", str(store), *command_args(name, work, data)]
        s, mb, rc, tail = run_child(cmd, env=env, cwd=work)
        commands.append(Run(name, s, mb, rc, args.items, tail=tail if rc else ""))
        print(f"{name:<16}{s:>9.1f} s{mb:>9.0f} MB  exit {rc}", flush=True)
        if rc not in ALLOWED_EXIT.get(name, {0}):
            print(tail[-1500:], flush=True)

    baselines: dict[str, list[Run]] = {}
    if args.reuse_baselines:
        earlier = json.loads(args.reuse_baselines.read_text())
        if earlier["items"] != args.items:
            raise SystemExit(f"{args.reuse_baselines} is a run at {earlier['items']:,} items, not {args.items:,}")
        for name, runs in earlier["baselines"].items():
            baselines[name] = [Run(**{**r, "note": r["note"] + ", earlier run"}) for r in runs]
    elif not args.skip_baselines:
        for name in BASELINES:
            if args.baselines is not None and name not in args.baselines:
                continue
            runs = run_baseline(python, name, data, work, args.items, args.limit)
            baselines[name] = runs
            for r in runs:
                print(f"{name:<22}{r.items:>10,}{r.seconds:>9.1f} s{r.peak_mb:>9.0f} MB  {r.note}", flush=True)
                if r.exit not in (0, -9):
                    print(r.tail[-1500:], flush=True)
    text = write_results(
        args.results,
        items=args.items,
        counts=counts,
        generate=generate,
        commands=commands,
        baselines=baselines,
        info=machine(),
    )
    print(text)
    return 0 if all(r.exit in ALLOWED_EXIT.get(r.name, {0}) for r in commands) else 1


if __name__ == "__main__":
    sys.exit(main())
