"""What a scan is asked and what it answers: its options, its result, the error that
stops it before it starts, and how checks are handed each file's content."""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..core import safeio
from ..core.records import FileRecord

__all__ = [
    "CONTENT_CATEGORIES",
    "CONTENT_LIMIT",
    "ContentStream",
    "Inspect",
    "Progress",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "check_root",
    "identities",
]

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(phase, done, total)``: phase "scan", records so far, total None
(a streaming scan does not know it ahead)."""

CONTENT_CATEGORIES = frozenset({"code", "notebook", "config", "docs", "data", "other"})
CONTENT_LIMIT = 8 << 20
_STREAM_BLOCK = 1 << 20


@dataclass(frozen=True)
class ContentStream:
    """A text file past ``CONTENT_LIMIT``, handed to checks to read in blocks: memory stays
    bounded whatever its size. Opened again through ``safeio`` when read (a FIFO or a link
    swapped in since is not read); ``size`` is what the walk saw."""

    path: str  # as the OS opens it
    size: int
    follow: bool = False

    def blocks(self) -> Iterator[bytes]:
        descriptor, _st = safeio.open_regular(self.path, self.follow)
        try:
            while block := os.read(descriptor, _STREAM_BLOCK):
                yield block
        finally:
            os.close(descriptor)


Inspect = Callable[[FileRecord, "bytes | ContentStream | None"], None]
"""Called once per record with the file's whole content when the scan read it (text in
``CONTENT_CATEGORIES`` up to ``CONTENT_LIMIT`` bytes), a ``ContentStream`` for a text file
of those categories past that cap (not a notebook), else None: how checks see content
without reading any file a second time (or, past the cap, without holding it)."""


class ScanError(Exception):
    """The scan cannot start: a missing or unreadable root. Nothing was written."""


@dataclass(frozen=True)
class ScanOptions:
    gitignore: bool | None = None  # None: honour .gitignore inside a git work tree
    excludes: tuple[str, ...] = ()
    follow_symlinks: bool = False
    max_count_bytes: int = 64 << 20  # text above this gets physical lines only
    cache_dir: Path | None = None  # None: no cache
    skip: tuple[str | os.PathLike[str], ...] = ()  # folders/files left out by identity
    inspect: Inspect | None = None  # sees each record and its content (checks); no cache then


@dataclass(frozen=True)
class ScanResult:
    root: str  # absolute
    records: tuple[FileRecord, ...]  # sorted by path
    options: ScanOptions
    work_tree: str | None
    gitignore_applied: bool
    gitignored: int
    excluded: int
    started: float  # epoch seconds
    elapsed: float  # seconds
    cache_hits: int = 0
    cache_misses: int = 0
    notes: tuple[str, ...] = field(default=())  # about the tree: skipped ignore lines, ...
    cache_note: str | None = None  # why the cache was not used or not saved

    def __iter__(self) -> Iterator[FileRecord]:
        """A scan result is its records: ``summarise(scan(path))`` works."""
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def check_root(root: str | os.PathLike[str]) -> str:
    """The root as an absolute path; ``ScanError`` with one line when it cannot be scanned."""
    text = os.fspath(root)
    if not text:
        raise ScanError("no path given to analyse")
    try:
        st = os.stat(text)
    except FileNotFoundError:
        raise ScanError(f"{text}: no such directory") from None
    except OSError as error:
        raise ScanError(f"{text}: cannot open: {error.strerror}") from None
    if not stat_module.S_ISDIR(st.st_mode):
        raise ScanError(f"{text}: not a directory")
    if not os.access(text, os.R_OK | os.X_OK):
        raise ScanError(f"{text}: cannot read directory: permission denied")
    try:
        with os.scandir(text):
            pass
    except OSError as error:
        raise ScanError(f"{text}: cannot read directory: {error.strerror}") from None
    return os.path.abspath(text)


def identities(paths: Sequence[str | os.PathLike[str] | None]) -> frozenset[tuple[int, int]]:
    """``(device, inode)`` of the paths that exist: how the walk knows repolens' own
    output and cache folders whatever their names (globs, the root itself, links)."""
    found = set()
    for path in paths:
        if path is None:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        found.add((st.st_dev, st.st_ino))
    return frozenset(found)
