"""Label-quality and data-health workbench.

The public API: the data contract and store, the demo dataset, and one entry
point per capability (label errors, annotators, dataset issues). Heavier
modules import their libraries (Cleanlab, crowd-kit, Evidently) lazily.
"""

from importlib.metadata import PackageNotFoundError, version

from .annotators import (
    Agreement,
    AnnotatorReport,
    Consensus,
    active_learning_scores,
    compute_agreement,
    compute_annotators,
    consensus_labels,
)
from .contract import Dataset, check_dataset, read_dataset
from .dataset_issues import DatasetIssues, find_dataset_issues
from .demo import write_demo
from .errors import BadInputError, ContractError, GateFailed, StoreBusyError, Violation, WorkbenchError
from .features import FeatureMatrix, feature_matrix
from .inputs.vote import majority_vote
from .inputs.weeks import Week
from .labels import (
    GivenLabels,
    LabelQuality,
    PredictedProbabilities,
    compute_label_quality,
    given_labels,
    predicted_probabilities,
)
from .loaders.annotators import load_annotators
from .loaders.labels import load_label_quality
from .loaders.overview import load_overview
from .overview import Overview, compute_overview
from .report import ReportResult, Section, SectionResult, build_report
from .store import IngestResult, Store, StoreInfo

try:
    __version__ = version("workbench")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "Agreement",
    "AnnotatorReport",
    "BadInputError",
    "Consensus",
    "ContractError",
    "Dataset",
    "DatasetIssues",
    "FeatureMatrix",
    "GateFailed",
    "GivenLabels",
    "IngestResult",
    "LabelQuality",
    "Overview",
    "PredictedProbabilities",
    "ReportResult",
    "Section",
    "SectionResult",
    "Store",
    "StoreBusyError",
    "StoreInfo",
    "Violation",
    "Week",
    "WorkbenchError",
    "__version__",
    "active_learning_scores",
    "build_report",
    "check_dataset",
    "compute_agreement",
    "compute_annotators",
    "compute_label_quality",
    "compute_overview",
    "consensus_labels",
    "feature_matrix",
    "find_dataset_issues",
    "given_labels",
    "load_annotators",
    "load_label_quality",
    "load_overview",
    "majority_vote",
    "predicted_probabilities",
    "read_dataset",
    "write_demo",
]
