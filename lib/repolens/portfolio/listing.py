"""Which repositories a portfolio holds, under which names, and which shard owns each.

A list is a text file (one folder per line; blank lines and lines starting with ``#``
are skipped; relative paths are taken from the list's own folder) or a folder whose
subfolders are the repositories. Each repository gets a name that is a safe folder name
(``[A-Za-z0-9._-]``, at most 64 characters, no leading dot); names that collide get a
suffix made from their path, so the same list always gives the same names, whatever
shard reads it. Repository ``i`` (its position in the list) belongs to shard
``i % count``.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ListError", "Repository", "read_list", "shard_of"]

MAX_LIST_BYTES = 16 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
RESERVED = frozenset({"portfolio.json", "portfolio.csv", "portfolio.ipynb"})


class ListError(Exception):
    """The list cannot be read: missing, unreadable, not text, or naming nothing."""


@dataclass(frozen=True)
class Repository:
    index: int  # position in the list
    name: str  # the folder its results go into
    path: str  # as the list gives it
    location: str  # absolute


def _safe(name: str) -> str:
    text = _UNSAFE.sub("_", name).strip("._-")[:64]
    return text or "repository"


def _lines(path: Path) -> list[str]:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block, a device never end
            raise ListError(f"{path}: not a regular file (a list is a text file or a folder)")
        with open(path, "rb") as handle:
            data = handle.read(MAX_LIST_BYTES + 1)
    except OSError as error:
        raise ListError(f"{path}: cannot read the list: {error.strerror or error}") from None
    if len(data) > MAX_LIST_BYTES:
        raise ListError(f"{path}: the list is over {MAX_LIST_BYTES >> 20} MiB")
    if b"\0" in data:
        raise ListError(f"{path}: not a text file (a list holds one folder per line)")
    text = data.decode("utf-8", "surrogateescape")
    return [line.strip() for line in text.splitlines()]


def read_list(source: str | os.PathLike[str], skip: Path | None = None) -> list[Repository]:
    """The repositories of a list file or folder, in list order (a folder: by name)."""
    where = Path(source)
    if where.is_dir():
        base = where
        skipped = os.path.realpath(skip) if skip is not None else None
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(where)
                if not entry.name.startswith(".")
                and entry.is_dir()
                and os.path.realpath(entry.path) != skipped
            )
        except OSError as error:
            raise ListError(f"{where}: cannot list the folder: {error.strerror}") from None
        paths = names
    elif where.exists():
        base = where.parent
        paths = [line for line in _lines(where) if line and not line.startswith("#")]
    else:
        raise ListError(f"{where}: no such list file or folder")
    if not paths:
        raise ListError(f"{where}: names no repository")
    chosen: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for path in paths:
        location = os.path.abspath(os.path.join(base, path))
        if location in seen:
            continue  # listed twice: analysed once
        seen.add(location)
        chosen.append((path, location, _safe(os.path.basename(location.rstrip(os.sep)))))
    counts: dict[str, int] = {}
    for _path, _location, name in chosen:
        counts[name] = counts.get(name, 0) + 1
    out = []
    for index, (path, location, name) in enumerate(chosen):  # suffix: from the listed path
        if counts[name] > 1 or name in RESERVED:
            digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:8]
            name = f"{name[:55]}-{digest}"
        out.append(Repository(index, name, path, location))
    return out


def shard_of(index: int, count: int) -> int:
    return index % count
