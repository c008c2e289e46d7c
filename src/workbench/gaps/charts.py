"""Charts of a :class:`~workbench.gaps.GapAnalysis`: functions of the result, a few hundred marks at most."""

from __future__ import annotations

import pandas as pd


def gaps_chart(result, *, top: int = 15):
    """Severity of the top candidate gaps, coloured by kind, significant ones solid."""
    import altair as alt

    g = result.gaps.head(top)
    if g.empty:
        g = pd.DataFrame({"label": [], "severity": [], "kind": [], "significant": []})
    else:
        g = g.assign(label=[f"{r.rank}. {r.kind}: {r.section_id or '-'} {r.classes or ''}" for r in g.itertuples()])
        g = g[["label", "severity", "kind", "significant", "lift", "p_adjusted", "n_items"]]
    return (
        alt.Chart(g, title="Guideline gaps by severity")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None),
            x=alt.X("severity:Q", scale=alt.Scale(domain=[0, 1])),
            color="kind:N",
            opacity=alt.condition("datum.significant", alt.value(1.0), alt.value(0.35)),
            tooltip=list(g.columns),
        )
        .properties(width=420)
    )


def slices_chart(slices: pd.DataFrame, *, top: int = 25):
    """Failure rate against the base rate of the ``top`` slices by p-value."""
    import altair as alt

    s = slices.head(top).assign(label=lambda d: d["dimension"] + ": " + d["value"])
    s = s[["label", "mode", "failure_rate", "base_rate", "lift", "n_items", "p_adjusted"]]
    bars = (
        alt.Chart(s, title="Slices: failure rate (tick: base rate)")
        .mark_bar()
        .encode(y=alt.Y("label:N", sort=None, title=None), x=alt.X("failure_rate:Q", title="failure rate"),
                color="mode:N", tooltip=list(s.columns))
    )
    ticks = alt.Chart(s).mark_tick(color="black", thickness=2).encode(y=alt.Y("label:N", sort=None), x="base_rate:Q")
    return (bars + ticks).properties(width=420)
