"""Label-quality and data-health workbench."""

from importlib.metadata import PackageNotFoundError, version

from .consensus import majority_vote
from .contract import Dataset, check_dataset, read_dataset
from .demo import write_demo
from .errors import BadInputError, ContractError, GateFailed, StoreBusyError, Violation, WorkbenchError
from .store import IngestResult, Store, StoreInfo

try:
    __version__ = version("workbench")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "BadInputError",
    "ContractError",
    "Dataset",
    "GateFailed",
    "IngestResult",
    "Store",
    "StoreBusyError",
    "StoreInfo",
    "Violation",
    "WorkbenchError",
    "__version__",
    "check_dataset",
    "majority_vote",
    "read_dataset",
    "write_demo",
]
