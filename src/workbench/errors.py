"""Errors a user can act on, each mapped to a CLI exit status.

Exit statuses are part of the command-line contract:

* 0 success
* 1 a gate or check failed its thresholds (:class:`GateFailed`)
* 2 bad input (:class:`BadInputError`, :class:`ContractError`)
* 3 the store stayed busy after retrying (:class:`StoreBusyError`)
"""

from __future__ import annotations

from dataclasses import dataclass, field


class WorkbenchError(Exception):
    """Base class of errors whose message tells the user what to do."""

    exit_code = 2


class BadInputError(WorkbenchError):
    """Input (a file, a column, an option value) that the workbench cannot use."""

    exit_code = 2


class StoreBusyError(WorkbenchError):
    """Another process held the store for longer than the retry budget."""

    exit_code = 3


class GateFailed(WorkbenchError):
    """A quality gate or check ran and failed its thresholds."""

    exit_code = 1


@dataclass(frozen=True)
class Violation:
    """One broken rule of the data contract.

    ``file`` and ``column`` name where the problem is, ``rows`` holds a few
    example row numbers (1-based data rows, header excluded) or values.
    """

    file: str
    column: str | None
    problem: str
    examples: tuple[str, ...] = field(default_factory=tuple)
    hint: str = ""

    def __str__(self) -> str:
        where = self.file if self.column is None else f"{self.file}, column '{self.column}'"
        text = f"{where}: {self.problem}"
        if self.examples:
            text += f" (e.g. {', '.join(self.examples)})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "column": self.column,
            "problem": self.problem,
            "examples": list(self.examples),
            "hint": self.hint,
        }


class ContractError(BadInputError):
    """A dataset folder broke the data contract; holds every violation found."""

    def __init__(self, violations: list[Violation], *, folder: str = "") -> None:
        self.violations = list(violations)
        self.folder = folder
        lines = [f"{len(self.violations)} problem(s) in dataset folder {folder}:"]
        lines += [f"  - {v}" for v in self.violations]
        lines.append("Nothing was written to the store.")
        super().__init__("\n".join(lines))
