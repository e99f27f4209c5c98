"""Hard-coded absolute paths (PA001), found without needing them to exist here.

Windows drives (``C:\\``, ``C:/``), UNC shares, ``/home/<user>/``, ``/Users/<user>/``,
``/mnt/<x>/`` and Colab's ``/content/drive``; in code, notebook code cells, configuration
and data. Shebangs, ``/dev/null``, ``/tmp``, ``/usr/bin/env`` and system paths are not
findings. A data file full of such paths is one finding with a count. In Python (files
and notebook cells) only string literals and shell or magic lines (``!cp``, ``%cd``) count:
a path in a comment documents, it does not run. Test code is left out: literal paths there
are test inputs.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator

from ..core.findings import Finding
from ..core.records import FileRecord
from .lexers import Syntax, Token, syntax_for, syntax_named, tokens
from .source import Source, evidence_at, finding, is_test_path

__all__ = [
    "MAX_PER_FILE",
    "check_paths",
    "code_finding",
    "code_hits",
    "count_paths",
    "data_finding",
    "find_paths",
    "is_checked",
    "may_hold_paths",
    "open_at_end",
    "path_hits",
]

# What may not come before a path is part of each expression (lookbehinds), so finding
# and counting paths is the engine's loop, not one of Python's per match.
# A drive letter starts a value: at the start, after a quote, a space or "=" and the like
# (not after "SCB'" or a letter); never inside a format such as "%s:\n" or "http:".
_DRIVE = re.compile(
    r"""(?:(?<=[ \t\n"'`=(\[{,;<>|])(?<![^\W_]['`])|(?<![\s\S]))"""
    r"[A-Za-z]:(?:\\\\|\\|/)(?=[\w.$ ~-])"  # C:\, C:\\, C:/
)
_UNC = re.compile(
    r"(?<![\w/\\:])(\\\\(?:\\\\)?)[A-Za-z0-9][\w.$-]*(?:\\\\|\\)(?=[\w.$-]*[A-Za-z])[A-Za-z0-9][\w.$-]*"
)
_POSIX = re.compile(r"(?<![\w/.~-])/(?:(?:home|Users|mnt|media)/[\w.-]+/|content/drive(?:/|\b))")
_SHEBANG = re.compile(r"^#![^\n]*", re.MULTILINE)
_KINDS = (_DRIVE, _UNC, _POSIX)


def _kind_starts(text: str, pattern: re.Pattern[str], escaped: bool) -> Iterator[int]:
    for match in pattern.finditer(text):
        # In escaped source a share is written with four backslashes ("\\\\srv\\x").
        if pattern is _UNC and escaped and len(match.group(1)) != 4:
            continue
        yield match.start()


def _starts(text: str, escaped: bool = False) -> Iterator[int]:
    """Where the absolute paths in ``text`` start, in order, each once: the three kinds
    merged as they are found, never held in a list. ``escaped``: the text is source whose
    strings escape backslashes (C), so a share is written with four."""
    previous = -1
    for start in heapq.merge(*(_kind_starts(text, kind, escaped) for kind in _KINDS)):
        if start != previous:
            yield start
            previous = start


def count_paths(text: str) -> int:
    """How many absolute paths a text holds (shebang lines left out), counted by the
    expression engine: what PA001 says of a data file, at the engine's speed."""
    count = sum(sum(1 for _match in kind.finditer(text)) for kind in _KINDS)
    if text.startswith("#!") or "\n#!" in text:
        for line in _SHEBANG.finditer(text):
            count -= sum(
                sum(1 for _match in kind.finditer(text, line.start(), line.end()))
                for kind in _KINDS
            )
    return count


_CATEGORIES = ("code", "notebook", "config", "data")
_SHELL = re.compile(r"^[^\S\n]*[!%][^\n]*", re.MULTILINE)  # a shell or magic line
# Paths inside a container image are fixed by design: not a machine of the lab.
_CONTAINER_FILES = re.compile(
    r"^(Dockerfile.*|Containerfile.*|.*\.dockerfile|(docker-)?compose.*\.ya?ml|devcontainer\.json)$"
)
_END = re.compile(r"""["'`\s,;)\]}>]""")
MAX_PER_FILE = 20
_LITERALS = ("\\\\", "/home/", "/Users/", "/mnt/", "/media/", "/content/drive")
# A drive: a letter that no letter or digit comes before, then ":\" or ":/" (not "://").
_DRIVE_HINT = re.compile(r"(?<![^\W_])[^\W\d_]:(?:\\|/(?!/))")


def may_hold_paths(text: str) -> bool:
    """A fast no for nearly every file: substring searches and one expression, before
    any work per match."""
    return any(literal in text for literal in _LITERALS) or _DRIVE_HINT.search(text) is not None


def _cut(text: str, start: int, ends: list[int]) -> str:
    """The path that starts at ``start``, cut at its end (at most 120 characters).

    ``ends`` holds the last end found (a one-item cache): starts come in order, so each
    stretch of text is searched for an end once, whatever the number of starts in it."""
    if ends[0] < start + 2:
        found = _END.search(text, start + 2)
        ends[0] = found.start() if found else len(text)
    return text[start : min(ends[0], start + 120)]


def find_paths(line: str, escaped: bool = False) -> Iterator[str]:
    """The absolute paths a line of text names (each as written, cut at its end)."""
    if line.startswith("#!"):
        return
    ends = [-1]
    for start in _starts(line, escaped):
        yield _cut(line, start, ends)


def path_hits(text: str, escaped: bool = False) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, path)`` for every path in a text, shebang lines left out:
    one pass of the expressions over the whole text, and line numbers, line starts and
    path ends kept as the starts go by, so no stretch of the text is read twice."""
    line, position, line_start, ends = 1, 0, 0, [-1]
    for start in _starts(text, escaped):
        newline = text.rfind("\n", position, start)
        if newline >= 0:
            line += text.count("\n", position, start)
            line_start = newline + 1
        position = start
        if text.startswith("#!", line_start):
            continue
        yield line, start, _cut(text, start, ends)


def _without_comments(code: str, syntax: Syntax, inside: str | None = None) -> str:
    """Source with its comments blanked (line breaks kept, so lines and offsets still count).
    ``inside``: the text starts inside a comment (see ``lexers.tokens``)."""
    pieces: list[str] = []
    position = 0
    for token in tokens(code, syntax, inside):
        if token.kind == "comment":
            pieces.append(code[position : token.start])
            comment = code[token.start : token.end]
            pieces.append(" " * len(comment) if "\n" not in comment else _blank(comment))
            position = token.end
    pieces.append(code[position:])
    return "".join(pieces)


def _blank(text: str) -> str:
    return "\n".join(" " * len(part) for part in text.split("\n"))


def _is_raw(code: str, quote: int) -> bool:
    """Whether the Python string whose quote is at ``quote`` is a raw string (``r"..."``,
    ``Rb'...'``): its prefix letters, with no name character before them."""
    start = quote
    while start > 0 and quote - start < 3 and code[start - 1] in "rRbBuUfF":
        start -= 1
    if start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_"):
        return False
    return "r" in code[start:quote].lower()


def _python_blanked(code: str) -> str:
    """Python code with its shell and magic lines blanked: commands, read whole, not lexed."""
    if _SHELL.search(code):
        return _SHELL.sub(lambda match: " " * len(match.group()), code)
    return code


def _python_hits(code: str, inside: str | None = None) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, path)`` in what can hold a path that runs: string literals
    (with the line they start on) and shell or magic lines; comments are not read."""
    python = syntax_named("python")
    strings = (
        token for token in tokens(_python_blanked(code), python, inside) if token.kind == "string"
    )
    yield from _numbered(code, heapq.merge(_shell_items(code), _string_items(code, strings)))


def _shell_items(code: str) -> Iterator[tuple[int, str]]:
    for match in _SHELL.finditer(code):
        for path in find_paths(match.group(), escaped=True):
            yield match.start(), path


def _string_items(code: str, strings: Iterator[Token]) -> Iterator[tuple[int, str]]:
    for token in strings:
        piece = code[token.start : token.end]
        if "/" not in piece and "\\" not in piece:  # every path holds one or the other
            continue
        for path in find_paths(piece, escaped=not _is_raw(code, token.start)):
            yield token.start, path


def _numbered(code: str, items: Iterable[tuple[int, str]]) -> Iterator[tuple[int, int, str]]:
    """Line numbers for ``(offset, path)`` items in offset order, counted as they go."""
    line, position = 1, 0
    for offset, path in items:
        line += code.count("\n", position, offset)
        position = offset
        yield line, offset, path


def _syntax(path: str, python: bool) -> Syntax | None:
    return syntax_named("python") if python else syntax_for(path)


def code_hits(
    path: str, category: str, text: str, python: bool, inside: str | None = None
) -> Iterator[tuple[int, int, str]]:
    """``(line number, offset, path)`` of the paths in code or configuration: in Python,
    strings and shell lines; elsewhere, all but comments. ``inside``: the text starts inside
    a comment or string (a piece of a longer text; see ``lexers.tokens``)."""
    if python:
        return _python_hits(text, inside)
    syntax = syntax_for(path)
    # In code, "\\" inside a string is one backslash: a share is written "\\\\srv\\x"
    # (Python raw strings apart: r"\\srv\x").
    escaped = category == "code"
    if syntax is not None and syntax.name == "c":
        return path_hits(_without_comments(text, syntax, inside), escaped=True)
    if syntax is not None and (syntax.line or syntax.block):
        return path_hits(_without_comments(text, syntax, inside), escaped=escaped)
    return path_hits(text, escaped=escaped)


def open_at_end(path: str, text: str, python: bool, inside: str | None = None) -> str | None:
    """What closes the comment or string still open at the end of ``text`` (its lexer's
    state, for the piece that follows), or None."""
    syntax = _syntax(path, python)
    if syntax is None:
        return None
    last = None
    for last in tokens(_python_blanked(text) if python else text, syntax, inside):  # noqa: B007
        pass
    return None if last is None else last.open


def is_checked(record: FileRecord) -> bool:
    """Whether PA001 reads this file at all (its kind, not test code, not a container's)."""
    return (
        record.category in _CATEGORIES
        and not is_test_path(record.path)
        and not _CONTAINER_FILES.match(record.name)
    )


def check_paths(record: FileRecord, source: Source) -> Iterator[Finding]:
    if not is_checked(record) or not may_hold_paths(source.text):
        return  # the common case: a few substring searches find nothing
    path = record.path
    if record.category == "data" and source.notebook is None:
        yield from _data_finding(path, source.text)
        return
    python = path.endswith((".py", ".pyw")) or source.notebook is not None
    count = 0
    for cell, text in source.code_chunks():
        if not may_hold_paths(text):
            continue
        for number, offset, found in code_hits(path, record.category, text, python):
            count += 1
            if count > MAX_PER_FILE:
                return
            yield code_finding(path, found, evidence_at(text, offset), number, cell)


def code_finding(path: str, found: str, evidence: str, line: int, cell: int | None) -> Finding:
    """A PA001 of code or configuration."""
    return finding(
        "PA001",
        path,
        f"hard-coded absolute path '{found}'"
        + (f" in cell {cell + 1}." if cell is not None else "."),
        evidence=evidence,
        line=line,
        cell=cell,
    )


def _data_finding(path: str, text: str) -> Iterator[Finding]:
    """PA001 once for a data file: how many paths, and the first."""
    for number, _offset, found in path_hits(text):
        yield data_finding(path, count_paths(text), number, found)
        return


def data_finding(path: str, count: int, line: int, first: str) -> Finding:
    """The one PA001 of a data file that holds ``count`` absolute paths."""
    return finding(
        "PA001",
        path,
        f"{count:,} absolute path{'s' if count != 1 else ''} in this data "
        f"file, the first on line {line}.",
        evidence=first,
        line=line,
        fix="Store paths relative to the data file (e.g. IMG/center_1.png) and join "
        "them to the data folder when reading.",
    )
