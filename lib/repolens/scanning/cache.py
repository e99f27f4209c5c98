"""The incremental cache: what a file's content gave, keyed by what its ``lstat`` says.

One file per scanned root under the cache directory: a header (the format, the
version, the engine and the file-type table it was written with), then entries
sorted by path, in frames of up to ``FRAME_ENTRIES`` MessagePack-encoded entries
behind a 4-byte length. The scan walks in the same order, so the cache is read
forward beside the walk (a merge of two sorted streams) and the new cache written
as records come: memory does not grow with the number of files.

An entry is reused only when the file's path, size, mtime (ns), ctime (ns) and
inode are all the same as when it was read. Every entry is checked by type (counts
are whole numbers of 0 or more, category and state are known names, line counts add
up) before it is used. A header that differs, a frame that does not decode or an
entry that is off means nothing further in the file is trusted: those files are
read again and the cache is rebuilt. The cache is never trusted, never fatal.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import msgspec

from ..core import safeio
from ..core.records import FileRecord, Kind, LineCounts, NotebookStats, State
from .filetypes import CATEGORIES
from .frames import CutFrame, read_frame, write_frame

__all__ = ["CacheKey", "ScanCache", "cache_key", "default_cache_dir", "read_raw", "write_raw"]

FORMAT = "repolens-cache"
FORMAT_VERSION = 2
FRAME_ENTRIES = 1024
MAX_FRAME_BYTES = 64 << 20

CacheKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode

_Count = Annotated[int, msgspec.Meta(ge=0)]
_Lines = tuple[_Count, _Count, _Count]
_Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]


class _Notebook(msgspec.Struct, array_like=True, frozen=True):
    kernel: str | None
    language: str | None
    code_cells: _Count
    markdown_cells: _Count
    raw_cells: _Count
    code_lines: _Lines
    markdown_lines: _Count
    outputs: _Count
    output_bytes: _Count
    image_outputs: _Count
    image_bytes: _Count
    error_cells: _Count
    executed_cells: _Count
    out_of_order: bool


class _Entry(msgspec.Struct, array_like=True, frozen=True):
    path: str
    key: tuple[int, int, int, int]
    category: _Category
    language: str | None
    is_binary: bool | None
    encoding: str | None
    lines: _Count | None
    counts: _Lines | None
    state: State
    reason: str
    notebook: _Notebook | None
    encoded: tuple[str, str] | None = None  # the record's files.csv row and metrics.json item


assert _Notebook.__struct_fields__ == NotebookStats.__slots__  # type: ignore[attr-defined]

_encoder = msgspec.msgpack.Encoder()
_frame_decoder = msgspec.msgpack.Decoder(list[_Entry])


class _Bad(ValueError):
    """A cache entry that is not what this version writes."""


def default_cache_dir() -> Path:
    """``$REPOLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/repolens``, else ``~/.cache/repolens``."""
    explicit = os.environ.get("REPOLENS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "repolens"


def cache_key(st: os.stat_result) -> CacheKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _entry(record: FileRecord, key: CacheKey, encoded: tuple[str, str] | None) -> _Entry:
    stats = record.notebook
    notebook = None
    if stats is not None:
        lines = stats.code_lines
        notebook = _Notebook(
            stats.kernel,
            stats.language,
            stats.code_cells,
            stats.markdown_cells,
            stats.raw_cells,
            (lines.code, lines.comment, lines.blank),
            stats.markdown_lines,
            stats.outputs,
            stats.output_bytes,
            stats.image_outputs,
            stats.image_bytes,
            stats.error_cells,
            stats.executed_cells,
            stats.out_of_order,
        )
    counts = record.counts
    return _Entry(
        record.path,
        key,
        record.category,
        record.language,
        record.is_binary,
        record.encoding,
        record.lines,
        None if counts is None else (counts.code, counts.comment, counts.blank),
        record.state,
        record.reason,
        notebook,
        encoded,
    )


def _record(entry: _Entry, base: dict[str, Any]) -> FileRecord:
    """The record an entry stands for; ``_Bad`` when its numbers do not agree."""
    counts = None
    if entry.counts is not None:
        counts = LineCounts(*entry.counts)
        if entry.lines != counts.lines:
            raise _Bad("line counts do not add up")
    notebook = None
    if entry.notebook is not None:
        fields = msgspec.structs.asdict(entry.notebook)
        fields["code_lines"] = LineCounts(*fields["code_lines"])
        notebook = NotebookStats(**fields)
    return FileRecord(
        category=entry.category,
        language=entry.language,
        is_binary=entry.is_binary,
        encoding=entry.encoding,
        lines=entry.lines,
        counts=counts,
        state=entry.state,
        reason=entry.reason,
        notebook=notebook,
        **base,
    )


@dataclass
class ScanCache:
    """Cached content results for one root, read and rewritten in path order.

    ``lookup`` must be called with paths in increasing order (the walk's); ``keep``
    adds each record the new cache should hold, in the same order; ``close`` saves
    the new cache when it differs from the old one. ``hits``/``misses`` count look-ups."""

    path: Path | None
    identity: dict[str, Any]
    hits: int = 0
    misses: int = 0
    problem: str | None = None  # why an existing cache was not used, or could not be saved
    _reader: IO[bytes] | None = None
    _pending: list[_Entry] = field(default_factory=list)  # decoded, not yet passed
    _writer: Any = None  # AtomicFile of the new cache
    _frame: list[_Entry] = field(default_factory=list)
    _changed: bool = False  # the new cache differs from the old one

    @classmethod
    def open(cls, directory: Path | None, root: str, identity: dict[str, Any]) -> ScanCache:
        """The cache for ``root``; any problem leaves an empty cache and a note."""
        if directory is None:
            return cls(None, identity)
        digest = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:24]
        path = Path(directory) / f"{digest}.cache"
        full_identity = {"format": FORMAT, "version": FORMAT_VERSION, **identity}
        cache = cls(path, full_identity)
        try:
            descriptor, _st = safeio.open_regular(str(path))
        except FileNotFoundError:
            cache._changed = True
            return cache
        except OSError as error:
            cache._changed = True
            cache.problem = f"cache {path} ignored: {error.strerror or error}"
            return cache
        reader = os.fdopen(descriptor, "rb", buffering=1 << 16)
        try:
            header = read_frame(reader, MAX_FRAME_BYTES)
            if header is None or msgspec.msgpack.decode(header) != full_identity:
                raise _Bad("written by another version or for another tree")
        except (_Bad, CutFrame, msgspec.MsgspecError, RecursionError, OSError) as error:
            reader.close()
            cache._changed = True
            cache.problem = f"cache {path} ignored: {error}"
            return cache
        cache._reader = reader
        return cache

    def lookup(
        self, base: dict[str, Any], key: CacheKey
    ) -> tuple[FileRecord, tuple[str, str] | None] | None:
        """The cached record for a file (walk fields ``base``) whose lstat gives ``key``, and
        its report rows as encoded when it was kept (None if they were not)."""
        path = base["path"]
        entry = self._advance(path)
        if entry is not None and entry.path == path and entry.key == key:
            try:
                record = _record(entry, base)
            except (_Bad, TypeError, ValueError) as error:
                self._distrust(f"an entry for {path!r} is not valid ({error})")
            else:
                self.hits += 1
                self._pending.pop()  # consumed: what is left at the end are gone files
                return record, entry.encoded
        self.misses += 1
        return None

    def _advance(self, path: str) -> _Entry | None:
        """The first cached entry at or after ``path``; entries passed over are gone files."""
        while True:
            while self._pending:
                entry = self._pending[-1]
                if entry.path >= path:
                    return entry
                self._pending.pop()
                self._changed = True
            if self._reader is None:
                return None
            try:
                frame = read_frame(self._reader, MAX_FRAME_BYTES)
                if frame is None:
                    self._close_reader()
                    return None
                entries = _frame_decoder.decode(frame)
            except (_Bad, msgspec.MsgspecError, RecursionError, OSError, ValueError) as error:
                self._distrust(str(error))
                return None
            entries.reverse()
            self._pending = entries

    def _distrust(self, why: str) -> None:
        """Drop the rest of the file: one bad entry means none after it can be trusted."""
        self.problem = f"cache {self.path} ignored and rebuilt: {why}"
        self._close_reader()
        self._pending = []
        self._changed = True

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def keep(
        self,
        record: FileRecord,
        key: CacheKey,
        encoded: tuple[str, str] | None = None,
        changed: bool = False,
    ) -> None:
        """Add a file's record (and its report rows, when given) to the new cache, in path
        order; unreadable files are not kept. ``changed``: what is kept differs from the
        entry the look-up found (rows added), so the cache must be written."""
        self._changed = self._changed or changed
        if self.path is None or record.kind is not Kind.FILE or record.state is State.UNREADABLE:
            return
        if self._writer is None and not self._start_writing():
            return
        self._frame.append(_entry(record, key, encoded))
        if len(self._frame) >= FRAME_ENTRIES:
            self._flush()

    def _start_writing(self) -> bool:
        from ..core.atomic import AtomicFile, remove_stale_temporaries

        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.path.parent, [self.path.name])  # a killed run's
            self._writer = AtomicFile(self.path, "wb")
            write_frame(self._writer.handle, _encoder.encode(self.identity))
        except OSError as error:
            self._not_saved(error)
            return False
        return True

    def _flush(self) -> None:
        if not self._frame or self._writer is None:
            return
        try:
            write_frame(self._writer.handle, _encoder.encode(self._frame))
        except OSError as error:
            self._not_saved(error)
        self._frame = []

    def _not_saved(self, error: OSError) -> None:
        self.problem = f"cache not saved to {self.path}: {error.strerror or error}"
        if self._writer is not None:
            self._writer.discard()
        self._writer = None
        self.path = None  # nothing more is kept

    def close(self, complete: bool = True) -> None:
        """Save the new cache if the scan went through and anything changed; else drop it."""
        if complete and not self._changed and self._advance("\U0010ffff") is not None:
            self._changed = True  # entries left over: files that are gone
        self._close_reader()
        if self._writer is None:
            return
        if self.misses:
            self._changed = True
        self._flush()
        if not complete or not self._changed or self._writer is None:
            if self._writer is not None:
                self._writer.discard()
            self._writer = None
            return
        try:
            self._writer.commit()
        except OSError as error:
            self.problem = f"cache not saved to {self.path}: {error.strerror or error}"
        self._writer = None


def read_raw(path: str | os.PathLike[str]) -> tuple[Any, list[Any]]:
    """The header and every entry of a cache file as plain values (to look into a cache)."""
    with open(path, "rb") as handle:
        header = read_frame(handle, MAX_FRAME_BYTES)
        if header is None:
            raise _Bad("an empty cache file")
        entries: list[Any] = []
        while (frame := read_frame(handle, MAX_FRAME_BYTES)) is not None:
            entries.extend(msgspec.msgpack.decode(frame))
    return msgspec.msgpack.decode(header), entries


def write_raw(path: str | os.PathLike[str], header: Any, entries: list[Any]) -> None:
    """A cache file from plain values, in one frame: what ``read_raw`` gives back."""
    with open(path, "wb") as handle:
        write_frame(handle, _encoder.encode(header))
        write_frame(handle, _encoder.encode(entries))
