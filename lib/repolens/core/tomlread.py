"""TOML from a scanned tree, parsed at a bounded cost.

``tomllib`` is correct but not cheap on every shape: a dotted key of n parts costs n²
(``a.a.a…`` of 256 KiB took 41 s), each table it creates costs about a kilobyte, and
arrays nested a few thousand deep raise ``RecursionError``. ``loads`` first reads the text
once, skipping strings and comments as TOML does, and refuses a document nested deeper
than ``MAX_DEPTH``, with a dotted key longer than ``MAX_KEY_PARTS`` or with more than
``MAX_NAMES`` keys, tables and arrays; only then does ``tomllib`` parse it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HEADER_WEIGHT",
    "MAX_DEPTH",
    "MAX_KEY_PARTS",
    "MAX_NAMES",
    "Shape",
    "TomlError",
    "loads",
    "shape",
]

MAX_DEPTH = 32  # arrays and inline tables, one inside another
MAX_KEY_PARTS = 32  # parts of one dotted key or table header
MAX_NAMES = 100_000  # keys, key parts, tables and arrays in the whole document
HEADER_WEIGHT = 3

_TOKEN = re.compile(r"\"\"\"|'''|[\"'#\[\]{}.=,\n]")
_BASIC_REST = re.compile(r'(?:[^"\\\n]++|\\.)*+"')
_MULTILINE_BASIC_REST = re.compile(r'(?:[^"\\]++|\\.|"(?!""))*+"""', re.DOTALL)


class TomlError(ValueError):
    """The text is not TOML, or not TOML repolens parses: one line says why (it reads
    after "the file is")."""


@dataclass(frozen=True)
class Shape:
    depth: int  # the deepest nesting of brackets and braces
    key_parts: int  # the most parts of one dotted key or header
    names: int  # keys, key parts, tables and arrays


def _after_quotes(text: str, position: int, quote: str) -> int:
    """Past up to two more quotes: a multi-line string may end in four or five of them."""
    for _ in range(2):
        if text.startswith(quote, position):
            position += 1
    return position


def shape(text: str) -> Shape:
    """How deep and how many, in one pass that skips strings and comments. It stops at a
    string that does not end (where ``tomllib`` stops too) and once a bound is passed.

    A part of a table header (``[a.b]``) counts ``HEADER_WEIGHT`` names: ``tomllib`` spends
    about three times as long on it as on a part of a dotted key."""
    position = depth = deepest = dots = longest = names = 0
    header = False
    line_start = 0  # where the current line starts: a "[" first on its line opens a header
    while (found := _TOKEN.search(text, position)) is not None:
        if deepest > MAX_DEPTH or longest >= MAX_KEY_PARTS or names > MAX_NAMES:
            break
        token, position = found.group(), found.end()
        if token == "#":
            end = text.find("\n", position)
            if end < 0:
                break
            position = end
        elif token == '"':
            rest = _BASIC_REST.match(text, position)
            if rest is None:
                break
            position = rest.end()
        elif token == '"""':
            rest = _MULTILINE_BASIC_REST.match(text, position)
            if rest is None:
                break
            position = _after_quotes(text, rest.end(), '"')
        elif token == "'''":
            end = text.find("'''", position)
            if end < 0:
                break
            position = _after_quotes(text, end + 3, "'")
        elif token == "'":
            end = text.find("'", position)
            line_end = text.find("\n", position)
            if end < 0 or 0 <= line_end < end:
                break
            position = end + 1
        elif token == ".":
            dots += 1
            names += HEADER_WEIGHT if header else 1
            longest = max(longest, dots)
        else:
            dots = 0
            if token in "[{":
                if depth == 0 and token == "[" and not text[line_start : found.start()].strip():
                    header = True
                depth += 1
                names += HEADER_WEIGHT if header else 1
                deepest = max(deepest, depth)
            elif token in "]}":
                depth -= 1
                header = header and depth > 0
            elif token == "=":
                names += 1
            elif token == "\n":
                line_start = position
    return Shape(deepest, longest + 1, names)


def loads(text: str) -> dict[str, Any]:
    """The document; ``TomlError`` (one line) when it is not TOML or is past the bounds."""
    measured = shape(text)
    for value, limit, what in (
        (measured.depth, MAX_DEPTH, "arrays or inline tables nested more than {} deep"),
        (measured.key_parts, MAX_KEY_PARTS, "a dotted key or header of more than {} parts"),
        (measured.names, MAX_NAMES, "more than {:,} keys, tables and arrays"),
    ):
        if value > limit:
            raise TomlError(f"TOML past repolens' bounds: {what.format(limit)}")
    try:
        return tomllib.loads(text)
    except RecursionError:  # not expected within the bounds; never a crash
        raise TomlError("TOML past repolens' bounds: nested too deep") from None
    except ValueError as error:  # TOMLDecodeError, or a number of over 4,300 digits
        raise TomlError(f"not valid TOML: {' '.join(str(error).split())}") from None
