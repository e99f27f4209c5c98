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

import io
import re
import tokenize
from collections.abc import Iterator

from ..scanning.records import FileRecord
from .model import Finding
from .source import Source, finding, is_test_path

__all__ = ["check_paths", "find_paths"]

# Each expression starts with a literal, which the regular-expression engine finds fast;
# what must not come before a path is checked by hand (``_starts``).
_DRIVE = re.compile(r":(?:\\\\|\\|/)(?=[\w.$ ~-])")  # C:\, C:\\, C:/ (at the colon)
_UNC = re.compile(
    r"(\\\\(?:\\\\)?)[A-Za-z0-9][\w.$-]*(?:\\\\|\\)(?=[\w.$-]*[A-Za-z])[A-Za-z0-9][\w.$-]*"
)
_POSIX = re.compile(r"/(?:(?:home|Users|mnt|media)/[\w.-]+/|content/drive(?:/|\b))")
_NOT_BEFORE = {"unc": frozenset("/\\:"), "posix": frozenset("/.~-")}
# A drive letter starts a value: at the start, after a quote, a space or "=" and the like;
# never inside a format such as "%s:\n" or a word such as "http:".
_BEFORE_DRIVE = frozenset(" \t\n\"'`=([{,;<>|")


def _starts(text: str, escaped: bool = False) -> Iterator[int]:
    """Where the absolute paths in ``text`` start, in order. ``escaped``: the text is
    source whose strings escape backslashes (C), so a share is written with four."""
    found = []
    for match in _DRIVE.finditer(text):
        letter = match.start() - 1
        if letter >= 0 and text[letter].isascii() and text[letter].isalpha():
            before = text[letter - 1] if letter else " "
            if before in _BEFORE_DRIVE and not (
                before in "'`" and letter > 1 and text[letter - 2].isalnum()  # "SCB's:\n"
            ):
                found.append(letter)
    for pattern, kind in ((_UNC, "unc"), (_POSIX, "posix")):
        for match in pattern.finditer(text):
            if kind == "unc" and escaped and len(match.group(1)) != 4:
                continue
            before = text[match.start() - 1] if match.start() else ""
            if not (before.isalnum() or before == "_" or before in _NOT_BEFORE[kind]):
                found.append(match.start())
    return iter(sorted(set(found)))


_CATEGORIES = ("code", "notebook", "config", "data")
_SHELL = re.compile(r"^\s*[!%]")
# Paths inside a container image are fixed by design: not a machine of the lab.
_CONTAINER_FILES = re.compile(
    r"^(Dockerfile.*|Containerfile.*|.*\.dockerfile|(docker-)?compose.*\.ya?ml|devcontainer\.json)$"
)
_END = re.compile(r"""["'`\s,;)\]}>]""")
MAX_PER_FILE = 20
_LITERALS = (":\\", "\\\\", "/home/", "/Users/", "/mnt/", "/media/", "/content/drive")


def _may_hold_paths(text: str) -> bool:
    """A fast no for nearly every file: substring searches, and a look at each ``:/``
    (``C:/``, not ``https://``), before any regular expression runs."""
    if any(literal in text for literal in _LITERALS):
        return True
    position = text.find(":/")
    while position != -1:
        if (
            position > 0
            and text[position - 1].isalpha()
            and (position < 2 or not text[position - 2].isalnum())
            and text[position + 2 : position + 3] != "/"
        ):
            return True
        position = text.find(":/", position + 2)
    return False


def find_paths(line: str, escaped: bool = False) -> Iterator[str]:
    """The absolute paths a line of text names (each as written, cut at its end)."""
    if line.startswith("#!"):
        return
    for start in _starts(line, escaped):
        end = _END.search(line, start + 2)
        yield line[start : end.start() if end else len(line)][:120]


def _found_lines(text: str, escaped: bool = False) -> Iterator[tuple[int, str]]:
    """``(line number, path)`` for every path in a text: one pass of the expression over
    the whole text, line numbers counted only where something was found."""
    line, position = 1, 0
    for start in _starts(text, escaped):
        line += text.count("\n", position, start)
        position = start
        line_start = text.rfind("\n", 0, start) + 1
        if text.startswith("#!", line_start):
            continue
        end = _END.search(text, start + 2)
        yield line, text[start : end.start() if end else len(text)][:120]


