"""The stand-in git folder a session runs git against: a configuration written here
(the repository's format version and the extensions that say how its objects and refs
are stored, read as data), a copy of ``HEAD``, and links to the repository's objects,
refs, packed refs, shallow list and index, each checked to be a regular file (or absent)
first. git never reads the repository's own configuration, hooks or included files."""

from __future__ import annotations

import os
import re
import shutil
import stat as stat_module
from dataclasses import dataclass

from .. import safeio
from .errors import GitError, GitMissing
from .keys import environment
from .locate import SMALL_BYTES, Location, is_directory
from .process import TIMEOUT, run

__all__ = ["StandIn", "make_stand_in"]

_CONFIG_BYTES = 1 << 20  # a repository configuration larger than this is not read
_REF_ENTRIES = 100_000  # loose refs checked before git runs; past that the limits guard
_DROPPED_EXTENSIONS = frozenset({"partialclone", "worktreeconfig"})  # fetches, more config


def _regular_or_absent(path: str, shown: str) -> bool:
    """Whether ``path`` exists (as a regular file, links followed); ``GitError`` when it
    is anything else, which git would open and wait on or read for ever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as error:
        raise GitError(f"{shown} cannot be read ({error.strerror}): git not run") from None
    if not stat_module.S_ISREG(mode):
        raise GitError(f"{shown}: {safeio.NotRegularFile(mode).strerror}: git not run")
    return True


def _check_folder(folder: str, shown: str, limit: int) -> None:
    """Every entry below ``folder`` is a folder or a regular file (at most ``limit``
    entries are looked at)."""
    seen = 0
    pending = [folder]
    while pending and seen < limit:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except FileNotFoundError:
            continue
        except OSError as error:
            raise GitError(f"{shown} cannot be listed ({error.strerror}): git not run") from None
        for entry in entries:
            seen += 1
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                _regular_or_absent(entry.path, f"{shown}/{os.path.relpath(entry.path, folder)}")


def _read_config(data: bytes, session_folder: str, home: str) -> list[tuple[str, str | None]]:
    """The entries of a configuration file's text as git parses it (no includes), run
    where no repository can be found."""
    git = shutil.which("git")
    if git is None:
        raise GitMissing("git is not installed")
    env = environment(home)
    env["GIT_CEILING_DIRECTORIES"] = session_folder
    out = run(
        [git, "--no-pager", "config", "--no-includes", "--file", "-", "--list", "-z"],
        env,
        home,
        data,
        TIMEOUT,
        "config",
    )
    entries: list[tuple[str, str | None]] = []
    for item in out.split(b"\0"):
        if item:
            key, newline, value = os.fsdecode(item).partition("\n")
            entries.append((key, value if newline else None))
    return entries


_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _stand_in_config(entries: list[tuple[str, str | None]], bare: bool) -> str:
    """The configuration of the stand-in git folder: the repository's format version and
    extensions (but those that fetch or read more configuration), and ``core.bare``."""
    version = "0"
    extensions: dict[str, str] = {}
    for key, value in entries:
        lowered = key.lower()
        if lowered == "core.repositoryformatversion":
            if value is None or not value.strip().isdigit() or len(value) > 9:
                raise GitError(f"core.repositoryformatversion {value!r} is not a number")
            version = value.strip()
        elif lowered.startswith("extensions.") and value is not None:
            name = lowered[len("extensions.") :]
            if name in _DROPPED_EXTENSIONS:
                continue
            if not (_TOKEN.fullmatch(name) and _TOKEN.fullmatch(value.strip())):
                raise GitError(f"extensions.{name[:40]!r} cannot be read")
            extensions[name] = value.strip()
    lines = [
        "[core]",
        f"\trepositoryformatversion = {version}",
        f"\tbare = {'true' if bare else 'false'}",
    ]
    if extensions:
        lines.append("[extensions]")
        lines += [f"\t{name} = {value}" for name, value in sorted(extensions.items())]
    return "\n".join(lines) + "\n"


def _head(git_dir: str) -> bytes:
    """What ``HEAD`` says, to copy: a symbolic ref or an object id."""
    path = os.path.join(git_dir, "HEAD")
    if os.path.islink(path):
        target = os.readlink(path)
        if not target.startswith("refs/") or "\n" in target:
            raise GitError("HEAD is a link outside refs/: git not run")
        return f"ref: {target}\n".encode()
    try:
        data = safeio.read_small_file(path, SMALL_BYTES)
    except OSError as error:
        raise GitError(f"HEAD cannot be read ({error.strerror or error}): git not run") from None
    if not re.fullmatch(rb"(ref: refs/[^\0\n]+|[0-9a-f]{40}|[0-9a-f]{64})\s*", data):
        raise GitError("HEAD is not a ref or an object id: git not run")
    return data


@dataclass(frozen=True)
class StandIn:
    """A stand-in git folder made in a session's folder."""

    home: str  # an empty folder: git's HOME and XDG_CONFIG_HOME
    git_dir: str  # the stand-in itself: GIT_DIR
    config_names: tuple[str, ...]  # the keys the repository's configuration sets


def make_stand_in(folder: str, location: Location) -> StandIn:
    """Make the stand-in git folder of the repository at ``location`` inside ``folder``
    (``GitError`` when a file git would open is not a regular file, or the repository's
    configuration cannot be read; ``OSError`` when the folders cannot be)."""
    git_dir, common = location.git_dir, location.common_dir
    home = os.path.join(folder, "home")
    stand_in = os.path.join(folder, "git")
    os.mkdir(home)
    os.mkdir(stand_in)
    config_path = os.path.join(common, "config")
    try:
        config = safeio.read_small_file(config_path, _CONFIG_BYTES)
    except FileNotFoundError:
        config = b""
    except OSError as error:
        raise GitError(
            f"the repository's config cannot be read ({error.strerror or error}): git not run"
        ) from None
    try:
        entries = _read_config(config, folder, home)
    except GitMissing:
        raise
    except GitError as error:
        raise GitError(f"the repository's config: {error}") from None
    names = [key for key, _value in entries]
    with open(os.path.join(stand_in, "config"), "w", encoding="utf-8") as handle:
        handle.write(_stand_in_config(entries, location.work_tree is None))
    with open(os.path.join(stand_in, "HEAD"), "wb") as handle:
        handle.write(_head(git_dir))
    links = [
        (os.path.join(common, "objects"), "objects"),
        (os.path.join(common, "refs"), "refs"),
    ]
    for name in ("packed-refs", "shallow"):
        if _regular_or_absent(os.path.join(common, name), name):
            links.append((os.path.join(common, name), name))
    if _regular_or_absent(os.path.join(git_dir, "index"), "the index"):
        links.append((os.path.join(git_dir, "index"), "index"))
    with os.scandir(git_dir) as entries_of_git_dir:
        for entry in entries_of_git_dir:
            if entry.name.startswith("sharedindex.") and _regular_or_absent(entry.path, entry.name):
                links.append((entry.path, entry.name))
    if is_directory(os.path.join(common, "reftable")):
        links.append((os.path.join(common, "reftable"), "reftable"))
    objects = os.path.join(common, "objects")
    _regular_or_absent(os.path.join(objects, "info", "alternates"), "objects/info/alternates")
    _check_folder(os.path.join(objects, "pack"), "objects/pack", _REF_ENTRIES)
    _check_folder(os.path.join(objects, "info"), "objects/info", _REF_ENTRIES)
    _check_folder(os.path.join(common, "refs"), "refs", _REF_ENTRIES)
    for target, name in links:
        os.symlink(target, os.path.join(stand_in, name))
    return StandIn(home, stand_in, tuple(names))
