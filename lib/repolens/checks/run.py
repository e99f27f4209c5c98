"""Run the checks over one scan: per-file checks on the content the scan reads, then
checks over the whole tree. The one place where checks are registered."""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core.findings import LEVEL_ORDER, Finding, Level
from ..core.records import FileRecord, Kind, State
from ..scanning.options import CONTENT_LIMIT, ContentStream, Progress, ScanOptions, ScanResult
from ..scanning.scanner import ScanStream
from .assets import LARGE_FILE, asset_findings, folder_of, is_lfs_candidate, lfs_findings
from .config import CheckSettings
from .duplicates import (
    FolderSizes,
    SizeIndex,
    archive_findings,
    indexed_duplicate_findings,
    is_duplicate_candidate,
)
from .environment import (
    Declared,
    Imported,
    Include,
    Tree,
    declarations,
    environment_findings,
    imports_of,
    is_requirements_file,
    is_specification,
    source_facts,
)
from .findability import findability_findings
from .includes import read_includes
from .junk import is_junk_candidate, junk_findings
from .notebook import check_notebook
from .paths import check_paths
from .prefilter import may_hold_findings
from .secrets import check_secrets
from .source import Source
from .streaming import stream_findings

__all__ = ["FILE_CHECKS", "CheckResult", "Folded", "Inspector", "check"]

FileCheck = Callable[[FileRecord, Source], Iterable[Finding]]
FILE_CHECKS: tuple[FileCheck, ...] = (check_notebook, check_paths, check_secrets)
"""Checks of one file's content, in the order they run."""


# Findings a junk file or folder explains: its paths, its notebooks, its copies. A secret
# stays a secret wherever it lies.
_FOLDED_FAMILIES = ("PA", "NB", "EN", "DU", "AS")


