"""One traversal of a tree: every entry once, with its ``lstat``.

Honours ``.gitignore`` inside a git work tree and ``--exclude`` globs; never
enters ``.git``; records symbolic links instead of following them unless
asked, and then never follows one into a directory it has already seen.
Folders in ``WalkSettings.skip`` (repolens' own output and cache, by device and
inode) are left out whatever their names. Nothing is dropped silently: a
directory that cannot be listed, or an entry that cannot be stat'ed, is yielded
with its error; only an entry that vanished (ENOENT) since its folder was listed
is passed over. Paths of any depth are reached (see ``safeio``).
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..core import safeio
from ..core.gitsafe import git_output
from ..core.records import Kind, display_path
from .ignore import IgnoreRules, find_work_tree, read_patterns

__all__ = ["Entry", "WalkSettings", "WalkStats", "walk"]


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # as the OS takes it (absolute, or relative to the cwd as the root was given)
    rel: str  # relative to the root, "/"-separated; may hold surrogate escapes
    kind: Kind
    stat: os.stat_result | None
    error: str | None = None  # why a directory could not be listed or an entry stat'ed
    link_target: str | None = None
    link_note: str | None = None  # "broken", "loop", "followed"


@dataclass(frozen=True)
class WalkSettings:
    gitignore: bool | None = None  # None: apply inside a git work tree only
    excludes: tuple[str, ...] = ()
    follow_symlinks: bool = False
    skip: frozenset[tuple[int, int]] = frozenset()  # (st_dev, st_ino) of entries to leave out


@dataclass
class WalkStats:
    work_tree: str | None = None  # top of the git work tree holding the root
    gitignore_applied: bool = False
    root_ignored: bool = False  # the root itself is git-ignored: its work tree's rules are off
    gitignored: int = 0  # entries git ignores (an ignored directory counts once)
    excluded: int = 0  # entries matched by --exclude (likewise)
    directories: int = 0
    notes: list[str] = field(default_factory=list)  # ignore lines or files that were skipped


def _error_text(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _shown(path: str, root: str) -> str:
    """An ignore file as notes name it: relative to the scanned root, "/"-separated."""
    return os.path.relpath(path, os.path.abspath(root)).replace(os.sep, "/")


def _initial_rules(root: str, work_tree: str, notes: list[str]) -> tuple[IgnoreRules, str]:
    """Rules from the work-tree top down to (not including) the root; root's path in the tree."""
    exclude = os.path.join(work_tree, ".git", "info", "exclude")
    shown = _shown(exclude, root)
    rules = IgnoreRules.from_patterns(
        read_patterns(exclude, notes, shown)
        if os.path.isdir(os.path.join(work_tree, ".git"))
        else [],
        "",
        notes,
        shown,
    )
    rel_root = os.path.relpath(os.path.abspath(root), work_tree)
    if rel_root == ".":
        return rules, ""
    rel_root = rel_root.replace(os.sep, "/")
    parts = rel_root.split("/")
    for depth in range(len(parts)):
        base = "/".join(parts[:depth])
        directory = os.path.join(work_tree, *parts[:depth])
        ignore_file = os.path.join(directory, ".gitignore")
        shown = _shown(ignore_file, root)
        rules = rules.with_patterns(read_patterns(ignore_file, notes, shown), base, notes, shown)
    return rules, rel_root


def _tracked(root: str, notes: list[str]) -> tuple[frozenset[str], frozenset[str]] | None:
    """Files git tracks under ``root`` (relative to it) and the folders above them.

    Git never ignores a tracked file, whatever the patterns say. None when git
    is not installed or does not answer: then patterns alone decide (and ``notes``
    says why git did not answer, when it was there to ask).
    """
    problems: list[str] = []
    listing = git_output(root, "ls-files", "-z", "--cached", problems=problems)
    notes.extend(f"tracked files unknown, ignore patterns alone apply: {item}" for item in problems)
    if listing is None:
        return None
    files = frozenset(os.fsdecode(item) for item in listing.split(b"\0") if item)
    folders = {name.rsplit("/", 1)[0] for name in files if "/" in name}
    for folder in list(folders):
        while "/" in folder:
            folder = folder.rsplit("/", 1)[0]
            folders.add(folder)
    return files, frozenset(folders)


