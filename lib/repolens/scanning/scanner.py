"""The scan pipeline: walk -> read & count -> one record per file.

``scan(root)`` is the whole analysis; everything else formats its result.
Files are read in windows (``windows``): each file's head is sniffed (``reading``),
then a window's text files are counted by the engine in one call (``chunks``), so
memory stays bounded and progress moves on a tree of any size. Every file gets a
record whatever happened to it (``build``).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .._version import __version__
from ..core.records import FileRecord
from .cache import CacheKey, ScanCache
from .counting import EngineProcess, engine_version
from .estimate import estimate_in_background
from .filetypes import file_types
from .ignore import InvalidPattern, validate_excludes
from .options import Progress, ScanError, ScanOptions, ScanResult, check_root, identities
from .walk import WalkSettings, WalkStats, walk
from .windows import Pending, cut_windows, finish_window, start_window

__all__ = ["Batch", "ScanStream", "scan"]

_DEFAULTS = ScanOptions()  # frozen: one shared default, as a default argument is


@dataclass(slots=True)
class Batch:
    """A window of records handed out at once (``ScanStream.batches``), sorted by path, with
    each record's files.csv row and metrics.json item as the cache kept them (None where it
    did not). A consumer that writes the reports leaves in ``encoded`` the rows it wrote
    (``ReportWriter.add_window``), and the cache keeps them for the next scan."""

    records: list[FileRecord]
    encoded: list[Any]


def _cache_identity(options: ScanOptions, table_digest: str) -> dict[str, object]:
    return {
        "repolens": __version__,
        "engine": engine_version(),
        "table": table_digest,
        "max_count_bytes": options.max_count_bytes,
    }


class ScanStream:
    """A scan under way. Iterating it yields every record once, sorted by path, while
    files are read in chunks; nothing holds all the records. After the iteration,
    ``result()`` gives what the scan found besides them (counts, notes, timing).

    The root and the options are checked when the stream is made: ``ScanError`` then,
    before anything is read."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        options: ScanOptions = _DEFAULTS,
        progress: Progress | None = None,
    ) -> None:
        self.started = time.time()
        self._clock = time.perf_counter()
        self.root = check_root(root)
        try:
            validate_excludes(options.excludes)
        except InvalidPattern as error:
            raise ScanError(str(error)) from None
        self.options = options
        self._progress = progress
        self._table = file_types()
        cache_dir = None if options.inspect is not None else options.cache_dir
        self._cache = ScanCache.open(
            cache_dir, self.root, _cache_identity(options, self._table.digest)
        )
        self._walk_stats = WalkStats()
        self._elapsed: float | None = None
        self._read = 0
        self.encoded: Any = None
        """While a record is handed out: its files.csv row and metrics.json item as the cache
        kept them (None when it did not). A consumer that writes the reports leaves the rows
        it wrote here, and the cache keeps them for the next scan (``ReportWriter.add``)."""

    def __iter__(self) -> Iterator[FileRecord]:
        for batch in self.batches():
            encoded = batch.encoded
            for index, record in enumerate(batch.records):
                self.encoded = encoded[index]
                yield record
                encoded[index] = self.encoded
            self.encoded = None

    def batches(self) -> Iterator[Batch]:
        """The records a window at a time, each window sorted by path and after the one
        before: what iterating the stream yields one by one, for consumers that work on a
        window at once (the reports' encoding, the summary)."""
        options, table, cache = self.options, self._table, self._cache
        settings = WalkSettings(
            options.gitignore,
            tuple(options.excludes),
            options.follow_symlinks,
            identities([*options.skip, options.cache_dir, cache.path]),
        )
        report = self._progress or (lambda phase, done, total: None)
        estimate = getattr(self._progress, "estimate", None)  # a total ahead of the walk
        counting = (
            None
            if estimate is None
            else estimate_in_background(self.root, lambda count: estimate("scan", count))
        )
        entries = walk(self.root, settings, self._walk_stats)
        use_cache = cache.path is not None
        inspect = options.inspect
        engine = EngineProcess()
        pending: deque[Pending] = deque()
        done = 0
        complete = False
        try:
            windows = cut_windows(entries, table, cache if use_cache else None, inspect)
            for window in itertools.chain(windows, [None]):  # None: the walk is over
                if window is not None:
                    report("scan", done, None)  # the window is walked, its files not yet read
                    pending.append(start_window(window, engine, table, options))
                    self._read += window.reads
                # One window counts in the engine's process while this one reads the next.
                while pending and (window is None or len(pending) > 1 or pending[0].future is None):
                    records = finish_window(pending.popleft(), table, options)
                    batch = Batch(
                        [record for record, _key, _cached in records],
                        [cached for _record, _key, cached in records],
                    )
                    yield batch
                    self._keep(records, batch.encoded)
                    done += len(records)
                    report("scan", done, None)
            complete = True
            report("scan", done, done)  # the walk is over: the exact total
        finally:
            if counting is not None:
                counting.set()
            engine.close()
            cache.close(complete)
            self._elapsed = time.perf_counter() - self._clock

    def _keep(
        self, records: list[tuple[FileRecord, CacheKey | None, Any]], encoded: Sequence[Any]
    ) -> None:
        """Keep each record in the cache with the rows the consumer left for it (the rows
        it wrote)."""
        cache = self._cache
        for (record, key, cached), rows in zip(records, encoded, strict=True):
            if key is not None:
                cache.keep(record, key, rows, changed=rows is not cached)

    def result(self, records: Sequence[FileRecord] = ()) -> ScanResult:
        """What the scan found besides its records (pass them to hold them in the result)."""
        walk_stats, cache = self._walk_stats, self._cache
        root_note = None
        if walk_stats.root_ignored:
            root_note = (
                "this folder is git-ignored in the git work tree that holds it: "
                ".gitignore rules were not applied"
            )
        notes = tuple(note for note in (root_note, *walk_stats.notes) if note)
        elapsed = self._elapsed if self._elapsed is not None else time.perf_counter() - self._clock
        return ScanResult(
            root=self.root,
            records=tuple(records),
            options=self.options,
            work_tree=walk_stats.work_tree,
            gitignore_applied=walk_stats.gitignore_applied,
            gitignored=walk_stats.gitignored,
            excluded=walk_stats.excluded,
            started=self.started,
            elapsed=elapsed,
            cache_hits=cache.hits,
            cache_misses=cache.misses if cache.path is not None else self._read,
            notes=notes,
            cache_note=cache.problem,
        )


def scan(
    root: str | os.PathLike[str],
    options: ScanOptions = _DEFAULTS,
    progress: Progress | None = None,
) -> ScanResult:
    """Analyse every file under ``root``, holding every record in the result; raise
    ``ScanError`` if the root cannot be read. ``ScanStream`` does the same without
    holding them."""
    stream = ScanStream(root, options, progress)
    records = list(stream)
    return stream.result(records)
