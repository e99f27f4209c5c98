"""Duplicates (DU): identical files, and archives kept next to their extracted contents.

Size first, then the first 4 KiB of the files that share a size, then a SHA-256 of those
that still agree (files of 4 KiB or less are compared whole by their first read)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat as stat_module
from collections import defaultdict
from collections.abc import Iterable, Iterator

from ..core import safeio
from ..core.findings import Finding
from ..core.records import FileRecord, Kind, State
from ..core.units import human_bytes
from .archives import list_members
from .source import finding

__all__ = [
    "SizeIndex",
    "archive_findings",
    "duplicate_findings",
    "indexed_duplicate_findings",
    "is_duplicate_candidate",
]

MIN_BYTES = 1024
HEAD_BYTES = 4096


def _head(path: str) -> bytes | None:
    try:
        descriptor = safeio.open_file(path)
    except OSError:
        return None
    try:
        return os.read(descriptor, HEAD_BYTES)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def _digest(path: str) -> str | None:
    try:
        descriptor = safeio.open_file(path)
    except OSError:
        return None
    digest = hashlib.sha256()
    try:
        while block := os.read(descriptor, 1 << 20):
            digest.update(block)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return digest.hexdigest()


class SizeIndex:
    """Files that could have a twin, by size, in a temporary SQLite database on disk: a
    million images cost a few MiB of memory, not a list each."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a private temporary file, removed on close
        self._db.execute("CREATE TABLE files (size INTEGER, path TEXT, checksum INTEGER)")
        self._batch: list[tuple[int, str, int | None]] = []

    def add(self, size: int, path: str, checksum: int | None = None) -> None:
        self._batch.append((size, path, checksum))
        if len(self._batch) >= 10_000:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._db.executemany("INSERT INTO files VALUES (?, ?, ?)", self._batch)
            self._batch = []

    def same_size(self) -> Iterator[tuple[int, list[tuple[str, int | None]]]]:
        """``(size, [(path, checksum)])`` for every size two files or more share."""
        self._flush()
        self._db.execute("CREATE INDEX by_size ON files (size)")
        sizes = [
            row[0]
            for row in self._db.execute(
                "SELECT size FROM files GROUP BY size HAVING COUNT(*) > 1 ORDER BY size"
            )
        ]
        for size in sizes:
            rows = self._db.execute(
                "SELECT path, checksum FROM files WHERE size = ? ORDER BY path", (size,)
            ).fetchall()
            yield size, rows

    def close(self) -> None:
        self._db.close()


def is_duplicate_candidate(record: FileRecord) -> bool:
    return (
        record.kind is Kind.FILE
        and record.size_bytes >= MIN_BYTES
        and record.state is not State.UNREADABLE
    )


def duplicate_findings(
    records: Iterable[FileRecord], root: str, checksums: dict[str, int] | None = None
) -> Iterator[Finding]:
    """``checksums``: CRC-32 of the contents the scan already read, by path; files without
    one are compared by their first 4 KiB, read again."""
    checksums = checksums or {}
    index = SizeIndex()
    try:
        for record in records:
            if is_duplicate_candidate(record):
                index.add(record.size_bytes, record.path, checksums.get(record.path))
        yield from indexed_duplicate_findings(index, root)
    finally:
        index.close()


def indexed_duplicate_findings(index: SizeIndex, root: str) -> Iterator[Finding]:
    """DU001 for each group of identical files among those in ``index``."""
    groups: list[tuple[int, list[str]]] = []
    for size, same_size in index.same_size():
        by_head: dict[bytes | int, list[str]] = defaultdict(list)
        for path, known in same_size:
            head = known if known is not None else _head(os.path.join(root, *path.split("/")))
            if head is not None:
                by_head[head].append(path)
        for key, candidates in by_head.items():
            if len(candidates) < 2:
                continue
            if isinstance(key, bytes) and size <= HEAD_BYTES:  # the head was the whole file
                groups.append((size, candidates))
                continue
            by_digest: dict[str, list[str]] = defaultdict(list)
            for path in candidates:
                digest = _digest(os.path.join(root, *path.split("/")))
                if digest is not None:
                    by_digest[digest].append(path)
            groups.extend((size, group) for group in by_digest.values() if len(group) > 1)
    for size, group in sorted(groups, key=lambda item: min(item[1])):
        paths = sorted(group)
        wasted = size * (len(group) - 1)
        yield finding(
            "DU001",
            paths[0],
            f"{len(paths)} identical files of {human_bytes(size)} "
            f"({human_bytes(wasted)} repeated): {', '.join(paths[1:4])}"
            + (" ..." if len(paths) > 4 else "")
            + ".",
            evidence=", ".join(paths[:4]),
            fix=f"Keep {paths[0]} and remove or link the other copies.",
        )


def archive_findings(
    records: Iterable[FileRecord], root: str, notes: list[str] | None = None
) -> Iterator[Finding]:
    """An archive whose members (most of them) also lie unpacked beside it (on disk).
    An archive listed only in part (``archives.py``) is judged on that part, and ``notes``
    says so."""
    for record in records:
        if record.category != "archive" or record.kind is not Kind.FILE:
            continue
        listing = list_members(os.path.join(root, *record.path.split("/")))
        if listing is None or not listing.names:
            continue
        if listing.stopped and notes is not None:
            notes.append(f"{record.path}: compared by {listing.stopped} only")
        members = list(listing.names)
        folder = record.path.rsplit("/", 1)[0] + "/" if "/" in record.path else ""
        stem = record.name[: -len(record.extension)] if record.extension else record.name
        bases = (folder, f"{folder}{stem}/")
        for base in bases:
            found = sum(1 for name in members if _present(root, f"{base}{name.lstrip('./')}"))
            if found and found >= 0.5 * len(members):
                yield finding(
                    "DU002",
                    record.path,
                    f"{found:,} of its {len(members):,} files also lie unpacked in {base or './'}.",
                    evidence=", ".join(name for name in members[:3]),
                    fix=f"Keep either {record.path} (and unpack it in a script) or the "
                    "unpacked files, not both.",
                )
                break


def _present(root: str, path: str) -> bool:
    """Whether a regular file lies at ``path`` (relative, "/"-separated) under ``root``."""
    parts = [part for part in path.split("/") if part]
    if not parts or ".." in parts:
        return False
    try:
        return stat_module.S_ISREG(safeio.lstat(os.path.join(root, *parts)).st_mode)
    except (OSError, ValueError):
        return False
