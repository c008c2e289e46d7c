"""The data contract: what a dataset folder holds and how it is validated.

A dataset is a folder with, at its top level, one file per table named
``<table>.parquet`` or ``<table>.csv``:

``items`` (required)
    ``item_id`` (unique). Reserved optional columns ``split``, ``source``,
    ``source_model``, ``created_at``. Columns prefixed ``meta_`` are metadata;
    every other column is a feature.
``annotations`` (required)
    ``item_id``, ``annotator_id``, ``label``; optional ``created_at``,
    ``guideline_version``, ``duration_s``. One row per label given.
``gold`` (optional)
    ``item_id``, ``label``: known-correct labels.
``predictions`` (optional)
    ``item_id``, optional ``model_version`` and one ``proba_<label>`` column per
    class with out-of-sample predicted probabilities.
``guidelines.md`` (optional)
    The annotation guidelines, stored verbatim. A file in the versioned format
    (:mod:`workbench.guidelines`) is parsed with the annotations' classes, and the
    annotations' ``guideline_version`` values must be versions it lists; a plain
    Markdown file is accepted as it is.

Labels are strings everywhere (``1`` and ``"1"`` are the same label);
timestamps without a zone are UTC and are stored as naive UTC.

:func:`read_dataset` reads and validates a folder and reports *every*
violation at once in a :class:`~workbench.errors.ContractError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ContractError, Violation
from .timestamps import parse_timestamps

TABLES = ("items", "annotations", "gold", "predictions")
REQUIRED_TABLES = ("items", "annotations")
SUPPORTED_SUFFIXES = (".parquet", ".csv")
REQUIRED_COLUMNS = {
    "items": ("item_id",),
    "annotations": ("item_id", "annotator_id", "label"),
    "gold": ("item_id", "label"),
    "predictions": ("item_id",),
}
ITEM_RESERVED = ("item_id", "split", "source", "source_model", "created_at")
ANNOTATION_OPTIONAL = ("created_at", "guideline_version", "duration_s")
STRING_COLUMNS = {
    "items": ("item_id", "split", "source", "source_model"),
    "annotations": ("item_id", "annotator_id", "label", "guideline_version"),
    "gold": ("item_id", "label"),
    "predictions": ("item_id", "model_version"),
}
TIMESTAMP_COLUMNS = {"items": ("created_at",), "annotations": ("created_at",)}
# Lineage columns the store adds to every row; users may not supply them.
LINEAGE_COLUMNS = ("wb_source_file", "wb_ingested_at", "wb_row_hash")
PROBA_PREFIX = "proba_"
META_PREFIX = "meta_"
SUM_TOLERANCE = 1e-3
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Dataset:
    """A validated dataset folder, tables normalised to the contract's types."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    files: dict[str, Path]
    classes: tuple[str, ...]
    guidelines: str | None = None
    guidelines_file: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


def feature_columns(columns) -> list[str]:
    """Feature columns of an ``items`` table: not reserved, not ``meta_``, not lineage."""
    return [c for c in columns if c not in ITEM_RESERVED and not c.startswith(META_PREFIX) and c not in LINEAGE_COLUMNS]


def proba_columns(columns) -> dict[str, str]:
    """Map class label -> ``proba_<label>`` column name."""
    return {c[len(PROBA_PREFIX) :]: c for c in columns if c.startswith(PROBA_PREFIX)}


def label_to_str(values: pd.Series) -> pd.Series:
    """Labels and ids as strings: ``1``, ``1.0`` and ``"1"`` all become ``"1"``."""
    if pd.api.types.is_float_dtype(values):
        nonnull = values.dropna()
        if len(nonnull) and np.all(np.mod(nonnull, 1) == 0):
            out = values.astype("Int64").astype("string")
            return out.astype(object).where(values.notna(), None)
    if pd.api.types.is_bool_dtype(values):
        return values.map(lambda v: None if pd.isna(v) else str(v).lower()).astype(object)
    out = values.astype("string").str.strip()
    return out.astype(object).where(out.notna(), None)


def _examples(frame: pd.DataFrame, mask, *, file: str, column: str | None = None) -> tuple[str, ...]:
    """A few example locations: ``line N`` for CSV (header is line 1), ``row N`` for Parquet."""
    idx = np.flatnonzero(np.asarray(mask))[:MAX_EXAMPLES]
    csv = file.endswith(".csv")
    out = []
    for i in idx:
        where = f"line {i + 2}" if csv else f"row {i + 1}"
        if column is not None and column in frame.columns:
            out.append(f"{where}: {column}={frame.iloc[i][column]!r}")
        else:
            out.append(where)
    return tuple(out)


