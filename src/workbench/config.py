"""Configuration: ``workbench.toml`` or ``[tool.workbench]`` in ``pyproject.toml``.

One table per capability, for example::

    [store]
    url = "data/workbench.duckdb"   # a path or any ibis connection URL
    lock_timeout_s = 30

    [report]
    out = "reports"

Lookup starts in the working directory; ``workbench.toml`` wins over
``pyproject.toml``. Missing files mean defaults.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import BadInputError

DEFAULT_STORE = "data/workbench.duckdb"
DEFAULT_REPORT_DIR = "reports"

DEFAULTS: dict[str, dict[str, Any]] = {
    "store": {"url": DEFAULT_STORE, "lock_timeout_s": 30.0},
    "report": {"out": DEFAULT_REPORT_DIR},
}


def load_config(directory: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Return the merged configuration (defaults overlaid with the file's values)."""
    directory = Path(directory) if directory is not None else Path.cwd()
    raw: dict[str, Any] = {}
    source = None
    wb = directory / "workbench.toml"
    pp = directory / "pyproject.toml"
    try:
        if wb.is_file():
            source = wb
            raw = tomllib.loads(wb.read_text(encoding="utf-8"))
        elif pp.is_file():
            source = pp
            raw = tomllib.loads(pp.read_text(encoding="utf-8")).get("tool", {}).get("workbench", {})
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{source}: not valid TOML ({exc}). Fix the file or remove it.") from exc
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in DEFAULTS.items()}
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise BadInputError(
                f"{source}: '{name}' must be a table such as [{name}], one per capability; got {values!r}."
            )
        merged.setdefault(name, {}).update(values)
    return merged
