"""The scan pipeline: walk -> read & count -> one record per file.

``scan(root)`` is the whole analysis; everything else formats its result.
Files are read in chunks: each chunk is sniffed (first 8 KiB), then its text
files are counted by the engine in one call, so memory stays bounded and
progress moves on a tree of any size.
"""

from __future__ import annotations

import itertools
import os
import stat as stat_module
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core import safeio
from ..core.records import (
    ZERO_LINES,
    FileRecord,
    Kind,
    LineCounts,
    NotebookStats,
    State,
    display_path,
)
from ..core.times import MAX_TIME_NS, MIN_TIME_NS, time_in_range
from .cache import CacheKey, ScanCache, cache_key
from .counting import (
    EngineProcess,
    count_newlines,
    count_physical,
    count_with_engine,
    engine_version,
)
from .filetypes import FileTypes, file_types
from .ignore import InvalidPattern, validate_excludes
from .notebooks import (
    InvalidNotebook,
    ParsedNotebook,
    clean_text,
    read_notebook,
    source_extension,
)
from .sniff import SNIFF_BYTES, Sniff, sniff
from .walk import Entry, WalkSettings, WalkStats, walk

__all__ = [
    "CONTENT_LIMIT",
    "ContentStream",
    "Inspect",
    "Progress",
    "ScanError",
    "ScanOptions",
    "ScanResult",
    "ScanStream",
    "analyse_files",
    "check_root",
    "file_fields",
    "identities",
    "scan",
]

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(phase, done, total)``: phase "scan", records so far, total None
(a streaming scan does not know it ahead)."""

CONTENT_CATEGORIES = frozenset({"code", "notebook", "config", "docs", "data", "other"})
CONTENT_LIMIT = 8 << 20
_STREAM_BLOCK = 1 << 20


@dataclass(frozen=True)
class ContentStream:
    """A text file past ``CONTENT_LIMIT``, handed to checks to read in blocks: memory stays
    bounded whatever its size. Opened again through ``safeio`` when read (a FIFO or a link
    swapped in since is not read); ``size`` is what the walk saw."""

    path: str  # as the OS opens it
    size: int
    follow: bool = False

    def blocks(self) -> Iterator[bytes]:
        descriptor, _st = safeio.open_regular(self.path, self.follow)
        try:
            while block := os.read(descriptor, _STREAM_BLOCK):
                yield block
        finally:
            os.close(descriptor)


Inspect = Callable[[FileRecord, "bytes | ContentStream | None"], None]
"""Called once per record with the file's whole content when the scan read it (text in
``CONTENT_CATEGORIES`` up to ``CONTENT_LIMIT`` bytes), a ``ContentStream`` for a text file
of those categories past that cap (not a notebook), else None: how checks see content
without reading any file a second time (or, past the cap, without holding it)."""

_CHUNK_CONTENT_BYTES = 32 << 20  # content held by a window; two are in flight at once

CHUNK = 4096
_ENGINE_PATH_MAX = 4000  # longer paths are counted from a copy the engine can open
NOTEBOOK_LANGUAGE = "Jupyter Notebooks"
_READ_BLOCK = 1 << 20


class ScanError(Exception):
    """The scan cannot start: a missing or unreadable root. Nothing was written."""


@dataclass(frozen=True)
class ScanOptions:
    gitignore: bool | None = None  # None: honour .gitignore inside a git work tree
    excludes: tuple[str, ...] = ()
    follow_symlinks: bool = False
    max_count_bytes: int = 64 << 20  # text above this gets physical lines only
    cache_dir: Path | None = None  # None: no cache
    skip: tuple[str | os.PathLike[str], ...] = ()  # folders/files left out by identity
    inspect: Inspect | None = None  # sees each record and its content (checks); no cache then


@dataclass(frozen=True)
class ScanResult:
    root: str  # absolute
    records: tuple[FileRecord, ...]  # sorted by path
    options: ScanOptions
    work_tree: str | None
    gitignore_applied: bool
    gitignored: int
    excluded: int
    started: float  # epoch seconds
    elapsed: float  # seconds
    cache_hits: int = 0
    cache_misses: int = 0
    notes: tuple[str, ...] = field(default=())  # about the tree: skipped ignore lines, ...
    cache_note: str | None = None  # why the cache was not used or not saved

    def __iter__(self) -> Iterator[FileRecord]:
        """A scan result is its records: ``summarise(scan(path))`` works."""
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def check_root(root: str | os.PathLike[str]) -> str:
    """The root as an absolute path; ``ScanError`` with one line when it cannot be scanned."""
    text = os.fspath(root)
    if not text:
        raise ScanError("no path given to analyse")
    try:
        st = os.stat(text)
    except FileNotFoundError:
        raise ScanError(f"{text}: no such directory") from None
    except OSError as error:
        raise ScanError(f"{text}: cannot open: {error.strerror}") from None
    if not stat_module.S_ISDIR(st.st_mode):
        raise ScanError(f"{text}: not a directory")
    if not os.access(text, os.R_OK | os.X_OK):
        raise ScanError(f"{text}: cannot read directory: permission denied")
    try:
        with os.scandir(text):
            pass
    except OSError as error:
        raise ScanError(f"{text}: cannot read directory: {error.strerror}") from None
    return os.path.abspath(text)


def identities(paths: Sequence[str | os.PathLike[str] | None]) -> frozenset[tuple[int, int]]:
    """``(device, inode)`` of the paths that exist: how the walk knows repolens' own
    output and cache folders whatever their names (globs, the root itself, links)."""
    found = set()
    for path in paths:
        if path is None:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue
        found.add((st.st_dev, st.st_ino))
    return frozenset(found)


def _birth_ns(st: os.stat_result) -> int | None:
    birth = getattr(st, "st_birthtime_ns", None)
    if birth is not None:
        return int(birth)
    seconds = getattr(st, "st_birthtime", None)
    return None if seconds is None else int(seconds * 1_000_000_000)


def _base(entry: Entry, table: FileTypes) -> dict[str, Any]:
    """The fields the walk knows: path, kind, extension, size and times."""
    path, utf8 = display_path(entry.rel)
    st = entry.stat
    return {
        "path": path,
        "kind": entry.kind,
        "extension": table.extension(path.rsplit("/", 1)[-1]),
        "size_bytes": 0 if st is None else st.st_size,
        "modified_ns": 0 if st is None else st.st_mtime_ns,
        "changed_ns": 0 if st is None else st.st_ctime_ns,
        "birth_ns": None if st is None else _birth_ns(st),
        "link_target": None if entry.link_target is None else display_path(entry.link_target)[0],
        "path_is_utf8": utf8,
    }


def _record(
    base: dict[str, Any],
    category: str,
    state: State,
    reason: str = "",
    *,
    language: str | None = None,
    is_binary: bool | None = None,
    encoding: str | None = None,
    lines: int | None = None,
    counts: LineCounts | None = None,
    notebook: NotebookStats | None = None,
) -> FileRecord:
    note = _time_note(base)
    if note:
        reason = f"{reason}; {note}" if reason else note
    if not reason.isascii():  # error texts can quote bytes from the tree
        reason = clean_text(reason)
    return FileRecord(
        category=category,
        language=language,
        is_binary=is_binary,
        encoding=encoding,
        lines=lines,
        counts=counts,
        state=state,
        reason=reason,
        notebook=notebook,
        **base,
    )


def _time_note(base: dict[str, Any]) -> str:
    """Why a time of the file is missing from the reports (years past 9999, say)."""
    modified, changed, birth = base["modified_ns"], base["changed_ns"], base["birth_ns"]
    if (
        MIN_TIME_NS <= modified <= MAX_TIME_NS
        and MIN_TIME_NS <= changed <= MAX_TIME_NS
        and (birth is None or MIN_TIME_NS <= birth <= MAX_TIME_NS)
    ):
        return ""
    wrong = [
        name
        for name, value in (("modified", modified), ("changed", changed), ("birth", birth))
        if value is not None and not time_in_range(value)
    ]
    return f"{' and '.join(wrong)} time out of range (not within years 1-9999): recorded as null"


_SPECIAL_NAMES = (
    (stat_module.S_ISFIFO, "a FIFO"),
    (stat_module.S_ISSOCK, "a socket"),
    (stat_module.S_ISCHR, "a character device"),
    (stat_module.S_ISBLK, "a block device"),
)


def _special_reason(mode: int) -> str:
    for test, text in _SPECIAL_NAMES:
        if test(mode):
            return f"{text}, never opened"
    return "not a regular file, never opened"


def _non_file(entry: Entry, base: dict[str, Any], table: FileTypes) -> FileRecord:
    if entry.kind is Kind.DIRECTORY:
        return _record(
            base, "other", State.UNREADABLE, f"directory could not be listed: {entry.error}"
        )
    if entry.error is not None:
        category = table.classify(base["path"], base["extension"]) or "other"
        return _record(base, category, State.UNREADABLE, entry.error)
    if entry.kind is Kind.SPECIAL:
        mode = entry.stat.st_mode if entry.stat is not None else 0
        return _record(base, "other", State.SPECIAL, _special_reason(mode))
    target = base["link_target"]
    reasons = {
        None: f"symbolic link to {target}, not followed",
        "broken": f"broken symbolic link to {target}",
        "loop": f"symbolic link loop, or a folder already scanned through another link: {target}",
        "inside": f"symbolic link to a folder inside the tree, scanned where it is: {target}",
    }
    return _record(base, "other", State.SYMLINK, reasons[entry.link_note])


# --- reading -----------------------------------------------------------------


@dataclass(slots=True)
class _Text:
    """A text file waiting for its lines to be counted."""

    entry: Entry
    base: dict[str, Any]
    category: str
    encoding: str | None
    reason: str
    head: bytes | None  # the whole content when it fit in the sniff buffer (or was wanted)
    notebook: ParsedNotebook | None = None


def _error_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "vanished during the scan"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


def _unreadable_text(
    base: dict[str, Any], category: str, error: OSError, encoding: str | None
) -> FileRecord:
    """A text file whose head was read but whose rest could not be."""
    return _record(
        base, category, State.UNREADABLE, _error_reason(error), is_binary=False, encoding=encoding
    )


def _read_head(path: str, follow: bool = False) -> tuple[int, bytes, os.stat_result]:
    """An open descriptor, the first bytes and the fstat of a regular file.

    Never blocks on a FIFO swapped in after the walk, and follows a symbolic link
    only when the walk chose to (``follow``). The caller closes the descriptor."""
    descriptor = safeio.open_file(path, follow)
    try:
        st = os.fstat(descriptor)
        head = os.read(descriptor, SNIFF_BYTES) if stat_module.S_ISREG(st.st_mode) else b""
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, head, st


def _read_all(path: str, limit: int) -> bytes:
    return safeio.read_content(path, limit)


def _chunks(path: str) -> Iterator[bytes]:
    descriptor, _st = safeio.open_regular(path)
    try:
        while block := os.read(descriptor, _READ_BLOCK):
            yield block
    finally:
        os.close(descriptor)


def _category(path: str, extension: str, found: Sniff, table: FileTypes) -> tuple[str, str]:
    """The category content and name agree on, and a note where they disagree."""
    rule = table.name_rule(path)
    if rule is not None:
        return rule
    if found.format == "AppleDouble":  # resource fork content under any name
        return "other", "macOS metadata (AppleDouble), not the file it is named after"
    by_name = table.category(path.rsplit("/", 1)[-1], extension)
    if found.category is not None:
        if by_name is None:
            return found.category, ""
        if by_name != found.category and table.is_text_extension(extension, by_name):
            return found.category, f"{found.format} content in a {extension or 'name'} file"
        return by_name, ""
    if by_name is None:
        return ("code" if found.shebang else "other"), ""
    return by_name, ""


def _read_one(
    entry: Entry, base: dict[str, Any], table: FileTypes, limit: int, want: bool = False
) -> FileRecord | _Text:
    try:
        descriptor, head, st = _read_head(entry.path, follow=entry.link_note == "followed")
    except OSError as error:
        return _record(
            base,
            table.classify(base["path"], base["extension"]) or "other",
            State.UNREADABLE,
            _error_reason(error),
        )
    try:
        return _read_open(entry, base, table, limit, descriptor, head, st, want)
    finally:
        os.close(descriptor)


def _read_open(
    entry: Entry,
    base: dict[str, Any],
    table: FileTypes,
    limit: int,
    descriptor: int,
    head: bytes,
    st: os.stat_result,
    want: bool = False,
) -> FileRecord | _Text:
    if not stat_module.S_ISREG(st.st_mode):
        return _record(
            {**base, "kind": Kind.SPECIAL}, "other", State.SPECIAL, _special_reason(st.st_mode)
        )
    if st.st_size == 0 and not head:
        return _record(
            base,
            table.classify(base["path"], base["extension"]) or "other",
            State.EMPTY,
            "0 bytes",
            is_binary=False,
            lines=0,
            counts=ZERO_LINES,
        )
    complete = len(head) < SNIFF_BYTES or st.st_size == len(head)
    found = sniff(head, complete)
    category, note = _category(base["path"], base["extension"], found, table)
    if found.is_binary:
        if found.format is None and category in ("code", "config", "notebook"):
            reason = f"binary content (NUL or control bytes) in a {category} file"
        else:
            reason = f"{found.format or 'binary'} content" + (f"; {note}" if note else "")
        return _record(base, category, State.BINARY, reason, is_binary=True)
    reason = found.format or note
    if st.st_size > limit:
        try:
            lines = count_newlines(_chunks(entry.path))
        except OSError as error:
            return _unreadable_text(base, category, error, found.encoding)
        return _record(
            base,
            category,
            State.TOO_LARGE,
            f"{st.st_size} bytes is over the {limit}-byte counting limit: physical lines only",
            language=table.languages.get(base["extension"]),
            is_binary=False,
            encoding=found.encoding,
            lines=lines,
        )
    wanted = want and category in CONTENT_CATEGORIES and st.st_size <= CONTENT_LIMIT
    if not complete and (
        category == "notebook" or wanted or not _engine_can_read(entry.path, base)
    ):
        try:
            head += safeio.read_descriptor(descriptor, limit - len(head))
        except OSError as error:
            return _unreadable_text(base, category, error, found.encoding)
        complete = True
    if category == "notebook":
        if not head.strip():
            return _record(
                base,
                category,
                State.EMPTY,
                "only white space",
                language=NOTEBOOK_LANGUAGE,
                is_binary=False,
                encoding=found.encoding,
                lines=0,
                counts=ZERO_LINES,
            )
        try:
            parsed = read_notebook(head)
        except InvalidNotebook as error:
            return _record(
                base,
                category,
                State.INVALID,
                f"not a readable notebook: {error}",
                language=NOTEBOOK_LANGUAGE,
                is_binary=False,
                encoding=found.encoding,
            )
        # A notebook's bytes are kept only for ``ScanOptions.inspect``: its cells are parsed.
        return _Text(entry, base, category, found.encoding, reason, head if want else None, parsed)
    return _Text(entry, base, category, found.encoding, reason, head if complete else None)


def _engine_can_read(path: str, base: dict[str, Any]) -> bool:
    """Whether the counting engine can open the file by its path (UTF-8, not too long)."""
    return base["path_is_utf8"] and len(path.encode("utf-8", "surrogatepass")) < _ENGINE_PATH_MAX


def _finish_text(
    item: _Text, counted: dict[str, tuple[str, LineCounts]], table: FileTypes, limit: int
) -> FileRecord:
    found = counted.get(item.entry.path)
    if found is not None:
        language, counts = found
    else:
        try:
            content = item.head if item.head is not None else _read_all(item.entry.path, limit)
        except OSError as error:
            return _unreadable_text(item.base, item.category, error, item.encoding)
        counts = count_physical(content.decode(item.encoding or "utf-8", "replace"))
        language = table.languages.get(item.base["extension"])
    state, reason = State.OK, item.reason
    if counts.code + counts.comment == 0:
        state, reason = State.EMPTY, "only white space"
    return _record(
        item.base,
        item.category,
        state,
        reason,
        language=language,
        is_binary=False,
        encoding=item.encoding,
        lines=counts.lines,
        counts=counts,
    )


def _copy_name(base: dict[str, Any]) -> str:
    """A name for a copy of a file that the engine knows the same language by."""
    name = base["path"].rsplit("/", 1)[-1]
    if base["path_is_utf8"] and "\\" not in name:
        return name
    extension = base["extension"]
    return "file" + (extension if extension.isascii() and "\\" not in extension else "")


def _count_copies(sources: dict[int, tuple[str, str | bytes]]) -> dict[int, tuple[str, LineCounts]]:
    """Count texts the engine cannot open where they are (notebook cells, names that are
    not UTF-8, paths too long to open) from copies: ``{key: (file name, content)}``."""
    if not sources:
        return {}
    with tempfile.TemporaryDirectory(prefix="repolens-") as folder:
        paths: dict[str, int] = {}
        for key, (name, content) in sources.items():
            directory = os.path.join(folder, str(key))
            os.mkdir(directory)
            path = os.path.join(directory, name)
            with open(path, "wb") as handle:
                handle.write(
                    content.encode("utf-8", "surrogatepass")
                    if isinstance(content, str)
                    else content
                )
            paths[path] = key
        counted = count_with_engine(paths)
    return {paths[path]: value for path, value in counted.items()}


def _finish_notebooks(items: Sequence[_Text]) -> list[FileRecord]:
    """Count the notebooks' code cells in their kernel languages, in one engine call."""
    if not items:
        return []
    sources: dict[int, tuple[str, str | bytes]] = {}
    for index, item in enumerate(items):
        assert item.notebook is not None
        extension = source_extension(item.notebook.stats.language)
        if extension and item.notebook.code:
            sources[index] = (f"cells{extension}", item.notebook.code)
    counted = _count_copies(sources)
    records = []
    for index, item in enumerate(items):
        assert item.notebook is not None
        engine = counted.get(index)
        code_lines = engine[1] if engine is not None else count_physical(item.notebook.code)
        stats = replace(item.notebook.stats, code_lines=code_lines)
        counts = LineCounts(
            code_lines.code, code_lines.comment + stats.markdown_lines, code_lines.blank
        )
        state, reason = State.OK, item.reason
        if stats.cells == 0:
            state, reason = State.EMPTY, "a notebook with no cells"
        records.append(
            _record(
                item.base,
                item.category,
                state,
                reason,
                language=NOTEBOOK_LANGUAGE,
                is_binary=False,
                encoding=item.encoding,
                lines=counts.lines,
                counts=counts,
                notebook=stats,
            )
        )
    return records


