"""From a notebook's run to its result: the cells compared with the saved outputs, the
second run compared with the first (``--twice``), the verdict and the cause.

The comparison, the verdict and the causes are ``compare.py`` and ``causes.py``; this
module only puts them in order, so the orchestrator takes them as one value (``Judges``)
and a test can hand it others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import (
    Cause,
    CauseKind,
    CellComparison,
    Execution,
    ExecutionState,
    NotebookResult,
    Verdict,
)

__all__ = ["Judges", "default_judges", "state_verdict"]

Compare = Callable[[dict[str, Any], dict[str, Any], float], tuple[CellComparison, ...]]
Decide = Callable[[Execution, tuple[CellComparison, ...]], Verdict]
Classify = Callable[[Execution, Any], Cause | None]


def state_verdict(execution: Execution, comparisons: tuple[CellComparison, ...]) -> Verdict:
    """The verdict an execution and its comparisons make."""
    if execution.state is ExecutionState.NOT_RUN:
        return Verdict.NOT_RUN
    if execution.state is ExecutionState.TIMED_OUT:
        return Verdict.TIMED_OUT
    if execution.state is ExecutionState.FAILED:
        return Verdict.FAILED
    return Verdict.REPRODUCED if all(item.same for item in comparisons) else Verdict.DIFFERS


def _no_comparison(
    saved: dict[str, Any], fresh: dict[str, Any], tolerance: float
) -> tuple[CellComparison, ...]:
    return ()


def _plain_cause(execution: Execution, context: Any) -> Cause | None:
    if execution.state is ExecutionState.COMPLETED:
        return None
    reason = execution.reason
    if reason.startswith("the environment was not built"):
        return Cause(CauseKind.ENVIRONMENT, reason)
    if reason.startswith("kernel not available"):
        return Cause(CauseKind.KERNEL_UNAVAILABLE, reason)
    if execution.state is ExecutionState.TIMED_OUT:
        return Cause(CauseKind.TIMEOUT, reason or "ran past its time")
    failure = execution.first_failure
    if failure is not None and failure.error is not None:
        return Cause(CauseKind.OTHER, f"{failure.error.name}: {failure.error.value}"[:300])
    return Cause(CauseKind.OTHER, reason) if reason else None


@dataclass(frozen=True)
class Judges:
    compare: Compare
    verdict: Decide
    classify: Classify

    def judge(
        self,
        execution: Execution,
        saved: dict[str, Any] | None,
        second: Execution | None,
        tolerance: float,
        context: Any,
    ) -> NotebookResult:
        comparisons: tuple[CellComparison, ...] = ()
        if saved is not None and execution.fresh is not None:
            comparisons = self.compare(saved, execution.fresh, tolerance)
        nondeterministic: tuple[int, ...] = ()
        if second is not None and second.fresh is not None and execution.fresh is not None:
            again = self.compare(execution.fresh, second.fresh, tolerance)
            nondeterministic = tuple(item.index for item in again if not item.same)
        verdict = self.verdict(execution, comparisons)
        cause = None if verdict is Verdict.REPRODUCED else self.classify(execution, context)
        if cause is None and verdict is Verdict.DIFFERS and nondeterministic:
            cause = Cause(CauseKind.NONDETERMINISTIC, "two fresh runs differ")
        return NotebookResult(
            execution.path,
            verdict,
            execution,
            comparisons,
            cause,
            second,
            nondeterministic,
        )


def default_judges() -> Judges:
    return Judges(_no_comparison, state_verdict, _plain_cause)
