"""The requirements files that ``-r`` and ``-c`` lines name, read at a bounded cost.

A requirements file may include another (``-r base.txt``, ``-c constraints.txt``), relative
to itself. What a file includes is read through the safe reader (a regular file inside the
tree, at most ``MAX_BYTES``), at most ``MAX_DEPTH`` includes deep and ``MAX_FILES`` files in
all, each once (so a loop ends), never outside the tree; what cannot be read is said.
"""

from __future__ import annotations

import os
import posixpath

from ..core import safeio
from .declarations import Declared, Include, read_included

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_FILES", "read_includes"]

MAX_BYTES = 1 << 20
MAX_DEPTH = 5
MAX_FILES = 100


def _target(include: Include) -> str | None:
    """The included file's path relative to the tree's top, or None outside it."""
    if "://" in include.target or include.target.startswith("/"):
        return None
    folder = posixpath.dirname(include.path)
    joined = posixpath.normpath(posixpath.join(folder, include.target))
    return None if joined == ".." or joined.startswith("../") else joined


def read_includes(
    root: str, includes: list[Include], read: set[str], notes: list[str] | None = None
) -> list[Declared]:
    """What the included files declare that the scan did not read itself (``read``)."""
    found: list[Declared] = []
    queue = [(include, 1) for include in includes]
    seen = set(read)
    while queue and len(seen) - len(read) < MAX_FILES:
        include, depth = queue.pop(0)
        target = _target(include)
        if target is None:
            if notes is not None:
                notes.append(
                    f"{include.path}:{include.line}: '{include.target}' is outside the tree: "
                    "not read"
                )
            continue
        if target in seen or depth > MAX_DEPTH:
            continue
        seen.add(target)
        try:
            data = safeio.read_small_file(os.path.join(root, *target.split("/")), MAX_BYTES)
        except OSError as error:
            if notes is not None:
                notes.append(
                    f"{include.path}:{include.line}: '{include.target}' not read "
                    f"({error.strerror or type(error).__name__})"
                )
            continue
        for item in read_included(target, data.decode("utf-8", "replace")):
            if isinstance(item, Include):
                queue.append((item, depth + 1))
            else:
                found.append(item)
    return found