def _failed(entry: Entry, base: dict[str, Any], error: Exception) -> FileRecord:
    """The record of a file whose analysis raised: the scan goes on, the reason says why."""
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return _record(
        base,
        "other",
        State.UNREADABLE,
        f"could not be analysed: {type(error).__name__}" + (f": {text}" if text else ""),
    )


@dataclass(slots=True)
class _Prepared:
    """A chunk whose heads are read: records already known, texts waiting for the engine."""

    done: list[FileRecord]
    texts: list[_Text]
    notebooks: list[_Text]
    direct: list[_Text]  # the engine reads these by their paths
    copies: list[_Text]  # read whole here; the engine counts a copy
    streams: dict[str, ContentStream] = field(default_factory=dict)  # past the cap, by path

    @property
    def paths(self) -> list[str]:
        return [item.entry.path for item in self.direct]


def _prepare_chunk(
    chunk: Sequence[tuple[Entry, dict[str, Any]]], table: FileTypes, limit: int, want: bool
) -> _Prepared:
    """Read and sniff each file of a chunk: everything but the engine's counting."""
    done: list[FileRecord] = []
    texts: list[_Text] = []
    notebooks: list[_Text] = []
    streams: dict[str, ContentStream] = {}
    for entry, base in chunk:
        try:
            outcome = _read_one(entry, base, table, limit, want)
        except Exception as error:  # one file's surprise never ends a scan
            outcome = _failed(entry, base, error)
        if want and _past_the_cap(outcome, base):
            streams[base["path"]] = ContentStream(
                entry.path, base["size_bytes"], entry.link_note == "followed"
            )
        if isinstance(outcome, FileRecord):
            done.append(outcome)
        elif outcome.notebook is not None:
            notebooks.append(outcome)
        else:
            texts.append(outcome)
    direct: list[_Text] = []
    copies: list[_Text] = []
    for item in texts:
        readable = item.head is None or _engine_can_read(item.entry.path, item.base)
        (direct if readable else copies).append(item)
    return _Prepared(done, texts, notebooks, direct, copies, streams)


