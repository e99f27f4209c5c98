"""The member names of an archive, listed within a bound fixed before anything is read.

A zip's central directory is read straight from its end-of-central-directory record, one
entry at a time: ``zipfile.ZipFile`` builds an object for every entry before anything can
stop it (a million entries cost 500 MB). A tar is read header by header, and a compressed
one is decompressed only as far as ``max_bytes``: ``tarfile`` walks a ``.tar.gz`` to its
end to list it (33 MB of gzip, over 120 s). Past ``MAX_MEMBERS`` names, or past the bytes
the bound allows, the listing stops and says why. The file is opened through ``safeio``:
a FIFO or a link swapped in after the walk is not read.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import struct
import tarfile
from collections.abc import Callable
from dataclasses import dataclass

from ..core import safeio

__all__ = ["MAX_MEMBERS", "Listing", "list_members", "tar_byte_limit"]

MAX_MEMBERS = 100_000
_BLOCK = 1 << 16
_EOCD = struct.Struct("<4s4H2LH")  # signature, disks, entries here, entries, size, offset, comment
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_ENTRY = struct.Struct("<4s4s4H3L5H2L")  # a central directory file header, without its name


def _gzip(handle: io.BufferedReader) -> io.BufferedIOBase:
    return gzip.GzipFile(fileobj=handle, mode="rb")


_COMPRESSED: tuple[tuple[bytes, Callable[[io.BufferedReader], io.BufferedIOBase]], ...] = (
    (b"\x1f\x8b", _gzip),
    (b"BZh", bz2.BZ2File),
    (b"\xfd7zXZ\x00", lzma.LZMAFile),
)


@dataclass(frozen=True)
class Listing:
    names: tuple[str, ...]  # its files (not folders), as the archive writes them, in order
    stopped: str = ""  # why the listing ends before the archive does ("" when complete)


def tar_byte_limit(size: int) -> int:
    """Uncompressed bytes of a compressed tar read to list it: 32 times its size and
    1 MiB more, so reading costs time in proportion to the file."""
    return 32 * size + (1 << 20)


class _Stop(Exception):
    """The bound was reached."""


class _Bounded(io.RawIOBase):
    """A stream that raises ``_Stop`` once more than ``limit`` bytes were asked of it."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self._inner, self._left = inner, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._left <= 0:
            raise _Stop
        view = memoryview(buffer)[: self._left]
        count = self._inner.readinto(view)  # type: ignore[attr-defined]
        self._left -= count
        return count


def list_members(path: str) -> Listing | None:
    """The file names in a zip or tar archive (plain, gzip, bzip2 or xz), or None when the
    file is neither (or cannot be read)."""
    try:
        descriptor, st = safeio.open_regular(path)
    except OSError:
        return None
    try:
        with open(descriptor, "rb", closefd=False) as handle:
            return _zip(handle, st.st_size) or _tar(handle, st.st_size)
    except (OSError, EOFError, ValueError, struct.error, tarfile.TarError, lzma.LZMAError):
        return None
    finally:
        os.close(descriptor)


def _directory(handle: io.BufferedReader, size: int) -> tuple[int, int, int] | None:
    """``(entries, start, size)`` of a zip's central directory, from its end records."""
    tail_size = min(size, _EOCD.size + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0 and at + _EOCD.size + _EOCD.unpack_from(tail, at)[-1] > len(tail):
        at = tail.rfind(b"PK\x05\x06", 0, at)  # a comment that does not fit: further back
    if at < 0:
        return None
    _sig, _disk, _first, _here, entries, cd_size, cd_offset, _comment = _EOCD.unpack_from(tail, at)
    end = size - tail_size + at
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and (
        at >= _EOCD64_LOCATOR.size
    ):
        locator = _EOCD64_LOCATOR.unpack_from(tail, at - _EOCD64_LOCATOR.size)
        if locator[0] == b"PK\x06\x07":
            handle.seek(locator[2])
            record = handle.read(_EOCD64.size)
            if len(record) == _EOCD64.size and record.startswith(b"PK\x06\x06"):
                values = _EOCD64.unpack(record)
                entries, cd_size = values[7], values[8]
                end -= _EOCD64.size + _EOCD64_LOCATOR.size
    # The directory ends where the end records begin, whatever its stated offset says
    # (data prepended to the archive, a self-extractor, shifts every offset alike).
    start = end - cd_size
    return None if start < 0 else (entries, start, cd_size)


def _zip(handle: io.BufferedReader, size: int) -> Listing | None:
    """A zip's file names from its central directory, or None when it has none."""
    found = _directory(handle, size)
    if found is None:
        return None
    entries, start, cd_size = found
    handle.seek(start)
    names: list[str] = []
    buffer, position, left = b"", 0, cd_size
    for _entry in range(entries):
        if len(names) >= MAX_MEMBERS:
            return Listing(tuple(names), f"the first {MAX_MEMBERS:,} names")
        while len(buffer) - position < _ENTRY.size and left > 0:
            more = handle.read(min(_BLOCK, left))
            if not more:
                break
            buffer, position, left = buffer[position:] + more, 0, left - len(more)
        if len(buffer) - position < _ENTRY.size:
            break
        fields = _ENTRY.unpack_from(buffer, position)
        if fields[0] != b"PK\x01\x02":
            break
        flags, name_length = fields[2], fields[9]
        total = _ENTRY.size + name_length + fields[10] + fields[11]
        while len(buffer) - position < total and left > 0:
            more = handle.read(min(max(_BLOCK, total), left))
            if not more:
                break
            buffer, position, left = buffer[position:] + more, 0, left - len(more)
        if len(buffer) - position < _ENTRY.size + name_length:
            break
        raw = buffer[position + _ENTRY.size : position + _ENTRY.size + name_length]
        position += total
        if not raw.endswith(b"/"):  # a folder entry
            names.append(raw.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
    if not names and entries and not cd_size:
        return None
    return Listing(tuple(names))


def _tar(handle: io.BufferedReader, size: int) -> Listing | None:
    """A tar's names, header by header; a compressed one read up to ``tar_byte_limit``."""
    handle.seek(0)
    magic = handle.read(6)
    handle.seek(0)
    opener = next((kind for signature, kind in _COMPRESSED if magic.startswith(signature)), None)
    if opener is None and size < 512:
        return None
    names: list[str] = []
    stopped = ""
    try:
        with contextlib.ExitStack() as stack:
            if opener is None:
                archive = stack.enter_context(tarfile.open(fileobj=handle, mode="r:"))
            else:
                stream = _Bounded(stack.enter_context(opener(handle)), tar_byte_limit(size))
                buffered = io.BufferedReader(stream, _BLOCK)
                archive = stack.enter_context(tarfile.open(fileobj=buffered, mode="r|"))
            for member in archive:
                archive.members = []  # tarfile keeps every member it read: none are needed
                if member.isfile():
                    names.append(member.name)
                if len(names) >= MAX_MEMBERS:
                    stopped = f"the first {MAX_MEMBERS:,} names"
                    break
    except _Stop:
        limit = tar_byte_limit(size)
        stopped = f"the names in its first {limit:,} uncompressed bytes"
    except tarfile.ReadError:
        if not names:
            return None
    return Listing(tuple(names), stopped)