@dataclass(frozen=True)
class Folded:
    """The junk of a tree (JU001's folders and files): what lies there is one cause."""

    folders: frozenset[str]  # "a/__pycache__", without the slash
    files: frozenset[str]

    @classmethod
    def of(cls, junk: Iterable[Finding]) -> Folded:
        paths = [item.path for item in junk]
        folders = frozenset(path.rstrip("/") for path in paths if path.endswith("/"))
        return cls(folders, frozenset(path for path in paths if not path.endswith("/")))

    def holds(self, path: str) -> bool:
        """Whether the path is junk or lies in a junk folder (its ancestors looked up)."""
        if path in self.files:
            return True
        parts = path.rstrip("/").split("/")
        return any("/".join(parts[:depth]) in self.folders for depth in range(1, len(parts)))

    def covers(self, finding: Finding) -> bool:
        return (
            finding.check[:2] in _FOLDED_FAMILIES
            and finding.check != "JU001"
            and bool(finding.path)
            and self.holds(finding.path)
        )


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
        self.includes: list[Include] = []
        self.read_specifications: set[str] = set()  # files read for what they declare
        self.tree = Tree()
        self.specifications: list[str] = []
        self.code_files = 0
        self.problems: list[str] = []  # checks that failed on some input: said, never fatal
        # What the checks over the whole tree need, gathered as records stream by:
        self.kept: list[FileRecord] = []  # records some tree check looks at (few)
        self.entries_per_folder: Counter[str] = Counter()
        self.top_level: list[str] = []
        self.sizes = SizeIndex()  # files that could have a twin, with their CRC-32
        self.folder_sizes = FolderSizes()  # every folder's files, for identical folders

    def __call__(self, record: FileRecord, content: bytes | ContentStream | None) -> None:
        try:
            self._inspect(record, content)
        except Exception as error:  # one file's surprise never ends a check
            self.problems.append(f"{record.path}: not checked ({type(error).__name__}: {error})")

    def _gather(self, record: FileRecord, content: bytes | ContentStream | None) -> None:
        path = record.path
        self.entries_per_folder[folder_of(path)] += 1
        self.tree.add_path(path)
        if "/" not in path:
            self.top_level.append(path)
        if (
            (record.kind is Kind.FILE and record.size_bytes > LARGE_FILE)
            or is_lfs_candidate(record)
            or record.category == "archive"
            or is_junk_candidate(path)
        ):
            self.kept.append(record)
        if record.kind is Kind.FILE:
            self.folder_sizes.add(path, record.size_bytes, is_duplicate_candidate(record))
        if is_duplicate_candidate(record):
            checksum = None
            if (
                isinstance(content, bytes)
                and record.state is not State.BINARY
                and len(content) == record.size_bytes
            ):
                checksum = zlib.crc32(content)
            self.sizes.add(record.size_bytes, path, checksum)

    def _inspect(self, record: FileRecord, content: bytes | ContentStream | None) -> None:
        self._gather(record, content)
        if record.kind is Kind.FILE and is_specification(record.path):
            self.specifications.append(record.path)
        if record.category == "notebook" or (
            record.category == "code" and record.path.endswith((".py", ".pyw", ".r", ".R", ".jl"))
        ):
            self.code_files += 1
        if record.state in (State.BINARY, State.UNREADABLE):
            return
        if isinstance(content, ContentStream):
            self._inspect_stream(record, content)
            return
        if content is None:
            if record.category == "notebook" and record.state is State.TOO_LARGE:
                self.problems.append(
                    f"{record.path}: not checked: a notebook of {record.size_bytes:,} bytes, "
                    "over the counting limit"
                )
            return
        python = record.path.endswith((".py", ".pyw"))
        # Requirement files anywhere (docs/requirements.txt) declare dependencies, even
        # where repo2docker would not look for them.
        declares = is_specification(record.path) or is_requirements_file(record.path)
        if not (python or declares or record.category == "notebook" or may_hold_findings(content)):
            return  # nothing any content check could find: not even decoded
        source = Source.from_bytes(record.path, record.category, content, record.encoding)
        kept = [item for run in FILE_CHECKS for item in run(record, source)]
        kept = [item for item in kept if not source.suppresses(item)]
        self.findings += kept
        self.problems += source.suppression_notes(kept)
        for imported in imports_of(source, self.problems):
            self.imported.append(imported)
        if python or record.category == "notebook":
            facts = source_facts(source)
            if facts is not None:
                self.tree.facts[record.path] = facts
        if declares:
            self.read_specifications.add(record.path)
            for item in declarations(source, self.problems):
                (self.includes if isinstance(item, Include) else self.declared).append(item)  # type: ignore[arg-type]

    def _inspect_stream(self, record: FileRecord, content: ContentStream) -> None:
        """A text file past the content cap: secrets and paths read in windows, and a note
        for what needs the whole text."""
        try:
            self.findings += stream_findings(record, content.blocks(), self.problems)
        except OSError as error:
            self.problems.append(
                f"{record.path}: not checked past the {CONTENT_LIMIT >> 20} MiB content limit: "
                f"{error.strerror or error}"
            )
            return
        unread = []
        if record.path.endswith((".py", ".pyw")):
            unread.append("imports")
        if is_specification(record.path) or is_requirements_file(record.path):
            unread.append("declared dependencies")
        if unread:
            self.problems.append(
                f"{record.path}: {record.size_bytes:,} bytes, over the {CONTENT_LIMIT >> 20} MiB "
                f"content limit: checked for secrets and paths in pieces; "
                f"{' and '.join(unread)} not read"
            )

    def _run(self, name: str, run: Callable[[], Iterable[Finding]]) -> list[Finding]:
        """A tree check's findings; one that fails is said, and the others still report."""
        try:
            return list(run())
        except Exception as error:
            self.problems.append(f"the {name} checks failed: {type(error).__name__}: {error}")
            return []

    def finish(self, result: ScanResult) -> list[Finding]:
        """Run the checks over the whole tree and return every finding kept, sorted."""
        kept = self.kept
        junk = self._run("junk", lambda: junk_findings(kept))
        folded = Folded.of(junk)  # what lies in junk is said once, by its JU001
        found = [item for item in self.findings if not folded.covers(item)]
        imported = [item for item in self.imported if not folded.holds(item.path)]
        found += junk
        tree_checks: tuple[tuple[str, Callable[[], Iterable[Finding]]], ...] = (
            (
                "environment",
                lambda: environment_findings(
                    self.code_files,
                    sorted(self.specifications),
                    imported,
                    self.declared
                    + read_includes(
                        result.root, self.includes, self.read_specifications, self.problems
                    ),
                    self.tree,
                ),
            ),
            ("asset", lambda: asset_findings(kept, self.entries_per_folder)),
            ("Git LFS", lambda: lfs_findings(kept, result.root, result.work_tree, self.problems)),
            (
                "duplicate",
                lambda: indexed_duplicate_findings(self.sizes, result.root, self.folder_sizes),
            ),
            ("archive", lambda: archive_findings(kept, result.root, self.problems)),
            ("findability", lambda: findability_findings(self.top_level)),
        )
        try:
            for name, run in tree_checks:
                found += [item for item in self._run(name, run) if not folded.covers(item)]
        finally:
            self.sizes.close()
        selected = {item for item in found if self.settings.keeps(item)}
        return sorted(selected, key=Finding.sort_key)


def check(
    root: str | os.PathLike[str],
    options: ScanOptions | None = None,
    settings: CheckSettings | None = None,
    progress: Progress | None = None,
    consume: Callable[[FileRecord], None] | None = None,
    hold: bool = True,
) -> CheckResult:
    """Scan ``root`` once and run every selected check over it.

    ``consume`` sees every record as it comes (a summary, the report writers); with
    ``hold=False`` the result keeps none of them, so memory does not grow with the tree."""
    from dataclasses import replace

    from .config import load_settings

    if settings is None:
        settings = load_settings(root)
    inspector = Inspector(settings)
    options = replace(options or ScanOptions(), inspect=inspector, cache_dir=None)
    try:
        stream = ScanStream(root, options, progress)
        held: list[FileRecord] = []
        for record in stream:
            if consume is not None:
                consume(record)
            if hold:
                held.append(record)
        result = stream.result(held)
    except BaseException:
        inspector.sizes.close()
        raise
    findings = tuple(inspector.finish(result))
    return CheckResult(result, findings, settings, tuple(inspector.problems))