def _past_the_cap(outcome: FileRecord | _Text, base: dict[str, Any]) -> bool:
    """A text file over ``CONTENT_LIMIT`` whose content the checks did not get whole."""
    if base["size_bytes"] <= CONTENT_LIMIT:
        return False
    if isinstance(outcome, FileRecord):
        return (
            outcome.state is State.TOO_LARGE
            and outcome.category in CONTENT_CATEGORIES
            and outcome.category != "notebook"
        )
    return (
        outcome.notebook is None and outcome.head is None and outcome.category in CONTENT_CATEGORIES
    )


def _complete_chunk(
    prepared: _Prepared,
    counted: dict[str, tuple[str, LineCounts]] | None,
    table: FileTypes,
    limit: int,
    inspect: Inspect | None = None,
) -> list[FileRecord]:
    """The chunk's records, given the engine's counts of ``prepared.paths`` (None: count
    them here)."""
    done = prepared.done
    streams = prepared.streams
    if inspect is not None:
        for record in done:
            inspect(record, streams.get(record.path))
    texts, notebooks, copies = prepared.texts, prepared.notebooks, prepared.copies
    try:
        counted = count_with_engine(prepared.paths) if counted is None else dict(counted)
        by_copy = _count_copies(
            {index: (_copy_name(item.base), item.head or b"") for index, item in enumerate(copies)}
        )
    except Exception:  # the engine failed on this chunk: physical lines for all of it
        counted, by_copy = {}, {}
    for index, item in enumerate(copies):
        if index in by_copy:
            counted[item.entry.path] = by_copy[index]
    for item in texts:
        try:
            record = _finish_text(item, counted, table, limit)
        except Exception as error:
            record = _failed(item.entry, item.base, error)
        done.append(record)
        if inspect is not None:
            content = item.head if item.head is not None else streams.get(record.path)
            inspect(record, content if record.state is not State.UNREADABLE else None)
    finished: list[FileRecord] = []
    try:
        finished = _finish_notebooks(notebooks)
    except Exception:
        for item in notebooks:
            try:
                finished.extend(_finish_notebooks([item]))
            except Exception as error:
                finished.append(_failed(item.entry, item.base, error))
    done.extend(finished)
    if inspect is not None:
        for item, record in zip(notebooks, finished, strict=True):
            inspect(record, item.head)
    return done


