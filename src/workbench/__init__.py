"""Label-quality and data-health workbench.

The public API: the data contract and store, the input layer, the demo
dataset, and one entry point per capability (label errors, annotators,
dataset issues, drift, the report). Names are imported on first use (PEP 562),
so ``import workbench`` and ``workbench --help`` stay fast and Cleanlab,
crowd-kit, Evidently and Altair load only when a capability runs.
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it
_EXPORTS = {
    "Agreement": "annotators",
    "compute_agreement": "annotators",
    "AnnotatorReport": "annotators",
    "AnnotatorsOverview": "annotators",
    "Consensus": "annotators",
    "active_learning_scores": "annotators",
    "annotators_overview": "annotators",
    "compute_annotators": "annotators",
    "consensus_labels": "annotators",
    "load_annotators": "loaders.annotators",
    "Dataset": "contract",
    "check_dataset": "contract",
    "read_dataset": "contract",
    "DatasetIssues": "dataset_issues",
    "find_dataset_issues": "dataset_issues",
    "write_demo": "demo",
    "ColumnDrift": "drift",
    "DriftResult": "drift",
    "WeeklyDrift": "drift",
    "Window": "drift",
    "compute_drift": "drift",
    "compute_drift_by_week": "drift",
    "default_windows": "drift",
    "BadInputError": "errors",
    "ContractError": "errors",
    "GateFailed": "errors",
    "StoreBusyError": "errors",
    "Violation": "errors",
    "WorkbenchError": "errors",
    "FeatureMatrix": "features",
    "feature_matrix": "features",
    "AnnotationSet": "inputs",
    "Predictions": "inputs",
    "Week": "inputs",
    "column_kinds": "inputs",
    "default_week": "inputs",
    "latest_annotations": "inputs",
    "majority_vote": "inputs",
    "read_annotations": "inputs",
    "read_gold": "inputs",
    "read_predictions": "inputs",
    "GivenLabels": "labels",
    "LabelQuality": "labels",
    "PredictedProbabilities": "labels",
    "compute_label_quality": "labels",
    "given_labels": "labels",
    "load_label_quality": "loaders.labels",
    "predicted_probabilities": "labels",
    "Overview": "overview",
    "compute_overview": "overview",
    "load_overview": "loaders.overview",
    "ReportResult": "report",
    "Section": "report",
    "SectionResult": "report",
    "build_report": "report",
    "json_safe": "results",
    "IngestResult": "store",
    "Store": "store",
    "StoreInfo": "store",
}
# Modules the notebooks use as namespaces (``from workbench import drift``).
_MODULES = ("charts", "drift", "labels")

__all__ = sorted([*_EXPORTS, *_MODULES, "__version__"])


def __getattr__(name: str):
    if name == "__version__":  # importlib.metadata costs ~0.1 s: only when asked for
        from ._version import package_version

        globals()["__version__"] = value = package_version()
        return value
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
