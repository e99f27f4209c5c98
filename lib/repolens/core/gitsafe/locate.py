"""Finding the repository that holds a folder by reading the folders as data: no git
runs, a ``.git`` that is a symbolic link is not followed."""

from __future__ import annotations

import os
import stat as stat_module
from dataclasses import dataclass

from .. import safeio
from .errors import NotARepository

__all__ = ["SMALL_BYTES", "Location", "is_directory", "locate"]

SMALL_BYTES = 64 << 10  # HEAD, commondir, a ".git" file


@dataclass(frozen=True, slots=True)
class Location:
    """Where a repository's parts are, found by reading the folders as data."""

    git_dir: str  # absolute, links resolved
    common_dir: str  # where its objects and refs are: the git dir, or what commondir names
    work_tree: str | None  # None: a bare repository
    start: str  # the folder asked about, links resolved


def is_directory(path: str) -> bool:
    try:
        return stat_module.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _common_dir(folder: str) -> str | None:
    """The folder holding a git dir's objects and refs, when ``folder`` is a git dir:
    a ``HEAD`` (file or link), and ``objects`` and ``refs`` folders (in the folder its
    ``commondir`` names, for a linked work tree's)."""
    try:
        head = os.lstat(os.path.join(folder, "HEAD")).st_mode
    except OSError:
        return None
    if not (stat_module.S_ISREG(head) or stat_module.S_ISLNK(head)):
        return None
    common = folder
    try:
        named = safeio.read_small_file(os.path.join(folder, "commondir"), SMALL_BYTES)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    else:
        text = os.fsdecode(named).strip()
        common = os.path.realpath(os.path.join(folder, text))
    if is_directory(os.path.join(common, "objects")) and is_directory(os.path.join(common, "refs")):
        return common
    return None


def _git_file(path: str) -> str | None:
    """The folder a ``.git`` file names (``gitdir: PATH``), resolved; None when it names none."""
    try:
        text = os.fsdecode(safeio.read_small_file(path, SMALL_BYTES))
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = text[len("gitdir:") :].strip()
    return os.path.realpath(os.path.join(os.path.dirname(path), target)) if target else None


def locate(path: str) -> Location:
    """The repository holding ``path``: the nearest folder at or above it with a ``.git``
    folder or ``.git`` file (a work tree), or that is a git folder itself (a bare
    repository). A ``.git`` that is a symbolic link is not followed. ``NotARepository``
    when there is none, or when ``path`` is inside a work tree's git folder."""
    start = os.path.realpath(path)
    current = start
    while True:
        dot = os.path.join(current, ".git")
        try:
            mode = os.lstat(dot).st_mode
        except OSError:
            mode = 0
        git_dir = None
        if stat_module.S_ISDIR(mode):
            git_dir = dot
        elif stat_module.S_ISREG(mode):
            git_dir = _git_file(dot)
        if git_dir is not None and (common := _common_dir(git_dir)) is not None:
            return Location(os.path.realpath(git_dir), common, current, start)
        if (common := _common_dir(current)) is not None:
            inside = current != start or os.path.basename(current) == ".git"
            if inside:
                raise NotARepository(f"{path}: inside git's own folder, not a work tree")
            return Location(current, common, None, start)
        parent = os.path.dirname(current)
        if parent == current:
            raise NotARepository(f"{path}: not a git repository")
        current = parent
