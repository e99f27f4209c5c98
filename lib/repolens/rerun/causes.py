"""Why a notebook did not reproduce, tied to the static findings that predicted it.

- ``verdict(execution, comparisons)``: the notebook's answer, from how its run ended and
  how its cells compared.
- ``classify(execution, context)``: the cause of a failure, from the first failing
  cell's exception (``RULES``, a table: exception names and message patterns per cause),
  the sandbox's report (killed by the memory limit), the state of the run (timed out,
  not run) and, for results that differ, the cells a second run changed (``--twice``).
  A missing module names its distribution (the checks' import map) and the EN002
  finding that predicted it, or says the static check missed it; a missing file is an
  absolute path (the PA001 finding that predicted it) or a relative one, and then the
  tree and git say why it is absent: git-ignored, an LFS pointer never fetched,
  committed once and deleted since, or never committed.
- The facts about the files the failures name come in the ``Context``
  (``facts.gather`` asks the tree and git); classifying reads nothing.
- ``recall(results)``: how many runtime failures a static finding predicted.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..checks.distributions import normalise
from ..checks.environment import distribution_of
from ..core.findings import Finding
from .model import (
    Cause,
    CauseKind,
    CellComparison,
    CellError,
    Execution,
    ExecutionState,
    Verdict,
)

__all__ = [
    "ABSOLUTE",
    "AS_SAVED",
    "PREDICTABLE",
    "RULES",
    "Context",
    "FileFacts",
    "Recall",
    "Rule",
    "classify",
    "named_paths",
    "recall",
    "verdict",
]


def verdict(execution: Execution, comparisons: Sequence[CellComparison]) -> Verdict:
    """``not run``, ``timed out`` and ``failed`` as the run ended; a completed run is
    ``reproduced`` when every compared cell is the same, else ``ran, results differ``."""
    if execution.state is ExecutionState.NOT_RUN:
        return Verdict.NOT_RUN
    if execution.state is ExecutionState.TIMED_OUT:
        return Verdict.TIMED_OUT
    if execution.state is ExecutionState.FAILED:
        return Verdict.FAILED
    if any(not item.same for item in comparisons):
        return Verdict.DIFFERS
    return Verdict.REPRODUCED


# -- what the tree and git say about a file ---------------------------------------------


@dataclass(frozen=True, slots=True)
class FileFacts:
    """A file a failure named, as the tree and git know it (``path`` relative to the
    repository's root, ``/``-separated)."""

    path: str
    exists: bool = False  # in the tree
    lfs_pointer: bool = False  # it holds a Git LFS pointer, not its content
    ignored: bool = False  # .gitignore (or .git/info/exclude) leaves it out
    tracked: bool = False  # git tracks it
    committed: bool = False  # a commit held it (it may be deleted since)


@dataclass(frozen=True, slots=True)
class Context:
    """What a classification may know beyond the run: the static findings, the facts
    about the files the failures name (``gather``), the repository's own top-level
    modules, whether git answered, why the environment could not be built, and what the
    specifications declare (``declared``: normalised distribution -> ``file:line``)."""

    findings: tuple[Finding, ...] = ()
    files: Mapping[str, FileFacts] = field(default_factory=dict)
    local_modules: frozenset[str] = frozenset()
    git: bool = False
    environment_problem: str = ""
    declared: Mapping[str, str] = field(default_factory=dict)  # distribution -> "file:line"


# -- the table of causes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """A cause told by the exception's name (any of ``names``) or its text (``pattern``,
    searched in the name, message and traceback's last lines)."""

    kind: CauseKind
    names: frozenset[str]
    pattern: re.Pattern[str] | None


def _rule(kind: CauseKind, names: str, pattern: str = "") -> Rule:
    return Rule(kind, frozenset(names.split()), re.compile(pattern) if pattern else None)


RULES: tuple[Rule, ...] = (
    _rule(
        CauseKind.MISSING_MODULE,
        "ModuleNotFoundError",
        r"No module named ['\"]?[\w.]+",
    ),
    _rule(
        CauseKind.OUT_OF_MEMORY,
        "MemoryError _ArrayMemoryError OutOfMemoryError ResourceExhaustedError",
        r"Unable to allocate \d|[Oo]ut of memory|Cannot allocate memory|std::bad_alloc|\bOOM\b",
    ),
    _rule(
        CauseKind.NETWORK,
        "ConnectionError ConnectionRefusedError ConnectionResetError ConnectionAbortedError "
        "gaierror herror URLError HTTPError MaxRetryError NewConnectionError ConnectTimeout "
        "ConnectTimeoutError ProxyError SSLError",
        r"Temporary failure in name resolution|Name or service not known|nodename nor servname"
        r"|Network is unreachable|No address associated with hostname|getaddrinfo failed"
        r"|Failed to establish a new connection|Max retries exceeded|Connection refused"
        r"|[Uu]rlopen error|URL fetch failure|[Cc]ould not resolve host|couldn't connect to"
        r"|Errno -[23]\]|Errno 101\]|Errno 111\]",
    ),
    _rule(
        CauseKind.GPU,
        "",
        r"\bCUDA\b|\bcuda\b|cuDNN|cudnn|NVIDIA|nvidia-smi|/device:GPU|no GPU|No GPU"
        r"|GPU (?:is )?not (?:available|found)|Torch not compiled with CUDA",
    ),
    _rule(
        CauseKind.MISSING_FILE,
        "FileNotFoundError",
        r"No such file or directory|File b?['\"][^'\"\n]{1,400}['\"] does not exist"
        r"|errno = 2\b|!_src\.empty\(\)|_src\.empty\(\)",
    ),
    _rule(CauseKind.KERNEL_UNAVAILABLE, "NoSuchKernel DeadKernelError", r"[Kk]ernel died"),
)
"""Exceptions and messages per cause, first match wins (a memory error that names CUDA
is memory; a download that fails is network before it is a missing file)."""

PREDICTABLE = {
    CauseKind.MISSING_MODULE: "EN002",
    CauseKind.MISSING_FILE: "PA001",  # absolute paths only
}
"""The causes a static check can see coming, and that check."""

_MODULE = re.compile(r"No module named ['\"]?([\w.]+)")
_QUOTED_PATH = re.compile(
    r"No such file or directory: b?['\"]([^'\"\n]{1,400})['\"]"
    r"|File b?['\"]([^'\"\n]{1,400})['\"] does not exist"
    r"|name = ['\"]([^'\"\n]{1,400})['\"], errno = 2"
    r"|b?['\"]([^'\"\n\s]{1,400}\.[A-Za-z0-9]{1,8})['\"]"
)
ABSOLUTE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\)")
EVIDENCE = 300  # characters of the error kept as evidence
AS_SAVED = (
    "raised as it did when saved: an error kept on purpose; tag the cell raises-exception "
    "so that a run goes on past it"
)


