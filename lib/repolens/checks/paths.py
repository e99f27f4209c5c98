"""Hard-coded absolute paths (PA001), judged on what the program reads, never on how the
source spells it.

Each language's own tokens say where its text is (``lexers.py``) and each string literal is
decoded as the language decodes it (``literals.py``): ``"Matrix A:\\n"`` is ``A:`` and a
line break, not a drive; ``r'C:\\Users\\x'`` and ``'C:\\\\Users\\\\x'`` are the same path.
In code (Python, notebook code cells, C and its kin, R) only string literals count, and in
a notebook its shell and magic lines (``!cp``, ``%cd``); in configuration and scripts
(YAML, TOML, INI, shell, CMake) everything but comments, strings decoded; in data, CSV and
TSV fields and JSON strings, one finding per file with a count.

The decoded text holds a path when it has

- a drive letter that starts a value, a separator and a first segment that is a file name
  (``C:\\Users``, ``D:/data``; ``k:\\OWEe0a<1O1`` in a COCO mask is not), outside Windows'
  own install locations (``C:\\Program Files``, ``C:\\Windows``: system paths, like
  ``/usr``);
- a UNC share (``\\\\server\\share``);
- ``/home/<user>/``, ``/Users/<user>/``, ``/media/<x>/``, ``/mnt/<x>`` or Colab's
  ``/content/drive``.

A path runs to the end of its literal or the next separator (``;``, a quote, a line
break), spaces included: ``'C:/Program Files/x'`` is one path. A literal is one finding at
most, at the line where its path starts (a path on the fifth line of a docstring is
reported there). Shebangs, test code, container and CI files (their paths are the image's
or the service's, fixed by design) are left out.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator

from ..core.findings import Finding
from ..core.records import FileRecord
from .lexers import Syntax, syntax_for, syntax_named, tokens
from .literals import Piece, pieces, source_offset
from .source import Source, evidence_at, finding, is_test_path

__all__ = [
    "MAX_PER_FILE",
    "check_paths",
    "code_finding",
    "code_hits",
    "data_finding",
    "data_hits",
    "find_paths",
    "is_checked",
    "may_hold_paths",
    "open_at_end",
]

MAX_PER_FILE = 20
MAX_SHOWN = 120  # characters of a path a finding shows

# Where a path can start, as written (before decoding): every path the judge below accepts
# holds one of these in the source, so only the literals that hold one are decoded.
_CANDIDATE = re.compile(r"[A-Za-z]:[\\/]|\\\\|/(?:home|Users|mnt|media|content)/")
# The judge, on decoded text.
_PATH = re.compile(
    r"(?P<drive>(?<![A-Za-z0-9_])[A-Za-z]:[\\/]+(?=[^\\/\s\"']))"
    r"|(?<![\w/\\:.])\\\\[A-Za-z0-9][\w.$-]*\\(?=[\w.$-]*[A-Za-z])[\w.$-]+"
    r"|(?<![\w./~:-])/(?:(?:home|Users|media)/[\w.-]+/|mnt/[\w.-]+|content/drive(?:/|\b))"
)
# A drive, one backslash and an escape letter, then no more of a name: an escaped control
# character in text that is not decoded (``"a:\\n"`` inside a script of an HTML page).
_ESCAPED = re.compile(r"[A-Za-z]:\\[ntr](?![\w\\/])")
_SEGMENT = re.compile(r"[\w .$~()+,@#&'-]+(?=[\\/\s\"']|$)")
_SYSTEM = re.compile(
    r"[A-Za-z]:[\\/]+(?:program files(?: \(x86\))?|programdata|windows)(?:[\\/]|$)",
    re.IGNORECASE,
)
# Where a path ends: in a literal at a separator (spaces are part of it); in code or
# configuration as written also at a space or a bracket; in a CSV field at its delimiter.
_ENDS = {
    "string": re.compile(r"[\n\r\t;|\"'<>*?]"),
    "text": re.compile(r"[\s\"'`,;|<>*?)\]}]"),
    "field": re.compile(r"[\n\r\t,;|\"<>*?]"),
}
_TRAILING = " .,:"
_SHELL = re.compile(r"^[^\S\n]*[!%][^\n]*", re.MULTILINE)  # a shell or magic line
_SHEBANG = "#!"
_CATEGORIES = ("code", "notebook", "config", "data")
# Paths inside a container image or on a CI service's machine are fixed by design: not a
# machine of the lab.
_FIXED_MACHINES = re.compile(
    r"(?:^|/)(?:Dockerfile[^/]*|Containerfile[^/]*|[^/]*\.dockerfile"
    r"|(?:docker-)?compose[^/]*\.ya?ml|devcontainer\.json|\.?appveyor\.ya?ml|\.travis\.ya?ml"
    r"|azure-pipelines[^/]*\.ya?ml|\.gitlab-ci\.ya?ml|Jenkinsfile|bitbucket-pipelines\.yml"
    r"|\.github/workflows/[^/]+|\.circleci/[^/]+)$"
)


def may_hold_paths(text: str) -> bool:
    """A fast no for nearly every text: one expression, before any decoding."""
    return _CANDIDATE.search(text) is not None


def _judged(text: str, ends: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """``(offset, path)`` of every path in a decoded text, each cut at its end; a path
    never starts inside the one before (``C:/Users/x`` is one path, not two)."""
    after = 0
    for match in _PATH.finditer(text):
        start = match.start()
        if start < after:
            continue
        if match.group("drive") is not None:
            rest = match.end()
            if not _SEGMENT.match(text, rest) or _SYSTEM.match(text, start):
                continue
            if _ESCAPED.match(text, start):
                continue  # "y = a:\n" in text not decoded (a script inside HTML): a newline
        end = ends.search(text, match.end())
        after = len(text) if end is None else end.start()
        found = text[start:after].rstrip(_TRAILING)
        yield start, found[:MAX_SHOWN]


def find_paths(text: str, kind: str = "string") -> Iterator[str]:
    """The absolute paths a decoded text names (``kind``: how a path ends in it)."""
    for _offset, found in _judged(text, _ENDS[kind]):
        yield found


def _piece_hits(piece: Piece, text_ends: str) -> Iterator[tuple[int, str]]:
    """``(source offset, path)``: a literal's first path, or every path of plain text."""
    if piece.kind == "string":
        for offset, found in _judged(piece.text, _ENDS["string"]):
            yield source_offset(piece, offset), found
            return
        return
    for offset, found in _judged(piece.text, _ENDS[text_ends]):
        yield piece.start + offset, found


