"""Duplicates (DU): identical files, and archives kept next to their extracted contents.

Size first, then the first 4 KiB of the files that share a size, then a SHA-256 of those
that still agree (files of 4 KiB or less are compared whole by their first read)."""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

from .. import safeio
from ..records import FileRecord, Kind, State
from ..units import human_bytes
from .model import Finding
from .source import finding

__all__ = ["archive_findings", "duplicate_findings"]

MIN_BYTES = 1024
HEAD_BYTES = 4096
MAX_ARCHIVE_MEMBERS = 100_000


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


def duplicate_findings(
    records: Iterable[FileRecord], root: str, checksums: dict[str, int] | None = None
) -> Iterator[Finding]:
    """``checksums``: CRC-32 of the contents the scan already read, by path; files without
    one are compared by their first 4 KiB, read again."""
    checksums = checksums or {}
    by_size: dict[int, list[FileRecord]] = defaultdict(list)
    for record in records:
        if (
            record.kind is Kind.FILE
            and record.size_bytes >= MIN_BYTES
            and record.state is not State.UNREADABLE
        ):
            by_size[record.size_bytes].append(record)
    groups: list[list[FileRecord]] = []
    for size in sorted(by_size):
        same_size = by_size[size]
        if len(same_size) < 2:
            continue
        by_head: dict[bytes | int, list[FileRecord]] = defaultdict(list)
        for record in same_size:
            known = checksums.get(record.path)
            head = (
                known if known is not None else _head(os.path.join(root, *record.path.split("/")))
            )
            if head is not None:
                by_head[head].append(record)
        for key, candidates in by_head.items():
            if len(candidates) < 2:
                continue
            if isinstance(key, bytes) and size <= HEAD_BYTES:  # the head was the whole file
                groups.append(candidates)
                continue
            by_digest: dict[str, list[FileRecord]] = defaultdict(list)
            for record in candidates:
                digest = _digest(os.path.join(root, *record.path.split("/")))
                if digest is not None:
                    by_digest[digest].append(record)
            groups.extend(group for group in by_digest.values() if len(group) > 1)
    for group in sorted(groups, key=lambda g: sorted(r.path for r in g)[0]):
        paths = sorted(record.path for record in group)
        wasted = group[0].size_bytes * (len(group) - 1)
        yield finding(
            "DU001",
            paths[0],
            f"{len(paths)} identical files of {human_bytes(group[0].size_bytes)} "
            f"({human_bytes(wasted)} repeated): {', '.join(paths[1:4])}"
            + (" ..." if len(paths) > 4 else "")
            + ".",
            evidence=", ".join(paths[:4]),
            fix=f"Keep {paths[0]} and remove or link the other copies.",
        )


def _members(path: str) -> list[str] | None:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()[:MAX_ARCHIVE_MEMBERS]
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                names = []
                for member in archive:
                    if member.isfile():
                        names.append(member.name)
                    if len(names) >= MAX_ARCHIVE_MEMBERS:
                        break
        else:
            return None
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError):
        return None
    return [name for name in names if not name.endswith("/")]


def archive_findings(records: Iterable[FileRecord], root: str) -> Iterator[Finding]:
    """An archive whose members (most of them) also lie unpacked beside it."""
    records = list(records)
    present = {record.path for record in records}
    for record in records:
        if record.category != "archive" or record.kind is not Kind.FILE:
            continue
        members = _members(os.path.join(root, *record.path.split("/")))
        if not members:
            continue
        folder = record.path.rsplit("/", 1)[0] + "/" if "/" in record.path else ""
        stem = record.name[: -len(record.extension)] if record.extension else record.name
        bases = (folder, f"{folder}{stem}/")
        for base in bases:
            found = sum(1 for name in members if f"{base}{name.lstrip('./')}" in present)
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