def file_fields(rel: str, size: int) -> dict[str, Any]:
    """The walk's fields for a regular file known only by its path in a tree and its size
    (a git blob): no times, no link. ``rel`` may hold surrogate escapes."""
    path, utf8 = display_path(rel)
    return {
        "path": path,
        "kind": Kind.FILE,
        "extension": file_types().extension(path.rsplit("/", 1)[-1]),
        "size_bytes": size,
        "modified_ns": 0,
        "changed_ns": 0,
        "birth_ns": None,
        "link_target": None,
        "path_is_utf8": utf8,
    }


def analyse_files(
    files: Sequence[tuple[str, dict[str, Any]]], limit: int = ScanOptions.max_count_bytes
) -> list[FileRecord]:
    """Records of regular files read from where they lie (``files`` pairs a path on disk
    with ``file_fields`` of the name reports give it): the scan's own reading, sniffing,
    notebook reading and counting, for content that is not in the tree being walked.
    One record per file, in the order given."""
    table = file_types()
    chunk = []
    for index, (disk, fields) in enumerate(files):
        # Records are matched to files by path, and one name may come twice (two versions
        # of a file): each is keyed apart under a first folder no real path has (a NUL),
        # which no folder rule of the table names either.
        keyed = {**fields, "path": f"\0{index}/{fields['path']}"}
        chunk.append((Entry(disk, keyed["path"], Kind.FILE, None), keyed))
    records = _complete_chunk(_prepare_chunk(chunk, table, limit, False), None, table, limit)
    by_path = {record.path: record for record in records}
    return [
        replace(by_path[keyed["path"]], path=fields["path"])
        for (_entry, keyed), (_disk, fields) in zip(chunk, files, strict=True)
    ]


