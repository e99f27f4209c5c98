"""Run the checks over one scan: per-file checks on the content the scan reads, then
checks over the whole tree. The one place where checks are registered."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..records import FileRecord, Kind, State
from ..scanner import Progress, ScanOptions, ScanResult, scan
from .assets import asset_findings, lfs_findings
from .config import CheckSettings
from .duplicates import MIN_BYTES as DUPLICATE_MIN_BYTES
from .duplicates import archive_findings, duplicate_findings
from .environment import (
    Declared,
    Imported,
    declarations,
    environment_findings,
    imports_of,
    is_requirements_file,
    is_specification,
)
from .findability import findability_findings
from .junk import junk_findings
from .model import LEVEL_ORDER, Finding, Level
from .notebook import check_notebook
from .paths import check_paths
from .prefilter import may_hold_findings
from .secrets import check_secrets
from .source import Source, suppressed

__all__ = ["FILE_CHECKS", "CheckResult", "Inspector", "check"]

FileCheck = Callable[[FileRecord, Source], Iterable[Finding]]
FILE_CHECKS: tuple[FileCheck, ...] = (check_notebook, check_paths, check_secrets)
"""Checks of one file's content, in the order they run."""


@dataclass(frozen=True)
class CheckResult:
    scan: ScanResult
    findings: tuple[Finding, ...]  # sorted: most severe first, then check, path, place
    settings: CheckSettings
    problems: tuple[str, ...] = ()  # what could not be checked, and why

    def counts(self) -> dict[str, int]:
        counted = {level.value: 0 for level in Level}
        for item in self.findings:
            counted[item.level.value] += 1
        return counted

    def by_check(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for item in self.findings:
            counted[item.check] = counted.get(item.check, 0) + 1
        return dict(sorted(counted.items()))

    def at_or_above(self, level: Level | None) -> int:
        if level is None:
            return 0
        return sum(1 for item in self.findings if LEVEL_ORDER[item.level] <= LEVEL_ORDER[level])


class Inspector:
    """Collects findings while the scan reads each file once (``ScanOptions.inspect``)."""

    def __init__(self, settings: CheckSettings) -> None:
        self.settings = settings
        self.findings: list[Finding] = []
        self.imported: list[Imported] = []
        self.declared: list[Declared] = []
        self.specifications: list[str] = []
        self.code_files = 0
        self.checksums: dict[str, int] = {}  # CRC-32 of contents read, for duplicates
        self.problems: list[str] = []  # checks that failed on some input: said, never fatal

    def __call__(self, record: FileRecord, content: bytes | None) -> None:
        try:
            self._inspect(record, content)
        except Exception as error:  # one file's surprise never ends a check
            self.problems.append(f"{record.path}: not checked ({type(error).__name__}: {error})")

    def _inspect(self, record: FileRecord, content: bytes | None) -> None:
        if record.kind is Kind.FILE and is_specification(record.path):
            self.specifications.append(record.path)
        if record.category == "notebook" or (
            record.category == "code" and record.path.endswith((".py", ".pyw", ".r", ".R", ".jl"))
        ):
            self.code_files += 1
        if content is None or record.state in (State.BINARY, State.UNREADABLE):
            return
        if record.size_bytes >= DUPLICATE_MIN_BYTES and len(content) == record.size_bytes:
            self.checksums[record.path] = zlib.crc32(content)
        python = record.path.endswith((".py", ".pyw"))
        # Requirement files anywhere (docs/requirements.txt) declare dependencies, even
        # where repo2docker would not look for them.
        declares = is_specification(record.path) or is_requirements_file(record.path)
        if not (python or declares or record.category == "notebook" or may_hold_findings(content)):
            return  # nothing any content check could find: not even decoded
        source = Source.from_bytes(record.path, record.category, content, record.encoding)
        for run in FILE_CHECKS:
            for item in run(record, source):
                if not suppressed(item, source.line_text(item)):
                    self.findings.append(item)
        for imported in imports_of(source):
            self.imported.append(imported)
        if declares:
            self.declared.extend(declarations(source))

    def finish(self, result: ScanResult) -> list[Finding]:
        records = result.records
        found = list(self.findings)
        top_level = [record.path for record in records if "/" not in record.path]
        tree_checks: tuple[tuple[str, Callable[[], Iterable[Finding]]], ...] = (
            (
                "environment",
                lambda: environment_findings(
                    (record.path for record in records),
                    self.code_files,
                    sorted(self.specifications),
                    self.imported,
                    self.declared,
                ),
            ),
            ("asset", lambda: asset_findings(records)),
            ("Git LFS", lambda: lfs_findings(records, result.root, result.work_tree)),
            ("junk", lambda: junk_findings(records)),
            ("duplicate", lambda: duplicate_findings(records, result.root, self.checksums)),
            ("archive", lambda: archive_findings(records, result.root)),
            ("findability", lambda: findability_findings(top_level)),
        )
        for name, run in tree_checks:
            try:
                found += list(run())
            except Exception as error:  # said, and the other checks still report
                self.problems.append(f"the {name} checks failed: {type(error).__name__}: {error}")
        kept = {item for item in found if self.settings.keeps(item)}
        return sorted(kept, key=Finding.sort_key)


def check(
    root: str | os.PathLike[str],
    options: ScanOptions | None = None,
    settings: CheckSettings | None = None,
    progress: Progress | None = None,
) -> CheckResult:
    """Scan ``root`` once and run every selected check over it."""
    from dataclasses import replace

    from .config import load_settings

    if settings is None:
        settings = load_settings(root)
    inspector = Inspector(settings)
    options = replace(options or ScanOptions(), inspect=inspector, cache_dir=None)
    result = scan(root, options, progress)
    findings = tuple(inspector.finish(result))
    return CheckResult(result, findings, settings, tuple(inspector.problems))
