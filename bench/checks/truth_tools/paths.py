"""Absolute-path truth (PA001) from each language's own string literals.

- Python files and Python notebook cells: ``tokenize`` finds every string token (any prefix,
  any quote), ``ast.literal_eval`` decodes it as Python does (f-strings: the literal parts),
  and the decoded text is judged; shell and magic lines (``!cp``, ``%cd``) are judged whole.
- C, C++, Java, JavaScript and the like: a lexer that skips ``//`` and ``/* */`` comments and
  decodes the escapes of double-quoted literals (``"A:\\n"`` is ``A:`` and a newline).
- Configuration (YAML, TOML, INI, CMake, Makefiles, shell): each path of each line, ``#``
  comments left out.
- Data (CSV, TSV, JSON, text, logs): the file is one problem, at its first path.

A decoded text holds a path when it has a drive letter that starts a value, a separator
and a path segment (``C:\\Users``, ``D:/data``), a UNC share (``\\\\server\\share``), or
``/home/<user>/``, ``/Users/<user>/``, ``/mnt/<x>``, ``/media/<x>/`` or ``/content/drive``.
One problem per literal, at the line where the path starts in it. Test code, container
files (Dockerfile, compose) and shebangs are out of scope, as the check documents.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

from .common import (
    Expected,
    Place,
    code_cells,
    is_python_notebook,
    is_test_path,
    read_notebook,
    read_text,
)

__all__ = ["decoded_paths", "path_truth"]

PATH = re.compile(
    r"(?<![A-Za-z0-9_])[A-Za-z]:[\\/]+(?=[^\\/\s\"'])"  # a drive, a separator, a segment
    r"|(?<![\\/\w])\\\\[A-Za-z0-9][\w.$-]*\\[\w.$-]*[A-Za-z]"  # a UNC share
    r"|(?<![\w./~-])/(?:home|Users|media)/[\w.-]+/"
    r"|(?<![\w./~-])/mnt/[\w.-]+"
    r"|(?<![\w./~-])/content/drive(?:/|\b)"
)
_C_SUFFIXES = (
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
)
_HASH_SUFFIXES = (
    ".sh",
    ".bash",
    ".zsh",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".conf",
    ".cmake",
    ".r",
    ".rb",
    ".pl",
)
_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".dat", ".xml", ".log")
_HASH_NAMES = ("Makefile", "makefile", "GNUmakefile", "CMakeLists.txt")
_CONTAINER = re.compile(
    r"^(Dockerfile.*|Containerfile.*|.*\.dockerfile|(docker-)?compose.*\.ya?ml|devcontainer\.json)$"
)
_SHELL = re.compile(r"^\s*[!%]")
_C_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "?": "?",
}


_SEGMENT = re.compile(r"[\w .$~()+,@#&'-]+(?=[\\/\s\"']|$)")
_SYSTEM = re.compile(r"(?i)^[A-Z]:[\\/]+(Program Files( \(x86\))?|ProgramData|Windows)([\\/]|$)")


def decoded_paths(text: str) -> Iterator[int]:
    """Offsets in ``text`` where an absolute path starts. A drive path's first segment must
    be a file name (``k:\\OWEe0a<1O1`` in an RLE mask is not); Windows' own install
    locations (``C:/Program Files``, ``C:\\Windows``) are system paths, like /usr."""
    for match in PATH.finditer(text):
        start = match.start()
        if text[start + 1 : start + 2] == ":":
            rest = text[start + 2 :].lstrip("\\/")
            if not _SEGMENT.match(rest) or _SYSTEM.match(text[start:]):
                continue
        yield start


def _python_literals(code: str) -> Iterator[tuple[int, str]]:
    """``(line where a path starts, decoded text)`` of each string literal holding one,
    and of each shell or magic line."""
    lines = code.split("\n")
    kept = []
    for number, line in enumerate(lines, 1):
        if _SHELL.match(line):
            if any(True for _ in decoded_paths(line)):
                yield number, line
            kept.append("")
        else:
            kept.append(line)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(kept)).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        try:
            value = ast.literal_eval(token.string)
        except (ValueError, SyntaxError):
            value = token.string  # an f-string: judge its text
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            continue
        for offset in decoded_paths(value):
            # the line inside the literal where the path starts
            raw_before = value[:offset].count("\n")
            yield token.start[0] + raw_before, value[offset:]
            break  # one problem per literal


def _c_literals(code: str) -> Iterator[tuple[int, str]]:
    """Decoded double-quoted literals of C-like code, comments skipped."""
    position, line, length = 0, 1, len(code)
    while position < length:
        char = code[position]
        if code.startswith("//", position):
            end = code.find("\n", position)
            position = length if end == -1 else end
        elif code.startswith("/*", position):
            end = code.find("*/", position + 2)
            end = length if end == -1 else end + 2
            line += code.count("\n", position, end)
            position = end
        elif char == "'":  # a character literal: '\\' or 'a'
            end = position + 1
            while end < length and code[end] not in "'\n":
                end += 2 if code[end] == "\\" else 1
            position = end + 1
        elif char == '"':
            start_line = line
            decoded = []
            end = position + 1
            while end < length and code[end] not in '"\n':
                if code[end] == "\\" and end + 1 < length:
                    decoded.append(_C_ESCAPES.get(code[end + 1], code[end + 1]))
                    end += 2
                else:
                    decoded.append(code[end])
                    end += 1
            text = "".join(decoded)
            if any(True for _ in decoded_paths(text)):
                yield start_line, text
            position = end + 1
        else:
            if char == "\n":
                line += 1
            position += 1


def _hash_lines(code: str) -> Iterator[tuple[int, str]]:
    """Each path of each line, ``#`` comments left out."""
    for number, line in enumerate(code.split("\n"), 1):
        if line.lstrip().startswith("#"):
            continue
        text = re.sub(r"\s#.*$", "", line)
        for offset in decoded_paths(text):
            yield number, text[offset:]


