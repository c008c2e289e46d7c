import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Annotators")


@app.cell
def _():
    import marimo as mo

    from workbench.annotators import METHOD_CHOICES, per_class_chart
    from workbench.loaders.annotators import load_annotators
    from workbench.loaders.page import app_mode, attempt, store_label

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return METHOD_CHOICES, attempt, load_annotators, mo, per_class_chart, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Annotators: agreement, consensus and quality

        How much annotators agree, which consensus label each item gets, and which annotators
        fall below calibration, decline, rush (speeders) or over-use a class. It reads the store
        `{store_label()}` (set `WORKBENCH_STORE` to read another); `workbench demo` fills a store with
        the demo dataset.
        """
    )
    return


@app.cell
def _(METHOD_CHOICES, mo):
    method = mo.ui.dropdown(options=list(METHOD_CHOICES), value="auto", label="Consensus method")
    mo.hstack([method], justify="start")
    return (method,)


@app.cell
def _(attempt, load_annotators, method, mo):
    view, view_error = attempt(load_annotators, method=method.value)
    mo.stop(view_error is not None, mo.callout(view_error or "", kind="danger"))
    return (view,)


@app.cell
def _(mo, view):
    o = view.agreement.overall
    consensus = view.report.consensus
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(
                        value=f"{o['percent_agreement']:.1%}",
                        label="percent agreement",
                        caption="annotator pairs that agree",
                    ),
                    mo.stat(
                        value=f"{o['krippendorff_alpha']:.3f}", label="Krippendorff's alpha", caption="chance-corrected"
                    ),
                    mo.stat(value=f"{o['gwet_ac1']:.3f}", label="Gwet's AC1", caption="robust to class imbalance"),
                    mo.stat(
                        value=f"{o['items']:,}",
                        label="items with 2+ annotations",
                        caption=f"{o['single_annotation_items']:,} single, excluded",
                    ),
                    mo.stat(value=str(len(view.report.flagged())), label="flagged annotators"),
                ],
                justify="start",
            ),
            mo.md(f"**Consensus: `{consensus.method}`** — {consensus.reason}."),
            mo.md("\n".join(f"- {n}" for n in (*view.agreement.notes, *view.report.notes))),
        ]
    )
    return


@app.cell
def _(mo, per_class_chart, view):
    mo.vstack(
        [
            mo.md("## Agreement over time and per class"),
            mo.ui.altair_chart(view.agreement.trend_chart()),
            mo.ui.altair_chart(per_class_chart(view.agreement)),
        ]
    )
    return


@app.cell
def _(mo, view):
    mo.vstack(
        [
            mo.md(
                "## Annotators\nSort by any column; flagged annotators come first, with the rule that fired "
                "(gold, decline, speeder, label mix). `gold_status` says whether the gold interval settles."
            ),
            mo.md("\n".join(f"- {line}" for line in view.report.summary_lines()[1:])),
            mo.ui.table(view.report.annotators, selection=None, page_size=20),
            mo.ui.altair_chart(view.report.quality_chart()),
            mo.ui.altair_chart(view.report.drift_chart()),
        ]
    )
    return


@app.cell
def _(mo, view):
    who = mo.ui.dropdown(
        options=sorted(view.report.annotators["annotator_id"]),
        value=view.default_annotator,
        label="Drill into annotator",
    )
    mo.hstack([who], justify="start")
    return (who,)


@app.cell
def _(mo, view, who):
    mo.vstack(
        [
            mo.md(f"## {who.value} against the consensus"),
            mo.ui.altair_chart(view.report.confusion_chart(who.value)),
            mo.md(f"Items where {who.value} disagrees with the consensus (most confident consensus first):"),
            mo.ui.table(view.report.disagreements(who.value), selection=None, page_size=15),
        ]
    )
    return


@app.cell
def _(mo, view):
    mo.ui.tabs(
        {
            "Per week": mo.ui.table(view.agreement.per_week, selection=None),
            "Per guideline version": mo.ui.table(view.agreement.per_version, selection=None),
            "Annotator pairs (Cohen's kappa)": mo.ui.table(view.agreement.pairwise, selection=None),
            "Drift per week": mo.ui.table(view.report.drift, selection=None),
        }
    )
    return


if __name__ == "__main__":
    app.run()