_C_FAMILY = (
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".cxx",
    ".hh",
    ".hpp",
    ".hxx",
    ".cu",
    ".cuh",
    ".java",
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".go",
    ".rs",
    ".cs",
    ".swift",
    ".kt",
    ".scala",
    ".dart",
    ".php",
    ".css",
    ".scss",
    ".less",
)
_C_TOKENS = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""", re.DOTALL)


_HASH_COMMENTS = (
    ".sh",
    ".bash",
    ".zsh",
    ".fish",
    ".pl",
    ".pm",
    ".r",
    ".rb",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".conf",
    ".mk",
    ".cmake",
    ".ps1",
    ".jl",
    ".tcl",
    ".awk",
    ".sed",
)
_HASH_TOKENS = re.compile(r"""#[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""")


def _without_comments(code: str, tokens: re.Pattern[str] = _C_TOKENS) -> str:
    """Source with its comments blanked (line breaks kept, so lines still count)."""

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text[0] in "/#":
            return re.sub(r"[^\n]", " ", text)
        return text

    return tokens.sub(blank, code)


def _is_raw(piece: str) -> bool:
    """Whether a Python string token is a raw string (``r"..."``, ``Rb'...'``)."""
    prefix = piece[: len(piece) - len(piece.lstrip("rRbBuUfF"))]
    return "r" in prefix.lower()


def _python_lines(code: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of what can hold a path that runs: string literals (with
    the line they start on) and shell or magic lines; comments are not read."""
    lines = code.split("\n")
    blanked = []
    for number, line in enumerate(lines, 1):
        if _SHELL.match(line):
            yield number, line
            blanked.append("")
        else:
            blanked.append(line)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(blanked)).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        for number, line in enumerate(blanked, 1):  # not Python after all: whole lines
            yield number, line
        return
    for token in tokens:
        if token.type == tokenize.STRING:
            yield token.start[0], token.string


def check_paths(record: FileRecord, source: Source) -> Iterator[Finding]:
    if record.category not in _CATEGORIES or is_test_path(record.path):
        return
    if _CONTAINER_FILES.match(record.name) or not _may_hold_paths(source.text):
        return  # the common case: a few substring searches find nothing
    path = record.path
    if record.category == "data" and source.notebook is None:
        hits = list(_found_lines(source.text))
        if hits:
            number, first = hits[0]
            yield finding(
                "PA001",
                path,
                f"{len(hits):,} absolute path{'s' if len(hits) != 1 else ''} in this data "
                f"file, the first on line {number}.",
                evidence=first,
                line=number,
                fix="Store paths relative to the data file (e.g. IMG/center_1.png) and join "
                "them to the data folder when reading.",
            )
        return
    python = path.endswith((".py", ".pyw")) or source.notebook is not None
    count = 0
    for cell, text in source.code_chunks():
        if not _may_hold_paths(text):
            continue
        lines = text.split("\n")
        # In code, "\\" inside a string is one backslash: a share is written "\\\\srv\\x"
        # (Python raw strings apart: r"\\srv\x").
        escaped = record.category == "code"
        if python:
            hits = (
                (n, found)
                for n, piece in _python_lines(text)
                for found in find_paths(piece, escaped=not _is_raw(piece))
            )
        elif path.endswith(_C_FAMILY):
            hits = _found_lines(_without_comments(text), escaped=True)
        elif path.lower().endswith(_HASH_COMMENTS):
            hits = _found_lines(_without_comments(text, _HASH_TOKENS), escaped=escaped)
        else:
            hits = _found_lines(text, escaped=escaped)
        for number, found in hits:
            count += 1
            if count > MAX_PER_FILE:
                return
            yield finding(
                "PA001",
                path,
                f"hard-coded absolute path '{found}'"
                + (f" in cell {cell + 1}." if cell is not None else "."),
                evidence=lines[number - 1].strip()[:160] if number <= len(lines) else "",
                line=number,
                cell=cell,
            )
