"""One call for notebooks: find the tree, scan and check it, write the reports.

``analyse`` is what ``notebooks/analyze.ipynb`` runs: it resolves its
parameters, scans, summarises and writes ``metrics.json`` and ``files.csv``
into the output folder. A bad parameter raises ``AnalysisError``, which
Jupyter shows as one line instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks import ConfigError, Finding, load_settings
from ..core.folders import OutputFolderError, prepare_output_folder
from ..core.progress import progress_from_environment
from ..render.baseline import BaselineError, Comparison, compare, load_baseline
from ..render.findings import write_findings_csv
from ..render.summary import Summary
from ..scanning.ignore import InvalidPattern, validate_excludes
from ..scanning.options import ScanError, ScanResult
from .checking import check_tree

__all__ = ["OWN_FILES", "Analysis", "AnalysisError", "analyse", "locate", "since"]

OWN_FILES = (
    "findings.csv",
    "analyze.ipynb",
    "report.html",
    "bytes_by_category.png",
    "lines_by_language.png",
    "largest_files.png",
    "notebook_health.png",
    "activity.png",
)
"""What a report writes beside metrics.json and files.csv: never counted as the tree's own."""


class AnalysisError(ScanError):
    """A parameter that cannot work; shown by IPython as a single line."""

    def _render_traceback_(self) -> list[str]:
        return [f"repolens: {self}"]


@dataclass(frozen=True)
class Analysis:
    result: ScanResult
    summary: Summary
    output_dir: Path
    written: tuple[Path, ...]
    title: str
    findings: tuple[Finding, ...] = ()  # what repolens check found, most severe first
    settings_source: str = ""  # where the tree's check settings came from


def _as_text(value: object, name: str) -> str:
    """Papermill passes ``-p path 2024`` as a number: take it back as text."""
    if isinstance(value, bool) or value is None:
        raise AnalysisError(f"{name} must be a path, not {value!r}")
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, str):
        raise AnalysisError(f"{name} must be a path, not a {type(value).__name__}")
    return value


def locate(path: object, output_dir: object, start: Path | None = None) -> tuple[Path, Path]:
    """Resolve the tree and the output folder from notebook parameters.

    A relative ``path`` is looked up in the working folder and then in each
    folder above it, so the default (``examples/Detect_Lines``) works from the
    repository root (papermill, make) and from ``notebooks/`` (nbmake, Jupyter).
    A relative ``output_dir`` is taken from the same folder the path was found in.
    """
    text = _as_text(path, "path")
    out_text = _as_text(output_dir, "output_dir")
    if not text.strip():
        raise AnalysisError("path is empty: name the folder to analyse")
    if not out_text.strip():
        raise AnalysisError("output_dir is empty: name the folder for the reports")
    here = (start or Path.cwd()).resolve()
    candidate = Path(text).expanduser()
    if candidate.is_absolute():
        base = here
        found = candidate
    else:
        for base in (here, *here.parents):
            if (base / candidate).exists():
                found = base / candidate
                break
        else:
            raise AnalysisError(f"{text}: no such folder here ({here}) or in any folder above it")
    if not found.exists():
        raise AnalysisError(f"{found}: no such folder")
    if not found.is_dir():
        raise AnalysisError(f"{found}: not a folder")
    out = Path(out_text).expanduser()
    return found, out if out.is_absolute() else base / out


def analyse(
    path: object,
    output_dir: object,
    top_n: int = 10,
    exclude: Sequence[str] | str = (),
    title: str = "",
) -> Analysis:
    """Scan and check ``path`` (one read), write ``metrics.json`` (with the findings),
    ``files.csv`` and ``findings.csv`` into ``output_dir``. Records stream into the
    summary and the reports: ``result.records`` is empty and memory does not grow with
    the tree; what the notebook shows comes from ``summary``."""
    root, out = locate(path, output_dir)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise AnalysisError(f"top_n must be a whole number of 1 or more, not {top_n!r}")
    excludes = (exclude,) if isinstance(exclude, str) else tuple(exclude)
    excludes = tuple(item for item in excludes if item)
    try:
        validate_excludes(excludes)
    except InvalidPattern as error:
        raise AnalysisError(str(error)) from None
    try:
        prepare_output_folder(out)
    except OutputFolderError as error:
        raise AnalysisError(str(error)) from None
    try:
        settings = load_settings(root)
        checked = check_tree(
            root,
            settings,
            out,
            excludes=excludes,
            own_files=OWN_FILES,
            top_n=top_n,
            progress=progress_from_environment(),  # to repolens report, when it runs us
        )
    except (ScanError, ConfigError) as error:
        raise AnalysisError(str(error)) from None
    outcome = checked.outcome
    write_findings_csv(out / "findings.csv", outcome.findings)
    return Analysis(
        outcome.scan,
        checked.summary,
        out,
        (*checked.written, out / "findings.csv"),
        title or f"What is in {root.name}",
        outcome.findings,
        settings.source,
    )


def since(run: Analysis, baseline: object) -> Comparison | None:
    """The comparison with an earlier metrics.json (the notebook's ``baseline``); None when
    no baseline was given."""
    if baseline in (None, ""):
        return None
    try:
        document = load_baseline(_as_text(baseline, "baseline"))
    except BaselineError as error:
        raise AnalysisError(str(error)) from None
    return compare(run.summary, run.findings, document)