def _ignored_path(rules: IgnoreRules, path: str) -> bool:
    """Whether a directory path, or any folder above it, is ignored."""
    parts = path.split("/")
    return any(rules.ignored("/".join(parts[: depth + 1]), True) for depth in range(len(parts)))


def walk(
    root: str,
    settings: WalkSettings = WalkSettings(),
    stats: WalkStats | None = None,
    on_directory: Callable[[int], None] | None = None,
) -> Iterator[Entry]:
    """Yield every entry under ``root`` (a directory) once, in the order reports sort
    paths (``display_path``, compared as text), holding one listing per open folder."""
    stats = stats if stats is not None else WalkStats()
    work_tree = find_work_tree(root)
    stats.work_tree = work_tree
    apply_git = settings.gitignore if settings.gitignore is not None else work_tree is not None
    apply_git = apply_git and work_tree is not None
    notes: list[str] = []
    rules, prefix = IgnoreRules(), ""
    if apply_git and work_tree is not None:
        rules, prefix = _initial_rules(root, work_tree, notes)
    if apply_git and prefix and _ignored_path(rules, prefix):
        # The user named a folder git ignores (a data or build folder, a virtualenv):
        # analyse it as if it were outside the work tree rather than report nothing.
        stats.root_ignored = True
        apply_git = False
        rules, prefix = IgnoreRules(), ""
        notes = []
    stats.notes.extend(notes)
    stats.gitignore_applied = apply_git
    tracked = _tracked(root, stats.notes) if apply_git else None
    tracked_files, tracked_dirs = tracked if tracked is not None else (frozenset(), frozenset())
    excludes = IgnoreRules.from_patterns(list(settings.excludes), "", None, "--exclude")
    context = _Context(
        settings,
        stats,
        excludes,
        prefix,
        tracked_files,
        tracked_dirs,
        settings.skip,
        set(),  # folders outside the root reached through links
        os.path.realpath(root),
    )
    stack: list[Iterator[Entry | _Folder]] = [iter([_Folder.at(root, "", rules, False)])]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        if isinstance(item, Entry):
            yield item
            continue
        stats.directories += 1
        if on_directory is not None:
            on_directory(stats.directories)
        try:
            with safeio.scandir(item.path) as iterator:
                keyed, links, has_gitignore = _listing(iterator, settings.follow_symlinks)
            rules = item.rules
            if apply_git and not item.inside_ignored and has_gitignore:
                rules = _with_gitignore(item, prefix, stats)
            keyed = _sorted(item, keyed, links, rules, context)
        except OSError as error:
            yield Entry(item.path, item.rel or ".", Kind.DIRECTORY, None, error=_error_text(error))
            continue
        stack.append(_in_order(item, keyed, rules, context))


@dataclass(frozen=True, slots=True)
class _Folder:
    """A folder to list when the walk reaches its place in the order of paths."""

    path: str
    rel: str
    rules: IgnoreRules  # in force for its children (before its own .gitignore)
    inside_ignored: bool
    prefix: str = ""  # what a child's name is appended to for its path (``os.path.join``)

    @classmethod
    def at(cls, path: str, rel: str, rules: IgnoreRules, inside_ignored: bool) -> _Folder:
        return cls(path, rel, rules, inside_ignored, os.path.join(path, ""))


@dataclass(frozen=True, slots=True)
class _Context:
    settings: WalkSettings
    stats: WalkStats
    excludes: IgnoreRules
    prefix: str
    tracked_files: frozenset[str]
    tracked_dirs: frozenset[str]
    skip: frozenset[tuple[int, int]]
    seen_dirs: set[tuple[int, int]]
    real_root: str


def _with_gitignore(folder: _Folder, prefix: str, stats: WalkStats) -> IgnoreRules:
    """The rules for a folder's children: its parent's plus its own ``.gitignore``."""
    rel_dir = folder.rel
    here = f"{prefix}/{rel_dir}".strip("/") if prefix else rel_dir
    ignore_file = os.path.join(folder.path, ".gitignore")
    shown = f"{rel_dir}/.gitignore" if rel_dir else ".gitignore"
    patterns = read_patterns(ignore_file, stats.notes, shown)
    return folder.rules.with_patterns(patterns, here, stats.notes, shown)


