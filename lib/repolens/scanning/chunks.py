"""A chunk of files counted together: the heads of all read first, then the texts
counted by the engine in one call (from their paths, or from copies where the engine
cannot open a path), notebooks' cells in their kernels' languages, and each record handed
to the checks with its content."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.records import FileRecord, Kind, LineCounts, State
from .build import failed_record, make_record, unreadable_text
from .counting import count_physical, count_with_engine
from .filetypes import FileTypes, file_types
from .notebooks import source_extension
from .options import CONTENT_CATEGORIES, CONTENT_LIMIT, ContentStream, Inspect, ScanOptions
from .reading import NOTEBOOK_LANGUAGE, Text, engine_can_read, read_all, read_one
from .walk import Entry

__all__ = ["Prepared", "analyse_files", "complete_chunk", "prepare_chunk"]


def _finish_text(
    item: Text, counted: dict[str, tuple[str, LineCounts]], table: FileTypes, limit: int
) -> FileRecord:
    found = counted.get(item.entry.path)
    language: str | None
    if found is not None:
        language, counts = found
    else:
        try:
            content = item.head if item.head is not None else read_all(item.entry.path, limit)
        except OSError as error:
            return unreadable_text(item.base, item.category, error, item.encoding)
        counts = count_physical(content.decode(item.encoding or "utf-8", "replace"))
        language = table.languages.get(item.base["extension"])
    state, reason = State.OK, item.reason
    if counts.code + counts.comment == 0:
        state, reason = State.EMPTY, "only white space"
    return make_record(
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


def _finish_notebooks(items: Sequence[Text]) -> list[FileRecord]:
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
            make_record(
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


@dataclass(slots=True)
class Prepared:
    """A chunk whose heads are read: records already known, texts waiting for the engine."""

    done: list[FileRecord]
    texts: list[Text]
    notebooks: list[Text]
    direct: list[Text]  # the engine reads these by their paths
    copies: list[Text]  # read whole here; the engine counts a copy
    streams: dict[str, ContentStream] = field(default_factory=dict)  # past the cap, by path

    @property
    def paths(self) -> list[str]:
        return [item.entry.path for item in self.direct]


def prepare_chunk(
    chunk: Sequence[tuple[Entry, dict[str, Any]]], table: FileTypes, limit: int, want: bool
) -> Prepared:
    """Read and sniff each file of a chunk: everything but the engine's counting."""
    done: list[FileRecord] = []
    texts: list[Text] = []
    notebooks: list[Text] = []
    streams: dict[str, ContentStream] = {}
    for entry, base in chunk:
        try:
            outcome = read_one(entry, base, table, limit, want)
        except Exception as error:  # one file's surprise never ends a scan
            outcome = failed_record(entry, base, error)
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
    direct: list[Text] = []
    copies: list[Text] = []
    for item in texts:
        readable = item.head is None or engine_can_read(item.entry.path, item.base)
        (direct if readable else copies).append(item)
    return Prepared(done, texts, notebooks, direct, copies, streams)


def _past_the_cap(outcome: FileRecord | Text, base: dict[str, Any]) -> bool:
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


def complete_chunk(
    prepared: Prepared,
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
            record = failed_record(item.entry, item.base, error)
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
                finished.append(failed_record(item.entry, item.base, error))
    done.extend(finished)
    if inspect is not None:
        for item, record in zip(notebooks, finished, strict=True):
            inspect(record, item.head)
    return done


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
    records = complete_chunk(prepare_chunk(chunk, table, limit, False), None, table, limit)
    by_path = {record.path: record for record in records}
    return [
        replace(by_path[keyed["path"]], path=fields["path"])
        for (_entry, keyed), (_disk, fields) in zip(chunk, files, strict=True)
    ]
