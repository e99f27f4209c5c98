"""What a source's string literals say once the language has decoded them.

A check that judges the text of a literal (an absolute path, a credential) must judge what
the program sees, not how it is written: in C or Python ``"A:\\n"`` is ``A:`` and a line
break, ``"C:\\\\Users"`` is ``C:\\Users``, and in Python ``r"C:\\Users"`` is the same text
as written. The lexer (``lexers.py``) says where the literals are; this decodes each one
as its language does and keeps where its characters came from, so a finding still names
the line of the source where the text it judged starts.

Decoding styles (``escapes`` in ``syntax.toml``, per quote):

- ``backslash``: C, Python, JSON, YAML's and TOML's double quotes: ``\\\\`` and the quote
  escape themselves, ``\\n``, ``\\t``, ``\\r``, ``\\0`` and the other one-letter escapes are
  their characters, ``\\x..``, ``\\u....``, ``\\U........`` and octal are code points, a
  backslash before a line break joins the lines; any other backslash stays as written (as
  Python keeps ``"\\d"``);
- ``shell``: inside a shell's double quotes, only ``\\\\``, ``\\"``, ``\\$``, ``\\```
  and a backslash before a line break are escapes;
- ``none``: single-quoted shell, YAML and TOML strings, and Python's raw strings.

Every literal costs its length once; a literal with no backslash is not copied twice.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import NamedTuple

from .lexers import Syntax, tokens

__all__ = ["Piece", "decode", "pieces", "python_prefix", "source_offset"]


class Piece(NamedTuple):
    """A stretch of a source as the program sees it: a string literal decoded (its quotes
    and prefix left out), or code between literals and comments, as written."""

    kind: str  # "string" or "text"
    start: int  # offset in the source of the character that ``text[0]`` comes from
    text: str
    # (offset in ``text``, offset in the source) where the two stop moving together: after
    # each escape. Empty when every character is written as itself.
    anchors: tuple[tuple[int, int], ...] = ()


_SIMPLE = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "e": "\x1b",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "/": "/",
    "?": "?",
    "`": "`",
    "$": "$",
    " ": " ",
}
_ESCAPES = {
    "backslash": re.compile(
        r"\\(?:\r?\n|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{1,3}"
        r"|[ntr0abfve\\\"'/?])"
    ),
    "shell": re.compile(r"\\(?:\r?\n|[\\\"$`])"),
}
_PREFIX_LETTERS = frozenset("rRbBuUfF")


def _value(escape: str) -> str:
    """What one escape sequence (backslash included) stands for."""
    kind = escape[1]
    if kind in "\r\n":
        return ""
    if kind in "xuU":
        number = int(escape[2:], 16)
        return chr(number) if number <= 0x10FFFF else escape
    if kind in "01234567" and (len(escape) > 2 or kind != "0"):
        return chr(int(escape[1:], 8))
    return _SIMPLE.get(kind, escape)


def decode(body: str, style: str, start: int = 0) -> Piece:
    """The text of a literal whose characters (between its quotes) are ``body``, written
    at ``start`` in the source, decoded in ``style``."""
    pattern = _ESCAPES.get(style)
    if pattern is None or "\\" not in body:
        return Piece("string", start, body)
    parts: list[str] = []
    anchors: list[tuple[int, int]] = []
    position = length = 0
    for match in pattern.finditer(body):
        before = body[position : match.start()]
        parts.append(before)
        length += len(before)
        value = _value(match.group())
        parts.append(value)
        length += len(value)
        position = match.end()
        anchors.append((length, start + position))
    parts.append(body[position:])
    return Piece("string", start, "".join(parts), tuple(anchors))


def source_offset(piece: Piece, index: int) -> int:
    """Where in the source the character at ``index`` of the piece's text comes from."""
    if not piece.anchors:
        return piece.start + index
    found = bisect_right(piece.anchors, (index, 1 << 62)) - 1
    if found < 0:
        return piece.start + index
    text_at, source_at = piece.anchors[found]
    return source_at + (index - text_at)


def python_prefix(code: str, quote: int) -> str:
    """The prefix letters of the Python string whose quote is at ``quote`` (``r``, ``Rb``,
    ``f``, ...), lower case; "" when a name character comes before them (``x'...'`` is
    no prefix)."""
    start = quote
    while start > 0 and quote - start < 3 and code[start - 1] in _PREFIX_LETTERS:
        start -= 1
    if start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_"):
        return ""
    return code[start:quote].lower()


def _style(syntax: Syntax, code: str, start: int) -> str:
    quote = code[start]
    if syntax.name == "python":
        return "none" if "r" in python_prefix(code, start) else "backslash"
    return dict(syntax.escapes).get(quote, "none")


def _string(code: str, start: int, end: int, syntax: Syntax, closed: bool) -> Piece:
    quote = code[start]
    width = 3 if syntax.triple_quotes and code.startswith(quote * 3, start) else 1
    stop = end - width if closed and end - start >= 2 * width else end
    return decode(code[start + width : stop], _style(syntax, code, start), start + width)


def pieces(
    code: str,
    syntax: Syntax | None,
    wanted: list[tuple[int, int]] | None = None,
    inside: str | None = None,
) -> Iterator[Piece]:
    """The string literals of ``code`` decoded, and, when the syntax judges all its text
    (``paths = "text"``), the code between them as written; comments left out. Without a
    syntax the whole text is one piece of text.

    ``wanted``: sorted, disjoint ``(start, end)`` spans; only pieces that overlap one are
    decoded and yielded (the others cost the lexer's pass only). ``inside``: the text
    starts inside a comment or string (``lexers.tokens``)."""
    if syntax is None:
        if wanted is None or wanted:
            yield Piece("text", 0, code)
        return
    text_too = syntax.paths == "text"
    spans = iter(wanted) if wanted is not None else None
    span = next(spans, None) if spans is not None else (0, len(code))
    position = 0

    def overlaps(start: int, end: int) -> bool:
        nonlocal span
        while span is not None and span[1] <= start:
            span = next(spans, None) if spans is not None else None
        return span is not None and span[0] < end

    for token in tokens(code, syntax, inside):
        if text_too and token.start > position and overlaps(position, token.start):
            yield Piece("text", position, code[position : token.start])
        if token.kind == "string" and overlaps(token.start, token.end):
            if token.start == 0 and inside is not None:  # the rest of a string begun before
                yield decode(code[: max(0, token.end - len(inside))], "backslash", 0)
            else:
                yield _string(code, token.start, token.end, syntax, token.open is None)
        position = token.end
        if span is None:
            return
    if text_too and position < len(code) and overlaps(position, len(code)):
        yield Piece("text", position, code[position:])
