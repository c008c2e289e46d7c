"""``workbench drift``: input, label and prediction drift between windows, or per week."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import ModelVersionOption, OutOption, SeedOption, WeekOption


def register(app: typer.Typer) -> None:
    app.command(name="drift")(drift)


def drift(
    out_dir: Annotated[Path, OutOption("Folder to write drift.json (and more) to.")],
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="Reference window: dates A..B (A <= created_at < B + 1 day), ISO weeks (2026-W40..2026-W41) or "
            "column=value (split=train). Default: [drift] reference in workbench.toml, else the first two "
            "ISO weeks with items.",
        ),
    ] = None,
    current: Annotated[
        str | None,
        typer.Option("--current", help="Current window, same forms (default: the week given by --week)."),
    ] = None,
    week: WeekOption = None,
    model_version: ModelVersionOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="'week': compare every ISO week with the reference, store the history.")
    ] = None,
    html: Annotated[
        bool, typer.Option("--html", help="Also write Evidently's HTML report (on a random sample) as evidently.html.")
    ] = False,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Comma-separated features to compare (default: all).")
    ] = None,
    correction: Annotated[
        str | None, typer.Option("--correction", help="'bh': Benjamini-Hochberg across features' p-values.")
    ] = None,
    drift_share: Annotated[
        float | None,
        typer.Option("--drift-share", help="Share of drifted input features that makes the dataset drifted (0.5)."),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", help="Rows per window in the Evidently HTML sample.")] = 2000,
    seed: SeedOption = 0,
) -> None:
    """Drift of input features (numeric, categorical, text) with Evidently's tests, and of labels and predictions
    with a two-sample chi-square.

    Writes OUT/drift.json: the dataset verdict over input features, each column's method, statistic,
    statistic_kind (p_value, distance or roc_auc), threshold, compared_with (the number on the statistic's
    scale that decides drifted) and verdict, and label and prediction drift under their own keys.
    OUT/drift_top.html shows the distributions of the most drifted features.

    With --by week: OUT/drift_by_week.csv (a row per week and column), OUT/drift_heatmap.html, and the rows
    are stored in wb_drift_history (re-running a week replaces its rows).
    """
    from ..errors import BadInputError
    from ._common import err, handled, open_store, out

    with handled():
        if by not in (None, "week"):
            raise BadInputError(f"--by {by!r}: the only grouping is 'week'.")
        if by == "week" and current is not None:
            raise BadInputError("--current does not combine with --by week (each week is the current window).")
        if week is not None and current is not None:
            raise BadInputError("--week and --current both choose the current window; give one of them.")
        from .. import drift as dr
        from ..inputs.weeks import Week, choose_week, item_weeks
        from ..outputs import write_csv, write_json, write_text

        cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
        opts = dict(columns=cols, drift_share=drift_share, correction=correction, seed=seed)
        with open_store(read_only=by != "week") as store:
            # The report's default week (the latest that has ended and is not thin), said when it passes one over.
            choice = None
            if week is None and current is None and by != "week":
                choice = choose_week(store)
                week = str(choice.week)
            with err.status("computing drift in the store"):
                if by == "week":
                    weeks = None
                    if week is not None:
                        last = Week.parse(week)
                        weeks = [str(w) for w in item_weeks(store) if w <= last]
                    weekly = dr.compute_drift_by_week(
                        store, reference=reference, weeks=weeks, model_version=model_version, **opts
                    )
                    result = weekly.results[-1][1]
                else:
                    weekly = None
                    result = dr.compute_drift(
                        store, reference=reference, current=current, week=week, model_version=model_version, **opts
                    )
            page = None
            if html:
                with err.status("rendering Evidently's report on a sample"):
                    page = dr.evidently_report_html(
                        store,
                        reference=result.reference,
                        current=result.current,
                        columns=cols,
                        sample_size=sample,
                        seed=seed,
                    )
            # Everything is computed: only now write, so bad input leaves nothing behind.
            if weekly is not None:
                n_rows = dr.save_drift_history(store, weekly)
        payload = result.to_dict()
        if choice is not None:
            payload["week_note"] = choice.note
        if weekly is not None:
            payload["by_week"] = weekly.summary().to_dict(orient="records")
            write_csv(weekly.to_frame(), out_dir / "drift_by_week.csv")
            heatmap = dr.drift_heatmap_chart(weekly.to_frame(), max_columns=200)
            write_text(out_dir / "drift_heatmap.html", heatmap.to_html(inline=True))
        write_json(payload, out_dir / "drift.json")
        write_text(out_dir / "drift_top.html", dr.top_drifted_chart(result).to_html(inline=True))
        if page is not None:
            write_text(out_dir / "evidently.html", page)

    if weekly is not None:
        for row in weekly.summary().itertuples():
            flag = "[red]DRIFT[/]" if row.dataset_drift else "ok   "
            out.print(f"{row.week}  {flag}  {row.n_drifted:3d} of {len(result.columns)} features drifted")
        out.print(f"stored {n_rows} rows in {dr.HISTORY_TABLE}")
    if choice is not None and choice.note:
        out.print(f"Week: {choice.note}", markup=False, highlight=False)
    for line in result.summary_lines():
        out.print(line, markup=False, highlight=False)
    out.print(f"written to {out_dir.resolve()}")
