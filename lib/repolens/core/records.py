"""The per-file record: one frozen value for every file a scan meets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FileRecord",
    "Kind",
    "LineCounts",
    "NotebookStats",
    "State",
    "display_path",
    "path_bytes",
]


def display_path(rel: str) -> tuple[str, bool]:
    """A path as reports show it, and whether its bytes were UTF-8.

    Injective: a backslash is written as two and each byte that is not UTF-8 as
    ``\\xNN`` (backslash, x, two hex digits), so two names never give the same text."""
    if "\\" not in rel:
        try:
            rel.encode("utf-8")
            return rel, True
        except UnicodeEncodeError:
            pass
    raw = rel.replace("\\", "\\\\").encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), False


_ESCAPE = re.compile(r"\\\\|\\x([0-9a-f]{2})")


def path_bytes(shown: str) -> bytes:
    """The real bytes of a path that ``display_path`` wrote as ``shown`` (its inverse):
    ``\\\\`` is one backslash, ``\\xNN`` the byte NN, anything else its UTF-8."""
    parts = []
    position = 0
    for found in _ESCAPE.finditer(shown):
        parts.append(shown[position : found.start()].encode("utf-8", "surrogateescape"))
        parts.append(b"\\" if found.group(1) is None else bytes([int(found.group(1), 16)]))
        position = found.end()
    parts.append(shown[position:].encode("utf-8", "surrogateescape"))
    return b"".join(parts)


class State(StrEnum):
    """What happened to a file. Every state but ``ok`` comes with a reason."""

    OK = "ok"  # read and, where it is text, counted
    EMPTY = "empty"  # zero bytes, or only white space
    BINARY = "binary"  # not text: no line counts
    UNREADABLE = "unreadable"  # permission denied, vanished, I/O error
    INVALID = "invalid"  # a structured file (notebook) that does not parse
    TOO_LARGE = "too_large"  # text over the counting limit: physical lines only
    SYMLINK = "symlink"  # a symbolic link, recorded and not followed
    SPECIAL = "special"  # a FIFO, socket or device: never opened


class Kind(StrEnum):
    FILE = "file"
    SYMLINK = "symlink"
    DIRECTORY = "directory"  # only for directories that could not be listed
    SPECIAL = "special"


@dataclass(frozen=True, slots=True)
class LineCounts:
    """Lines of a text: ``code + comment + blank == lines`` always holds."""

    code: int
    comment: int
    blank: int

    @property
    def lines(self) -> int:
        return self.code + self.comment + self.blank

    def __add__(self, other: LineCounts) -> LineCounts:
        return LineCounts(
            self.code + other.code, self.comment + other.comment, self.blank + other.blank
        )


ZERO_LINES = LineCounts(0, 0, 0)


@dataclass(frozen=True, slots=True)
class NotebookStats:
    """What a Jupyter notebook holds, read from its JSON."""

    kernel: str | None  # kernelspec name, e.g. "python3"
    language: str | None  # kernel language, e.g. "python"
    code_cells: int
    markdown_cells: int
    raw_cells: int
    code_lines: LineCounts  # code cells, counted in the kernel language
    markdown_lines: int  # non-blank markdown lines
    outputs: int  # output objects in all code cells
    output_bytes: int  # bytes of output payloads (text and embedded data)
    image_outputs: int  # embedded images (image/* mime bundles)
    image_bytes: int  # bytes of those images as stored (base64 text)
    error_cells: int  # code cells with an error output
    executed_cells: int  # code cells with an execution count
    out_of_order: bool  # execution counts not increasing down the notebook

    @property
    def cells(self) -> int:
        return self.code_cells + self.markdown_cells + self.raw_cells


@dataclass(frozen=True, slots=True)
class FileRecord:
    """Everything repolens knows about one file.

    ``path`` is relative to the scanned root with POSIX separators. Times are
    nanoseconds since the epoch; ``birth_ns`` is None where the OS does not
    keep a creation time. ``lines`` is None for files whose lines were not
    counted (binary, unreadable, symlinks); ``counts`` is None where only
    physical lines are known (``too_large``).
    """

    path: str
    kind: Kind
    extension: str  # as the file-type table reads the name: ".py", ".tar.gz", "" for none
    category: str
    language: str | None
    size_bytes: int
    modified_ns: int
    changed_ns: int
    birth_ns: int | None
    is_binary: bool | None
    encoding: str | None
    lines: int | None
    counts: LineCounts | None
    state: State
    reason: str
    notebook: NotebookStats | None = None
    link_target: str | None = None
    path_is_utf8: bool = True

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def code(self) -> int | None:
        return None if self.counts is None else self.counts.code

    @property
    def comment(self) -> int | None:
        return None if self.counts is None else self.counts.comment

    @property
    def blank(self) -> int | None:
        return None if self.counts is None else self.counts.blank
