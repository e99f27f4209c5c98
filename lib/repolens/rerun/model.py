"""What a rerun finds, as values: a notebook's execution, its cells compared with the saved
outputs, the verdict and the cause of a failure.

The stages meet here: the executor (``execute.py``) makes an ``Execution`` from a notebook
run in the sandbox; the comparison (``compare.py``) makes one ``CellComparison`` per code
cell from the saved and the fresh notebook; ``causes.py`` names the ``Verdict`` and, for a
notebook that did not reproduce, its ``Cause``; the orchestrator (``run.py``) gathers them
into a ``NotebookResult`` per notebook and a ``RerunResult`` per repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "Cause",
    "CauseKind",
    "CellComparison",
    "CellError",
    "CellRun",
    "CellState",
    "Difference",
    "DifferenceKind",
    "Execution",
    "ExecutionState",
    "NotebookResult",
    "RerunResult",
    "Verdict",
]


class Verdict(StrEnum):
    """A notebook's answer to "does it reproduce?"."""

    REPRODUCED = "reproduced"  # every cell ran; every saved output matches within tolerance
    DIFFERS = "ran, results differ"  # every cell ran; some outputs differ
    FAILED = "failed"  # a cell raised (and was not tagged to raise)
    TIMED_OUT = "timed out"  # a cell or the notebook ran past its time
    NOT_RUN = "not run"  # never started: no environment, no kernel, not valid JSON, ...


class ExecutionState(StrEnum):
    """How the run of one notebook ended, before any comparison."""

    COMPLETED = "completed"  # every code cell ran (tagged errors allowed)
    FAILED = "failed"  # a cell raised and execution stopped there
    TIMED_OUT = "timed out"
    NOT_RUN = "not run"


class CellState(StrEnum):
    RAN = "ran"
    RAISED_AS_TAGGED = "raised as tagged"  # a `raises-exception` cell that raised
    FAILED = "failed"
    TIMED_OUT = "timed out"
    NOT_REACHED = "not reached"  # after the cell that stopped the run


@dataclass(frozen=True, slots=True)
class CellError:
    """An exception a cell raised: the kernel's ``ename``, ``evalue`` and the traceback's
    last lines (ANSI colours removed)."""

    name: str
    value: str
    traceback: str = ""


@dataclass(frozen=True, slots=True)
class CellRun:
    index: int  # the cell's position among all cells of the notebook (0-based)
    state: CellState
    seconds: float | None = None
    error: CellError | None = None


@dataclass(frozen=True, slots=True)
class Execution:
    """One run of one notebook (``path`` relative to the repository, ``/``-separated).

    ``fresh`` is the executed notebook as a JSON document (None when it did not start);
    ``reason`` says why a notebook was not run or timed out; ``resources`` what the sandbox
    reported (peak memory, killed by which limit) where known."""

    path: str
    state: ExecutionState
    cells: tuple[CellRun, ...] = ()
    fresh: dict[str, Any] | None = None
    kernel: str = ""
    seconds: float = 0.0
    reason: str = ""
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def first_failure(self) -> CellRun | None:
        for cell in self.cells:
            if cell.state in (CellState.FAILED, CellState.TIMED_OUT):
                return cell
        return None


class DifferenceKind(StrEnum):
    TEXT = "text"  # text that differs beyond what sanitisers and tolerance allow
    NUMBER = "number"  # the same text but numbers beyond the tolerance
    TABLE = "table"  # an HTML table with different shape or cells
    IMAGE = "image"  # pixels beyond the tolerance, or another size
    MISSING = "missing"  # a saved output the fresh run did not produce
    NEW = "new"  # a fresh output with no saved one
    TYPE = "type"  # the outputs have no MIME type in common


@dataclass(frozen=True, slots=True)
class Difference:
    kind: DifferenceKind
    saved: str = ""  # short excerpts, for people
    fresh: str = ""
    detail: str = ""  # "3 of 120 numbers beyond 1e-06, largest relative change 0.02", ...


@dataclass(frozen=True, slots=True)
class CellComparison:
    """A code cell's saved outputs against its fresh ones."""

    index: int  # the cell's position among all cells (as in CellRun)
    differences: tuple[Difference, ...] = ()
    compared: int = 0  # outputs compared
    sanitised: int = 0  # outputs equal only once sanitised (addresses, times, ...)

    @property
    def same(self) -> bool:
        return not self.differences


class CauseKind(StrEnum):
    MISSING_MODULE = "missing module"
    MISSING_FILE = "missing file"
    NETWORK = "needs network"
    GPU = "needs a GPU"
    OUT_OF_MEMORY = "out of memory"
    TIMEOUT = "timeout"
    KERNEL_UNAVAILABLE = "kernel not available"
    ENVIRONMENT = "environment not built"
    NONDETERMINISTIC = "nondeterministic"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a notebook did not reproduce, with the static finding that predicted it.

    ``finding`` names that finding (``"EN002 requirements.txt"``, ``"PA001 drive.py:8"``) or is
    empty; ``predicted`` says whether a static check saw it coming."""

    kind: CauseKind
    detail: str  # "No module named 'cv2' (distribution opencv-python)"
    evidence: str = ""  # the line of the traceback or output it rests on
    finding: str = ""
    predicted: bool = False


@dataclass(frozen=True, slots=True)
class NotebookResult:
    path: str
    verdict: Verdict
    execution: Execution
    comparisons: tuple[CellComparison, ...] = ()
    cause: Cause | None = None
    second: Execution | None = None  # the second run of --twice
    nondeterministic: tuple[int, ...] = ()  # cells whose two fresh runs differ (--twice)


@dataclass(frozen=True, slots=True)
class RerunResult:
    root: str
    environment: str  # "declared", "inferred" or "current"
    sandbox: str  # "bwrap", "podman", "docker" or "none"
    notebooks: tuple[NotebookResult, ...]
    environment_problem: str = ""  # why the environment could not be built, if so
    seconds: float = 0.0

    @property
    def reproduced(self) -> int:
        return sum(1 for item in self.notebooks if item.verdict is Verdict.REPRODUCED)