def _where(
    path: str, cell: int | None, hits: Iterator[tuple[int, str]], how: str
) -> Iterator[Expected]:
    for number, text in hits:
        yield Expected("PA001", (Place(path, number, cell),), f"{how}: {text.strip()[:80]!r}")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _data_hits(text: str) -> list[int]:
    """JSON: the decoded string values holding a path, each placed at the first line of the
    file that holds its start (a line of text, when the JSON does not parse)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return [
            n
            for n, line in enumerate(text.split("\n"), 1)
            if any(True for _ in decoded_paths(line))
        ]
    lines = text.split("\n")
    hits = []
    for value in _strings(document):
        for offset in decoded_paths(value):
            needle = json.dumps(value[offset : offset + 12])[1:-1]
            hits.append(next((n for n, line in enumerate(lines, 1) if needle in line), 1))
            break
    return sorted(hits)


def path_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    for path in files:
        name = path.rsplit("/", 1)[-1]
        lower = name.lower()
        if is_test_path(path) or _CONTAINER.match(name):
            continue
        if lower.endswith(".ipynb"):
            notebook = read_notebook(root, path)
            if notebook is None or not is_python_notebook(notebook):
                continue
            for index, cell in code_cells(notebook):
                source = cell.get("source", "")
                yield from _where(path, index, _python_literals(source), "tokenize (cell)")
            continue
        hash_file = lower.endswith((*_HASH_SUFFIXES, ".mk")) or name in _HASH_NAMES
        if not (hash_file or lower.endswith((".py", ".pyw", *_C_SUFFIXES, *_DATA_SUFFIXES))):
            continue
        text = read_text(root, path)
        if text is None:
            continue
        if text.startswith("#!"):
            text = "\n" + text.split("\n", 1)[-1] if "\n" in text else ""
        if lower.endswith((".py", ".pyw")):
            yield from _where(path, None, _python_literals(text), "tokenize")
        elif lower.endswith(_C_SUFFIXES):
            yield from _where(path, None, _c_literals(text), "C string lexer")
        elif hash_file:
            yield from _where(path, None, _hash_lines(text), "config lines")
        else:
            hits = (
                _data_hits(text)
                if lower.endswith(".json")
                else [
                    number
                    for number, line in enumerate(text.split("\n"), 1)
                    if any(True for _ in decoded_paths(line))
                ]
            )
            if hits:
                yield Expected(
                    "PA001",
                    (Place(path, hits[0], None),),
                    f"data file: {len(hits)} line(s) with paths",
                )