def _error_text(error: CellError) -> str:
    return f"{error.name}: {error.value}\n{error.traceback}"


def _evidence(error: CellError) -> str:
    return f"{error.name}: {error.value}".strip()[:EVIDENCE]


def _rule_for(error: CellError) -> Rule | None:
    text = _error_text(error)
    for rule in RULES:
        if error.name in rule.names or (rule.pattern is not None and rule.pattern.search(text)):
            return rule
    return None


def named_paths(execution: Execution) -> tuple[str, ...]:
    """The files the first failure's exception names, each as the repository names it
    (relative to its root, ``/``-separated; ``..`` when outside it) or, for an absolute
    path, as written."""
    failure = execution.first_failure
    if failure is None or failure.error is None:
        return ()
    folder = posixpath.dirname(execution.path)
    found: list[str] = []
    for match in _QUOTED_PATH.finditer(_error_text(failure.error)):
        raw = next(group for group in match.groups() if group)
        path = raw if ABSOLUTE.match(raw) else posixpath.normpath(posixpath.join(folder, raw))
        if path not in found:
            found.append(path)
    return tuple(found)


def _finding_name(finding: Finding) -> str:
    return f"{finding.check} {finding.where}"


def _module_cause(error: CellError, context: Context, evidence: str) -> Cause:
    match = _MODULE.search(_error_text(error))
    module = match.group(1).split(".")[0] if match else ""
    distribution = distribution_of(module) if module else ""
    named = f"No module named '{module}'" + (
        f" (distribution {distribution})" if distribution and distribution != module else ""
    )
    if module in context.local_modules:
        return Cause(
            CauseKind.MISSING_MODULE,
            f"{named}: a module of the repository itself, not on the path where the notebook runs",
            evidence,
        )
    for item in context.findings:
        if item.check == "EN002" and re.match(rf"imports {re.escape(module)}\b", item.message):
            return Cause(
                CauseKind.MISSING_MODULE,
                f"{named}; EN002 predicted it",
                evidence,
                _finding_name(item),
                True,
            )
    where = context.declared.get(normalise(distribution or module))
    if where:
        return Cause(
            CauseKind.MISSING_MODULE,
            f"{named}: declared ({where}) but not in the environment the notebook ran in",
            evidence,
        )
    return Cause(
        CauseKind.MISSING_MODULE,
        f"{named}; no EN002 finding: the static check missed it",
        evidence,
    )


