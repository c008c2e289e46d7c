"""Label Studio and Argilla: import their exports as dataset folders, export queues for them.

Import (``workbench import labelstudio|argilla EXPORT --out DIR``) converts a single-choice classification
export into a folder in the data contract (``items``, ``annotations``, optional ``predictions``, as Parquet)
that ``workbench ingest`` loads, plus ``prelabel.csv`` (pre-label acceptance, not a contract table) and
``import.json`` (what was written and dropped). Export writes queue entries as Label Studio tasks with their
labeling config, or as Argilla records with their dataset settings.
"""

from __future__ import annotations

from ._common import PRELABEL_COLUMNS, PRELABEL_FILE, QUEUE_COLUMNS, SUGGESTION_COLUMNS, ImportResult
from .argilla import (
    ArgillaExport,
    argilla_records,
    argilla_settings,
    export_argilla,
    import_argilla,
    read_argilla_export,
)
from .labelstudio import (
    LabelStudioExport,
    export_labelstudio,
    import_labelstudio,
    labeling_config,
    labelstudio_tasks,
    read_labelstudio_export,
)

#: Import functions by the ``kind`` argument of ``workbench import``.
IMPORTERS = {"labelstudio": import_labelstudio, "argilla": import_argilla}

__all__ = [
    "IMPORTERS",
    "PRELABEL_COLUMNS",
    "PRELABEL_FILE",
    "QUEUE_COLUMNS",
    "SUGGESTION_COLUMNS",
    "ArgillaExport",
    "ImportResult",
    "LabelStudioExport",
    "argilla_records",
    "argilla_settings",
    "export_argilla",
    "export_labelstudio",
    "import_argilla",
    "import_labelstudio",
    "labeling_config",
    "labelstudio_tasks",
    "read_argilla_export",
    "read_labelstudio_export",
]
