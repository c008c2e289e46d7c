"""The weekly data-health report: one self-contained HTML page per ISO week.

Each capability contributes a *section*: a module in :mod:`workbench.sections`
that defines ``SECTION = Section(key, title, order, build)``. Sections are
discovered at run time, so a capability adds its section by adding a module,
without touching the others or this file.

The page renders offline: the Vega, Vega-Lite and vega-embed scripts that the
Altair charts need are inlined once (from the ``vl-convert-python`` package,
which bundles them), and no asset is loaded from the network. The tables
behind the charts are written beside the page as CSV, and the headline
numbers as ``report.json``.

Why our own code here: Altair saves one chart per page, and marimo's HTML
export loads its front end from a CDN; a weekly report with many sections
that opens offline needs its own page.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .config import load_config
from .inputs.weeks import Week, check_week_in_data, choose_week
from .outputs import atomic_folder, write_csv, write_json, write_text
from .results import json_safe
from .store import Store

STATUSES = ("green", "amber", "red")


@dataclass(frozen=True)
class Action:
    """Something to do this week, linked to its evidence (``#section-<key>`` or a file of the week folder)."""

    text: str
    evidence: str = ""
    severity: int = 1  # 3 urgent, 2 soon, 1 worth doing: the order of the list


@dataclass(frozen=True)
class Cost:
    """Likely label errors where they sit, by the rule of thumb 1x at annotation time, 10x in training data,
    100x once shipped."""

    where: str
    items: int
    multiplier: float


@dataclass
class SectionResult:
    """What a section puts in the report.

    ``tables`` are all written as CSV (``<section>_<name>.csv``); those named
    in ``show`` are also displayed as HTML tables. ``status`` (green, amber,
    red) with ``status_reason``, ``actions``, ``headline`` KPIs (key -> the
    better direction, ``up`` or ``down``), their weekly ``history`` (key ->
    {week: value}, for weeks the store has no recorded row of) and ``costs``
    feed the "This week" block at the top, which knows no capability by name.
    """

    summary: list[str] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    charts: list[alt.TopLevelMixin] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    show: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str | None = None
    status_reason: str = ""
    actions: list[Action] = field(default_factory=list)
    headline: dict[str, str] = field(default_factory=dict)
    history: dict[str, dict[str, float]] = field(default_factory=dict)
    costs: list[Cost] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A report section: ``build(store, week)`` returns its content, or ``None`` when it does not apply."""

    key: str
    title: str
    order: int
    build: Callable[[Store, Week], SectionResult | None]


@dataclass(frozen=True)
class ReportResult:
    week: str
    path: Path
    files: list[Path]
    sections: list[str]
    errors: dict[str, str]
    skipped: list[str]
    note: str = ""  # what the week choice has to say (a passed-over or unfinished week)


def discover_sections() -> list[Section]:
    """Every ``SECTION`` defined by a module of :mod:`workbench.sections`, in ``order``."""
    from . import sections as pkg

    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        section = getattr(module, "SECTION", None)
        if isinstance(section, Section):
            found.append(section)
    return sorted(found, key=lambda s: (s.order, s.key))


@dataclass
class WeeklyReport:
    """A week's report, computed but not written: what the page, ``report.json`` and the notebook show.

    ``rendered`` holds ``(section, result, error)`` per section in order, ``specs`` the sections' charts as
    Vega-Lite specifications (made while the section was built, so a chart that cannot be drawn lands in its
    section's error box), ``tables`` every table by its CSV name.
    """

    week: Week
    note: str
    rendered: list
    specs: dict[str, list[dict]]
    errors: dict[str, str]
    skipped: list[str]
    tables: dict[str, pd.DataFrame]
    verdict: Any

    def kpis(self) -> dict[str, dict]:
        return {s.key: r.kpis for s, r, _ in self.rendered if r}


def compute_report(
    store: Store,
    *,
    week: Week | str | None = None,
    sections: list[Section] | None = None,
    strict: bool = False,
) -> WeeklyReport:
    """Build every section for ``week`` (default: the default week) and the "This week" block."""
    from .kpis import load_kpis
    from .verdict import build_verdict

    if isinstance(week, str):
        week = Week.parse(week)
    check_week_in_data(store, week)
    choice = choose_week(store, week)
    week = choice.week
    sections = discover_sections() if sections is None else sections
    rendered: list[tuple[Section, SectionResult | None, str | None]] = []
    specs: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    skipped: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    for section in sections:
        try:
            result = section.build(store, week)
            if result is not None:
                specs[section.key] = [chart.to_dict() for chart in result.charts]
        except Exception as exc:
            if strict:
                raise
            errors[section.key] = f"{type(exc).__name__}: {exc}"
            rendered.append((section, None, errors[section.key]))
            continue
        if result is None:
            skipped.append(section.key)
            continue
        for name, frame in result.tables.items():
            tables[f"{section.key}_{name}.csv"] = frame
        rendered.append((section, result, None))
    cfg = load_config().get("report", {})
    verdict = build_verdict(
        rendered,
        week=str(week),
        stored=load_kpis(store),
        fmt=_fmt_kpi,
        unit_cost=float(cfg.get("unit_cost", 1.0)),
        cost_unit=str(cfg.get("cost_unit", "units")),
    )
    return WeeklyReport(week, choice.note, rendered, specs, errors, skipped, tables, verdict)


def build_report(
    store: Store,
    *,
    week: Week | str | None = None,
    out: str | Path = "reports",
    sections: list[Section] | None = None,
    strict: bool = False,
    record: bool = True,
) -> ReportResult:
    """Write ``out/<week>/index.html`` and the CSV tables behind it.

    The page opens with "This week" (:mod:`workbench.verdict`). With
    ``record`` (and a store opened for writing) the week's KPIs are stored in
    ``wb_kpi_history``, replacing an earlier run of the same week; a read-only
    store is left as it is.

    A section that fails (in its build or its charts) is shown as an error box
    and listed in ``ReportResult.errors`` (``strict=True`` raises instead), so
    one broken capability does not hide the others.
    """
    from .kpis import record_kpis

    report = compute_report(store, week=week, sections=sections, strict=strict)
    week = report.week
    final = Path(out) / str(week)
    page = _render(report, store=store)
    summary = {
        "week": str(week),
        "week_note": report.note,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": store.display_target,
        "sections": {
            s.key: {"title": s.title, "kpis": r.kpis, "summary": r.summary} for s, r, _ in report.rendered if r
        },
        "errors": report.errors,
        "skipped": report.skipped,
        "this_week": report.verdict.to_dict(),
    }
    # The week folder is written under a temporary name and renamed into place: a reader (or a report
    # killed part way) finds the previous complete folder or the new one, never a mix.
    with atomic_folder(final) as folder:
        for name, frame in report.tables.items():
            write_csv(frame, folder / name)
        write_text(folder / "index.html", page)
        write_json(summary, folder / "report.json")
    index = final / "index.html"
    files = [index, final / "report.json", *(final / name for name in report.tables)]
    if record:
        try:
            record_kpis(store, str(week), report.kpis())
        except Exception as exc:  # a read-only store (a notebook, an app): the report stands without history
            if "read-only" not in str(exc).lower() and "read only" not in str(exc).lower():
                raise
    return ReportResult(
        week=str(week),
        path=index,
        files=files,
        sections=[s.key for s, r, _ in report.rendered if r],
        errors=report.errors,
        skipped=report.skipped,
        note=report.note,
    )


def _vega_bundle() -> str:
    import vl_convert as vlc

    return vlc.javascript_bundle()


def _script_json(obj) -> str:
    """JSON safe to embed inside a <script> element."""
    return json.dumps(json_safe(obj)).replace("</", "<\\/")


def _fmt_kpi(key: str, value) -> str:
    """A tile's value; shares and percentages (0 to 1) read as percentages."""
    is_share = key.endswith("_share") or key.startswith("percent_")
    if is_share and isinstance(value, float) and 0.0 <= value <= 1.0:
        return f"{value:.1%}" if 0.0 < value < 1.0 else f"{value:.0%}"
    return _fmt(value)


def _fmt(value) -> str:
    if isinstance(value, bool | np.bool_):  # before int: a bool is an int
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _table_html(frame: pd.DataFrame, *, max_rows: int = 25) -> str:
    """A table as HTML: verdicts as yes/no and shares as percentages, as on the tiles (the CSV keeps raw values)."""
    shown = frame.head(max_rows).copy()
    for col in shown.columns:
        values = shown[col]
        if values.dtype == bool:
            shown[col] = values.map({True: "yes", False: "no"})
        elif (str(col).endswith("_share") or str(col).startswith("percent_")) and pd.api.types.is_float_dtype(values):
            if values.dropna().between(0.0, 1.0).all():
                shown[col] = [_fmt_kpi(str(col), float(v)) if pd.notna(v) else None for v in values]
    out = shown.to_html(index=False, classes="tbl", border=0, float_format=lambda v: f"{v:.3g}", na_rep="—")
    if len(frame) > max_rows:
        out += f"<p class='note'>First {max_rows} of {len(frame):,} rows; all rows are in the CSV.</p>"
    return out


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#1f3a5f;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85;font-size:13px}
.week-note{background:#fff3cd;border-bottom:1px solid #d39e00;margin:0;padding:8px 32px;font-size:14px}
nav{padding:8px 32px;background:#e9eef5;font-size:14px} nav a{margin-right:16px;color:#1f3a5f}
main{padding:8px 32px 48px;max-width:1200px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:8px;padding:16px 24px;margin:18px 0}
h2{margin-top:4px;font-size:19px}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 12px}
.kpi{border:1px solid #dde3ea;border-radius:6px;padding:8px 12px;min-width:120px}
.kpi b{display:block;font-size:20px} .kpi span{font-size:12px;color:#555}
.chart{margin:12px 0}
.tbl{border-collapse:collapse;font-size:13px;margin:8px 0}
.tbl th,.tbl td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
.tbl th{background:#f3f5f8} .tbl td:first-child,.tbl th:first-child{text-align:left}
.note{font-size:12px;color:#666} .error{background:#fdecea;border-color:#f5c2bd}
.verdict{border-width:2px} .verdict.red{border-color:#e45756} .verdict.amber{border-color:#d39e00}
.verdict.green{border-color:#54a24b}
.statuses{list-style:none;padding:0} .statuses li{margin:4px 0}
.chip{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;background:#888}
.status.red .chip{background:#c0392b} .status.amber .chip{background:#b7791f} .status.green .chip{background:#2f855a}
.actions li{margin:4px 0} .delta{display:block;font-size:11px;font-style:normal;color:#555}
.delta.better{color:#2f855a} .delta.worse{color:#c0392b} .spark{display:block;margin-top:2px}
@media print{nav{display:none} body{background:#fff} section{break-inside:avoid;border-color:#999}
 header{background:#fff;color:#000;border-bottom:2px solid #000} a{color:#000;text-decoration:none}}
"""


def _template():
    """The page template, with autoescaping: every value from the data is escaped unless marked safe."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("workbench", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def render_page(report: WeeklyReport, *, store: Store, title: str | None = None) -> str:
    """The self-contained HTML page of a computed report (weekly, or the quarterly audit's)."""
    return _render(report, store=store, title=title)


def _render(report: WeeklyReport, *, store: Store, title: str | None = None) -> str:
    from markupsafe import Markup

    from ._version import package_version

    charts: list[tuple[str, dict]] = []
    sections = []
    week = report.week
    for section, result, error in report.rendered:
        entry = {"id": f"section-{section.key}", "key": section.key, "title": section.title, "error": error}
        if error is None:
            chart_ids = []
            for spec in report.specs.get(section.key, []):
                cid = f"chart-{len(charts)}"
                charts.append((cid, spec))
                chart_ids.append(cid)
            entry |= {
                "kpis": [(k.replace("_", " "), _fmt_kpi(k, v)) for k, v in result.kpis.items()],
                "summary": list(result.summary),
                "charts": chart_ids,
                # pandas escapes the cells (to_html's default), so the table itself is safe markup
                "tables_shown": [
                    (n.replace("_", " "), Markup(_table_html(result.tables[n])))
                    for n in result.show
                    if n in result.tables
                ],
                "csv_files": [f"{section.key}_{n}.csv" for n in result.tables],
                "notes": list(result.notes),
            }
        sections.append(entry)
    embeds = "\n".join(
        f"vegaEmbed('#{cid}', {_script_json(spec)}, {{actions: false, renderer: 'svg'}}).catch(console.error);"
        for cid, spec in charts
    )
    return _template().render(
        title=title or f"Data health report — week {week}",
        week=str(week),
        week_start=f"{week.start:%Y-%m-%d}",
        week_end=f"{week.end:%Y-%m-%d}",
        store=store.display_target,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=package_version(),
        css=Markup(_CSS),
        vega_bundle=Markup(_vega_bundle()),
        embeds=Markup(embeds),
        sections=sections,
        note=report.note,
        verdict=report.verdict,
        spark=Markup,
        files=sorted(report.tables),
    )