def _parts(path: str) -> list[str]:
    return [part for part in re.split(r"[\\/]+", path) if part]


def _common_parts(first: str, second: str) -> int:
    """How many leading folders (and names) two absolute paths share."""
    count = 0
    for a, b in zip(_parts(first), _parts(second), strict=False):
        if a != b:
            break
        count += 1
    return count


def _absolute_cause(path: str, execution: Execution, context: Context, evidence: str) -> Cause:
    """The PA001 finding that names this path, or the one that shares the most of it
    (two folders at least: ``/home/ana/...``), the failing notebook's first."""
    quoted = re.compile(r"'([^']{1,400})'")
    candidates = []
    for item in context.findings:
        if item.check != "PA001":
            continue
        seen = [found.group(1) for found in quoted.finditer(item.message)] + [item.evidence]
        shared = max((_common_parts(value, path) for value in seen if value), default=0)
        exact = any(value and (value in path or path in value) for value in seen)
        if exact or shared >= 2:
            rank = (not exact, -shared, item.path != execution.path, item.sort_key())
            candidates.append((rank, item))
    detail = f"absolute path {path}: it exists only where the notebook was written"
    if candidates:
        best = min(candidates, key=lambda entry: entry[0])[1]
        return Cause(
            CauseKind.MISSING_FILE,
            f"{detail}; PA001 predicted it",
            evidence,
            _finding_name(best),
            True,
        )
    return Cause(
        CauseKind.MISSING_FILE,
        f"{detail}; no PA001 finding: the static check missed it",
        evidence,
    )


def _relative_cause(path: str, context: Context, evidence: str) -> Cause:
    if path == ".." or path.startswith("../"):
        why = "outside the repository"
    else:
        facts = context.files.get(path, FileFacts(path))
        if facts.lfs_pointer:
            why = "a Git LFS pointer whose content was never fetched (git lfs pull)"
        elif facts.exists:
            why = (
                "in the tree, but not where the notebook ran: another notebook or script writes it?"
            )
        elif facts.ignored:
            why = "git-ignored: a clone never has it"
        elif facts.committed:
            why = "committed once and deleted since"
        elif context.git:
            why = "never committed"
        else:
            why = "not in the tree"
    return Cause(CauseKind.MISSING_FILE, f"{path}: {why}", evidence)


def _file_cause(execution: Execution, context: Context, evidence: str) -> Cause:
    paths = named_paths(execution)
    if not paths:
        return Cause(CauseKind.MISSING_FILE, "a file that is not there", evidence)
    path = paths[0]
    if ABSOLUTE.match(path):
        return _absolute_cause(path, execution, context, evidence)
    return _relative_cause(path, context, evidence)


def _lfs_pointer_named(execution: Execution, context: Context) -> str:
    for path in named_paths(execution):
        if context.files.get(path, FileFacts(path)).lfs_pointer:
            return path
    return ""


def _killed(execution: Execution) -> str:
    """What the sandbox says stopped the run: ``memory``, ``time``, ``processes``, ..."""
    killed = execution.resources.get("killed") if execution.resources else None
    return str(killed) if killed else ""


def _differing(comparisons: Iterable[CellComparison]) -> list[int]:
    return [item.index for item in comparisons if not item.same]


def _cells(indices: Iterable[int]) -> str:
    shown = [str(index + 1) for index in indices]
    return (
        ("cell " if len(shown) == 1 else "cells ")
        + ", ".join(shown[:10])
        + (", ..." if len(shown) > 10 else "")
    )


