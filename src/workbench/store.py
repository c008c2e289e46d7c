"""The store: one dataset in an ibis backend (an embedded DuckDB file by default).

The contract's tables keep their names (``items``, ``annotations``, ``gold``,
``predictions``); the workbench's own tables are prefixed ``wb_``. Every stored
row carries lineage: ``wb_source_file``, ``wb_ingested_at`` and ``wb_row_hash``
(a hash of the row's content, which makes ingestion idempotent).

Why our own code here: ibis gives one expression language over DuckDB, Spark
and warehouses, but nothing for idempotent, all-or-nothing loads or for
waiting on a file lock held by another process; this module adds those.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from .config import load_config
from .contract import LINEAGE_COLUMNS, Dataset, read_dataset
from .errors import BadInputError, ContractError, StoreBusyError, Violation, WorkbenchError
from .safety import redact_url

CONTRACT_TABLES = ("items", "annotations", "gold", "predictions")
# Natural keys: a stored row with the same key but other content is a conflict.
KEYS = {"items": ("item_id",), "gold": ("item_id",), "predictions": ("item_id", "model_version")}
INGESTIONS = "wb_ingestions"
GUIDELINES = "wb_guidelines"
_TRANSACTIONAL = {"duckdb", "postgres", "sqlite"}


def resolve_target(target: str | os.PathLike | None = None) -> str:
    """The store to use: explicit value, then ``WORKBENCH_STORE``, then config, then the default."""
    if target:
        return str(target)
    env = os.environ.get("WORKBENCH_STORE")
    if env:
        return env
    return str(load_config()["store"]["url"])


def _is_url(target: str) -> bool:
    return "://" in target


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text or "held" in text)


def content_hash(frame: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each row's content, independent of column order.

    The value is pandas' ``hash_pandas_object`` of the row's cells as text (each
    cell ``astype("string")``, missing as ``"\\x00null"``), columns in sorted order,
    as 16 hex digits. Computed column by column with the same per-cell hashes and
    combination, but faster: numbers that repeat are formatted and hashed once per
    distinct value, timestamps whole to the second are formatted by numpy, mostly
    distinct columns skip pandas' factorisation, and the hex digits are vectorised
    (``_content_hash_reference`` is the plain form; tests hold them equal).
    """
    from pandas.core.util.hashing import combine_hash_arrays

    cols = sorted(frame.columns)
    if not cols:
        return _content_hash_reference(frame)
    hashes = (_column_hash(frame[c]) for c in cols)
    combined = combine_hash_arrays(hashes, len(cols))
    return pd.Series(_hex16(combined), index=frame.index, dtype=object)


def _content_hash_reference(frame: pd.DataFrame) -> pd.Series:
    cols = sorted(frame.columns)
    canon = frame[cols].astype("string").fillna("\x00null")
    hashed = pd.util.hash_pandas_object(canon, index=False)
    return hashed.map(lambda h: f"{h:016x}").astype(object)


def _column_text(values: pd.Series) -> np.ndarray:
    """The column as ``astype("string")`` text (missing as ``"\\x00null"``), an object array."""
    if values.dtype == "datetime64[ns]" and len(values) > 0:
        ns = values.to_numpy().view("i8")
        missing = ns == np.iinfo(np.int64).min
        present = ns[~missing]
        if len(present) and (present % 1_000_000_000 == 0).all():
            day = 86_400 * 1_000_000_000
            unit = "D" if (present % day == 0).all() else "s"  # pandas prints dates only when all are midnight
            text = np.datetime_as_string(values.to_numpy().astype(f"datetime64[{unit}]"), unit=unit)
            text = np.char.replace(text, "T", " ").astype(object)
            text[missing] = "\x00null"
            probe = np.unique(np.r_[np.flatnonzero(~missing)[:50], np.flatnonzero(~missing)[-50:]])
            expected = values.iloc[probe].astype("string").to_numpy(dtype=object)
            if (text[probe] == expected).all():  # the format is pandas' for this column
                return text
    return values.astype("string").fillna("\x00null").to_numpy(dtype=object)


