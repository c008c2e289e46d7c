import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Weekly data health")


@app.cell
def _():
    import marimo as mo

    from workbench.loaders.page import app_mode, attempt, store_label
    from workbench.loaders.report import format_kpi, load_weekly_health, report_choices

    read_only = app_mode()  # under `marimo run`: nothing is written, to the store or to disk

    return attempt, format_kpi, load_weekly_health, mo, report_choices, store_label


@app.cell
def _(mo, store_label):
    mo.md(
        f"""
        # Weekly data health

        The weekly standup's report, live: the verdict and the actions first, then each area.
        It reads the store `{store_label()}` (set `WORKBENCH_STORE` to read another), the same
        figures as `workbench report`.
        """
    )
    return


@app.cell
def _(attempt, mo, report_choices):
    choices, choices_error = attempt(report_choices)
    week_menu = mo.ui.dropdown(
        options=choices.weeks if choices else [], value=choices.default if choices else None, label="ISO week"
    )
    week_typed = mo.ui.text(placeholder="or type YYYY-Www", label="")
    mo.callout(choices_error, kind="danger") if choices_error else mo.hstack([week_menu, week_typed], justify="start")
    return week_menu, week_typed


@app.cell
def _(attempt, load_weekly_health, mo, week_menu, week_typed):
    chosen = week_typed.value.strip() or week_menu.value
    report, report_error = attempt(load_weekly_health, chosen) if chosen else (None, None)
    mo.stop(report_error is not None, mo.callout(report_error or "", kind="danger"))
    mo.stop(report is None, mo.md("No week to show yet: the store has no dated annotations."))
    return (report,)


@app.cell
def _(mo, report):
    v = report.verdict
    status_lines = [
        f"- **{s['area']}**: {s['status'].upper()} — {s['reason']}" for s in v.statuses
    ] or ["- every area is fine"]
    action_lines = [f"{i}. {a['text']}" for i, a in enumerate(v.actions, 1)] or ["Nothing to act on."]
    mo.vstack(
        [
            mo.md(f"## This week: {report.week}"),
            mo.callout(report.note, kind="warn") if report.note else mo.md(""),
            mo.md("\n".join(status_lines)),
            mo.md("### Actions\n" + "\n".join(action_lines)),
            mo.hstack(
                [
                    mo.stat(
                        value=t.value,
                        label=t.label,
                        caption="no earlier week recorded" if t.not_recorded else f"{t.delta} vs {t.previous_week}",
                        direction=None if not t.trend else ("increase" if t.delta.startswith("+") else "decrease"),
                    )
                    for t in v.tiles
                ],
                justify="start",
                wrap=True,
            ),
        ]
    )
    return


@app.cell
def _(mo, report):
    import pandas as pd

    costs = pd.DataFrame(report.verdict.costs)
    mo.vstack(
        [
            mo.md("### What the likely errors cost where they sit (estimate)"),
            mo.ui.table(costs, selection=None) if len(costs) else mo.md("No likely errors to cost."),
        ]
    )
    return


@app.cell
def _(format_kpi, mo, report):
    blocks = []
    for section, result, error in report.rendered:
        if error is not None:
            blocks.append(mo.vstack([mo.md(f"## {section.title}"), mo.callout(error, kind="danger")]))
            continue
        tiles = [mo.stat(value=format_kpi(k, v), label=k.replace("_", " ")) for k, v in result.kpis.items()]
        parts = [mo.md(f"## {section.title}"), mo.hstack(tiles, justify="start", wrap=True)]
        parts.append(mo.md("\n".join(f"- {line}" for line in result.summary)))
        parts += [mo.ui.altair_chart(chart) for chart in result.charts[:3]]
        parts += [mo.md(f"*{note}*") for note in result.notes]
        blocks.append(mo.vstack(parts))
    mo.vstack(blocks)
    return


if __name__ == "__main__":
    app.run()