def _candidates(code: str) -> Iterator[tuple[int, int]]:
    for match in _CANDIDATE.finditer(code):
        yield match.start(), match.end()


def _hits(code: str, syntax: Syntax | None, text_ends: str, inside: str | None = None):  # type: ignore[no-untyped-def]
    """``(source offset, path)`` in order, for every piece that may hold one."""
    for piece in pieces(code, syntax, _candidates(code), inside):
        yield from _piece_hits(piece, text_ends)


def _numbered(code: str, items: Iterable[tuple[int, str]]) -> Iterator[tuple[int, int, str]]:
    """``(line, offset, path)`` for ``(offset, path)`` items in offset order, the line counted
    as they go; a path on a shebang line is none."""
    line, position, line_start = 1, 0, 0
    for offset, found in items:
        newline = code.rfind("\n", position, offset)
        if newline >= 0:
            line += code.count("\n", position, offset)
            line_start = newline + 1
        position = offset
        if code.startswith(_SHEBANG, line_start):
            continue
        yield line, offset, found


def _python_blanked(code: str) -> str:
    """Python code with its shell and magic lines blanked: commands, read whole, not lexed."""
    if _SHELL.search(code):
        return _SHELL.sub(lambda match: " " * len(match.group()), code)
    return code


def _shell_items(code: str) -> Iterator[tuple[int, str]]:
    for match in _SHELL.finditer(code):
        for offset, found in _judged(match.group(), _ENDS["text"]):
            yield match.start() + offset, found


def code_hits(
    path: str, category: str, text: str, python: bool, inside: str | None = None
) -> Iterator[tuple[int, int, str]]:
    """``(line, offset, path)`` of the paths in code or configuration. ``inside``: the
    text starts inside a comment or string (a piece of a longer text; ``lexers.tokens``)."""
    if python:
        strings = _hits(_python_blanked(text), syntax_named("python"), "text", inside)
        return _numbered(text, heapq.merge(_shell_items(text), strings))
    return _numbered(text, _hits(text, syntax_for(path), "text", inside))


def data_hits(path: str, text: str) -> Iterator[tuple[int, int, str]]:
    """``(line, offset, path)`` of each literal or field of a data file that holds a path."""
    return _numbered(text, _hits(text, syntax_for(path), "field"))


def open_at_end(path: str, text: str, python: bool, inside: str | None = None) -> str | None:
    """What closes the comment or string still open at the end of ``text`` (its lexer's
    state, for the piece that follows), or None."""
    syntax = syntax_named("python") if python else syntax_for(path)
    if syntax is None:
        return None
    last = None
    for last in tokens(_python_blanked(text) if python else text, syntax, inside):  # noqa: B007
        pass
    return None if last is None else last.open


def is_checked(record: FileRecord) -> bool:
    """Whether PA001 reads this file at all (its kind; not test code, not a container's or a
    CI service's file)."""
    return (
        record.category in _CATEGORIES
        and not is_test_path(record.path)
        and not _FIXED_MACHINES.search(record.path)
    )


def check_paths(record: FileRecord, source: Source) -> Iterator[Finding]:
    if not is_checked(record) or not may_hold_paths(source.text):
        return  # the common case: one expression finds nothing
    path = record.path
    if record.category == "data" and source.notebook is None:
        hits = data_hits(path, source.text)
        first = next(hits, None)
        if first is not None:
            count = 1 + sum(1 for _hit in hits)
            yield data_finding(path, count, first[0], first[2])
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