def classify(
    execution: Execution,
    context: Context = Context(),
    comparisons: Sequence[CellComparison] = (),
    nondeterministic: Iterable[int] = (),
) -> Cause | None:
    """The cause of a notebook that did not reproduce; None for one that did, and for
    results that differ with no sign of nondeterminism (the verdict says what differs).

    ``comparisons`` and ``nondeterministic`` (the cells whose two fresh runs differ,
    from ``--twice``) tell nondeterminism from drift."""
    killed = _killed(execution)
    if execution.state is ExecutionState.NOT_RUN:
        reason = execution.reason or context.environment_problem
        if context.environment_problem:
            return Cause(CauseKind.ENVIRONMENT, context.environment_problem[:EVIDENCE], reason)
        if "kernel" in reason.lower():
            return Cause(CauseKind.KERNEL_UNAVAILABLE, reason[:EVIDENCE], reason[:EVIDENCE])
        return Cause(CauseKind.OTHER, reason[:EVIDENCE] or "not run", reason[:EVIDENCE])
    if killed == "memory":
        return Cause(
            CauseKind.OUT_OF_MEMORY,
            "stopped at the sandbox's memory limit",
            execution.reason[:EVIDENCE],
        )
    if execution.state is ExecutionState.TIMED_OUT or killed == "time":
        cell = execution.first_failure
        where = f"cell {cell.index + 1}" if cell is not None else "the notebook"
        reason = execution.reason or f"{where} ran past its time limit"
        return Cause(CauseKind.TIMEOUT, reason[:EVIDENCE], execution.reason[:EVIDENCE])
    if execution.state is ExecutionState.FAILED:
        cause = _failure_cause(execution, context)
        if cause.kind is CauseKind.OTHER and _raised_as_saved(execution, comparisons):
            return replace(cause, detail=f"{cause.detail[:EVIDENCE]} ({AS_SAVED})")
        return cause
    differing = _differing(comparisons)
    unstable = sorted(set(differing).intersection(nondeterministic))
    if differing and len(unstable) == len(differing):
        return Cause(
            CauseKind.NONDETERMINISTIC,
            f"{_cells(unstable)} gave different outputs in two fresh runs",
        )
    return None


def _raised_as_saved(execution: Execution, comparisons: Sequence[CellComparison]) -> bool:
    """Whether the cell that stopped the run gave the outputs it saved, its error included:
    an error the notebook keeps on purpose (a lesson's "this fails" cell)."""
    failure = execution.first_failure
    if failure is None or failure.error is None:
        return False
    return any(
        item.index == failure.index and item.same and item.compared > 0 for item in comparisons
    )


def _failure_cause(execution: Execution, context: Context) -> Cause:
    failure = execution.first_failure
    if failure is None or failure.error is None:
        reason = execution.reason or "a cell failed without an error to show"
        return Cause(CauseKind.OTHER, reason[:EVIDENCE])
    error = failure.error
    evidence = _evidence(error)
    pointer = _lfs_pointer_named(execution, context)
    if pointer:
        return Cause(
            CauseKind.MISSING_FILE,
            f"{pointer}: a Git LFS pointer whose content was never fetched (git lfs pull)",
            evidence,
        )
    rule = _rule_for(error)
    if rule is None:
        return Cause(CauseKind.OTHER, evidence, evidence)
    if rule.kind is CauseKind.MISSING_MODULE:
        return _module_cause(error, context, evidence)
    if rule.kind is CauseKind.MISSING_FILE:
        return _file_cause(execution, context, evidence)
    details = {
        CauseKind.OUT_OF_MEMORY: "ran out of memory",
        CauseKind.NETWORK: "needs the network, which a rerun does not give",
        CauseKind.GPU: "needs a GPU (CUDA), which a rerun does not give",
        CauseKind.KERNEL_UNAVAILABLE: "the kernel died",
    }
    return Cause(rule.kind, f"{details.get(rule.kind, rule.kind.value)}: {evidence}", evidence)


# -- recall ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recall:
    """How many runtime failures (notebooks that failed or timed out) a static finding
    predicted: in all, and per cause (``(cause, failures, predicted)``)."""

    failures: int
    predicted: int
    by_cause: tuple[tuple[str, int, int], ...] = ()

    @property
    def sentence(self) -> str:
        if not self.failures:
            return "No notebook failed, so no static finding had a failure to predict."
        parts = [
            f"{kind}: {predicted} of {count}"
            + (f" ({PREDICTABLE[CauseKind(kind)]})" if CauseKind(kind) in PREDICTABLE else "")
            for kind, count, predicted in self.by_cause
        ]
        return (
            f"A static finding predicted {self.predicted} of {self.failures} runtime "
            f"failure{'s' if self.failures != 1 else ''} ({'; '.join(parts)})."
        )


def recall(outcomes: Iterable[tuple[Verdict, Cause | None]]) -> Recall:
    """The static checks' recall over notebooks' ``(verdict, cause)``: the runtime
    failures (failed or timed out) a static finding predicted."""
    counts: dict[str, list[int]] = {}
    for found, cause in outcomes:
        if found not in (Verdict.FAILED, Verdict.TIMED_OUT):
            continue
        kind = cause.kind.value if cause else CauseKind.OTHER.value
        entry = counts.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += int(bool(cause and cause.predicted))
    by_cause = tuple(
        (kind, count, predicted) for kind, (count, predicted) in sorted(counts.items())
    )
    return Recall(
        sum(count for _kind, count, _predicted in by_cause),
        sum(predicted for _kind, _count, predicted in by_cause),
        by_cause,
    )
