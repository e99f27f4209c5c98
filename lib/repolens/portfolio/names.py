"""The folder each repository of a portfolio writes into: one per repository, by construction.

A name is the repository's own folder name made safe (``[A-Za-z0-9._-]``, at most 64
characters, no leading or trailing dot, dash or underscore; ``repository`` when nothing
is left). A name shared by two repositories (compared without case, as a case-insensitive
file system or a zip compares them), or equal to a file the portfolio writes beside the
folders, gets a suffix made from the listed path; a suffixed name that still meets a name
already taken (a listed folder may be called ``x-<suffix>`` on purpose) takes a longer
suffix, then a numbered one. Every name is checked against every other: the same list
gives the same names, whichever shard reads it, and no two repositories share a folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["MAX_NAME", "RESERVED", "folder_names", "safe_name"]

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EDGES = "._-"
RESERVED = frozenset(
    {
        "portfolio.json",
        "portfolio.csv",
        "portfolio.ipynb",
        "portfolio.html",
        "portfolio_distributions.png",
        "portfolio_committed.png",
        "portfolio_checks.png",
    }
)
"""What the portfolio writes beside the repositories' folders (lower case)."""
_SUFFIXES = (8, 16, 32)  # hex digits of the listed path's SHA-256, shortest first


def safe_name(text: str) -> str:
    """A folder name made of ``[A-Za-z0-9._-]`` from any text (bidi, newlines, ``..``)."""
    name = _UNSAFE.sub("_", text).strip(_EDGES)[:MAX_NAME].rstrip(_EDGES)
    return name or "repository"


def _key(name: str) -> str:
    return name.lower()


def _candidates(name: str, path: str) -> list[str]:
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()
    return [f"{name[: MAX_NAME - 1 - size].rstrip(_EDGES)}-{digest[:size]}" for size in _SUFFIXES]


def _numbered(name: str, path: str, taken: set[str]) -> str:
    """The first of ``name-<digest of path and n>``, n = 1, 2, ..., not taken: reached only
    when 64 hex digits of SHA-256 meet a name already given, so never in practice."""
    number = 0
    while True:
        number += 1
        digest = hashlib.sha256(os.fsencode(path) + b"\0%d" % number).hexdigest()[:16]
        candidate = f"{name[: MAX_NAME - 17].rstrip(_EDGES)}-{digest}"
        if _key(candidate) not in taken:
            return candidate


def folder_names(entries: Sequence[tuple[str, str]]) -> list[str]:
    """One folder name per ``(listed path, folder name)``, in order; unique without case
    and never one of ``RESERVED``.

    A safe name held by one entry alone (without case) is kept; the others, in list
    order, take the first suffixed form not taken yet. Kept names are taken first, so a
    folder already called like another's suffixed name keeps its name."""
    bases = [safe_name(folder) for _path, folder in entries]
    counts = Counter(_key(base) for base in bases)
    keep = [counts[_key(base)] == 1 and _key(base) not in RESERVED for base in bases]
    taken = {_key(base) for base, kept in zip(bases, keep, strict=True) if kept} | RESERVED
    names = []
    for (path, _folder), base, kept in zip(entries, bases, keep, strict=True):
        if kept:
            names.append(base)
            continue
        name = next(
            (each for each in _candidates(base, path) if _key(each) not in taken), None
        ) or _numbered(base, path, taken)
        taken.add(_key(name))
        names.append(name)
    return names
