import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Error analysis")


@app.cell
def _():
    import marimo as mo

    from workbench.gaps.charts import gaps_chart, slices_chart
    from workbench.loaders.gaps import explore_slices, gap_items, load_gaps
    from workbench.loaders.page import app_mode, store_label

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return explore_slices, gap_items, gaps_chart, load_gaps, mo, slices_chart, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Error analysis: gaps in the guidelines

        Where do model failures and annotator disagreement cluster, and which guideline section is behind
        them? Failures are annotator splits, label issues (Cleanlab) and model errors on eval for labeled
        items, and low-confidence predictions in production. Slices with a Benjamini-Hochberg-adjusted
        p-value below `[gaps] alpha` become **gaps**: *ambiguous*, *stale*, *uncovered* or
        *underrepresented*. It reads the store `{store_label()}` (set `WORKBENCH_STORE` to read another).
        """
    )
    return


@app.cell
def _(load_gaps, mo):
    view = load_gaps()
    result = view.result
    mo.stop(result is None, mo.callout(mo.md(f"**The analysis could not run.** {view.error}"), kind="danger"))
    return result, view


@app.cell
def _(mo, result):
    c = result.counts
    mo.vstack(
        [
            mo.hstack(
                [
                    mo.stat(value=f"{c['significant_gaps']}", label="significant gaps",
                            caption=f"of {c['candidate_gaps']} candidates"),
                    mo.stat(value=f"{c['labeled_failed']:,}", label="failing labeled items",
                            caption=f"of {c['labeled_items']:,}"),
                    mo.stat(value=f"{c['production_failed']:,}", label="low-confidence predictions",
                            caption=f"of {c['production_items']:,} in production"),
                ],
                justify="start",
            ),
            mo.md("\n".join(f"- {line}" for line in result.summary_lines())),
        ]
    )
    return


@app.cell
def _(mo, result):
    show_all = mo.ui.checkbox(label="Show every candidate gap, not only significant ones")
    show_all
    return (show_all,)


@app.cell
def _(gaps_chart, mo, result, show_all):
    gaps = result.to_frame(all=show_all.value)
    gap_table = mo.ui.table(gaps, selection="single", page_size=10, label="Ranked gaps: select one for its evidence")
    mo.vstack([mo.md("## Ranked gaps"), mo.ui.altair_chart(gaps_chart(result)), gap_table])
    return (gap_table,)


@app.cell
def _(gap_items, gap_table, mo, result, view):
    _sel = gap_table.value
    if len(_sel) == 0:
        _panel = mo.md("*Select a gap to see its evidence, its guideline section and example items.*")
    else:
        _row = result.gaps[result.gaps["rank"] == int(_sel["rank"].iloc[0])].iloc[0]
        _text = result.section_text(_row["section_id"]) or "*No section: this gap is not covered by the guidelines.*"
        _ids = list(_row["example_item_ids"])
        _panel = mo.vstack(
            [
                mo.md(f"### {_row['rank']}. {_row['kind']}: {_row['suggested_action']}"),
                mo.hstack(
                    [
                        mo.vstack([mo.md("**Evidence**"), mo.json(dict(_row["evidence"]) | {
                            "n_items": int(_row["n_items"]), "n_failed": int(_row["n_failed"]),
                            "failure_rate": float(_row["failure_rate"]), "base_rate": float(_row["base_rate"]),
                            "lift": float(_row["lift"]), "p_adjusted": float(_row["p_adjusted"]),
                            "severity": float(_row["severity"])})]),
                        mo.vstack([mo.md("**Guideline section**"), mo.md(_text)]),
                    ],
                    widths=[1, 1],
                ),
                mo.md("**Example items** (their text and every label given)"),
                mo.ui.table(gap_items(view.store, _ids), selection=None) if _ids else mo.md("*none*"),
            ]
        )
    _panel
    return


@app.cell
def _(mo, result):
    dims = mo.ui.multiselect(options=sorted(result.slices["dimension"].unique()), label="Dimensions")
    mode = mo.ui.dropdown(options=["labeled", "production"], value="labeled", label="Failures of")
    min_items = mo.ui.number(start=1, stop=100000, value=20, label="Smallest slice")
    mo.vstack([mo.md("## Slice explorer"), mo.hstack([dims, mode, min_items], justify="start", gap=2)])
    return dims, min_items, mode


@app.cell
def _(dims, explore_slices, min_items, mo, mode, result, slices_chart):
    _s = explore_slices(result, dimensions=dims.value, mode=mode.value, min_items=int(min_items.value))
    mo.vstack(
        [
            mo.ui.altair_chart(slices_chart(_s.assign(mode=mode.value))),
            mo.ui.table(_s, selection=None, page_size=15,
                        format_mapping={"failure_rate": "{:.1%}", "base_rate": "{:.1%}", "lift": "{:.2f}"}),
        ]
    )
    return


@app.cell
def _(mo, result):
    _h = result.hygiene
    _parts = [mo.md("## Hygiene checks")]
    if "leakage" in _h:
        _parts.append(mo.md(f"- train/eval leakage: {_h['leakage']['train_eval_pairs']} near-duplicate pair(s), "
                            f"{_h['leakage']['same_annotator_same_label_pairs']} labeled alike by the same annotator"))
    if "synthetic_in_eval" in _h:
        _parts.append(mo.md(f"- synthetic items in eval: {_h['synthetic_in_eval']['items']}"))
    if "synthetic_diversity" in _h:
        _parts.append(mo.ui.table(_h["synthetic_diversity"], selection=None))
    mo.vstack(_parts)
    return


if __name__ == "__main__":
    app.run()
