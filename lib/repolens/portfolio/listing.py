"""Which repositories a portfolio holds, under which names, and which shard owns each.

A list is a text file (UTF-8, a byte-order mark and CRLF line ends allowed; one folder
per line; blank lines and lines starting with ``#`` are skipped; relative paths are
taken from the list's own folder), read through the safe reader (a regular file, at
most ``MAX_LIST_BYTES``), or a folder whose subfolders are the repositories. A folder's
repositories are its real subfolders: an entry that is a symbolic link is listed but
never followed (its analysis fails and says so), and the output folder, wherever it is
reached from, is not a repository. Each repository gets a folder name of its own
(``names.folder_names``), so the same list always gives the same names, whatever shard
reads it. Repository ``i`` (its position in the list) belongs to shard ``i % count``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..core import safeio
from .names import folder_names

__all__ = [
    "MAX_LIST_BYTES",
    "MAX_PATH_BYTES",
    "ListError",
    "Repository",
    "identity",
    "read_list",
    "shard_of",
]

MAX_LIST_BYTES = 16 << 20
MAX_PATH_BYTES = 4096  # a line longer than this is no folder (PATH_MAX on Linux)
_BOM = b"\xef\xbb\xbf"
_BLANKS = " \t\r"


class ListError(Exception):
    """The list cannot be read: missing, unreadable, not text, or naming nothing."""


@dataclass(frozen=True)
class Repository:
    index: int  # position in the list
    name: str  # the folder its results go into
    path: str  # as the list gives it
    location: str  # absolute
    follow_links: bool = True  # False for a folder's entries: a link there is not followed


def identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(st_dev, st_ino)`` of what ``path`` leads to; None when it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _lines(path: Path) -> list[str]:
    try:
        data = safeio.read_content(str(path), MAX_LIST_BYTES, follow=True)
    except safeio.NotRegularFile as error:
        raise ListError(f"{path}: {error.strerror}: a list is a text file or a folder") from None
    except OSError as error:
        raise ListError(f"{path}: cannot read the list: {error.strerror or error}") from None
    if len(data) > MAX_LIST_BYTES:
        raise ListError(f"{path}: the list is over {MAX_LIST_BYTES >> 20} MiB")
    if b"\0" in data:
        raise ListError(f"{path}: not a text file (a list holds one folder per line)")
    text = data.removeprefix(_BOM).decode("utf-8", "surrogateescape")
    lines = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip(_BLANKS)
        if not line or line.startswith("#"):
            continue
        if len(os.fsencode(line)) > MAX_PATH_BYTES:
            raise ListError(f"{path}: line {number} is over {MAX_PATH_BYTES:,} bytes: no folder")
        lines.append(line)
    return lines


def _subfolders(where: Path, skip: Path | None) -> list[str]:
    """The names of a folder's subfolders (links to folders too: their analysis refuses
    them), sorted; hidden ones and the output folder (by identity) left out."""
    skipped = identity(skip) if skip is not None else None
    try:
        with os.scandir(where) as listing:
            return sorted(
                entry.name
                for entry in listing
                if not entry.name.startswith(".")
                and entry.is_dir()
                and (skipped is None or identity(entry.path) != skipped)
            )
    except OSError as error:
        raise ListError(f"{where}: cannot list the folder: {error.strerror}") from None


def read_list(source: str | os.PathLike[str], skip: Path | None = None) -> list[Repository]:
    """The repositories of a list file or folder, in list order (a folder: by name).

    ``skip``: the output folder, never one of a folder's repositories."""
    where = Path(source)
    if where.is_dir():
        base, paths, follow = where, _subfolders(where, skip), False
    elif os.path.lexists(where):
        base, paths, follow = where.parent, _lines(where), True
    else:
        raise ListError(f"{where}: no such list file or folder")
    if not paths:
        raise ListError(f"{where}: names no repository")
    chosen: dict[str, str] = {}  # location -> path as listed
    for path in paths:
        location = os.path.abspath(os.path.join(base, path))
        chosen.setdefault(location, path)  # listed twice: analysed once
    entries = [(path, os.path.basename(location)) for location, path in chosen.items()]
    return [
        Repository(index, name, path, location, follow)
        for index, ((location, path), name) in enumerate(
            zip(chosen.items(), folder_names(entries), strict=True)
        )
    ]


def shard_of(index: int, count: int) -> int:
    return index % count
