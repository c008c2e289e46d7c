import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Label quality")


@app.cell
def _():
    import marimo as mo

    from workbench import labels as lq
    from workbench.loaders.labels import item_details, load_label_quality
    from workbench.loaders.page import app_mode, attempt, store_label

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return attempt, item_details, load_label_quality, lq, mo, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Label quality

        Which given labels are likely wrong, and where do they cluster? Each labeled item gets a
        **label quality** score from Cleanlab (0 to 1, lower means more likely wrong), computed from its
        given label and out-of-sample predicted probabilities. It reads the store `{store_label()}` (set
        `WORKBENCH_STORE` to read another).
        """
    )
    return


@app.cell
def _(lq, mo):
    rank_by = mo.ui.dropdown(options=list(lq.RANK_METHODS), value=lq.DEFAULT_RANK_BY, label="Score")
    filter_by = mo.ui.dropdown(options=list(lq.FILTER_METHODS), value=lq.DEFAULT_FILTER_BY, label="Flag filter")
    mo.hstack([rank_by, filter_by], justify="start", gap=2)
    return filter_by, rank_by


@app.cell
def _(attempt, filter_by, load_label_quality, mo, rank_by):
    view, view_error = attempt(load_label_quality, rank_by=rank_by.value, filter_by=filter_by.value)
    mo.stop(view_error is not None, mo.callout(view_error or "", kind="danger"))
    result = view.result
    return result, view


@app.cell
def _(mo, result):
    c = result.counts
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(value=f"{result.health_score:.3f}", label="label health score"),
                    mo.stat(
                        value=f"{c['label_issues']:,}",
                        label="flagged label issues",
                        caption=f"of {c['scored_items']:,} scored items",
                    ),
                    mo.stat(value=f"{c['skipped_unlabeled']:,}", label="unlabeled items skipped"),
                    mo.stat(value=f"{c['classes']}", label="classes"),
                ],
                justify="start",
            ),
            mo.md("\n".join(f"- {line}" for line in result.summary_lines())),
        ]
    )
    return


@app.cell
def _(mo, view):
    ch = view.choices
    classes = mo.ui.multiselect(options=ch["classes"], label="Class (given or suggested)")
    annotators = mo.ui.multiselect(options=ch["annotators"], label="Annotator")
    sources = mo.ui.multiselect(options=ch["sources"], label="Source")
    versions = mo.ui.multiselect(options=ch["guideline_versions"], label="Guideline version")
    weeks = mo.ui.multiselect(options=ch["weeks"], label="Week first labeled")
    only_flagged = mo.ui.checkbox(label="Only flagged items")
    mo.vstack(
        [
            mo.md("## Ranked issues\n\nAll values when a filter is empty. Select rows to see their details below."),
            mo.hstack([classes, annotators, sources], justify="start", gap=2),
            mo.hstack([versions, weeks, only_flagged], justify="start", gap=2),
        ]
    )
    return annotators, classes, only_flagged, sources, versions, weeks


@app.cell
def _(annotators, classes, lq, only_flagged, result, sources, versions, view, weeks):
    filtered = lq.filter_issues(
        result,
        view.context,
        classes=list(classes.value),
        annotators=list(annotators.value),
        sources=list(sources.value),
        guideline_versions=list(versions.value),
        weeks=list(weeks.value),
        only_flagged=only_flagged.value,
        limit=2000,
    )
    return (filtered,)


@app.cell
def _(filtered, mo):
    table = mo.ui.table(
        filtered,
        selection="multi",
        page_size=15,
        format_mapping={"label_quality": "{:.4f}"},
        label=f"{len(filtered):,} items (best 2,000 ranks)",
    )
    table
    return (table,)


@app.cell
def _(item_details, mo, table, view):
    _selected = table.value
    if len(_selected) == 0:
        _panel = mo.md("*Select rows in the table to see the items and their annotations.*")
    else:
        _details = item_details(view.store, _selected["item_id"].tolist())
        _panel = mo.vstack(
            [
                mo.md(f"### Selected items ({len(_selected)})"),
                mo.ui.table(_details["items"], selection=None),
                mo.md("#### Their annotations"),
                mo.ui.table(_details["annotations"], selection=None),
            ]
        )
    _panel
    return


@app.cell
def _(lq, mo, result):
    mo.vstack(
        [
            mo.md("## Where the errors cluster"),
            mo.ui.altair_chart(lq.class_health_chart(result)),
            mo.ui.altair_chart(lq.confusion_chart(result)),
            mo.ui.altair_chart(lq.score_distribution_chart(result)),
        ]
    )
    return


@app.cell
def _(lq, mo, result):
    _tabs = {"Classes": mo.ui.table(result.classes, selection=None)}
    _tabs["Confused pairs"] = mo.ui.table(result.confused_pairs, selection=None)
    for _name, _frame in result.slices.items():
        _tabs[f"By {_name}"] = mo.vstack(
            [mo.ui.altair_chart(lq.slice_chart(result, _name)), mo.ui.table(_frame, selection=None)]
        )
    mo.vstack([mo.md("## Class-level health and slices"), mo.ui.tabs(_tabs)])
    return


@app.cell
def _(mo):
    run_datalab = mo.ui.run_button(label="Check dataset issues")
    mo.vstack(
        [
            mo.md(
                "## Dataset issues\n\nOutliers, near-duplicates, train/eval leakage, class imbalance and empty "
                "features, from Cleanlab's Datalab on the item features (a random sample above 100,000 items)."
            ),
            run_datalab,
        ]
    )
    return (run_datalab,)


@app.cell
def _(mo, run_datalab):
    mo.stop(not run_datalab.value, mo.md("*Press the button to run the check (it compares every item with its neighbours).*"))
    from workbench.dataset_issues import dataset_issues_chart
    from workbench.loaders.labels import load_dataset_issues

    _issues = load_dataset_issues()
    mo.vstack(
        [
            mo.md("\n".join(_issues.summary_lines())),
            mo.ui.altair_chart(dataset_issues_chart(_issues)),
            mo.ui.table(_issues.summary, selection=None),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
