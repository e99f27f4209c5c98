"""The walk cut into windows of files to read: one window's texts count in the
engine's own process while the next window is read (``start_window``), and its records
come back in walk order (``finish_window``)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..core.records import FileRecord, Kind, LineCounts
from .build import non_file_record, walk_fields
from .cache import CacheKey, ScanCache, cache_key
from .chunks import Prepared, complete_chunk, prepare_chunk
from .counting import EngineProcess
from .filetypes import FileTypes
from .options import CONTENT_LIMIT, Inspect, ScanOptions
from .sniff import SNIFF_BYTES
from .walk import Entry

__all__ = ["CHUNK", "Pending", "Window", "cut_windows", "finish_window", "start_window"]

_CHUNK_CONTENT_BYTES = 32 << 20  # content held by a window; two are in flight at once
CHUNK = 4096


@dataclass(slots=True)
class Pending:
    """A window whose heads are read, its texts counting (``future``) or to count."""

    window: Window
    prepared: Prepared | None  # None: nothing in the window to read
    future: Future[dict[str, tuple[str, LineCounts]]] | None


@dataclass(slots=True)
class Window:
    """Consecutive walk entries: records already known, and files still to read."""

    slots: list[tuple[Any, ...]] = field(default_factory=list)
    reads: int = 0
    held: int = 0
    full: bool = False  # cut because it was full: more of the tree follows


def _slot(
    entry: Entry,
    table: FileTypes,
    cache: ScanCache | None,
    inspect: Inspect | None,
    window: Window,
) -> tuple[Any, ...]:
    """One walk entry's slot in its window (see ``cut_windows``); counts what it will read."""
    base = walk_fields(entry, table)
    if entry.kind is not Kind.FILE or entry.error is not None:
        record = non_file_record(entry, base, table)
        if inspect is not None:
            inspect(record, None)
        return (record, None, None)
    assert entry.stat is not None
    key = None
    if cache is not None:
        key = cache_key(entry.stat)
        cached = cache.lookup(base, key)
        if cached is not None:
            return (cached[0], key, cached[1])
    window.reads += 1
    if inspect is not None:
        size = base["size_bytes"]
        window.held += size if size <= CONTENT_LIMIT else SNIFF_BYTES
    return (entry, base, key)


def cut_windows(
    entries: Iterator[Entry],
    table: FileTypes,
    cache: ScanCache | None,
    inspect: Inspect | None,
) -> Iterator[Window]:
    """The walk cut into windows of up to ``CHUNK`` files to read (fewer when whole
    contents are kept for the checks, so no more than about ``_CHUNK_CONTENT_BYTES``
    of content is held at once). A slot is ``(record, cache key, cached rows)`` when it is
    known without reading (links, special files, cache hits), else ``(entry, walk
    fields, cache key)``."""
    window = Window()
    for entry in entries:
        window.slots.append(_slot(entry, table, cache, inspect, window))
        full = window.reads >= CHUNK or window.held >= _CHUNK_CONTENT_BYTES
        if full or len(window.slots) >= CHUNK:  # or a long run of cache hits, links
            window.full = True
            yield window
            window = Window()
    if window.slots:
        yield window


def start_window(
    window: Window, engine: EngineProcess, table: FileTypes, options: ScanOptions
) -> Pending:
    """Read the heads of the window's files and hand the texts to the engine: to its
    own process once the tree proves bigger than one window and the window holds
    enough texts to gain from it; else the engine counts them when the window ends."""
    todo = [slot for slot in window.slots if not isinstance(slot[0], FileRecord)]
    if not todo:
        return Pending(window, None, None)
    prepared = prepare_chunk(
        [(entry, base) for entry, base, _key in todo],
        table,
        options.max_count_bytes,
        options.inspect is not None,
    )
    future = None
    if (window.full or engine.started) and len(prepared.direct) >= CHUNK // 8:
        future = engine.submit(prepared.paths)
    return Pending(window, prepared, future)


def finish_window(
    pending: Pending, table: FileTypes, options: ScanOptions
) -> list[tuple[FileRecord, CacheKey | None, Any]]:
    """The window's records in walk order, each with its cache key and cached rows."""
    window, prepared = pending.window, pending.prepared
    by_path: dict[str, FileRecord] = {}
    if prepared is not None:
        counted = None
        if pending.future is not None:
            try:
                counted = pending.future.result()
            except Exception:  # the engine's process failed: count here instead
                counted = None
        analysed = complete_chunk(
            prepared, counted, table, options.max_count_bytes, options.inspect
        )
        by_path = {record.path: record for record in analysed}
    out: list[tuple[FileRecord, CacheKey | None, Any]] = []
    for slot in window.slots:
        if isinstance(slot[0], FileRecord):
            out.append(slot)  # type: ignore[arg-type]
        else:
            _entry, base, key = slot
            out.append((by_path[base["path"]], key, None))
    return out