def _sort_key(name: str) -> str:
    """A name as reports write it (``display_path``)."""
    if name.isascii() and "\\" not in name:
        return name
    return display_path(name)[0]


_Keyed = tuple[str, "str | Entry | _Folder | None"]


def _listing(
    iterator: Iterator[os.DirEntry[str]], follow: bool
) -> tuple[list[_Keyed], set[str], bool]:
    """A folder's children as ``(key, name)``: the key is the name as reports write it,
    with ``/`` after a folder's (all its paths start so), so that a depth-first walk in
    key order yields paths in the order reports sort them. Only names are held (a
    folder of a million files costs its names); each entry is classified later, one
    ``lstat`` each. Also the names of symbolic links (when links are followed) and
    whether the folder has a ``.gitignore``."""
    keyed: list[_Keyed] = []
    links: set[str] = set()
    has_gitignore = False
    for child in iterator:
        name = child.name
        key = _sort_key(name)
        try:
            is_dir = child.is_dir(follow_symlinks=False)
            if follow and not is_dir and child.is_symlink():
                links.add(name)
        except OSError:
            is_dir = False
        if name == ".gitignore":
            has_gitignore = True
        keyed.append((key + "/" if is_dir else key, name))
    return keyed, links, has_gitignore


def _sorted(
    folder: _Folder,
    keyed: list[_Keyed],
    links: set[str],
    rules: IgnoreRules,
    context: _Context,
) -> list[_Keyed]:
    """The children in key order. Followed links are classified first, in name order
    (which link reaches a folder first must not vary): one walked as a folder is keyed
    ``name/``."""
    keyed.sort(key=_first)
    if links:
        for index, (key, name) in enumerate(keyed):
            if name in links:
                outcome = _child(folder, name, False, rules, context)
                keyed[index] = (key + "/" if isinstance(outcome, _Folder) else key, outcome)
        keyed.sort(key=_first)
    return keyed


def _first(item: _Keyed) -> str:
    return item[0]


def _in_order(
    folder: _Folder, keyed: list[_Keyed], rules: IgnoreRules, context: _Context
) -> Iterator[Entry | _Folder]:
    """The entries and subfolders of one listed folder, in key order.

    A subfolder that cannot be listed is recorded under its own path (``name``), which
    sorts before siblings such as ``name.txt`` that sort before ``name/``: such a folder
    is opened once at that earlier place, so its record comes where its path sorts."""
    probes = _probe_places(keyed)
    resolved: dict[int, Entry | _Folder | None] = {}
    for index, (_key, item) in enumerate(keyed):
        for later in probes.get(index, ()):
            outcome = _resolve(folder, keyed[later], rules, context)
            if isinstance(outcome, _Folder):
                failure = _probe(outcome)
                if failure is not None:
                    outcome = failure
            resolved[later] = outcome
            if isinstance(outcome, Entry):
                yield outcome
                resolved[later] = None
        if index in resolved:
            outcome = resolved.pop(index)
        else:
            outcome = _resolve(folder, (_key, item), rules, context)
        if outcome is not None:
            yield outcome


def _resolve(
    folder: _Folder, keyed: _Keyed, rules: IgnoreRules, context: _Context
) -> Entry | _Folder | None:
    key, item = keyed
    if isinstance(item, str):
        return _child(folder, item, key.endswith("/"), rules, context)
    return item


def _probe_places(keyed: list[_Keyed]) -> dict[int, list[int]]:
    """``{index: [subfolders to open there]}`` for subfolders with siblings between
    ``name`` and ``name/`` (rare: ``data`` beside ``data.csv`` or ``data-old``)."""
    places: dict[int, list[int]] = {}
    for index, (key, _item) in enumerate(keyed):
        if not key.endswith("/") or index == 0:
            continue
        name = key[:-1]
        before = index
        while before > 0 and keyed[before - 1][0].startswith(name):
            before -= 1
        if before < index:
            places.setdefault(before, []).append(index)
    return places