def _column_hash(values: pd.Series) -> np.ndarray:
    if values.dtype in (np.float64, np.int64) and len(values) > 1_000:
        # Text and hash each distinct value once: distinct by bit pattern (so -0.0 and 0.0 stay apart).
        bits = values.to_numpy().view(np.int64)
        distinct, inverse = np.unique(bits, return_inverse=True)
        if len(distinct) < 0.5 * len(bits):
            text = pd.Series(distinct.view(values.dtype)).astype("string").fillna("\x00null").to_numpy(dtype=object)
            return pd.util.hash_array(text, categorize=False)[inverse.ravel()]
    text = _column_text(values)
    # pandas factorises before hashing (same values either way); worth it only when values repeat
    sample = text[: min(len(text), 10_000)]
    distinct = len(set(sample)) if len(sample) else 0
    return pd.util.hash_array(text, categorize=distinct < 0.5 * len(sample))


def _hex16(hashed: np.ndarray) -> np.ndarray:
    """Each uint64 as 16 lowercase hex digits (``f"{h:016x}"``), vectorised."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    octets = np.ascontiguousarray(hashed, dtype=">u8").view(np.uint8).reshape(-1, 8)
    out = np.empty((len(hashed), 16), dtype=np.uint8)
    out[:, 0::2] = digits[octets >> 4]
    out[:, 1::2] = digits[octets & 15]
    return out.view("S16").ravel().astype("U16").astype(object)


@dataclass(frozen=True)
class IngestResult:
    """What one ingestion added, per table."""

    folder: str
    added: dict[str, int]
    skipped_duplicates: dict[str, int]
    guidelines_added: bool
    ingested_at: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StoreInfo:
    """Counts, classes, annotators and date range of a store."""

    store: str
    counts: dict[str, int]
    classes: list[str]
    n_annotators: int
    annotators: list[str]
    first_annotation: str | None
    last_annotation: str | None
    first_item: str | None
    last_item: str | None
    guideline_versions: list[str] = field(default_factory=list)
    ingestions: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class Store:
    """A connection to one dataset's store.

    Open it with :meth:`Store.open` and use it as a context manager so the
    connection (and, for DuckDB, the file lock) is released promptly.
    """

    def __init__(self, con, *, target: str) -> None:
        self.con = con
        self.target = target

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(
        cls,
        target: str | os.PathLike | None = None,
        *,
        read_only: bool = False,
        lock_timeout_s: float | None = None,
    ) -> Store:
        """Connect, waiting (bounded) while another process holds the store.

        ``target`` is a path to a DuckDB file or any ibis connection URL.
        Read-only opening of a store that does not exist is an error.
        """
        target = resolve_target(target)
        if not read_only and os.environ.get("WORKBENCH_READ_ONLY") == "1":
            raise BadInputError(
                f"This page runs as a read-only app, so it does not open the store {redact_url(target)} for "
                "writing. Use the command line or `marimo edit` to change it."
            )
        if lock_timeout_s is None:
            env = os.environ.get("WORKBENCH_LOCK_TIMEOUT")
            lock_timeout_s = float(env) if env else float(load_config()["store"]["lock_timeout_s"])
        if not _is_url(target):
            path = Path(target)
            if read_only and not path.exists():
                raise BadInputError(
                    f"Store {path} does not exist. Load data first with `workbench ingest DIR` "
                    "or `workbench demo`, or point --store / WORKBENCH_STORE at an existing store."
                )
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + lock_timeout_s
        delay = 0.05
        while True:
            try:
                if _is_url(target):
                    con = ibis.connect(target)
                else:
                    con = ibis.duckdb.connect(str(target), read_only=read_only)
                return cls(con, target=target)
            except Exception as exc:
                if not _is_lock_error(exc):
                    if isinstance(exc, WorkbenchError):
                        raise
                    raise BadInputError(
                        f"Cannot open store {redact_url(target)}: {redact_url(str(exc))}"
                    ) from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"Store {redact_url(target)} is held by another process and stayed busy for "
                        f"{lock_timeout_s:g} s. Try again when that process finishes, or raise "
                        "WORKBENCH_LOCK_TIMEOUT / [store] lock_timeout_s."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @property
    def display_target(self) -> str:
        """The store's path or URL with any password or token redacted: what messages, logs and reports show."""
        return redact_url(self.target)

    @property
    def path(self) -> Path | None:
        """The DuckDB file of a file store; None for a store reached by URL or held in memory."""
        if _is_url(self.target) or getattr(self.con, "name", None) != "duckdb":
            return None
        path = Path(self.target)
        return path if path.is_file() else None

    def close(self) -> None:
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading -------------------------------------------------------------
    @property
    def backend(self) -> str:
        return self.con.name

    def tables(self) -> list[str]:
        return list(self.con.list_tables())

    def has(self, name: str) -> bool:
        return name in self.tables()

    def table(self, name: str) -> ibis.Table:
        """An ibis table of the store; a clear error when it is absent."""
        if not self.has(name):
            raise BadInputError(
                f"Store {self.display_target} has no table '{name}'. "
                + ("Ingest a dataset first (`workbench ingest DIR`)." if name in CONTRACT_TABLES else "")
            )
        return self.con.table(name)

    def data(self, name: str, *, as_of=None, lineage: bool = False) -> ibis.Table:
        """A contract table without the lineage columns (kept with ``lineage=True``).

        ``as_of`` (a naive UTC datetime or ISO text) shows the table as the
        store knew it then: only rows ingested at or before that instant.
        """
        t = self.table(name)
        if as_of is not None and "wb_ingested_at" in t.columns:
            t = t.filter(t.wb_ingested_at <= ibis.literal(_as_of(as_of)))
        if lineage:
            return t
        return t.drop(*[c for c in LINEAGE_COLUMNS if c in t.columns])

    def guidelines(self) -> str | None:
        """The latest ingested guidelines text, if any."""
        if not self.has(GUIDELINES):
            return None
        t = self.con.table(GUIDELINES)
        latest = t.order_by(ibis.desc("wb_ingested_at")).limit(1).execute()
        return None if latest.empty else str(latest["content"].iloc[0])

    def info(self) -> StoreInfo:
        counts = {name: int(self.table(name).count().execute()) for name in CONTRACT_TABLES if self.has(name)}
        classes: list[str] = []
        annotators: list[str] = []
        first_a = last_a = first_i = last_i = None
        versions: list[str] = []
        if self.has("annotations"):
            ann = self.table("annotations")
            classes = (
                sorted(ann.select("label").distinct().execute()["label"].tolist()) if counts["annotations"] else []
            )
            annotators = sorted(ann.select("annotator_id").distinct().execute()["annotator_id"].tolist())
            if "created_at" in ann.columns:
                r = ann.aggregate(lo=ann.created_at.min(), hi=ann.created_at.max()).execute()
                first_a, last_a = _iso(r["lo"].iloc[0]), _iso(r["hi"].iloc[0])
            if "guideline_version" in ann.columns:
                versions = sorted(
                    v
                    for v in ann.select("guideline_version").distinct().execute()["guideline_version"]
                    if v is not None
                )
        if self.has("items") and "created_at" in self.table("items").columns:
            it = self.table("items")
            r = it.aggregate(lo=it.created_at.min(), hi=it.created_at.max()).execute()
            first_i, last_i = _iso(r["lo"].iloc[0]), _iso(r["hi"].iloc[0])
        n_ing = int(self.con.table(INGESTIONS).count().execute()) if self.has(INGESTIONS) else 0
        return StoreInfo(
            store=self.display_target,
            counts=counts,
            classes=classes,
            n_annotators=len(annotators),
            annotators=annotators,
            first_annotation=first_a,
            last_annotation=last_a,
            first_item=first_i,
            last_item=last_i,
            guideline_versions=versions,
            ingestions=n_ing,
        )

    # -- writing -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing writes on backends with SQL transactions (DuckDB, Postgres, SQLite)."""
        if self.backend not in _TRANSACTIONAL:
            yield
            return
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.raw_sql("ROLLBACK")
            raise
        else:
            self.con.raw_sql("COMMIT")

    def write_table(self, name: str, frame: pd.DataFrame, *, replace_where: dict | None = None) -> None:
        """Write one of the workbench's own ``wb_`` tables (append, or replace matching rows)."""
        if not name.startswith("wb_"):
            raise ValueError(f"workbench tables are prefixed wb_: {name}")
        if not self.has(name):
            self.con.create_table(name, ibis.memtable(frame))
            return
        if replace_where:
            t = self.con.table(name)
            cond = ibis.literal(True)
            for k, v in replace_where.items():
                cond &= t[k] == v
            kept = t.filter(~cond).execute()
            frame = pd.concat([kept, frame], ignore_index=True)
            self.con.create_table(name, ibis.memtable(frame), overwrite=True)
            return
        self.con.insert(name, ibis.memtable(frame))

    def replace_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace one of the workbench's own ``wb_`` tables with ``frame`` (e.g. after a status change)."""
        if not name.startswith("wb_"):
            raise ValueError(f"workbench tables are prefixed wb_: {name}")
        self.con.create_table(name, ibis.memtable(frame), overwrite=True)

    def append_rows(self, name: str, frame: pd.DataFrame, *, source_file: str) -> int:
        """Append rows to a contract table with lineage, skipping rows whose content is stored; returns rows added.

        The rows get ``wb_row_hash`` (their content), ``wb_source_file`` and ``wb_ingested_at`` as in
        :meth:`ingest`, and the stored table's columns and types (absent optional columns become null).
        Columns the stored table lacks are an error. Call it inside :meth:`transaction`.
        """
        if name not in CONTRACT_TABLES:
            raise ValueError(f"append_rows writes contract tables ({', '.join(CONTRACT_TABLES)}): {name}")
        frame = frame.copy()
        frame["wb_row_hash"] = content_hash(frame)
        frame = frame.drop_duplicates("wb_row_hash")
        frame["wb_source_file"] = str(source_file)
        frame["wb_ingested_at"] = datetime.now(UTC).replace(tzinfo=None)
        if not self.has(name):
            self.con.create_table(name, ibis.memtable(frame))
            return len(frame)
        stored = self.con.table(name)
        extra = [c for c in frame.columns if c not in stored.columns]
        if extra:
            raise BadInputError(f"table '{name}' has no column(s) {', '.join(extra)}; the store keeps its columns.")
        incoming = _align(ibis.memtable(frame), stored, name)
        new = incoming.anti_join(stored.select("wb_row_hash"), "wb_row_hash")
        n_new = int(new.count().execute())
        if n_new:
            self.con.insert(name, new)
        return n_new

    def ingest(
        self,
        dataset: Dataset | str | Path,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> IngestResult:
        """Validate and load a dataset folder, idempotently and all-or-nothing.

        Rows whose content is already stored are skipped, so ingesting the same
        files twice adds nothing; new annotation rows append. An item (gold
        label, prediction) whose key is stored with other content is a conflict
        and nothing is written.
        """
        if not isinstance(dataset, Dataset):
            dataset = read_dataset(dataset)
        say = progress or (lambda _msg: None)
        now = datetime.now(UTC).replace(tzinfo=None)
        staged: dict[str, pd.DataFrame] = {}
        skipped: dict[str, int] = {}
        for name, frame in dataset.tables.items():
            frame = frame.copy()
            frame["wb_row_hash"] = content_hash(frame)
            before = len(frame)
            frame = frame.drop_duplicates("wb_row_hash")
            skipped[name] = before - len(frame)
            frame["wb_source_file"] = str(dataset.files[name].resolve())
            frame["wb_ingested_at"] = now
            staged[name] = frame
        self._check_against_store(dataset, staged)

        added: dict[str, int] = {}
        guidelines_added = False
        with self.transaction():
            for name in CONTRACT_TABLES:
                if name not in staged:
                    continue
                say(f"loading {name}")
                frame = staged[name]
                incoming = ibis.memtable(_arrow(frame))
                if not self.has(name):
                    self.con.create_table(name, incoming)
                    added[name] = len(frame)
                    continue
                stored = self.con.table(name)
                incoming = _align(incoming, stored, dataset.files[name].name)
                new = incoming.anti_join(stored.select("wb_row_hash"), "wb_row_hash")
                n_new = int(new.count().execute())
                skipped[name] += len(frame) - n_new
                if n_new:
                    self.con.insert(name, new)
                added[name] = n_new
            if dataset.guidelines is not None:
                digest = content_hash(pd.DataFrame({"content": [dataset.guidelines]})).iloc[0]
                known = self.has(GUIDELINES) and int(
                    self.con.table(GUIDELINES).filter(ibis._.content_hash == digest).count().execute()
                )
                if not known:
                    self.write_table(
                        GUIDELINES,
                        pd.DataFrame(
                            {
                                "content": [dataset.guidelines],
                                "content_hash": [digest],
                                "wb_source_file": [str(dataset.guidelines_file.resolve())],
                                "wb_ingested_at": [now],
                            }
                        ),
                    )
                    guidelines_added = True
            log = pd.DataFrame(
                {
                    "folder": [str(dataset.folder.resolve())],
                    "ingested_at": [now],
                    **{f"added_{t}": [added.get(t, 0)] for t in CONTRACT_TABLES},
                }
            )
            self.write_table(INGESTIONS, log)
        return IngestResult(
            folder=str(dataset.folder),
            added=added,
            skipped_duplicates=skipped,
            guidelines_added=guidelines_added,
            ingested_at=now.isoformat(),
        )

    def _check_against_store(self, dataset: Dataset, staged: dict[str, pd.DataFrame]) -> None:
        """Conflicts with what is stored: changed keyed rows, new columns, unknown classes."""
        violations: list[Violation] = []
        for name, frame in staged.items():
            if not self.has(name):
                continue
            file = dataset.files[name].name
            stored = self.con.table(name)
            extra = [c for c in frame.columns if c not in stored.columns]
            if extra:
                violations.append(
                    Violation(
                        file,
                        extra[0],
                        f"column(s) {', '.join(extra)} are not in the stored table '{name}'",
                        hint="One store holds one dataset with fixed columns; use a new store for a different dataset",
                    )
                )
            keys = [k for k in KEYS.get(name, ()) if k in frame.columns and k in stored.columns]
            if keys and not extra:
                inc = ibis.memtable(frame[keys + ["wb_row_hash"]])
                old = stored.select(*keys, stored_hash=stored.wb_row_hash)
                clash = inc.join(old, keys).filter(ibis._.wb_row_hash != ibis._.stored_hash)
                n = int(clash.count().execute())
                if n:
                    ex = clash.limit(5).execute()
                    violations.append(
                        Violation(
                            file,
                            keys[0],
                            f"{n} row(s) are already stored under the same {'+'.join(keys)} with different content",
                            tuple(f"{keys[0]}={v!r}" for v in ex[keys[0]]),
                            hint="Stored rows are not overwritten; give changed rows new ids or use a new store",
                        )
                    )
        if self.has("annotations") and dataset.classes:
            known = set(self.con.table("annotations").select("label").distinct().execute()["label"]) | set(
                dataset.classes
            )
            for name in ("gold",):
                if name in staged:
                    bad = ~staged[name]["label"].isin(known)
                    if bad.any():
                        violations.append(
                            Violation(
                                dataset.files[name].name,
                                "label",
                                "labels are not known classes",
                                tuple(staged[name]["label"][bad].head(5)),
                            )
                        )
        if violations:
            raise ContractError(violations, folder=str(dataset.folder))


def _arrow(frame: pd.DataFrame):
    """The frame as an Arrow table when Arrow keeps every column's type (DuckDB loads Arrow much faster)."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return frame
    if any(pa.types.is_null(f.type) for f in table.schema):  # an all-missing object column: keep pandas' typing
        return frame
    # DuckDB stores pandas' datetime64[ns] as TIMESTAMP (microseconds); Arrow's ns would become TIMESTAMP_NS
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type) and f.type.unit == "ns" and f.type.tz is None:
            table = table.set_column(i, f.name, table.column(i).cast(pa.timestamp("us"), safe=False))
    return table


def _align(incoming: ibis.Table, stored: ibis.Table, file: str) -> ibis.Table:
    """Put incoming columns in the stored order and types; absent optional columns become null."""
    cols = []
    schema = stored.schema()
    for name, dtype in schema.items():
        if name in incoming.columns:
            col = incoming[name]
            cols.append(col if col.type() == dtype else col.cast(dtype).name(name))
        else:
            cols.append(ibis.null().cast(dtype).name(name))
    return incoming.select(*cols)


def _as_of(value) -> datetime:
    """An ``as_of`` instant as naive UTC."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise BadInputError(f"--as-of {value!r} is not a timestamp; use ISO 8601, e.g. 2026-11-02T09:00:00Z.") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _iso(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).isoformat()
