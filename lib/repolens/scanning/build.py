"""The record of one file from what the walk and the reading found: its walk fields
(path, kind, extension, size, times, link), its state and a reason for every state but
ok. Every file gets one, whatever happened to it."""

from __future__ import annotations

import os
import stat as stat_module
from typing import Any

from ..core.records import FileRecord, Kind, LineCounts, NotebookStats, State, display_path
from ..core.times import MAX_TIME_NS, MIN_TIME_NS, time_in_range
from .filetypes import FileTypes, file_types
from .notebooks import clean_text
from .walk import Entry

__all__ = [
    "error_reason",
    "failed_record",
    "file_fields",
    "make_record",
    "non_file_record",
    "special_reason",
    "unreadable_text",
    "walk_fields",
]


def _birth_ns(st: os.stat_result) -> int | None:
    birth = getattr(st, "st_birthtime_ns", None)
    if birth is not None:
        return int(birth)
    seconds = getattr(st, "st_birthtime", None)
    return None if seconds is None else int(seconds * 1_000_000_000)


def walk_fields(entry: Entry, table: FileTypes) -> dict[str, Any]:
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


def make_record(
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


def special_reason(mode: int) -> str:
    for test, text in _SPECIAL_NAMES:
        if test(mode):
            return f"{text}, never opened"
    return "not a regular file, never opened"


def non_file_record(entry: Entry, base: dict[str, Any], table: FileTypes) -> FileRecord:
    if entry.kind is Kind.DIRECTORY:
        return make_record(
            base, "other", State.UNREADABLE, f"directory could not be listed: {entry.error}"
        )
    if entry.error is not None:
        category = table.classify(base["path"], base["extension"]) or "other"
        return make_record(base, category, State.UNREADABLE, entry.error)
    if entry.kind is Kind.SPECIAL:
        mode = entry.stat.st_mode if entry.stat is not None else 0
        return make_record(base, "other", State.SPECIAL, special_reason(mode))
    target = base["link_target"]
    reasons = {
        None: f"symbolic link to {target}, not followed",
        "broken": f"broken symbolic link to {target}",
        "loop": f"symbolic link loop, or a folder already scanned through another link: {target}",
        "inside": f"symbolic link to a folder inside the tree, scanned where it is: {target}",
    }
    return make_record(base, "other", State.SYMLINK, reasons[entry.link_note])


def error_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "vanished during the scan"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


def unreadable_text(
    base: dict[str, Any], category: str, error: OSError, encoding: str | None
) -> FileRecord:
    """A text file whose head was read but whose rest could not be."""
    return make_record(
        base, category, State.UNREADABLE, error_reason(error), is_binary=False, encoding=encoding
    )


def failed_record(entry: Entry, base: dict[str, Any], error: Exception) -> FileRecord:
    """The record of a file whose analysis raised: the scan goes on, the reason says why."""
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return make_record(
        base,
        "other",
        State.UNREADABLE,
        f"could not be analysed: {type(error).__name__}" + (f": {text}" if text else ""),
    )


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