def _probe(folder: _Folder) -> Entry | None:
    """The error entry of a folder that cannot be opened; None when it can."""
    try:
        with safeio.scandir(folder.path):
            return None
    except OSError as error:
        return Entry(folder.path, folder.rel, Kind.DIRECTORY, None, error=_error_text(error))


def _child(
    folder: _Folder, name: str, is_dir: bool, rules: IgnoreRules, context: _Context
) -> Entry | _Folder | None:
    """One child of a listed folder (``is_dir`` as its listing said): an entry, a folder
    to walk, or None when left out."""
    stats = context.stats
    rel_dir, inside_ignored = folder.rel, folder.inside_ignored
    rel = f"{rel_dir}/{name}" if rel_dir else name
    path = folder.prefix + name
    if is_dir and name == ".git":
        return None
    if context.excludes and context.excludes.ignored(rel, is_dir):
        stats.excluded += 1
        return None
    ignored_here = False
    if rules:
        tree_path = f"{context.prefix}/{rel}" if context.prefix else rel
        tracked = rel in (context.tracked_dirs if is_dir else context.tracked_files)
        if inside_ignored:
            # Under an ignored folder git lists tracked files only: no pattern re-includes.
            if not tracked:
                return None
            ignored_here = True
        elif rules.ignored(tree_path, is_dir):
            if not tracked:
                stats.gitignored += 1
                return None
            ignored_here = True
    try:
        child_stat = _lstat(path)
    except FileNotFoundError:  # vanished since the listing: nothing left to record
        return None
    except OSError as error:
        kind = Kind.DIRECTORY if is_dir else Kind.FILE
        return Entry(path, rel, kind, None, error=f"cannot stat: {_error_text(error)}")
    if context.skip and (child_stat.st_dev, child_stat.st_ino) in context.skip:
        return None
    mode = child_stat.st_mode
    if is_dir:
        return _Folder.at(path, rel, rules, inside_ignored or ignored_here)
    if stat_module.S_ISLNK(mode):
        entry = _link_entry(
            path, rel, child_stat, context.settings, context.seen_dirs, context.real_root
        )
        if entry.link_note == "followed-directory":
            return _Folder.at(path, rel, rules, inside_ignored or ignored_here)
        return entry
    kind = Kind.FILE if stat_module.S_ISREG(mode) else Kind.SPECIAL
    return Entry(path, rel, kind, child_stat)


def _lstat(path: str) -> os.stat_result:
    """The entry's lstat; through folder descriptors when its path is too long for one call."""
    try:
        return os.stat(path, follow_symlinks=False)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
    return safeio.lstat(path)


def _link_entry(
    path: str,
    rel: str,
    link_stat: os.stat_result,
    settings: WalkSettings,
    seen_dirs: set[tuple[int, int]],
    real_root: str,
) -> Entry:
    try:
        target = safeio.readlink(path)
    except OSError:
        target = None
    try:
        target_stat = safeio.stat(path)
    except OSError as error:
        note = "loop" if error.errno == errno.ELOOP else "broken"
        return Entry(path, rel, Kind.SYMLINK, link_stat, link_target=target, link_note=note)
    if not settings.follow_symlinks:
        return Entry(path, rel, Kind.SYMLINK, link_stat, link_target=target, link_note=None)
    if stat_module.S_ISDIR(target_stat.st_mode):
        # A folder inside the tree is walked where it really is; one outside, once.
        real = os.path.realpath(path)
        if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
            return Entry(path, rel, Kind.SYMLINK, link_stat, link_target=target, link_note="inside")
        key = (target_stat.st_dev, target_stat.st_ino)
        if key in seen_dirs:
            return Entry(path, rel, Kind.SYMLINK, link_stat, link_target=target, link_note="loop")
        seen_dirs.add(key)
        return Entry(
            path, rel, Kind.SYMLINK, link_stat, link_target=target, link_note="followed-directory"
        )
    kind = Kind.FILE if stat_module.S_ISREG(target_stat.st_mode) else Kind.SPECIAL
    return Entry(path, rel, kind, target_stat, link_target=target, link_note="followed")