# --- the pipeline ------------------------------------------------------------


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
        options: ScanOptions = ScanOptions(),
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
        options, table, cache = self.options, self._table, self._cache
        settings = WalkSettings(
            options.gitignore,
            tuple(options.excludes),
            options.follow_symlinks,
            identities([*options.skip, options.cache_dir, cache.path]),
        )
        report = self._progress or (lambda phase, done, total: None)
        entries = walk(self.root, settings, self._walk_stats)
        use_cache = cache.path is not None
        inspect = options.inspect
        engine = EngineProcess()
        pending: deque[_Pending] = deque()
        done = 0
        complete = False
        try:
            windows = _windows(entries, table, cache if use_cache else None, inspect)
            for window in itertools.chain(windows, [None]):  # None: the walk is over
                if window is not None:
                    report("scan", done, None)  # the window is walked, its files not yet read
                    pending.append(self._start(window, engine))
                # One window counts in the engine's process while this one reads the next.
                while pending and (window is None or len(pending) > 1 or pending[0].future is None):
                    records = self._finish(pending.popleft())
                    yield from self._hand_out(records)
                    done += len(records)
                    report("scan", done, None)
            complete = True
        finally:
            engine.close()
            cache.close(complete)
            self._elapsed = time.perf_counter() - self._clock

    def _hand_out(
        self, records: list[tuple[FileRecord, CacheKey | None, Any]]
    ) -> Iterator[FileRecord]:
        """Yield each record with its cached report rows in ``encoded``; keep in the cache
        what the consumer left there (the rows it wrote)."""
        cache = self._cache
        for record, key, cached in records:
            self.encoded = cached
            yield record
            if key is not None:
                encoded = self.encoded
                cache.keep(record, key, encoded, changed=encoded is not cached)
        self.encoded = None

    def _start(self, window: _Window, engine: EngineProcess) -> _Pending:
        """Read the heads of the window's files and hand the texts to the engine: to its
        own process once the tree proves bigger than one window and the window holds
        enough texts to gain from it; else the engine counts them when the window ends."""
        todo = [slot for slot in window.slots if not isinstance(slot[0], FileRecord)]
        if not todo:
            return _Pending(window, None, None)
        options = self.options
        prepared = _prepare_chunk(
            [(entry, base) for entry, base, _key in todo],
            self._table,
            options.max_count_bytes,
            options.inspect is not None,
        )
        self._read += len(todo)
        future = None
        if (window.full or engine.started) and len(prepared.direct) >= CHUNK // 8:
            future = engine.submit(prepared.paths)
        return _Pending(window, prepared, future)

    def _finish(self, pending: _Pending) -> list[tuple[FileRecord, CacheKey | None, Any]]:
        """The window's records in walk order."""
        window, prepared = pending.window, pending.prepared
        by_path: dict[str, FileRecord] = {}
        if prepared is not None:
            counted = None
            if pending.future is not None:
                try:
                    counted = pending.future.result()
                except Exception:  # the engine's process failed: count here instead
                    counted = None
            options = self.options
            analysed = _complete_chunk(
                prepared, counted, self._table, options.max_count_bytes, options.inspect
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


@dataclass(slots=True)
class _Pending:
    """A window whose heads are read, its texts counting (``future``) or to count."""

    window: _Window
    prepared: _Prepared | None  # None: nothing in the window to read
    future: Future[dict[str, tuple[str, LineCounts]]] | None


@dataclass(slots=True)
class _Window:
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
    window: _Window,
) -> tuple[Any, ...]:
    """One walk entry's slot in its window (see ``_windows``); counts what it will read."""
    base = _base(entry, table)
    if entry.kind is not Kind.FILE or entry.error is not None:
        record = _non_file(entry, base, table)
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


