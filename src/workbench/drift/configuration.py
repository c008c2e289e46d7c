"""The ``[drift]`` table of the configuration, and the kind (numeric, categorical, text) of each feature."""

from __future__ import annotations

from ..config import load_config
from ..inputs.items import column_kinds, configured_kinds
from ..store import Store

DEFAULT_DRIFT_SHARE = 0.5
REFERENCE_WEEKS = 2


def drift_config() -> dict:
    """The ``[drift]`` table of the configuration (empty when absent)."""
    return dict(load_config().get("drift", {}))


def infer_kinds(store: Store, columns: list[str] | None = None, *, config: dict | None = None) -> dict[str, str]:
    """Kind of each feature: the workbench's one rule (:mod:`workbench.inputs.items`, Evidently's).

    ``config`` (a whole configuration, default ``workbench.toml``) supplies the
    per-column overrides.
    """
    overrides = configured_kinds()
    if config is not None:
        overrides.update(configured_kinds({"drift": config}))
    return column_kinds(store, columns, overrides=overrides)
