"""Which paths git would ignore: ``.gitignore`` files and ``.git/info/exclude``.

Rules apply only inside a git work tree (a ``.git`` in the root or above it).
Outside one, a stray ``.gitignore`` hides nothing: a source tarball may carry a
``.gitignore`` of ``/*`` that would otherwise hide the whole tree. The user's
global excludes file is not read, so that a report does not depend on who ran it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

__all__ = ["IgnoreRules", "find_work_tree", "read_patterns"]


def find_work_tree(root: str) -> str | None:
    """The top of the git work tree that holds ``root``, or None."""
    current = os.path.abspath(root)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def read_patterns(path: str) -> list[str]:
    """The pattern lines of an ignore file; a missing or unreadable file has none."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return []
    return data.decode("utf-8", "surrogateescape").splitlines()


@dataclass(frozen=True, slots=True)
class _Level:
    base: str  # directory the patterns are relative to ("" for the work-tree top)
    spec: GitIgnoreSpec


class IgnoreRules:
    """A stack of ignore levels, deepest last; paths are relative to the work-tree top."""

    __slots__ = ("_levels",)

    def __init__(self, levels: tuple[_Level, ...] = ()) -> None:
        self._levels = levels

    @classmethod
    def from_patterns(cls, patterns: list[str], base: str = "") -> IgnoreRules:
        return cls().with_patterns(patterns, base)

    def with_patterns(self, patterns: list[str], base: str) -> IgnoreRules:
        """These rules plus one deeper level; unchanged when there is no pattern."""
        lines = [line for line in patterns if line.strip() and not line.startswith("#")]
        if not lines:
            return self
        return IgnoreRules((*self._levels, _Level(base, GitIgnoreSpec.from_lines(lines))))

    def __bool__(self) -> bool:
        return bool(self._levels)

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git would ignore ``path``: the deepest level with a matching pattern decides."""
        for level in reversed(self._levels):
            if level.base:
                if not path.startswith(level.base + "/"):
                    continue
                relative = path[len(level.base) + 1 :]
            else:
                relative = path
            result = level.spec.check_file(relative + "/" if is_dir else relative)
            if result.include is not None:
                return result.include
        return False
