"""``workbench labels`` (ranked likely label errors) and ``workbench dataset-issues`` (Datalab checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..choices import ConsensusMethod, FilterBy, ProbaSource, RankBy, value
from .options import JsonOption, ModelVersionOption, OutOption, SeedOption

OUT_SUFFIXES = (".csv", ".parquet")


def _check_out(path: Path) -> None:
    from ..errors import BadInputError

    if path.suffix.lower() not in OUT_SUFFIXES:
        raise BadInputError(f"--out {path}: the file name must end in .csv or .parquet (it sets the format).")
    if not path.parent.exists():
        raise BadInputError(f"--out {path}: folder {path.parent} does not exist; create it first.")


def _write(frame, path: Path) -> None:
    """Through the shared writer: a temporary file renamed into place; CSVs are defused for spreadsheets."""
    from ..outputs import write_csv, write_parquet

    if path.suffix.lower() == ".csv":
        write_csv(frame, path)
    else:
        write_parquet(frame, path)


def _beside(path: Path, name: str) -> Path:
    """``<stem>_<name>`` beside ``path``, in its format."""
    return path.with_name(f"{path.stem}_{name}{path.suffix}")


def _read_consensus(path: Path):
    """A consensus file: item_id, consensus_label and an optional method column naming how it was made."""
    import pandas as pd

    from ..errors import BadInputError

    if not path.is_file():
        raise BadInputError(f"--consensus {path}: no such file.")
    suffix = path.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        raise BadInputError(f"--consensus {path}: use a .csv or .parquet file.")
    try:
        if suffix == ".csv":
            from ..safety import restore_cell

            frame = pd.read_csv(path, dtype={"item_id": "string", "consensus_label": "string"})
            # CSVs the workbench writes are defused for spreadsheets ('=x); read back the original values.
            for col in ("item_id", "consensus_label"):
                if col in frame.columns:
                    frame[col] = frame[col].map(restore_cell)
        else:
            frame = pd.read_parquet(path)
    except Exception as exc:  # the readers raise many types
        raise BadInputError(f"--consensus {path}: cannot be read ({type(exc).__name__}: {exc}).") from exc
    method = None
    if "method" in frame.columns and frame["method"].notna().any():
        method = ", ".join(sorted(set(frame["method"].dropna().astype(str))))
    return frame, f"{method or 'consensus'} from {path.name}"


def register(app: typer.Typer) -> None:
    @app.command("labels")
    def labels_command(
        out: Annotated[Path, OutOption("Output file, .csv or .parquet: one row per scored item.")],
        rank_by: Annotated[RankBy, typer.Option("--rank-by", help="Label quality score Cleanlab ranks by.")] = (
            RankBy.normalized_margin
        ),
        filter_by: Annotated[
            FilterBy, typer.Option("--filter-by", help="Cleanlab filter deciding is_label_issue.")
        ] = FilterBy.confident_learning,
        source: Annotated[
            ProbaSource,
            typer.Option(
                "--probabilities",
                help="auto (predictions table if present, else cross-validation), predictions, cross_validation.",
            ),
        ] = ProbaSource.auto,
        model_version: ModelVersionOption = None,
        folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds (without predictions).")] = 5,
        seed: SeedOption = 0,
        consensus_file: Annotated[
            Path | None,
            typer.Option(
                "--consensus",
                help="Optional .csv or .parquet with item_id, consensus_label (and optionally method): "
                "given labels computed elsewhere, instead of majority vote.",
            ),
        ] = None,
        given_by: Annotated[
            ConsensusMethod,
            typer.Option(
                "--given-by",
                help="Consensus giving the label of items with several annotations: mv (majority vote, default), "
                "auto (the annotators command's rule, without CROWDLAB, which would reuse the predictions being "
                "checked), ds (Dawid-Skene), crowdlab. Ignored with --consensus.",
            ),
        ] = ConsensusMethod.mv,
        as_json: JsonOption = False,
    ) -> None:
        """Rank items by how likely their label is wrong (Cleanlab), with class-level label health.

        Writes OUT with item_id, given_label, suggested_label, label_quality
        (0 to 1, lower = more likely wrong), is_label_issue and rank (1 = most
        likely wrong), ordered by rank; beside it OUT_classes (class health)
        and OUT_confused_pairs, in the same format. Items without annotations are skipped
        and counted. On bad input nothing is written (exit status 2).
        """
        from ..labels import compute_label_quality
        from ._common import err, handled, open_store
        from ._common import out as console

        with handled():
            _check_out(out)
            consensus, method = _read_consensus(consensus_file) if consensus_file is not None else (None, None)
            with open_store(read_only=True) as store:
                result = compute_label_quality(
                    store,
                    consensus=consensus,
                    consensus_method=method,
                    given_by=value(given_by),
                    source=value(source),
                    model_version=model_version,
                    folds=folds,
                    rank_by=value(rank_by),
                    filter_by=value(filter_by),
                    seed=seed,
                    slices=as_json,
                    progress=True,
                )
            _write(result.to_frame(), out)
            _write(result.classes, _beside(out, "classes"))
            _write(result.confused_pairs, _beside(out, "confused_pairs"))
        if as_json:
            data = result.to_dict()
            data["out"] = str(out)
            data["class_health_out"] = str(_beside(out, "classes"))
            data["confused_pairs_out"] = str(_beside(out, "confused_pairs"))
            typer.echo(json.dumps(data, indent=1, default=str))
            return
        for line in result.summary_lines():
            console.print(line, highlight=False)
        err.print(
            f"wrote {len(result.issues):,} rows to {out}, class health to {_beside(out, 'classes')} and confused "
            f"pairs to {_beside(out, 'confused_pairs')}",
            highlight=False,
            markup=False,
        )

    @app.command("dataset-issues")
    def dataset_issues_command(
        out: Annotated[
            Path | None, typer.Option("--out", help="Optional .csv or .parquet: per-item issue flags and scores.")
        ] = None,
        max_items: Annotated[
            int, typer.Option("--max-items", help="Above this many items, check a random sample of this size.")
        ] = 100_000,
        seed: SeedOption = 0,
        as_json: JsonOption = False,
    ) -> None:
        """Outliers, near-duplicates, train/eval leakage, class imbalance and null features (Cleanlab Datalab)."""
        from ..dataset_issues import find_dataset_issues
        from ._common import err, handled, open_store
        from ._common import out as console

        with handled():
            if out is not None:
                _check_out(out)
            with open_store(read_only=True) as store, err.status("running Datalab"):
                result = find_dataset_issues(store, max_items=max_items, seed=seed)
            if out is not None:
                _write(result.to_frame(), out)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=1, default=str))
            return
        for line in result.summary_lines():
            console.print(line, highlight=False)
