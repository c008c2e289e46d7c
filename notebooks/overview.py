import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Dataset overview")


@app.cell
def _():
    import marimo as mo

    from workbench import charts
    from workbench.loaders.overview import load_overview, overview_choices
    from workbench.loaders.page import app_mode, attempt, store_label

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return attempt, charts, load_overview, mo, overview_choices, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Dataset overview

        What is in the store, how much of it is labeled, and how labeling went week by week.
        It reads the store `{store_label()}` (set `WORKBENCH_STORE` to read another);
        `workbench demo` fills a store with the demo dataset.
        """
    )
    return


@app.cell
def _(attempt, mo, overview_choices):
    choices, choices_error = attempt(overview_choices)
    mo.stop(choices_error is not None, mo.callout(choices_error or "", kind="danger"))
    return (choices,)


@app.cell
def _(choices, mo):
    week = mo.ui.dropdown(options=choices.weeks, value=choices.weeks[-1], label="Up to ISO week")
    classes = mo.ui.multiselect(options=choices.classes, label="Classes (all if none)")
    annotators = mo.ui.multiselect(options=choices.annotators, label="Annotators (all if none)")
    mo.hstack([week, classes, annotators], justify="start", gap=2)
    return annotators, classes, week


@app.cell
def _(annotators, attempt, classes, load_overview, mo, week):
    overview, overview_error = attempt(
        load_overview, week=week.value, classes=list(classes.value), annotators=list(annotators.value)
    )
    mo.stop(overview_error is not None, mo.callout(overview_error or "", kind="danger"))
    return (overview,)


@app.cell
def _(mo, overview):
    k = overview.kpis
    mo.hstack(
        [
            mo.stat(value=f"{k['items']:,}", label="items", caption=f"{k['unannotated_items']:,} unlabeled"),
            mo.stat(value=f"{k['annotations']:,}", label="annotations", caption=f"{k['annotators']} annotators"),
            mo.stat(
                value=f"{k['week_annotations']:,}",
                label=f"annotations in {overview.week}",
                caption=f"{k['previous_week_annotations']:,} the week before",
            ),
            mo.stat(value=str(k["week_active_annotators"]), label="active annotators this week"),
            mo.stat(
                value="—" if k["week_median_latency_h"] is None else f"{k['week_median_latency_h']:.1f} h",
                label="median latency this week",
            ),
        ],
        justify="start",
    )
    return


@app.cell
def _(charts, mo, overview):
    mo.vstack(
        [
            mo.ui.altair_chart(charts.coverage_chart(overview.coverage)),
            mo.ui.altair_chart(charts.completeness_chart(overview.completeness)),
        ]
    )
    return


@app.cell
def _(charts, mo, overview):
    mo.vstack(
        [
            mo.ui.altair_chart(charts.annotations_per_week_chart(overview.weekly)),
            mo.ui.altair_chart(charts.latency_chart(overview.weekly)),
            mo.ui.altair_chart(charts.throughput_chart(overview.weekly)),
            mo.ui.altair_chart(charts.annotators_active_chart(overview.annotator_weeks)),
        ]
    )
    return


@app.cell
def _(mo, overview):
    mo.ui.tabs(
        {
            "Per class": mo.ui.table(overview.coverage, selection=None),
            "Per week": mo.ui.table(overview.weekly, selection=None),
            "Annotators per week": mo.ui.table(overview.annotator_weeks, selection=None),
        }
    )
    return


if __name__ == "__main__":
    app.run()
