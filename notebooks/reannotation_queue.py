import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Re-annotation queue")


@app.cell
def _():
    import marimo as mo

    from workbench.loaders.page import app_mode, store_label
    from workbench.loaders.queue import export_batch, load_signals, preview_queue
    from workbench.queue import DEFAULT_WEIGHTS, SIGNALS

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk
    return DEFAULT_WEIGHTS, SIGNALS, app_mode, export_batch, load_signals, mo, preview_queue, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Re-annotation queue

        Which items humans should label next, and why. Move the weights and the budget: the preview and
        its reasons follow. It reads the store `{store_label()}` (set `WORKBENCH_STORE` to read another).
        """
    )
    return


@app.cell
def _(load_signals):
    signals = load_signals()
    return (signals,)


@app.cell
def _(DEFAULT_WEIGHTS, SIGNALS, mo, signals):
    weights = mo.ui.dictionary(
        {
            name: mo.ui.slider(0.0, 2.0, step=0.05, value=DEFAULT_WEIGHTS.get(name, 0.0), label=name, show_value=True)
            for name in SIGNALS
            if name in signals.frames
        }
    )
    budget = mo.ui.number(start=1, stop=5000, value=100, label="budget")
    skipped = "\n".join(f"- **{n}**: {why}" for n, why in signals.skipped.items())
    mo.vstack([mo.hstack([weights, budget], justify="start"), mo.md("Signals not available:\n\n" + skipped)])
    return budget, weights


@app.cell
def _(budget, mo, preview_queue, signals, weights):
    chosen = {n: float(w) for n, w in weights.value.items()}
    if any(chosen.values()):
        batch = preview_queue(signals, budget=int(budget.value), weights=chosen)
        preview = mo.vstack(
            [
                mo.md("\n".join(f"- {line}" for line in batch.summary_lines())),
                mo.ui.table(batch.to_frame(), page_size=15),
            ]
        )
    else:
        batch = None
        preview = mo.callout(mo.md("Every weight is 0: give a signal a weight to build a queue."), kind="warn")
    preview
    return (batch,)


@app.cell
def _(batch, mo):
    mo.stop(batch is None)
    mo.hstack(
        [
            mo.vstack([mo.md(f"**by {by}**"), mo.ui.table(batch.mix(by), selection=None)])
            for by in ("class", "tier", "signal")
        ],
        justify="start",
    )
    return


@app.cell
def _(app_mode, mo):
    editing = not app_mode()
    fmt = mo.ui.dropdown(options=["csv", "jsonl", "labelstudio", "argilla"], value="csv", label="format")
    path = mo.ui.text(value="queue.csv", label="file")
    export = mo.ui.run_button(label="Export and store this batch")
    (
        mo.hstack([fmt, path, export], justify="start")
        if editing
        else mo.md("_Export is available when the notebook is edited (`marimo edit`), not in app mode._")
    )
    return editing, export, fmt, path


@app.cell
def _(batch, editing, export, export_batch, fmt, mo, path):
    mo.stop(not editing or not export.value or batch is None)
    written = export_batch(batch, path.value, fmt=fmt.value)
    mo.md("Wrote " + ", ".join(f"`{p}`" for p in written) + f"; queue `{batch.queue_id}` is stored as exported.")
    return


if __name__ == "__main__":
    app.run()
