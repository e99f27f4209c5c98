"""Reading one file: opened without blocking on a FIFO or following a link the walk did
not choose, its head sniffed, its category decided by content and name together, and
as much read as its category needs (all of a notebook, which is parsed here)."""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core import safeio
from ..core.records import ZERO_LINES, FileRecord, Kind, State
from .build import error_reason, make_record, special_reason, unreadable_text
from .counting import count_newlines
from .filetypes import FileTypes
from .notebooks import InvalidNotebook, ParsedNotebook, read_notebook
from .options import CONTENT_CATEGORIES, CONTENT_LIMIT
from .sniff import SNIFF_BYTES, Sniff, sniff
from .walk import Entry

__all__ = ["NOTEBOOK_LANGUAGE", "Text", "engine_can_read", "read_all", "read_one"]

_ENGINE_PATH_MAX = 4000  # longer paths are counted from a copy the engine can open
NOTEBOOK_LANGUAGE = "Jupyter Notebooks"
_READ_BLOCK = 1 << 20


@dataclass(slots=True)
class Text:
    """A text file waiting for its lines to be counted."""

    entry: Entry
    base: dict[str, Any]
    category: str
    encoding: str | None
    reason: str
    head: bytes | None  # the whole content when it fit in the sniff buffer (or was wanted)
    notebook: ParsedNotebook | None = None


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


def read_all(path: str, limit: int) -> bytes:
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


def read_one(
    entry: Entry, base: dict[str, Any], table: FileTypes, limit: int, want: bool = False
) -> FileRecord | Text:
    try:
        descriptor, head, st = _read_head(entry.path, follow=entry.link_note == "followed")
    except OSError as error:
        return make_record(
            base,
            table.classify(base["path"], base["extension"]) or "other",
            State.UNREADABLE,
            error_reason(error),
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
) -> FileRecord | Text:
    if not stat_module.S_ISREG(st.st_mode):
        return make_record(
            {**base, "kind": Kind.SPECIAL}, "other", State.SPECIAL, special_reason(st.st_mode)
        )
    if st.st_size == 0 and not head:
        return make_record(
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
        return make_record(base, category, State.BINARY, reason, is_binary=True)
    reason = found.format or note
    if st.st_size > limit:
        try:
            lines = count_newlines(_chunks(entry.path))
        except OSError as error:
            return unreadable_text(base, category, error, found.encoding)
        return make_record(
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
    if not complete and (category == "notebook" or wanted or not engine_can_read(entry.path, base)):
        try:
            head += safeio.read_descriptor(descriptor, limit - len(head))
        except OSError as error:
            return unreadable_text(base, category, error, found.encoding)
        complete = True
    if category == "notebook":
        if not head.strip():
            return make_record(
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
            return make_record(
                base,
                category,
                State.INVALID,
                f"not a readable notebook: {error}",
                language=NOTEBOOK_LANGUAGE,
                is_binary=False,
                encoding=found.encoding,
            )
        # A notebook's bytes are kept only for ``ScanOptions.inspect``: its cells are parsed.
        return Text(entry, base, category, found.encoding, reason, head if want else None, parsed)
    return Text(entry, base, category, found.encoding, reason, head if complete else None)


def engine_can_read(path: str, base: dict[str, Any]) -> bool:
    """Whether the counting engine can open the file by its path (UTF-8, not too long)."""
    return base["path_is_utf8"] and len(path.encode("utf-8", "surrogatepass")) < _ENGINE_PATH_MAX
