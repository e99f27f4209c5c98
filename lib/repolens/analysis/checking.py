"""A tree checked, and what ``repolens check -o`` writes of it: one scan, every selected
check, the summary, and in the output folder metrics.json (with the findings), files.csv,
findings.csv, findings.json and findings.sarif. The check command, the analysis notebook
and the portfolio all check a tree through here: the three write the same metrics.json
and files.csv, and the command and the portfolio the same findings' files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..checks import CheckResult, CheckSettings, check, load_settings
from ..core.folders import prepare_output_folder
from ..core.records import FileRecord
from ..render.findings import (
    CHECK_FILES,
    findings_document,
    notebook_lines,
    sarif_document,
    write_findings_files,
)
from ..render.metrics import metrics_document
from ..render.report import REPORT_FILES, ReportWriter
from ..render.summary import Summariser, Summary
from ..scanning.options import Progress, ScanOptions, check_root

__all__ = ["CheckReport", "Checked", "check_into", "check_repository", "check_tree"]


@dataclass(frozen=True)
class Checked:
    outcome: CheckResult  # its findings only those of the named files, when files were named
    summary: Summary
    written: tuple[Path, ...]  # metrics.json and files.csv, when an output folder was given


@dataclass(frozen=True)
class CheckReport:
    checked: Checked
    document: dict[str, Any]  # findings.json
    sarif: dict[str, Any] | None  # the SARIF log: written with the files, or asked for


def in_files(path: str, files: frozenset[str]) -> bool:
    """A finding about one of the files, or about a folder holding one (junk folders)."""
    if not path:
        return False
    if path.endswith("/"):
        return any(name.startswith(path) for name in files)
    return path in files


def check_tree(
    root: str | os.PathLike[str],
    settings: CheckSettings,
    output_dir: Path | None = None,
    *,
    excludes: Sequence[str] = (),
    skip: Iterable[str | os.PathLike[str]] = (),
    own_files: Sequence[str] = (),
    top_n: int = 10,
    progress: Progress | None = None,
    files: frozenset[str] | None = None,
) -> Checked:
    """Scan ``root`` once and run the checks, summarising as records stream by; with
    ``output_dir``, write metrics.json (with the findings) and files.csv there. The
    output folder, its reports and ``own_files`` in it are left out of the scan by
    identity, as is everything in ``skip``. With ``files`` (paths relative to the root),
    only findings about those files are kept. The writer's files are discarded when the
    scan fails or is interrupted."""
    summariser = Summariser(top_n)
    writer = None if output_dir is None else ReportWriter(output_dir)
    left_out: tuple[str | os.PathLike[str], ...] = ()
    if writer is not None and output_dir is not None:
        names = (*REPORT_FILES, *own_files)
        left_out = (output_dir, *(output_dir / name for name in names), *writer.own_paths())

    def consume(record: FileRecord) -> None:
        summariser.add(record)
        if writer is not None:
            writer.add(record)

    options = ScanOptions(excludes=tuple(excludes), skip=(*left_out, *skip))
    try:
        outcome = check(root, options, settings, progress, consume=consume, hold=False)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    if files is not None:
        kept = tuple(item for item in outcome.findings if in_files(item.path, files))
        outcome = replace(outcome, findings=kept)
    summary = summariser.summary()
    written = (
        () if writer is None else tuple(writer.finish(outcome.scan, summary, outcome.findings))
    )
    return Checked(outcome, summary, written)


def check_into(
    root: str,
    settings: CheckSettings,
    output_dir: Path | None = None,
    *,
    excludes: Sequence[str] = (),
    skip: Iterable[str | os.PathLike[str]] = (),
    files: frozenset[str] | None = None,
    sarif_prefix: str = "",
    sarif: bool = False,
    progress: Progress | None = None,
) -> CheckReport:
    """``check_tree``, then the findings' document and (with ``output_dir`` or ``sarif``)
    their SARIF log, paths behind ``sarif_prefix``; with ``output_dir``, every file
    ``repolens check -o`` writes is there. ``OSError`` when one cannot be written."""
    checked = check_tree(
        root,
        settings,
        output_dir,
        excludes=excludes,
        skip=skip,
        own_files=CHECK_FILES,
        progress=progress,
        files=files,
    )
    findings = checked.outcome.findings
    document = findings_document(checked.outcome)
    log = None
    if output_dir is not None or sarif:  # it reads the notebooks findings point into
        log = sarif_document(findings, root, notebook_lines(root, findings), sarif_prefix)
    if output_dir is not None and log is not None:
        write_findings_files(output_dir, findings, document, log)
    return CheckReport(checked, document, log)


def check_repository(
    path: str, output_dir: Path, skip: Iterable[str | os.PathLike[str]] = ()
) -> dict[str, Any]:
    """``repolens check PATH -o OUTPUT_DIR`` as a call: the tree's own settings, every
    report the command writes, and back the metrics document's summary (with the
    findings' counts), which is what a portfolio's row is made of. ``ScanError`` for a
    root that cannot be scanned, ``ConfigError`` for settings that cannot work,
    ``OutputFolderError`` for a folder that cannot be written, ``OSError`` for a report
    that could not be."""
    root = check_root(path)
    settings = load_settings(root)
    prepare_output_folder(output_dir)
    checked = check_into(root, settings, output_dir, skip=skip).checked
    document = metrics_document(
        checked.outcome.scan,
        checked.summary,
        include_files=False,
        findings=checked.outcome.findings,
    )
    return document["summary"]
