"""The state of the queue for the report and notebooks: size, throughput, time to label, open items by tier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..results import json_safe
from .ingest import LINEAGE_TABLE
from .table import PENDING, QUEUE_TABLE, read_queue


@dataclass(frozen=True)
class QueueStatus:
    """Queue health. ``to_frame()`` is keyed by ``item_id`` (the stored entries); ``weekly`` by ``week``."""

    entries: pd.DataFrame
    weekly: pd.DataFrame
    by_tier: pd.DataFrame
    kpis: dict

    def to_frame(self) -> pd.DataFrame:
        return self.entries.copy()

    def to_dict(self) -> dict:
        return json_safe({"kpis": self.kpis, "weekly": self.weekly, "by_tier": self.by_tier})

    def summary_lines(self) -> list[str]:
        k = self.kpis
        med = k["median_hours_to_label"]
        lines = [
            f"{k['entries']} queue entries in {k['batches']} batch(es): {k['open']} open or exported, "
            f"{k['done']} done, {k['skipped']} skipped",
            "median time to label: " + (f"{med:.1f} h" if med is not None else "no entry labeled yet"),
        ]
        if len(self.by_tier):
            lines.append(
                "open by tier: " + ", ".join(f"{r.tier} {r.open}" for r in self.by_tier.itertuples(index=False))
            )
        return lines


def queue_status(store) -> QueueStatus | None:
    """Queue size, items labeled back per ISO week, median hours from queueing to label, open by tier.

    None when the store has no queue table.
    """
    if not store.has(QUEUE_TABLE):
        return None
    q = read_queue(store)
    q["created_at"] = pd.to_datetime(q["created_at"])
    labeled = pd.DataFrame(columns=["queue_id", "item_id", "first_label"])
    if store.has(LINEAGE_TABLE):
        lin = store.con.table(LINEAGE_TABLE).select("queue_id", "item_id", "created_at").execute()
        lin = lin.dropna(subset=["queue_id"])
        labeled = lin.groupby(["queue_id", "item_id"], as_index=False)["created_at"].min()
        labeled = labeled.rename(columns={"created_at": "first_label"})
    q = q.merge(labeled, on=["queue_id", "item_id"], how="left")
    q["hours_to_label"] = (pd.to_datetime(q["first_label"]) - q["created_at"]).dt.total_seconds() / 3600.0
    done = q[q["status"] == "done"]
    weeks = pd.to_datetime(done["first_label"].fillna(done["updated_at"]))
    iso = weeks.dt.isocalendar()
    week = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2) if len(done) else pd.Series([])
    weekly = (
        pd.DataFrame({"week": week.to_numpy(), "hours": done["hours_to_label"].to_numpy()})
        .groupby("week", as_index=False)
        .agg(labeled=("hours", "size"), median_hours_to_label=("hours", "median"))
        if len(done)
        else pd.DataFrame(columns=["week", "labeled", "median_hours_to_label"])
    )
    pending = q[q["status"].isin(PENDING)]
    by_tier = pending.groupby("tier", as_index=False).size().rename(columns={"size": "open"})
    med = done["hours_to_label"].dropna()
    kpis = {
        "entries": len(q),
        "batches": int(q["queue_id"].nunique()),
        "open": len(pending),
        "done": len(done),
        "skipped": int((q["status"] == "skipped").sum()),
        "gold": int(q["is_gold"].sum()),
        "median_hours_to_label": float(np.median(med)) if len(med) else None,
    }
    cols = ["item_id", "queue_id", "rank", "priority", "tier", "status", "is_gold", "created_at", "hours_to_label"]
    return QueueStatus(entries=q[cols], weekly=weekly, by_tier=by_tier, kpis=kpis)