def _windows(
    entries: Iterator[Entry],
    table: FileTypes,
    cache: ScanCache | None,
    inspect: Inspect | None,
) -> Iterator[_Window]:
    """The walk cut into windows of up to ``CHUNK`` files to read (fewer when whole
    contents are kept for the checks, so no more than about ``_CHUNK_CONTENT_BYTES``
    of content is held at once). A slot is ``(record, cache key, cached rows)`` when it is
    known without reading (links, special files, cache hits), else ``(entry, walk
    fields, cache key)``."""
    window = _Window()
    for entry in entries:
        window.slots.append(_slot(entry, table, cache, inspect, window))
        full = window.reads >= CHUNK or window.held >= _CHUNK_CONTENT_BYTES
        if full or len(window.slots) >= CHUNK:  # or a long run of cache hits, links
            window.full = True
            yield window
            window = _Window()
    if window.slots:
        yield window


def scan(
    root: str | os.PathLike[str],
    options: ScanOptions = ScanOptions(),
    progress: Progress | None = None,
) -> ScanResult:
    """Analyse every file under ``root``, holding every record in the result; raise
    ``ScanError`` if the root cannot be read. ``ScanStream`` does the same without
    holding them."""
    stream = ScanStream(root, options, progress)
    records = list(stream)
    return stream.result(records)
