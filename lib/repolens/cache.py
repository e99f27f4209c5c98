"""The incremental cache: what a file's content gave, keyed by what its ``lstat`` says.

One JSON file per scanned root under the cache directory. An entry is reused
only when the file's path, size, mtime (ns), ctime (ns) and inode are all the
same as when it was read, and the cache was written by the same format, engine
and file-type table. Anything else (a corrupt file, another version, a foreign
document, a link or FIFO where the file should be, an entry of the wrong shape,
a negative or inconsistent count) means the whole cache is ignored and rebuilt:
the cache is never trusted, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import safeio
from .filetypes import CATEGORIES
from .records import FileRecord, Kind, LineCounts, NotebookStats, State

__all__ = ["CacheKey", "ScanCache", "default_cache_dir"]

FORMAT = "repolens-cache"
FORMAT_VERSION = 1

MAX_CACHE_BYTES = 4 << 30

CacheKey = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
_NOTEBOOK_FIELDS = NotebookStats.__slots__  # type: ignore[attr-defined]
_STATES = frozenset(state.value for state in State)
_CATEGORY_NAMES = frozenset(CATEGORIES)


class _Bad(ValueError):
    """A cache entry that is not what this version writes."""


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise _Bad(f"not a count: {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise _Bad(f"not text: {value!r}")
    return value


def _lines(value: Any) -> LineCounts:
    if type(value) is not list or len(value) != 3:
        raise _Bad(f"not line counts: {value!r}")
    return LineCounts(*(_count(part) for part in value))


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


def _encode(record: FileRecord) -> list[Any]:
    notebook = record.notebook
    encoded_notebook = None
    if notebook is not None:
        encoded_notebook = [
            [notebook.code_lines.code, notebook.code_lines.comment, notebook.code_lines.blank]
            if name == "code_lines"
            else getattr(notebook, name)
            for name in _NOTEBOOK_FIELDS
        ]
    counts = record.counts
    return [
        record.category,
        record.language,
        record.is_binary,
        record.encoding,
        record.lines,
        None if counts is None else [counts.code, counts.comment, counts.blank],
        record.state.value,
        record.reason,
        encoded_notebook,
    ]


def _notebook_stats(values: Any) -> NotebookStats:
    if type(values) is not list or len(values) != len(_NOTEBOOK_FIELDS):
        raise _Bad("notebook statistics of the wrong shape")
    fields: dict[str, Any] = {}
    for name, value in zip(_NOTEBOOK_FIELDS, values, strict=True):
        if name in ("kernel", "language"):
            fields[name] = _optional_text(value)
        elif name == "code_lines":
            fields[name] = _lines(value)
        elif name == "out_of_order":
            if type(value) is not bool:
                raise _Bad("out_of_order is not a boolean")
            fields[name] = value
        else:
            fields[name] = _count(value)
    return NotebookStats(**fields)


def _decode(payload: Any, base: dict[str, Any]) -> FileRecord:
    """A record from a cache entry, checked field by field; ``_Bad`` if anything is off."""
    if type(payload) is not list or len(payload) != 9:
        raise _Bad("entry of the wrong shape")
    (category, language, is_binary, encoding, lines, counts, state, reason, notebook) = payload
    if category not in _CATEGORY_NAMES or state not in _STATES or type(reason) is not str:
        raise _Bad("unknown category or state")
    if is_binary is not None and type(is_binary) is not bool:
        raise _Bad("is_binary is not a boolean")
    decoded_counts = None if counts is None else _lines(counts)
    if lines is not None:
        _count(lines)
        if decoded_counts is not None and decoded_counts.lines != lines:
            raise _Bad("line counts do not add up")
    elif decoded_counts is not None:
        raise _Bad("counts without lines")
    return FileRecord(
        category=category,
        language=_optional_text(language),
        is_binary=is_binary,
        encoding=_optional_text(encoding),
        lines=lines,
        counts=decoded_counts,
        state=State(state),
        reason=reason,
        notebook=None if notebook is None else _notebook_stats(notebook),
        **base,
    )


@dataclass
class ScanCache:
    """Cached content results for one root; ``hits``/``misses`` count look-ups."""

    path: Path | None
    identity: dict[str, Any]
    entries: dict[str, list[Any]]
    hits: int = 0
    misses: int = 0
    problem: str | None = None  # why an existing cache was not used, or could not be saved
    _fresh: dict[str, list[Any]] = field(default_factory=dict)  # entries hit this scan

    @classmethod
    def open(cls, directory: Path | None, root: str, identity: dict[str, Any]) -> ScanCache:
        """Load the cache for ``root``; any problem leaves an empty cache and a note."""
        if directory is None:
            return cls(None, identity, {})
        digest = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:24]
        path = Path(directory) / f"{digest}.json"
        full_identity = {"format": FORMAT, "version": FORMAT_VERSION, **identity}
        cache = cls(path, full_identity, {})
        try:
            document = json.loads(safeio.read_small_file(str(path), MAX_CACHE_BYTES))
        except FileNotFoundError:
            return cache
        except OSError as error:
            cache.problem = f"cache {path} ignored: {error.strerror or error}"
            return cache
        except (ValueError, RecursionError) as error:
            cache.problem = f"cache {path} ignored: not a cache ({type(error).__name__})"
            return cache
        if not isinstance(document, dict) or document.get("identity") != full_identity:
            cache.problem = f"cache {path} ignored: written by another version or for another tree"
            return cache
        entries = document.get("entries")
        if not isinstance(entries, dict):
            cache.problem = f"cache {path} ignored: no entries"
            return cache
        cache.entries = entries
        return cache

    def lookup(self, base: dict[str, Any], key: CacheKey) -> FileRecord | None:
        """The cached record for a file (walk fields ``base``) whose lstat gives ``key``."""
        item = self.entries.get(base["path"])
        if item is not None:
            try:
                if type(item) is not list or len(item) != 2 or type(item[0]) is not list:
                    raise _Bad("entry of the wrong shape")
                if tuple(item[0]) == key:
                    record = _decode(item[1], base)
                    self.hits += 1
                    self._fresh[base["path"]] = item
                    return record
            except (_Bad, TypeError, ValueError) as error:
                self._distrust(f"an entry for {base['path']!r} is not valid ({error})")
        self.misses += 1
        return None

    def _distrust(self, why: str) -> None:
        """Drop everything read from the file: one bad entry means none can be trusted."""
        self.problem = f"cache {self.path} ignored and rebuilt: {why}"
        self.entries = {}
        self._fresh.clear()

    def save(self, items: Iterable[tuple[FileRecord, CacheKey]]) -> None:
        """Write the cache atomically; failing to write is noted, never raised."""
        if self.path is None:
            return
        from .writers import atomic_write

        entries: dict[str, list[Any]] = {}
        for record, key in items:
            fresh = self._fresh.get(record.path)
            if fresh is not None:
                entries[record.path] = fresh
            elif record.kind is Kind.FILE and record.state is not State.UNREADABLE:
                entries[record.path] = [list(key), _encode(record)]
        if entries.keys() == self.entries.keys() and len(self._fresh) == len(entries):
            return  # every entry was a hit: the file on disk is already right
        document = {"identity": self.identity, "entries": entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(document, separators=(",", ":"))
            with atomic_write(self.path, "w") as handle:
                handle.write(text)
        except OSError as error:
            self.problem = f"cache not saved to {self.path}: {_describe(error)}"


def _describe(error: OSError) -> str:
    return error.strerror or str(error)
