"""Start-up time of the command line: ``workbench --help`` against a bare Python and a bare typer app.

Prints a table of the median wall time of N runs of each (new process each time). The figure the
input-layer work owns is ``workbench --help`` under 0.5 s; heavy libraries (pandas, ibis, Cleanlab,
Evidently, Altair) must not load for it. The baselines show what any Python CLI pays on this machine.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _time(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    exe = shutil.which("workbench") or str(__import__("pathlib").Path(sys.executable).with_name("workbench"))
    py = sys.executable
    typer_app = "import typer; app = typer.Typer(add_completion=False)\n@app.command()\ndef x(): pass\napp()"
    rows = [
        ("python -c pass", [py, "-c", "pass"]),
        ("bare typer app --help", [py, "-c", typer_app, "--help"]),
        ("workbench --help", [exe, "--help"]),
        ("workbench drift --help", [exe, "drift", "--help"]),
        ("python -c 'import pandas, ibis'", [py, "-c", "import pandas, ibis"]),
    ]
    results = [(name, _time(cmd, args.runs)) for name, cmd in rows]
    base = dict(results)["bare typer app --help"]
    print(f"median of {args.runs} runs, new process each; ratio against a bare typer app")
    print(f"{'command':34s} {'seconds':>8s} {'ratio':>6s}")
    for name, t in results:
        print(f"{name:34s} {t:8.3f} {t / base:6.2f}")
    # Which heavy modules load for --help (none should).
    heavy = "('pandas', 'ibis', 'cleanlab', 'evidently', 'altair', 'sklearn')"
    probe = f"import sys, workbench.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    loaded = subprocess.run([py, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    print(f"heavy modules imported by the CLI at start-up: {loaded}")


if __name__ == "__main__":
    main()
