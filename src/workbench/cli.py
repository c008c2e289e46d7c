"""The ``workbench`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from .commands._common import data_text, err, handled, open_store, out, print_error, state
from .config import load_config
from .errors import ContractError

EXIT_CODES = """Exit status: 0 success; 1 a gate or check failed its thresholds; 2 bad input
(nothing was written); 3 the store stayed busy (locked by another process) after retrying."""

app = typer.Typer(
    name="workbench",
    help="Label-quality and data-health workbench.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from ._version import package_version

        typer.echo(f"workbench {package_version()}")
        raise typer.Exit(0)


@app.callback()
def _global(
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="WORKBENCH_STORE",
            help="Store to use: a DuckDB file path or an ibis connection URL "
            "(default: \\[store] url in workbench.toml, else data/workbench.duckdb).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    state.store = store


def _ingest(folder: Path) -> None:
    from .contract import read_dataset

    with err.status(f"validating {folder}"):
        dataset = read_dataset(folder)
    with open_store(read_only=False) as store, err.status("ingesting") as status:
        result = store.ingest(dataset, progress=lambda msg: status.update(msg))
    for table in ("items", "annotations", "gold", "predictions"):
        if table in result.added:
            out.print(
                f"{table:12s} +{result.added[table]:,} rows"
                + (
                    f" ({result.skipped_duplicates[table]:,} already stored)"
                    if result.skipped_duplicates[table]
                    else ""
                )
            )
    if result.guidelines_added:
        out.print("guidelines   stored")
    out.print(f"store: {store.display_target}", markup=False)


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Dataset folder (items, annotations, optional gold, predictions).")],
) -> None:
    """Validate a dataset folder, then load it into the store.

    Idempotent: rows already stored (same content) are skipped, new rows
    append. All or nothing: on any problem the store is left unchanged.
    """
    with handled():
        _ingest(folder)


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="Dataset folder to validate.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the violations as JSON.")] = False,
) -> None:
    """Validate a dataset folder against the data contract without writing anything."""
    from .contract import read_dataset

    try:
        dataset = read_dataset(folder)
    except ContractError as exc:
        if as_json:
            typer.echo(json.dumps({"ok": False, "violations": [v.to_dict() for v in exc.violations]}, indent=1))
        else:
            print_error(str(exc))
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps({"ok": True, "rows": dataset.summary(), "classes": list(dataset.classes)}, indent=1))
        return
    for name, n in dataset.summary().items():
        out.print(f"{name:12s} {n:,} rows")
    out.print(f"classes      {', '.join(data_text(c) for c in dataset.classes)}", markup=False)
    out.print("[green]OK[/]: ", end="")
    out.print(f"{data_text(folder)} follows the data contract.", markup=False)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the demo dataset to.")] = Path("data/demo"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same data.")] = 0,
) -> None:
    """Write the demo dataset (with its planted problems and truth.json) and ingest it."""
    from .demo import write_demo

    with handled():
        with err.status(f"generating demo dataset (seed {seed})"):
            result = write_demo(out_dir, seed=seed)
        out.print(f"demo dataset written to {result.folder} (truth: {result.folder / 'truth.json'})")
        _ingest(result.folder)


@app.command()
def info(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Table counts, classes, annotators and date range of the store."""
    with handled(), open_store(read_only=True) as store:
        data = store.info()
    if as_json:
        typer.echo(json.dumps(data.to_dict(), indent=1))
        return
    out.print(f"store        {data.store}", markup=False)
    for name, n in data.counts.items():
        out.print(f"{name:12s} {n:,} rows")
    out.print(f"classes      {len(data.classes)}: {', '.join(data_text(c) for c in data.classes)}", markup=False)
    out.print(f"annotators   {data.n_annotators}")
    if data.first_annotation:
        out.print(f"annotated    {data.first_annotation} .. {data.last_annotation}")
    if data.first_item:
        out.print(f"items made   {data.first_item} .. {data.last_item}")
    if data.guideline_versions:
        out.print(f"guidelines   {', '.join(data_text(v) for v in data.guideline_versions)}", markup=False)


@app.command()
def report(
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="ISO week YYYY-Www (default: the latest week that has ended and is not thin)."
        ),
    ] = None,
    quarter: Annotated[
        str | None,
        typer.Option("--quarter", help="YYYY-Qn: the quarterly audit, week-by-week trends of every KPI."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Reports folder (default: \\[report] out, else reports/).")
    ] = None,
) -> None:
    """Write the weekly data-health report to OUT/<YYYY-Www>/index.html (self-contained, opens offline).

    With --quarter, OUT/<YYYY-Qn>/index.html: the KPIs week by week over the quarter, then the report of its
    latest week. Each run records the week's KPIs in the store (wb_kpi_history) for deltas and trends.
    """
    from .errors import BadInputError
    from .report import build_report

    with handled():
        if week is not None and quarter is not None:
            raise BadInputError("--week and --quarter both choose what to report; give one of them.")
        target = out_dir or Path(load_config()["report"]["out"])
        if quarter is not None:
            from .quarter import build_quarter_report

            with open_store(read_only=False) as store, err.status(f"building the audit of {quarter}"):
                q = build_quarter_report(store, quarter, out=target)
            for key, message in q.errors.items():
                err.print("[yellow]warning:[/] ", end="")
                err.print(f"section '{key}' failed and is shown as an error: {data_text(message)}", markup=False)
            out.print(
                f"audit of {q.quarter} ({len(q.weeks)} weeks, {len(q.computed)} computed now): {q.path.resolve()}",
                markup=False,
            )
            return
        with open_store(read_only=False) as store, err.status("building the weekly report"):
            result = build_report(store, week=week, out=target)
        for key, message in result.errors.items():
            err.print("[yellow]warning:[/] ", end="")
            err.print(f"section '{key}' failed and is shown as an error: {data_text(message)}", markup=False)
        if result.note:
            out.print(f"week         {result.note}", markup=False)
        out.print(f"report for {result.week}: {result.path.resolve()}", markup=False)


def _register_capability_commands() -> None:
    """Add the commands of each capability module in :mod:`workbench.commands`.

    A module there defines ``register(app)``; adding a capability's command
    means adding a module, without touching this file.
    """
    import importlib
    import pkgutil

    from . import commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_capability_commands()


GLOBAL_OPTIONS = ("--store",)


def misplaced_global_option(argv: list[str]) -> str | None:
    """The message for a global option given after the command (``workbench info --store X``), else None."""
    command_seen = False
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if not command_seen:
            if name in GLOBAL_OPTIONS and "=" not in arg:
                skip = True
            elif not arg.startswith("-"):
                command_seen = True
            continue
        if name in GLOBAL_OPTIONS:
            return (
                f"{name} goes before the command: workbench {name} PATH_OR_URL COMMAND ... "
                f"(for example `workbench {name} data/workbench.duckdb info`)."
            )
    return None


def main() -> None:
    """Entry point of the ``workbench`` script."""
    message = misplaced_global_option(sys.argv[1:])
    if message is not None:
        print_error(message)
        sys.exit(2)
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
