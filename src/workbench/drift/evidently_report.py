"""Evidently itself: its HTML report on a bounded random sample, and its preset as the reference implementation.

:func:`evidently_report_html` renders Evidently's own report on a bounded
random sample, for people; :func:`evidently_drift_table` runs Evidently's
preset on frames and serves as the reference implementation in tests and
benchmarks. Evidently is imported only inside them (``import evidently`` takes
seconds).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..store import Store
from .configuration import DEFAULT_DRIFT_SHARE, infer_kinds
from .methods import CATEGORICAL, METHODS, NUMERIC, TEXT
from .windows import Window, _check_window, _resolve_windows

HTML_SAMPLE = 2000


def _sample(table: ir.Table, n: int, size: int, seed: int) -> pd.DataFrame:
    if n <= size:
        frame = table.execute()
    else:
        # A seeded random sample: rank rows by a hash of their id and the seed, keep the first `size`.
        key = (table.item_id.cast("string") + ibis.literal(f"#{seed}")).hash()
        frame = table.mutate(__k=key).order_by("__k").limit(size).drop("__k").execute()
    return frame.sort_values("item_id").reset_index(drop=True) if "item_id" in frame else frame


def evidently_report_html(
    store: Store,
    *,
    reference: Window | str | None = None,
    current: Window | str | None = None,
    columns: list[str] | None = None,
    sample_size: int = HTML_SAMPLE,
    seed: int = 0,
) -> str:
    """Evidently's own drift report, on a random sample of at most ``sample_size`` rows per window.

    The page says so at the top: its numbers are the sample's, the
    workbench's own figures (``drift.json``) use every row.
    """
    reference, current = _resolve_windows(store, reference, current)
    items = store.data("items")
    kinds = infer_kinds(store, columns)
    n_ref = _check_window(store, items, reference, "--reference")
    n_cur = _check_window(store, items, current, "--current")
    cols = ["item_id", *kinds]
    ref = _sample(reference.apply(items).select(*cols), n_ref, sample_size, seed)
    cur = _sample(current.apply(items).select(*cols), n_cur, sample_size, seed + 1)
    html, _ = _run_evidently(ref[list(kinds)], cur[list(kinds)], kinds, html=True)
    banner = (
        "<div style='background:#fff3cd;border:1px solid #d39e00;padding:8px 12px;margin:8px;"
        "font-family:system-ui,sans-serif'><b>Evidently report on a random sample</b>: "
        f"{len(ref):,} of {n_ref:,} reference rows ({reference}) and {len(cur):,} of {n_cur:,} current rows "
        f"({current}), seed {seed}. Its statistics are the sample's; the workbench's drift.json uses every row.</div>"
    )
    if "<body>" in html:
        return html.replace("<body>", "<body>" + banner, 1)
    return banner + html


def _run_evidently(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: dict[str, str],
    *,
    html: bool = False,
    drift_share: float = DEFAULT_DRIFT_SHARE,
):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(
        numerical_columns=[c for c, k in kinds.items() if k == NUMERIC],
        categorical_columns=[c for c, k in kinds.items() if k == CATEGORICAL],
        text_columns=[c for c, k in kinds.items() if k == TEXT],
    )
    ref = Dataset.from_pandas(reference, data_definition=definition)
    cur = Dataset.from_pandas(current, data_definition=definition)
    snapshot = Report([DataDriftPreset(drift_share=drift_share)], include_tests=True).run(cur, ref)
    return (snapshot.get_html_str(as_iframe=False) if html else None), snapshot


def evidently_drift_table(
    reference: pd.DataFrame, current: pd.DataFrame, kinds: dict[str, str], *, drift_share: float = DEFAULT_DRIFT_SHARE
) -> tuple[pd.DataFrame, dict]:
    """Evidently's ``DataDriftPreset`` on two frames: a row per column (method, statistic, threshold, drifted).

    The reference implementation for :func:`compute_drift`; it holds both
    frames in memory, so use it on samples or in tests.
    """
    _, snapshot = _run_evidently(reference, current, kinds, drift_share=drift_share)
    d = snapshot.dict()
    by_display = {m.display_name: m.name for m in METHODS.values()}
    rows = {}
    dataset = {}
    for m in d["metrics"]:
        cfg = m["config"]
        if cfg.get("type", "").endswith("ValueDrift"):
            rows[cfg["column"]] = {
                "column": cfg["column"],
                "method": by_display.get(cfg.get("method"), cfg.get("method")),
                "statistic": float(m["value"]),
                "threshold": float(cfg["threshold"]),
            }
        elif cfg.get("type", "").endswith("DriftedColumnsCount"):
            dataset = {"n_drifted": int(m["value"]["count"]), "drifted_share": float(m["value"]["share"])}
    for t in d.get("tests", []):
        name = t.get("name", "")
        if name.startswith("Value Drift for column "):
            col = name[len("Value Drift for column ") :]
            if col in rows:
                rows[col]["drifted"] = t["status"] == "FAIL"
        elif name.startswith("Share of Drifted Columns"):
            dataset["dataset_drift"] = t["status"] == "FAIL"
    return pd.DataFrame(list(rows.values())), dataset
