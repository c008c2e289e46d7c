import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Drift")


@app.cell
def _():
    import marimo as mo

    from workbench import drift
    from workbench.loaders import drift as loaders
    from workbench.loaders.page import app_mode, attempt, store_label

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return attempt, drift, loaders, mo, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Drift

        Have the inputs the model meets moved away from a reference? Each feature of the current window is
        compared with the reference window using Evidently's method choice and thresholds; the statistics are
        computed in the store. A window is a date range `A..B` on `items.created_at`, an ISO week (`2026-W46`),
        a range of weeks (`2026-W40..2026-W41`), or a filter on an items column (`split=train`).
        It reads the store `{store_label()}` (set `WORKBENCH_STORE` to read another).
        """
    )
    return


@app.cell
def _(attempt, loaders, mo):
    choices, choices_error = attempt(loaders.drift_choices)
    mo.stop(choices_error is not None, mo.callout(choices_error or "", kind="danger"))
    return (choices,)


@app.cell
def _(choices, mo):
    reference = mo.ui.text(value=choices.reference, label="Reference window")
    current = mo.ui.text(value=choices.current, label="Current window")
    features = mo.ui.multiselect(options=choices.features, label="Features (all if none)")
    correction = mo.ui.dropdown(options=["none", "bh"], value="none", label="Multiple-testing correction")
    mo.hstack([reference, current, features, correction], justify="start", gap=2, wrap=True)
    return correction, current, features, reference


@app.cell
def _(attempt, correction, current, features, loaders, mo, reference):
    result, drift_error = attempt(
        loaders.load_drift, reference.value, current.value, columns=list(features.value), correction=correction.value
    )
    # bad input to a widget (a window such as "last week"): the CLI's message, where the output would be
    mo.stop(drift_error is not None, mo.callout(drift_error or "", kind="danger"))
    return (result,)


@app.cell
def _(mo, result):
    def _verdict(c):
        return "—" if c is None else ("drifted" if c.drifted else "stable")

    def _caption(c):
        return "" if c is None else c.comparison()

    mo.hstack(
        [
            mo.stat(
                value=f"{result.drifted_share:.0%}",
                label="input features drifted",
                caption=f"{result.n_drifted} of {len(result.columns)}; dataset drift at {result.drift_share:.0%}",
            ),
            mo.stat(value="yes" if result.dataset_drift else "no", label="dataset drift"),
            mo.stat(value=_verdict(result.label_drift), label="label distribution",
                    caption=_caption(result.label_drift)),
            mo.stat(value=_verdict(result.prediction_drift), label="predicted labels",
                    caption=_caption(result.prediction_drift)),
            mo.stat(value=f"{result.n_current:,}", label=f"items in {result.current}",
                    caption=f"reference {result.reference}: {result.n_reference:,}"),
        ],
        justify="start",
    )
    return


@app.cell
def _(mo, result):
    mo.vstack(
        [
            mo.md(f"## Drift table\n\nCorrection: {result.correction}. `statistic` is a p-value (drifted when "
                  "below its threshold), a distance (drifted at or above it) or a ROC AUC (drifted above "
                  "`compared_with`, the threshold on the same scale), as `statistic_kind` says; `comparison` "
                  "reads it out. Severity is the statistic relative to what it is compared with (above 1 means "
                  "drifted). Features use Evidently's methods; labels and predicted labels a two-sample "
                  "chi-square, outside the dataset verdict."),
            mo.ui.table(result.to_frame(), page_size=15),
        ]
    )
    return


@app.cell
def _(mo, result):
    ranked = [c.column for c in sorted(result.columns, key=lambda c: -c.severity)]
    column = mo.ui.dropdown(options=ranked, value=ranked[0], label="Distribution of")
    column
    return (column,)


@app.cell
def _(column, drift, mo, result):
    mo.ui.altair_chart(drift.distribution_chart(result, column.value))
    return


@app.cell
def _(drift, mo, result):
    mo.vstack([mo.md("## Most drifted features"), mo.ui.altair_chart(drift.top_drifted_chart(result, n=4))])
    return


@app.cell
def _(loaders):
    weekly = loaders.load_weekly_drift()
    return (weekly,)


@app.cell
def _(drift, loaders, mo, weekly):
    mo.vstack(
        [
            mo.md("## Week by week\n\nEach ISO week against the reference (by default the first two weeks)."),
            mo.ui.altair_chart(drift.drifted_share_chart(loaders.weekly_summary(weekly))),
            mo.ui.altair_chart(drift.drift_heatmap_chart(weekly)),
        ]
    )
    return


@app.cell
def _(mo):
    show_evidently = mo.ui.run_button(label="Render Evidently's report (random sample)")
    mo.vstack(
        [
            mo.md("## Evidently's report\n\nEvidently's own HTML, on a random sample of at most 2,000 rows per window."),
            show_evidently,
        ]
    )
    return (show_evidently,)


@app.cell
def _(current, features, loaders, mo, reference, show_evidently):
    mo.stop(not show_evidently.value, mo.md("_Press the button to render it (it takes a few seconds)._"))
    page = loaders.load_evidently_html(reference.value, current.value, columns=list(features.value))
    mo.iframe(page, height="900px")
    return


if __name__ == "__main__":
    app.run()
