"""Opening what a scanned tree holds without hanging, following or running out of memory.

Every read of the tree goes through here. A file is opened with ``O_NONBLOCK`` and
``O_NOFOLLOW`` and read only when ``fstat`` on the open descriptor says it is still a
regular file, so a FIFO swapped in after the walk, or a link to ``/dev/zero``, is
never read. Paths longer than the OS accepts in one call (deep trees pass
``PATH_MAX`` around 1,300 levels) are opened a few components at a time, each step
relative to the directory descriptor of the step before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat as stat_module
from collections.abc import Callable, Iterator
from typing import TypeVar

__all__ = [
    "NotRegularFile",
    "TooLarge",
    "lstat",
    "open_file",
    "open_regular",
    "read_content",
    "read_descriptor",
    "read_small_file",
    "readlink",
    "scandir",
    "stat",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_BASE_FLAGS |= getattr(os, "O_BINARY", 0)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
T = TypeVar("T")
_STEP_BYTES = 2048  # the most of a path handed to one call when walking a long one down


class NotRegularFile(OSError):
    """The path is no longer (or never was) a regular file: it was not read."""

    def __init__(self, mode: int) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({_kind(mode)})")
        self.mode = mode


class TooLarge(OSError):
    """The file is larger than the caller is willing to read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size:,} bytes, over the {limit:,}-byte limit")


def _kind(mode: int) -> str:
    for test, name in (
        (stat_module.S_ISFIFO, "a FIFO"),
        (stat_module.S_ISSOCK, "a socket"),
        (stat_module.S_ISCHR, "a character device"),
        (stat_module.S_ISBLK, "a block device"),
        (stat_module.S_ISDIR, "a directory"),
        (stat_module.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _split(path: str) -> tuple[str, list[str]]:
    """A path as its first part and the components after it, for step-wise opening."""
    head, _, rest = path.partition(os.sep) if not path.startswith(os.sep) else ("/", "", path[1:])
    parts = [part for part in rest.split(os.sep) if part]
    return head or ".", parts


@contextlib.contextmanager
def _parent_descriptor(path: str) -> Iterator[tuple[int, str]]:
    """``(dir_fd, name)`` to reach a path too long for one call: the descriptor of its
    parent, opened a few components at a time."""
    head, parts = _split(path)
    name = parts.pop() if parts else head
    descriptor = os.open(head, _DIRECTORY_FLAGS)
    try:
        step: list[str] = []
        length = 0
        for part in parts:
            step.append(part)
            length += len(os.fsencode(part)) + 1
            if length >= _STEP_BYTES:
                following = os.open(os.sep.join(step), _DIRECTORY_FLAGS, dir_fd=descriptor)
                os.close(descriptor)
                descriptor, step, length = following, [], 0
        if step:
            following = os.open(os.sep.join(step), _DIRECTORY_FLAGS, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = following
        yield descriptor, name
    finally:
        os.close(descriptor)


def _too_long(error: OSError) -> bool:
    return error.errno == errno.ENAMETOOLONG


def _at(path: str, call: Callable[[str, int | None], T]) -> T:
    """``call(path, None)``; when the path is too long for one call, ``call(name, dir_fd)``
    relative to its parent folder opened step by step."""
    try:
        return call(path, None)
    except OSError as error:
        if not _too_long(error):
            raise
    with _parent_descriptor(path) as (directory, name):
        return call(name, directory)


def open_file(path: str, follow: bool = False) -> int:
    """A non-blocking read descriptor for ``path`` (a symbolic link only when ``follow``)."""
    flags = _BASE_FLAGS if follow else _BASE_FLAGS | _NOFOLLOW
    return _at(path, lambda name, folder: os.open(name, flags, dir_fd=folder))


def lstat(path: str) -> os.stat_result:
    return _at(path, lambda name, folder: os.stat(name, dir_fd=folder, follow_symlinks=False))


def stat(path: str) -> os.stat_result:
    return _at(path, lambda name, folder: os.stat(name, dir_fd=folder, follow_symlinks=True))


def readlink(path: str) -> str:
    return _at(path, lambda name, folder: os.readlink(name, dir_fd=folder))


@contextlib.contextmanager
def scandir(path: str) -> Iterator[Iterator[os.DirEntry[str]]]:
    """``os.scandir`` that also lists folders whose path is too long for one call.

    Entries' ``stat()`` works while the block runs; their ``path`` may be only the
    name, so callers join names to ``path`` themselves."""
    try:
        listing = os.scandir(path)
    except OSError as error:
        if not _too_long(error):
            raise
    else:
        with listing as iterator:
            yield iterator
        return
    with _parent_descriptor(path) as (directory, name):
        descriptor = os.open(name, _DIRECTORY_FLAGS, dir_fd=directory)
    try:
        with os.scandir(descriptor) as iterator:
            yield iterator
    finally:
        os.close(descriptor)


def read_descriptor(descriptor: int, limit: int, expected: int = 0) -> bytes:
    """Up to ``limit + 1`` bytes from an open descriptor (one more tells the caller it is over).

    ``expected`` (the size ``fstat`` gave) is read in one call, so a large file costs one
    buffer of its size rather than blocks and then their copy."""
    parts = []
    wanted = limit + 1
    first = min(wanted, expected + 1) if expected > 0 else 0
    while wanted > 0:
        block = os.read(descriptor, first or min(wanted, 1 << 20))
        first = 0
        if not block:
            break
        parts.append(block)
        wanted -= len(block)
    return b"".join(parts)


def open_regular(path: str, follow: bool = False) -> tuple[int, os.stat_result]:
    """A descriptor and its ``fstat`` for a path that is a regular file once opened.

    Raises ``NotRegularFile`` for anything else (a link met without ``follow`` too), and
    ``OSError`` as the OS reports it otherwise; never blocks on a FIFO."""
    try:
        descriptor = open_file(path, follow)
    except OSError as error:
        if error.errno == errno.ELOOP and not follow:  # O_NOFOLLOW met a symbolic link
            raise NotRegularFile(stat_module.S_IFLNK) from None
        raise
    try:
        st = os.fstat(descriptor)
        if not stat_module.S_ISREG(st.st_mode):
            raise NotRegularFile(st.st_mode)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, st


def read_content(path: str, limit: int, follow: bool = False) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (see ``open_regular``)."""
    descriptor, _st = open_regular(path, follow)
    try:
        return read_descriptor(descriptor, limit)
    finally:
        os.close(descriptor)


def read_small_file(path: str, limit: int, follow: bool = False) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes that is not a symbolic link
    (ignore files, caches, settings), or that may be one when ``follow`` (a file the user
    named, such as a baseline).

    Raises ``FileNotFoundError`` when it is missing, ``NotRegularFile`` for a link (unless
    ``follow``), FIFO or device, ``TooLarge`` over ``limit`` bytes."""
    descriptor, st = open_regular(path, follow)
    try:
        if st.st_size > limit:
            raise TooLarge(st.st_size, limit)
        data = read_descriptor(descriptor, limit, st.st_size)
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data
