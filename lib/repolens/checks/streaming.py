"""Checks of a text file past the content cap, read in windows: nothing skipped silently.

A file over ``CONTENT_LIMIT`` (8 MiB) is not held whole: it is decoded block by block and
checked in windows of whole lines (about ``WINDOW`` characters), so a line that straddles
two blocks is read whole in one window. A line longer than a window is read in pieces that
overlap by ``OVERLAP`` characters, and a match is counted in the piece it starts in (a
path or a key is never that long). Secrets (SE001/SE002) and absolute paths (PA001) are
checked as in a whole file: the lexer's state (an open comment or string) goes on from
one window to the next, and suppression comments apply to their line. What needs the whole
text (imports, declared dependencies) is not read, and a note names the file.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..core.findings import Finding
from ..core.records import FileRecord
from .lexers import syntax_for
from .paths import (
    MAX_PER_FILE,
    code_finding,
    code_hits,
    data_finding,
    data_hits,
    is_checked,
    may_hold_paths,
    open_at_end,
)
from .secrets import CATEGORIES, secret_check, secret_finding, secret_hits
from .source import evidence_at
from .suppression import MAX_NOTES, read_suppressions

__all__ = ["OVERLAP", "WINDOW", "Window", "stream_findings", "windows"]

WINDOW = 1 << 20  # characters
OVERLAP = 4096
_CONTEXT = 16  # characters before a piece's first counted one, for what must not precede


@dataclass(frozen=True)
class Window:
    text: str
    line: int  # the line number of ``text[0]``
    start: int  # matches count when they start in ``text[start:end]``
    end: int
    whole: bool  # whole lines (else a piece of one long line)


def windows(blocks: Iterable[bytes], encoding: str | None) -> Iterator[Window]:
    """The decoded text in windows of whole lines, and pieces of lines longer than one.
    Holds at most about two windows of text, whatever the file."""
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")("replace")
    pending, skip, line = "", 0, 1  # ``skip``: characters already counted (a piece's context)
    for block in blocks:
        pending += decoder.decode(block)
        while len(pending) >= WINDOW:
            cut = pending.rfind("\n") + 1
            if cut:
                yield Window(pending[:cut], line, skip, cut, skip == 0)
                line += pending.count("\n", 0, cut)
                pending, skip = pending[cut:], 0
            elif len(pending) >= WINDOW + OVERLAP:  # no line break: a piece of a long line
                end = len(pending) - OVERLAP
                yield Window(pending, line, skip, end, False)
                pending, skip = pending[end - _CONTEXT :], _CONTEXT
            else:
                break
    pending += decoder.decode(b"", True)
    if len(pending) > skip:
        yield Window(pending, line, skip, len(pending), skip == 0)


def stream_findings(
    record: FileRecord, blocks: Iterable[bytes], notes: list[str] | None = None
) -> list[Finding]:
    """SE001/SE002 and PA001 of a text file read in blocks, suppressions applied."""
    path = record.path
    secrets = record.category in CATEGORIES
    check_id = secret_check(path)
    paths = is_checked(record)
    data = record.category == "data"
    python = path.endswith((".py", ".pyw"))
    syntax = syntax_for(path)
    inside: str | None = None
    found: list[Finding] = []
    problems: list[str] = []
    code_count, data_count, first = 0, 0, None
    for window in windows(blocks, record.encoding):
        text, kept = window.text, []
        if secrets:
            line, position = window.line, 0
            for offset, what, secret in secret_hits(text):
                line += text.count("\n", position, offset)
                position = offset
                if window.start <= offset < window.end:
                    kept.append(secret_finding(check_id, path, what, secret, line))
        if paths and may_hold_paths(text):
            if data:
                for number, offset, what in data_hits(path, text):
                    if window.start <= offset < window.end:
                        data_count += 1
                        first = first or (window.line + number - 1, what)
            elif code_count <= MAX_PER_FILE:
                hits = code_hits(
                    path, record.category, text, python, inside if window.whole else None
                )
                counted = (hit for hit in hits if window.start <= hit[1] < window.end)
                for number, offset, what in counted:
                    code_count += 1
                    if code_count > MAX_PER_FILE:
                        break
                    line = window.line + number - 1
                    kept.append(code_finding(path, what, evidence_at(text, offset), line, None))
        if paths and not data and syntax is not None:
            inside = open_at_end(path, text, python, inside) if window.whole else None
        if "repolens:" in text and window.whole:
            table = read_suppressions(text, syntax)
            kept = [
                item
                for item in kept
                if not table.covers(item.check, (item.line or 0) - window.line + 1)
            ]
            problems += [
                f"{path}:{window.line + line - 1}: not a suppression: {why}"
                for line, why in table.problems
            ][: MAX_NOTES - len(problems)]
        found += kept
    if first is not None:
        found.append(data_finding(path, data_count, first[0], first[1]))
    if notes is not None:
        notes += problems
    return found
