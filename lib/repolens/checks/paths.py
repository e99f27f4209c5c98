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

from ..records import FileRecord
from .model import Finding
from .source import Source, finding, is_test_path

__all__ = ["check_paths", "find_paths"]

_PATH = re.compile(
    r"""(?x)
    (?<![\w/\\:.])(?P<drive>[A-Za-z]:(?:\\\\|\\|/)(?=[\w.$ ~-]))          # C:\, C:\\, C:/
    | (?<![\w/\\:])(?P<unc>\\\\\\\\[\w.$-]+\\\\[\w.$-]+|\\\\[\w.$-]+\\[\w.$-]+)  # \\server\share
    | (?<![\w/.~-])(?P<posix>/(?:home|Users|mnt|media)/[\w.-]+/|/content/drive(?:/|\b))
    """
)
_CATEGORIES = ("code", "notebook", "config", "data")
_SHELL = re.compile(r"^\s*[!%]")
# Paths inside a container image are fixed by design: not a machine of the lab.
_CONTAINER_FILES = re.compile(
    r"^(Dockerfile.*|Containerfile.*|.*\.dockerfile|(docker-)?compose.*\.ya?ml|devcontainer\.json)$"
)
_END = re.compile(r"""["'`\s,;)\]}>]""")
MAX_PER_FILE = 20


def find_paths(line: str) -> Iterator[str]:
    """The absolute paths a line of text names (each as written, cut at its end)."""
    if line.startswith("#!"):
        return
    for match in _PATH.finditer(line):
        start = match.start()
        end = _END.search(line, match.end())
        yield line[start : end.start() if end else len(line)][:120]


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
    if _CONTAINER_FILES.match(record.name):
        return
    path = record.path
    if record.category == "data" and source.notebook is None:
        hits = [
            (number, found)
            for number, line in enumerate(source.lines(), 1)
            for found in find_paths(line)
        ]
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
        lines = text.split("\n")
        pieces = _python_lines(text) if python else enumerate(lines, 1)
        for number, piece in pieces:
            for found in find_paths(piece):
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
