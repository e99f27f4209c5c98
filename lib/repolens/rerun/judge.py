"""From a notebook's run to its result: the cells compared with the saved outputs
(``compare.compare_notebook``), the second run compared with the first (``--twice``),
the verdict and the cause (``causes.verdict``, ``causes.classify``), in that order."""

from __future__ import annotations

from typing import Any

from .causes import Context, classify, verdict
from .compare import compare_notebook
from .model import CellComparison, Execution, NotebookResult, Verdict

__all__ = ["judge"]


def judge(
    execution: Execution,
    saved: dict[str, Any] | None,
    second: Execution | None,
    tolerance: float,
    context: Context,
) -> NotebookResult:
    """The result of one notebook: its run against what it saved, and why it did not
    reproduce when it did not."""
    comparisons: tuple[CellComparison, ...] = ()
    if saved is not None and execution.fresh is not None:
        comparisons = compare_notebook(saved, execution.fresh, tolerance)
    nondeterministic: tuple[int, ...] = ()
    if second is not None and second.fresh is not None and execution.fresh is not None:
        again = compare_notebook(execution.fresh, second.fresh, tolerance)
        nondeterministic = tuple(item.index for item in again if not item.same)
    decided = verdict(execution, comparisons)
    cause = (
        None
        if decided is Verdict.REPRODUCED
        else classify(execution, context, comparisons, nondeterministic)
    )
    return NotebookResult(
        execution.path, decided, execution, comparisons, cause, second, nondeterministic
    )
