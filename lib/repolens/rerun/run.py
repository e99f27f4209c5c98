"""A repository rerun, start to end: check it once (the notebooks to run, the static
findings the causes are tied to), build its environment, run every notebook in the
sandbox (``--jobs`` at once, twice with ``--twice``), compare each with its saved
outputs, name the verdict and the cause, and make the findings RR001-RR003.

The steps are values in, values out; the only I/O is the check's scan, the environment's
build and each notebook's run (``execute.py``), which writes the executed notebook under
``OUT/notebooks/``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import CheckSettings, check, load_settings
from ..checks.environment import distribution_of
from ..core import safeio
from ..core.findings import Finding, Level
from ..core.records import FileRecord, path_bytes
from ..scanning.options import ScanOptions
from .causes import Context
from .environment import Environment, build_environment, current_environment
from .execute import Settings, execute_notebook, kernel_for
from .facts import gather
from .judge import judge
from .model import (
    CauseKind,
    CellState,
    Execution,
    ExecutionState,
    NotebookResult,
    RerunResult,
    Verdict,
)
from .specs import read_specification

__all__ = [
    "Options",
    "Progress",
    "Rerun",
    "inferred_distributions",
    "rerun",
    "rerun_findings",
    "select_notebooks",
]

NOTEBOOK_LIMIT = 256 << 20  # a saved notebook larger than this is not run
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Options:
    environment: str = "declared"
    sandbox: str = "bwrap"  # resolved already (sandbox.choose)
    notebooks: tuple[str, ...] = ()  # globs over paths relative to the root
    jobs: int = 1
    twice: bool = False
    tolerance: float = 1e-6
    settings: Settings = field(default_factory=Settings)
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rerun:
    result: RerunResult
    environment: Environment
    findings: tuple[Finding, ...]  # RR001-RR003
    static: tuple[Finding, ...]  # the check's findings the causes link to
    problems: tuple[str, ...] = ()


def select_notebooks(paths: Sequence[str], globs: Sequence[str]) -> tuple[str, ...]:
    """The notebooks ``--notebooks`` names (each glob matched against the whole path and
    against the name), all of them when none is given, sorted."""
    if not globs:
        return tuple(sorted(paths))
    return tuple(
        sorted(
            path
            for path in paths
            if any(
                fnmatch.fnmatchcase(path, glob)
                or fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], glob)
                for glob in globs
            )
        )
    )


def inferred_distributions(findings: Sequence[Finding]) -> tuple[str, ...]:
    """The distributions the EN002 findings say are missing, each once, in order."""
    found: dict[str, None] = {}
    for item in findings:
        if item.check != "EN002":
            continue
        words = item.message.split()
        if len(words) < 2 or words[0] != "imports":
            continue
        name = distribution_of(words[1].rstrip(","))
        found[name] = None
    return tuple(found)


def _static(
    root: str, excludes: Sequence[str]
) -> tuple[tuple[str, ...], tuple[Finding, ...], tuple[str, ...]]:
    """The notebooks of the tree (names as they are on disk), its static findings, and
    its Python files (the repository's own modules)."""
    notebooks: list[str] = []
    modules: list[str] = []

    def consume(record: FileRecord) -> None:
        if record.notebook is not None or record.extension == ".ipynb":
            notebooks.append(os.fsdecode(path_bytes(record.path)))
        elif record.extension in (".py", ".pyx", ".so"):
            modules.append(record.path)

    try:
        settings = load_settings(root)
    except Exception:  # a tree's broken settings do not stop a rerun: the defaults do
        settings = CheckSettings()
    outcome = check(root, ScanOptions(excludes=tuple(excludes)), settings, consume=consume)
    return tuple(notebooks), outcome.findings, tuple(modules)


def _saved(root: str, path: str) -> tuple[dict[str, Any] | None, str]:
    try:
        document = json.loads(safeio.read_small_file(os.path.join(root, path), NOTEBOOK_LIMIT))
    except safeio.TooLarge:
        return None, f"larger than {NOTEBOOK_LIMIT >> 20} MiB"
    except OSError as error:
        return None, f"cannot be read: {error.strerror or error}"
    except (ValueError, RecursionError):
        return None, "not valid JSON"
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        return None, "not a notebook (no list of cells)"
    return document, ""


def _code_cells(document: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        index
        for index, cell in enumerate(document.get("cells") or [])
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    )


@dataclass(frozen=True, slots=True)
class _Ran:
    """One notebook's runs, before they are judged."""

    saved: dict[str, Any] | None
    execution: Execution
    second: Execution | None = None


def _not_run(path: str, saved: dict[str, Any] | None, reason: str, **more: Any) -> _Ran:
    return _Ran(saved, Execution(path, ExecutionState.NOT_RUN, reason=reason, **more))


def _run_one(
    root: str,
    path: str,
    environment: Environment,
    options: Options,
    out: Path | None,
    slots: queue.Queue[int],
    on_cell: Callable[[str, dict[str, Any]], None],
    stop: threading.Event,
) -> _Ran:
    saved, problem = _saved(root, path)
    if saved is None:
        return _not_run(path, None, f"the notebook is {problem}")
    kernel, why = kernel_for(saved.get("metadata"))
    if not kernel:
        return _not_run(path, saved, why)
    if not environment.ready:
        first = environment.problem.splitlines()[0] if environment.problem else ""
        return _not_run(path, saved, f"the environment was not built: {first}")
    code = _code_cells(saved)
    slot = slots.get()
    try:
        keep = None if out is None else out / "notebooks" / path
        run = execute_notebook(
            root, path, code, kernel, environment, options.sandbox, options.settings, keep,
            slot, lambda kind, event: on_cell(path, event) if kind == "cell" else None, stop,
        )  # fmt: skip
        second = None
        if options.twice and run.state is ExecutionState.COMPLETED:
            second = execute_notebook(
                root, path, code, kernel, environment, options.sandbox, options.settings, None,
                slot, None, stop,
            )  # fmt: skip
    finally:
        slots.put(slot)
    return _Ran(saved, run, second)


def _environment(root: str, mode: str, static: Sequence[Finding], cache: Path) -> Environment:
    if mode == "current":
        return current_environment()
    added = inferred_distributions(static) if mode == "inferred" else ()
    return build_environment(mode, read_specification(root), cache, added)


def rerun(
    root: str,
    options: Options,
    out: Path | None,
    cache: Path,
    progress: Progress | None = None,
) -> Rerun:
    """Rerun the notebooks of ``root``; executed notebooks go under ``out/notebooks``."""
    started = time.monotonic()
    say = progress or (lambda text: None)
    say("reading the tree and its static findings")
    notebooks, static, modules = _static(root, options.excludes)
    chosen = select_notebooks(notebooks, options.notebooks)
    say("building the environment" if options.environment != "current" else "")
    environment = _environment(root, options.environment, static, cache)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(options.jobs):
        slots.put(slot)
    done = [0]
    lock = threading.Lock()
    running: dict[str, str] = {}

    def on_cell(path: str, event: dict[str, Any]) -> None:
        with lock:
            if event.get("state") == "running":
                running[path] = f"{path} cell {int(event['index']) + 1}"
            line = "; ".join(running.values())
            say(f"{done[0]}/{len(chosen)} notebooks, running {line}")

    def one(path: str) -> _Ran:
        ran = _run_one(root, path, environment, options, out, slots, on_cell, stop)
        with lock:
            done[0] += 1
            running.pop(path, None)
            say(
                f"{done[0]}/{len(chosen)} notebooks, {time.monotonic() - started:.0f} s: "
                f"{path}: {ran.execution.state.value}"
            )
        return ran

    stop = threading.Event()  # set on an interrupt: every running sandbox is killed
    if options.jobs > 1 and len(chosen) > 1:
        pool = ThreadPoolExecutor(max_workers=options.jobs)
        try:
            runs = tuple(pool.map(one, chosen))
        except BaseException:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
    else:
        runs = tuple(one(path) for path in chosen)
    context: Context = gather(
        root,
        static,
        [ran.execution for ran in runs],
        modules,
        environment.problem,
    )
    results = tuple(
        judge(ran.execution, ran.saved, ran.second, options.tolerance, context) for ran in runs
    )
    result = RerunResult(
        root=root,
        environment=options.environment,
        sandbox=options.sandbox,
        notebooks=results,
        environment_problem=environment.problem,
        seconds=time.monotonic() - started,
    )
    return Rerun(result, environment, rerun_findings(result), static)


# -- findings ---------------------------------------------------------------------------

_FIXES = {
    CauseKind.MISSING_MODULE: "Declare the distribution in the environment's specification "
    "(requirements.txt), pinned to the version you used.",
    CauseKind.MISSING_FILE: "Commit the file (or fetch it in a cell from a documented "
    "place), and read it by a path relative to the notebook.",
    CauseKind.NETWORK: "Do not download at run time: commit the data or document the "
    "download as a step before the notebook.",
    CauseKind.GPU: "Fall back to the CPU when no GPU is present.",
    CauseKind.OUT_OF_MEMORY: "Use less memory (smaller samples by a parameter), or say what "
    "the notebook needs.",
    CauseKind.TIMEOUT: "Make the notebook finish in time (a parameter for a small run), or "
    "raise --timeout-cell / --timeout-notebook.",
    CauseKind.KERNEL_UNAVAILABLE: "Use a Python kernel, or run the notebook with its own tools.",
    CauseKind.ENVIRONMENT: "Make the specification installable from PyPI wheels: pin "
    "versions that exist for this Python.",
    CauseKind.NONDETERMINISTIC: "Set the seeds (random, numpy, the framework's) in the first "
    "cell, and sort what comes out of sets and folders.",
    CauseKind.OTHER: "Restart the kernel, run all cells top to bottom on a clean machine, "
    "fix the first failing cell and save.",
}


def _first_failure(item: NotebookResult) -> int | None:
    failure = item.execution.first_failure
    return None if failure is None else failure.index


def rerun_findings(result: RerunResult) -> tuple[Finding, ...]:
    """RR001 (error) per notebook that failed, timed out or could not run for want of its
    environment; RR002 (warning) per notebook whose results differ; RR003 (note) per
    notebook whose two fresh runs differ (``--twice``)."""
    found: list[Finding] = []
    for item in result.notebooks:
        cause = item.cause
        cause_text = f" ({cause.kind.value}: {cause.detail})" if cause else ""
        evidence = cause.evidence if cause else ""
        fix = _FIXES[cause.kind] if cause else _FIXES[CauseKind.OTHER]
        environment_failed = (
            item.verdict is Verdict.NOT_RUN
            and cause is not None
            and cause.kind is CauseKind.ENVIRONMENT
        ) or (item.verdict is Verdict.NOT_RUN and result.environment_problem != "")
        if item.verdict in (Verdict.FAILED, Verdict.TIMED_OUT) or environment_failed:
            failure = item.execution.first_failure
            what = (
                f"cell {failure.index + 1} {failure.state.value}"
                + (f": {failure.error.name}: {failure.error.value}" if failure.error else "")
                if failure is not None
                else item.execution.reason or item.verdict.value
            )
            found.append(
                Finding(
                    "RR001",
                    Level.ERROR,
                    item.path,
                    f"does not run on a clean machine: {what}{cause_text}."[:1000],
                    fix,
                    evidence=evidence[:300],
                    cell=_first_failure(item),
                )
            )
        elif item.verdict is Verdict.DIFFERS:
            differing = [c for c in item.comparisons if not c.same]
            first = differing[0] if differing else None
            detail = ""
            if first is not None and first.differences:
                difference = first.differences[0]
                detail = f": {difference.kind.value}" + (
                    f", {difference.detail}" if difference.detail else ""
                )
            found.append(
                Finding(
                    "RR002",
                    Level.WARNING,
                    item.path,
                    f"runs, but {len(differing)} cell{'s' if len(differing) != 1 else ''} "
                    f"give other results than saved{detail}."[:1000],
                    "Rerun the notebook top to bottom and save it with the results it gives "
                    "now, or find what changed (data, versions, seeds).",
                    evidence=(
                        first.differences[0].fresh[:300] if first and first.differences else ""
                    ),
                    cell=None if first is None else first.index,
                )
            )
        if item.nondeterministic:
            found.append(
                Finding(
                    "RR003",
                    Level.NOTE,
                    item.path,
                    f"two fresh runs differ in {len(item.nondeterministic)} cell"
                    f"{'s' if len(item.nondeterministic) != 1 else ''}: its results are not "
                    "deterministic.",
                    _FIXES[CauseKind.NONDETERMINISTIC],
                    cell=item.nondeterministic[0],
                )
            )
    return tuple(sorted(found, key=Finding.sort_key))


def cells_ran(item: NotebookResult) -> int:
    return sum(
        1
        for cell in item.execution.cells
        if cell.state in (CellState.RAN, CellState.RAISED_AS_TAGGED)
    )