def _find_files(folder: Path, violations: list[Violation]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    by_table: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        stem = path.stem
        if stem in TABLES:
            by_table.setdefault(stem, []).append(path)
    for table, paths in by_table.items():
        supported = [p for p in paths if p.suffix.lower() in SUPPORTED_SUFFIXES]
        for p in paths:
            if p.suffix.lower() not in SUPPORTED_SUFFIXES:
                violations.append(
                    Violation(
                        p.name,
                        None,
                        f"unsupported file type '{p.suffix}' for table '{table}'",
                        hint=f"Save it as {table}.parquet or {table}.csv",
                    )
                )
        if len(supported) > 1:
            violations.append(
                Violation(
                    ", ".join(p.name for p in supported),
                    None,
                    f"table '{table}' is given by more than one file",
                    hint="Keep exactly one of them",
                )
            )
        elif supported:
            files[table] = supported[0]
    for table in REQUIRED_TABLES:
        if table not in by_table:
            violations.append(
                Violation(
                    f"{table}.parquet|{table}.csv",
                    None,
                    f"required table '{table}' is missing from {folder}",
                    hint=f"Add {table}.csv or {table}.parquet at the folder's top level",
                )
            )
    return files


def _read(path: Path, table: str, violations: list[Violation]) -> pd.DataFrame | None:
    try:
        if path.suffix.lower() == ".csv":
            dtype = {c: "string" for c in STRING_COLUMNS[table]}
            return pd.read_csv(path, dtype=dtype, keep_default_na=True)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:  # pyarrow and the CSV parser raise many types
        violations.append(
            Violation(path.name, None, f"cannot be read ({type(exc).__name__}: {exc})", hint="Check the file")
        )
        return None


def _normalise(frame: pd.DataFrame, table: str, file: str, violations: list[Violation]) -> pd.DataFrame:
    """Cast to contract types; record violations instead of raising."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:
        if col in LINEAGE_COLUMNS:
            violations.append(
                Violation(file, col, "is a column name the store reserves for lineage", hint="Rename the column")
            )
    for col in STRING_COLUMNS[table]:
        if col in frame.columns:
            frame[col] = label_to_str(frame[col])
    for col in TIMESTAMP_COLUMNS.get(table, ()):
        if col not in frame.columns:
            continue
        # One documented parser (workbench.timestamps): ISO 8601 with an offset or Z, or naive as UTC;
        # zone abbreviations, day/month orders, relative words and years outside 1970-2100 are bad input.
        parsed, problems = parse_timestamps(frame[col], file=file, column=col)
        violations.extend(problems)
        frame[col] = parsed
    if table == "annotations" and "duration_s" in frame.columns:
        dur = pd.to_numeric(frame["duration_s"], errors="coerce")
        bad = ((frame["duration_s"].notna() & dur.isna()) | (dur < 0)).to_numpy()
        if bad.any():
            violations.append(
                Violation(
                    file,
                    "duration_s",
                    f"{int(bad.sum())} value(s) are not non-negative numbers of seconds",
                    _examples(frame, bad, file=file, column="duration_s"),
                )
            )
        frame["duration_s"] = dur.astype(float)
    if table == "predictions":
        for col in proba_columns(frame.columns).values():
            num = pd.to_numeric(frame[col], errors="coerce")
            bad = (frame[col].notna() & num.isna()).to_numpy()
            if bad.any():
                violations.append(
                    Violation(
                        file,
                        col,
                        f"{int(bad.sum())} value(s) are not numbers",
                        _examples(frame, bad, file=file, column=col),
                    )
                )
            frame[col] = num.astype(float)
    return _typed_empty_columns(frame, table, csv=file.lower().endswith(".csv"))


def _typed_empty_columns(frame: pd.DataFrame, table: str, *, csv: bool) -> pd.DataFrame:
    """Give a column that holds no value at all the type its role in the contract gives it.

    Without this, an optional column present but empty in every row (``source_model``
    on human items, ``guideline_version`` before versions were used) reaches the store
    with no type and the load fails. Reserved text columns become text, ``created_at``
    a timestamp, ``duration_s`` and ``proba_*`` floats; any other all-empty column
    (a feature or ``meta_`` column nobody filled) becomes text, the type that can hold
    whatever is filled in later, unless a Parquet file declares its type.
    """
    for col in frame.columns:
        s = frame[col]
        if len(s) == 0 or s.notna().any():
            continue
        if col in TIMESTAMP_COLUMNS.get(table, ()):
            frame[col] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        elif col == "duration_s" or col.startswith(PROBA_PREFIX):
            frame[col] = pd.Series(np.nan, index=frame.index, dtype="float64")
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s) or csv:
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def _check_table(frame: pd.DataFrame, table: str, file: str, violations: list[Violation]) -> bool:
    """Required columns, emptiness and nulls. Returns False when the table is unusable."""
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in frame.columns]
    for col in missing:
        violations.append(
            Violation(
                file,
                col,
                "required column is missing",
                hint=f"'{table}' needs the columns {', '.join(REQUIRED_COLUMNS[table])}; "
                f"found {', '.join(map(str, frame.columns)) or 'none'}",
            )
        )
    if len(frame) == 0:
        violations.append(Violation(file, None, "table is empty (no data rows)", hint="Add rows or remove the file"))
        return False
    if missing:
        return False
    for col in REQUIRED_COLUMNS[table]:
        bad = frame[col].isna().to_numpy()
        if bad.any():
            violations.append(
                Violation(file, col, f"{int(bad.sum())} row(s) have no value", _examples(frame, bad, file=file))
            )
    return True


def _check_unknown_items(frame, file, item_ids: set, violations) -> None:
    bad = ~frame["item_id"].isin(item_ids).to_numpy() & frame["item_id"].notna().to_numpy()
    if bad.any():
        violations.append(
            Violation(
                file,
                "item_id",
                f"{int(bad.sum())} row(s) refer to items that are not in the items table",
                _examples(frame, bad, file=file, column="item_id"),
                hint="Add those items to the items table or drop the rows",
            )
        )


def _check_duplicates(frame, file, keys: list[str], violations, what: str) -> None:
    keys = [k for k in keys if k in frame.columns]
    dup = frame.duplicated(subset=keys, keep=False).to_numpy() & frame[keys[0]].notna().to_numpy()
    if dup.any():
        violations.append(
            Violation(
                file,
                keys[0] if len(keys) == 1 else "+".join(keys),
                f"{int(dup.sum())} row(s) share a duplicated {what}",
                _examples(frame, dup, file=file, column=keys[0]),
                hint=f"Each {what} must appear once",
            )
        )


def _check_predictions(frame, file, classes: tuple[str, ...], violations) -> None:
    probas = proba_columns(frame.columns)
    if not probas:
        violations.append(
            Violation(
                file,
                None,
                "has no probability columns",
                hint="Add one column per class named proba_<label>, e.g. "
                + ", ".join(f"proba_{c}" for c in classes[:3]),
            )
        )
        return
    unknown = [c for c in probas if c not in classes]
    if unknown:
        violations.append(
            Violation(
                file,
                probas[unknown[0]],
                f"probability columns for labels that are not known classes: {', '.join(unknown)}",
                hint=f"Known classes (from the annotations): {', '.join(classes)}",
            )
        )
    absent = [c for c in classes if c not in probas]
    if absent:
        violations.append(
            Violation(
                file,
                None,
                f"no probability column for class(es) {', '.join(absent)}",
                hint="Add proba_<label> for every class in the annotations",
            )
        )
    values = frame[list(probas.values())].to_numpy(dtype=float)
    nan = np.isnan(values).any(axis=1)
    if nan.any():
        violations.append(
            Violation(
                file,
                "proba_*",
                f"{int(nan.sum())} row(s) have missing (NaN) probabilities",
                _examples(frame, nan, file=file, column="item_id"),
            )
        )
    neg = (values < 0).any(axis=1)
    if neg.any():
        violations.append(
            Violation(
                file,
                "proba_*",
                f"{int(neg.sum())} row(s) have negative probabilities",
                _examples(frame, neg, file=file, column="item_id"),
            )
        )
    sums = np.nansum(values, axis=1)
    off = ~nan & (np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.any():
        first = int(np.flatnonzero(off)[0])
        violations.append(
            Violation(
                file,
                "proba_*",
                f"{int(off.sum())} row(s) have probabilities that do not sum to 1 (within {SUM_TOLERANCE:g}); "
                f"the first sums to {sums[first]:.4f}",
                _examples(frame, off, file=file, column="item_id"),
                hint="Normalise each row so its probabilities sum to 1",
            )
        )


def _check_guidelines(
    text: str,
    file: str,
    classes: tuple[str, ...],
    versions,
    violations: list[Violation],
    *,
    annotations_file: str = "annotations",
) -> None:
    """Parse a versioned ``guidelines.md`` and check the annotations' ``guideline_version`` values against it.

    A plain file (no dated versions list and no section ids) is accepted as it is.
    """
    from .errors import BadInputError
    from .guidelines import GuidelinesError, check_versions, parse_guidelines

    try:
        parsed = parse_guidelines(text, classes=classes or None, source=file)
    except GuidelinesError as exc:
        for line, message in exc.problems:
            violations.append(
                Violation(file, None, f"line {line}: {message}", hint="Fix the guidelines; nothing was stored")
            )
        return
    versioned = bool(parsed.sections) or any(v.date is not None for v in parsed.versions)
    if not versioned or versions is None or not len(versions):
        return
    try:
        check_versions(parsed, [str(v) for v in versions])
    except BadInputError as exc:
        violations.append(Violation(annotations_file, "guideline_version", str(exc)))


def read_dataset(folder: str | Path) -> Dataset:
    """Read and validate a dataset folder.

    Raises
    ------
    ContractError
        With every violation found (file, column, examples), when the folder
        breaks the contract. Nothing is written anywhere.
    """
    folder = Path(folder)
    violations: list[Violation] = []
    if not folder.is_dir():
        raise ContractError(
            [
                Violation(
                    str(folder),
                    None,
                    "is not a folder",
                    hint="Pass a folder holding items.csv|parquet and annotations.csv|parquet",
                )
            ],
            folder=str(folder),
        )
    files = _find_files(folder, violations)
    tables: dict[str, pd.DataFrame] = {}
    usable: dict[str, bool] = {}
    for table, path in files.items():
        raw = _read(path, table, violations)
        if raw is None:
            usable[table] = False
            continue
        frame = _normalise(raw, table, path.name, violations)
        usable[table] = _check_table(frame, table, path.name, violations)
        tables[table] = frame

    classes: tuple[str, ...] = ()
    if usable.get("annotations"):
        classes = tuple(sorted(tables["annotations"]["label"].dropna().unique()))
    if usable.get("items"):
        items = tables["items"]
        _check_duplicates(items, files["items"].name, ["item_id"], violations, "item_id")
        item_ids = set(items["item_id"].dropna())
        for table in ("annotations", "gold", "predictions"):
            if usable.get(table):
                _check_unknown_items(tables[table], files[table].name, item_ids, violations)
    if usable.get("gold"):
        gold = tables["gold"]
        _check_duplicates(gold, files["gold"].name, ["item_id"], violations, "gold item_id")
        if classes:
            bad = (~gold["label"].isin(classes) & gold["label"].notna()).to_numpy()
            if bad.any():
                violations.append(
                    Violation(
                        files["gold"].name,
                        "label",
                        f"{int(bad.sum())} gold label(s) are not known classes",
                        _examples(gold, bad, file=files["gold"].name, column="label"),
                        hint=f"Known classes (from the annotations): {', '.join(classes)}",
                    )
                )
    if usable.get("predictions") and classes:
        preds = tables["predictions"]
        keys = ["item_id", "model_version"] if "model_version" in preds.columns else ["item_id"]
        _check_duplicates(preds, files["predictions"].name, keys, violations, "prediction per item and model_version")
        _check_predictions(preds, files["predictions"].name, classes, violations)

    guidelines = None
    gpath = folder / "guidelines.md"
    if gpath.is_file():
        try:
            guidelines = gpath.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            violations.append(Violation(gpath.name, None, "is not UTF-8 text", hint="Save it as UTF-8"))
        else:
            versions = None
            if usable.get("annotations") and "guideline_version" in tables["annotations"].columns:
                versions = tables["annotations"]["guideline_version"].dropna().unique()
            afile = files["annotations"].name if "annotations" in files else "annotations"
            _check_guidelines(guidelines, gpath.name, classes, versions, violations, annotations_file=afile)
    if violations:
        raise ContractError(violations, folder=str(folder))
    return Dataset(
        folder=folder,
        tables=tables,
        files=files,
        classes=classes,
        guidelines=guidelines,
        guidelines_file=gpath if guidelines is not None else None,
    )


def check_dataset(folder: str | Path) -> list[Violation]:
    """Every contract violation of ``folder`` (an empty list when it is valid)."""
    try:
        read_dataset(folder)
    except ContractError as exc:
        return exc.violations
    return []
