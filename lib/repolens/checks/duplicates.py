"""Duplicates (DU): identical files, and archives kept next to their extracted contents.

Size first, then the first 4 KiB of the files that share a size, then a SHA-256 of those
that still agree (files of 4 KiB or less are compared whole by their first read). Folders
whose files are all the same at the same places (a vendored library copied twice) are one
finding naming the folders, with the groups of files inside them folded into it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat as stat_module
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..core import safeio
from ..core.findings import Finding
from ..core.records import FileRecord, Kind, State
from ..core.units import human_bytes
from .archives import list_members
from .source import finding

__all__ = [
    "FolderSizes",
    "SizeIndex",
    "archive_findings",
    "duplicate_findings",
    "identical_folders",
    "indexed_duplicate_findings",
    "is_duplicate_candidate",
]

MIN_BYTES = 1024
HEAD_BYTES = 4096
MAX_GROUP_FOR_FOLDERS = 50  # copies of one file past which folders are not compared


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


@dataclass
class FolderSizes:
    """Every folder's files, recursively: how many, their bytes, and how many of them the
    duplicate index holds (files of ``MIN_BYTES`` or more)."""

    counts: Counter[str] = field(default_factory=Counter)
    sizes: Counter[str] = field(default_factory=Counter)
    indexed: Counter[str] = field(default_factory=Counter)

    def add(self, path: str, size: int, indexed: bool) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            self.counts[folder] += 1
            self.sizes[folder] += size
            if indexed:
                self.indexed[folder] += 1


def _parent(folder: str) -> str:
    return folder.rsplit("/", 1)[0] if "/" in folder else ""


def identical_folders(groups: list[tuple[int, list[str]]], folders: FolderSizes) -> list[list[str]]:
    """Sets of two or more folders of two files or more whose files are the same at the
    same places (the outermost such folders): every indexed file matched byte for byte
    with its twin at the same relative path, and the same number and bytes of files in
    all (files under ``MIN_BYTES`` are compared by number and size)."""
    matched: Counter[tuple[str, str]] = Counter()
    for _size, paths in groups:
        if len(paths) > MAX_GROUP_FOR_FOLDERS:
            continue
        split = [path.split("/") for path in paths]
        for i, first in enumerate(split):
            for second in split[i + 1 :]:
                depth = 1
                while (
                    depth < len(first) and depth < len(second) and first[-depth] == second[-depth]
                ):
                    pair = ("/".join(first[:-depth]), "/".join(second[:-depth]))
                    matched[min(pair), max(pair)] += 1
                    depth += 1
    same = set()
    for (a, b), count in matched.items():
        if a.startswith(b + "/") or b.startswith(a + "/"):
            continue
        if folders.counts[a] < 2:
            continue  # a folder of one file: that file's copy is the finding
        if (
            count == folders.indexed[a] == folders.indexed[b]
            and folders.counts[a] == folders.counts[b]
            and folders.sizes[a] == folders.sizes[b]
        ):
            same.add((a, b))
    outer = [
        (a, b)
        for a, b in same
        if (min(_parent(a), _parent(b)), max(_parent(a), _parent(b))) not in same
    ]
    clusters: dict[str, set[str]] = {}
    for a, b in sorted(outer):
        joined = clusters.get(a, {a}) | clusters.get(b, {b})
        for folder in joined:
            clusters[folder] = joined
    unique = {tuple(sorted(cluster)) for cluster in clusters.values()}
    return [list(cluster) for cluster in sorted(unique)]


def indexed_duplicate_findings(
    index: SizeIndex, root: str, folders: FolderSizes | None = None
) -> Iterator[Finding]:
    """DU001 for each set of identical folders (``folders`` given) and each group of
    identical files among those in ``index`` outside them."""
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
    clusters = identical_folders(groups, folders) if folders is not None else []
    inside = {folder: number for number, cluster in enumerate(clusters) for folder in cluster}
    for cluster in clusters:
        first = cluster[0]
        files, size = folders.counts[first], folders.sizes[first]  # type: ignore[union-attr]
        shown = [f"{folder}/" for folder in cluster]
        yield finding(
            "DU001",
            shown[0],
            f"{len(cluster)} identical folders of {files:,} file{'s' if files != 1 else ''} "
            f"and {human_bytes(size)} each ({human_bytes(size * (len(cluster) - 1))} "
            f"repeated): {', '.join(shown[1:4])}" + (" ..." if len(shown) > 4 else "") + ".",
            evidence=", ".join(shown[:4]),
            fix=f"Keep {shown[0]} and remove or link the other copies.",
        )
    for size, group in sorted(groups, key=lambda item: min(item[1])):
        paths = sorted(group)
        holders = {_holder(path, inside) for path in paths}
        if len(holders) == 1 and None not in holders:
            continue  # inside one set of identical folders: said once, above
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


def _holder(path: str, inside: dict[str, int]) -> int | None:
    """The set of identical folders a path lies in, if any."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        found = inside.get("/".join(parts[:depth]))
        if found is not None:
            return found
    return None


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
