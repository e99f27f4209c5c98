"""Asset checks (AS): large files, crowded folders, and binaries git tracks outside LFS.

Scales follow git-sizer: a file over 10 MiB, a folder over 2,500 entries. Inside a git
work tree, model, media and archive files, and data over 1 MiB, that git tracks but
Git LFS does not (``.gitattributes`` ``filter=lfs``, or an LFS pointer in the file)
are reported with the bytes involved and the exact lines that move them to LFS. What
git tracks comes from git (``gitsafe``); the attributes are read by repolens itself
(``scanning.attributes``), never by ``git check-attr``.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from ..core.findings import Finding
from ..core.gitsafe import GitError, GitMissing, NotARepository, open_session
from ..core.records import FileRecord, Kind
from ..core.units import human_bytes
from ..scanning.attributes import filters
from .source import finding

__all__ = [
    "LARGE_FILE",
    "asset_findings",
    "folder_of",
    "is_lfs_candidate",
    "lfs_findings",
    "lfs_pattern",
    "lfs_status",
]

LARGE_FILE = 10 << 20
CROWDED_FOLDER = 2500
LFS_DATA_MIN = 1 << 20
LFS_MIN = 100 << 10  # a model, media or archive file smaller than this costs a clone little
_LFS_CATEGORIES = ("model", "media", "archive")


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def folder_of(path: str) -> str:
    """The folder a path is in ("" at the top): what ``asset_findings`` counts entries by."""
    return _parent(path)


def is_lfs_candidate(record: FileRecord) -> bool:
    """A file Git LFS should hold if git tracks it (models, media, archives, data > 1 MiB)."""
    return (
        record.kind is Kind.FILE
        and record.reason != "Git LFS pointer"
        and (
            (record.category in _LFS_CATEGORIES and record.size_bytes >= LFS_MIN)
            or (record.category == "data" and record.size_bytes > LFS_DATA_MIN)
        )
    )


def asset_findings(
    records: Iterable[FileRecord], entries_per_folder: Counter[str] | None = None
) -> Iterator[Finding]:
    """AS001 for each file over 10 MiB; AS002 for each folder over 2,500 entries, counted
    from ``records`` or given (``{folder: records in it}``) by a caller that streamed them."""
    files: Counter[str] = Counter() if entries_per_folder is None else entries_per_folder
    for record in records:
        if entries_per_folder is None:
            files[_parent(record.path)] += 1
        if record.kind is Kind.FILE and record.size_bytes > LARGE_FILE:
            yield finding(
                "AS001",
                record.path,
                f"{human_bytes(record.size_bytes)} ({record.category}).",
                evidence=f"{record.size_bytes:,} bytes",
            )
    folders: set[str] = set()
    for folder in files:
        while folder and folder not in folders:
            folders.add(folder)
            folder = _parent(folder)
    subfolders = Counter(_parent(folder) for folder in folders)
    for folder in sorted(set(files) | set(subfolders)):
        total = files[folder] + subfolders[folder]
        if total > CROWDED_FOLDER:
            yield finding(
                "AS002",
                folder or ".",
                f"{total:,} entries in one folder.",
                evidence=f"{files[folder]:,} files, {subfolders[folder]:,} folders",
            )


def lfs_status(
    root: str, work_tree: str, paths: list[str], problems: list[str] | None = None
) -> tuple[set[str], set[str]] | None:
    """``(tracked, in_lfs)`` among ``paths`` (relative to ``root``): what git tracks, from
    git itself, and which of those ``.gitattributes`` gives ``filter=lfs``. None when
    git cannot answer (``problems`` says why, when git was there to ask). Only the
    paths asked about are kept, whatever the size of the index."""
    if not paths:
        return None
    notes: list[str] = [] if problems is None else problems
    try:
        with open_session(root) as session:
            listing = session.run("ls-files", "-z")
            location = session.location
    except (GitMissing, NotARepository):
        return None
    except GitError as error:
        notes.append(f"Git LFS not checked: {error}")
        return None
    wanted = set(paths)
    tracked = {name for item in listing.split(b"\0") if (name := os.fsdecode(item)) in wanted}
    del listing
    top = location.work_tree or work_tree
    prefix = os.path.relpath(location.start, top).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix + "/"
    info = os.path.join(location.common_dir, "info", "attributes")
    found = filters(top, info, [prefix + path for path in paths if path in tracked], notes)
    in_lfs = {path[len(prefix) :] for path, state in found.items() if state == "lfs"}
    return tracked, in_lfs


def lfs_pattern(path: str) -> str:
    """The .gitattributes pattern that matches the file, written as its name is (git
    matches patterns case-sensitively: ``*.h5`` does not match ``Weights.H5``): ``*`` and
    its last extension, or its exact path when it has none (a pattern with a slash
    matches from the top of the tree)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot > 0 and dot < len(name) - 1 and not any(c in name[dot:] for c in "*?[] \\"):
        return f"*{name[dot:]}"
    exact = "".join(f"\\{c}" if c in "*?[]\\ #!" else c for c in path)
    return "/" + exact


def lfs_findings(
    records: Iterable[FileRecord],
    root: str,
    work_tree: str | None,
    problems: list[str] | None = None,
) -> Iterator[Finding]:
    if work_tree is None:
        return
    candidates = [record for record in records if is_lfs_candidate(record)]
    status = lfs_status(root, work_tree, [record.path for record in candidates], problems)
    if status is None:
        return
    tracked, in_lfs = status
    by_pattern: dict[str, list[FileRecord]] = defaultdict(list)
    for record in candidates:
        if record.path in tracked and record.path not in in_lfs:
            by_pattern[lfs_pattern(record.path)].append(record)
    for pattern, group in sorted(by_pattern.items()):
        total = sum(record.size_bytes for record in group)
        first = sorted(group, key=lambda record: record.path)[0]
        yield finding(
            "AS003",
            first.path,
            f"{len(group):,} {group[0].category} file{'s' if len(group) != 1 else ''} "
            f"matching {pattern} ({human_bytes(total)}) tracked by git, not by Git LFS.",
            evidence=", ".join(record.path for record in sorted(group, key=lambda r: r.path)[:3])
            + (" ..." if len(group) > 3 else ""),
            fix=f'git lfs track "{pattern}" (adds "{pattern} filter=lfs diff=lfs merge=lfs '
            f'-text" to .gitattributes), then git add --renormalize . and commit; or dvc add '
            f"the folder.",
        )
