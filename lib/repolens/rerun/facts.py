"""What the tree and git say about the files a failed run names: the one place the
classification of causes reads anything.

``gather(root, findings, executions)`` asks once for every relative path the failures
name (at most ``MAX_PATHS``): is it in the tree, is it a Git LFS pointer (its first
bytes, through the safe reader), would git ignore it (``.git/info/exclude`` and each
folder's ``.gitignore``, read as the walk reads them), does git track it, did any commit
hold it (git run as data, through ``core.gitsafe``). It also reads what the tree's
environment specifications declare, as the EN002 check reads them, so that a module the
specification declares but the run lacked is not called a miss of the static check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..checks.declarations import Declared
from ..checks.environment import Tree, declarations, is_specification
from ..checks.source import Source
from ..core import safeio
from ..core.findings import Finding
from ..core.gitsafe import git_output
from ..scanning.ignore import IgnoreRules, find_work_tree, read_patterns
from .causes import ABSOLUTE, Context, FileFacts, named_paths
from .model import Execution
from .specs import MAX_SPEC_BYTES

__all__ = ["MAX_PATHS", "declared_names", "gather", "is_ignored"]

MAX_PATHS = 100

_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def _inside(root: str, path: str) -> str | None:
    """``path`` (relative to ``root``) on disk, or None when it would leave the root."""
    if not path or path.startswith("../") or path == ".." or ABSOLUTE.match(path):
        return None
    return os.path.join(root, *path.split("/"))


def _head(path: str) -> bytes:
    try:
        return safeio.read_content(path, len(_LFS_POINTER))
    except OSError:
        return b""


def is_ignored(work_tree: str, relative: str) -> bool:
    """Whether git would ignore ``relative`` (from the work-tree top) or a folder above
    it: ``.git/info/exclude``, then each folder's ``.gitignore`` on the way down."""
    rules = IgnoreRules.from_patterns(
        read_patterns(os.path.join(work_tree, ".git", "info", "exclude")), ""
    )
    rules = rules.with_patterns(read_patterns(os.path.join(work_tree, ".gitignore")), "")
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        name = "/".join(parts[:depth])
        if rules.ignored(name, depth < len(parts)):
            return True
        if depth < len(parts):
            ignore_file = os.path.join(work_tree, *parts[:depth], ".gitignore")
            rules = rules.with_patterns(read_patterns(ignore_file), name)
    return False


def _facts(root: str, path: str, work_tree: str | None, tracked: set[str]) -> FileFacts:
    disk = _inside(root, path)
    if disk is None:
        return FileFacts(path)
    try:
        exists = os.path.lexists(disk)
    except (OSError, ValueError):
        exists = False
    pointer = exists and _head(disk).startswith(_LFS_POINTER)
    ignored = committed = False
    if work_tree is not None:
        top = os.path.relpath(os.path.abspath(root), work_tree).replace(os.sep, "/")
        relative = path if top == "." else f"{top}/{path}"
        ignored = is_ignored(work_tree, relative)
        log = git_output(
            root, "--literal-pathspecs", "log", "--all", "--format=%H", "-1", "--", path
        )
        committed = bool(log and log.strip())
    return FileFacts(path, exists, pointer, ignored, path in tracked, committed)


def _spec_paths(root: str) -> list[str]:
    """The environment specifications repo2docker would use: at the top, in binder/ or
    .binder/, requirements files in requirements/ (names as the checks spell them)."""
    found: list[str] = []
    for folder in ("", "binder", ".binder", "requirements"):
        try:
            names = sorted(os.listdir(os.path.join(root, folder) if folder else root))
        except OSError:
            continue
        found += [
            path
            for path in (f"{folder}/{name}" if folder else name for name in names)
            if is_specification(path)
        ]
    return found


def declared_names(root: str) -> dict[str, str]:
    """Each distribution the specifications declare (normalised) -> where (``file:line``);
    a file that is a link, unreadable or over ``MAX_SPEC_BYTES`` is left out."""
    found: dict[str, str] = {}
    for path in _spec_paths(root):
        try:
            data = safeio.read_small_file(os.path.join(root, *path.split("/")), MAX_SPEC_BYTES)
        except OSError:
            continue
        source = Source(path, "text", data.decode("utf-8", "replace"))
        for item in declarations(source):
            if isinstance(item, Declared):
                found.setdefault(item.name, f"{item.path}:{item.line}")
    return found


def gather(
    root: str,
    findings: Iterable[Finding] = (),
    executions: Iterable[Execution] = (),
    paths: Iterable[str] = (),
    environment_problem: str = "",
) -> Context:
    """A ``Context`` for classifying ``executions`` of the repository at ``root``: the
    findings, the facts about each relative file their failures name, and the top-level
    modules of the repository's own files (``paths``, relative to ``root``)."""
    wanted = sorted(
        {
            path
            for execution in executions
            for path in named_paths(execution)
            if not ABSOLUTE.match(path)
        }
    )[:MAX_PATHS]
    work_tree = find_work_tree(root)
    tracked: set[str] = set()
    if work_tree is not None and wanted:
        listing = git_output(root, "--literal-pathspecs", "ls-files", "-z", "--", *wanted)
        tracked = {os.fsdecode(item) for item in (listing or b"").split(b"\0") if item}
    tree = Tree()
    for path in paths:
        tree.add_path(path)
    local = {name for names in tree.provided.values() for name in names}
    return Context(
        findings=tuple(findings),
        files={path: _facts(root, path, work_tree, tracked) for path in wanted},
        local_modules=frozenset(local),
        git=work_tree is not None,
        environment_problem=environment_problem,
        declared=declared_names(root),
    )
