"""The queue table in the store, ``wb_queue``: one row per queue entry, with its status.

Columns: ``queue_id, created_at, item_id, rank, priority, reasons`` (JSON text: the signals and their
values), ``tier`` (expert or generalist), ``status`` (open, exported, done, skipped), ``guideline_version``
(the guidelines in force when the entry was made), ``is_gold`` (a gold item injected for calibration),
``updated_at``. Entries that are open or exported are *pending*: a new batch never repeats them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from ..errors import BadInputError

QUEUE_TABLE = "wb_queue"
STATUSES = ("open", "exported", "done", "skipped")
PENDING = ("open", "exported")
TABLE_COLUMNS = (
    "queue_id",
    "created_at",
    "item_id",
    "rank",
    "priority",
    "reasons",
    "tier",
    "status",
    "guideline_version",
    "is_gold",
    "updated_at",
)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def read_queue(store, *, status: str | tuple[str, ...] | None = None) -> pd.DataFrame:
    """The stored queue entries (all batches), optionally only those with ``status``; empty without a table."""
    if not store.has(QUEUE_TABLE):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    t = store.con.table(QUEUE_TABLE)
    if status is not None:
        wanted = (status,) if isinstance(status, str) else tuple(status)
        t = t.filter(t.status.isin(list(wanted)))
    return t.execute()


def pending_items(store) -> set[str]:
    """Items with an open or exported entry."""
    return set(read_queue(store, status=PENDING)["item_id"].astype(str))


def append_entries(store, rows: pd.DataFrame) -> None:
    """Add a batch's entries; an item already pending is refused (call inside ``store.transaction()``)."""
    clash = sorted(set(rows["item_id"]) & pending_items(store))
    if clash:
        raise BadInputError(
            f"{QUEUE_TABLE}: {len(clash)} item(s) already have an open or exported queue entry "
            f"(e.g. {', '.join(map(repr, clash[:5]))}); a new batch never repeats pending entries."
        )
    store.write_table(QUEUE_TABLE, rows[list(TABLE_COLUMNS)])


def set_status(store, keys: pd.DataFrame, status: str) -> int:
    """Set ``status`` on the entries matching ``keys`` (``queue_id, item_id``); returns how many changed.

    Call inside ``store.transaction()``.
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}: {status!r}")
    if not store.has(QUEUE_TABLE) or keys.empty:
        return 0
    table = read_queue(store)
    key = table["queue_id"].astype(str) + "\x00" + table["item_id"].astype(str)
    wanted = set(keys["queue_id"].astype(str) + "\x00" + keys["item_id"].astype(str))
    hit = key.isin(wanted) & (table["status"] != status)
    if not hit.any():
        return 0
    table.loc[hit, "status"] = status
    table.loc[hit, "updated_at"] = utc_now()
    store.replace_table(QUEUE_TABLE, table[list(TABLE_COLUMNS)])
    return int(hit.sum())
