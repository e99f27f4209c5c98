"""Inline suppressions: ``repolens: ignore[ID, ID]`` (or ``repolens: ignore``) in a comment.

One grammar, read from the comments the language's own lexer finds (``lexers.py``), never
from a search of the line: ``repolens: ignore`` inside a string literal is text, not a
suppression, and a file of a kind without comments (CSV, JSON, plain text) has none.

    suppression := "repolens:" spaces "ignore" [ "[" ids "]" ] end
    ids         := spaces id spaces ( "," spaces id spaces )*
    id          := a check id of the table, as written there (PA001)
    end         := the end of the comment, a space, or any character but a letter,
                   a digit, "_", "-" or "["

Anything else that starts ``repolens:`` then ``ignore`` (``ignore[PA001`` unclosed,
``ignore[PA-001]``, ``ignored``, ``ignore [PA001]``, an unknown id, ``ignore[]``) is not a
suppression, and a note says why; so is a suppression outside a comment on a line where a
finding is kept. A suppression covers the line it is written on; in a notebook cell, a
finding of the whole cell (NB001, NB003) is covered by a suppression on any of its lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .lexers import Syntax, tokens
from .table import checks_table

__all__ = ["MAX_NOTES", "Suppressions", "read_suppressions"]

_ATTEMPT = re.compile(r"repolens:[^\S\n]*ignore")
_ID = re.compile(r"[A-Z]{2}[0-9]{3}")
_IDS_END = re.compile(r"[\]\n]")
_WORD = re.compile(r"[\w-]*")
_SPACES = re.compile(r"[ \t]*")
MAX_NOTES = 5  # notes about one file's suppressions; past them, one more says how many


@dataclass(frozen=True)
class Suppressions:
    """What one text (a file, or a notebook cell) suppresses, by 1-based line."""

    lines: dict[int, frozenset[str] | None]  # None: every check
    problems: tuple[tuple[int, str], ...] = ()  # (line, why) of what looks like one but is not
    outside: frozenset[int] = frozenset()  # lines with "repolens: ignore" outside a comment

    def covers(self, check: str, line: int | None) -> bool:
        """Whether the suppression on ``line`` covers ``check``; a finding with no line (of
        a whole notebook cell) is covered by a suppression on any line of its text."""
        if line is None:
            return any(ids is None or check in ids for ids in self.lines.values())
        if line not in self.lines:
            return False
        ids = self.lines[line]
        return ids is None or check in ids


EMPTY = Suppressions({})


def _parse(text: str, at: int, limit: int) -> tuple[frozenset[str] | None, str | None]:
    """The attempt at ``text[at:limit]`` (``limit``: the end of its comment): the ids it
    suppresses (None: every check), or why it is not a suppression."""
    match = _ATTEMPT.match(text, at, limit)
    assert match is not None
    end = match.end()
    after = text[end] if end < limit else ""
    if after and (after.isalnum() or after in "_-"):
        word = _WORD.match(text, end - len("ignore"), limit).group()  # type: ignore[union-attr]
        return None, f"'repolens: {_shown(word)}' is not 'repolens: ignore'"
    if after != "[":
        rest = _SPACES.match(text, end, limit).end()  # type: ignore[union-attr]
        if rest < limit and text[rest] == "[":
            return None, "a space between 'ignore' and '['"
        return None, None
    close = _IDS_END.search(text, end, limit)
    if close is None or text[close.start()] != "]":
        return None, "'[' is not closed on its line"
    inner = text[end + 1 : close.start()]
    ids = [part.strip() for part in inner.split(",")]
    if ids == [""]:
        return None, "'ignore[]' names no check"
    known = checks_table()
    for item in ids:
        if not item:
            return None, f"an empty id in '[{_shown(inner)}]'"
        if not _ID.fullmatch(item):
            return None, f"'{_shown(item)}' is not a check id (ids look like PA001)"
        if item not in known:
            return None, f"no check is named {item}"
    return frozenset(ids), None


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:24] + "…"


def _attempts(text: str, start: int, end: int) -> Iterator[int]:
    """Offsets of ``repolens: ignore...`` in ``text[start:end]``."""
    for match in _ATTEMPT.finditer(text, start, end):
        yield match.start()


def read_suppressions(text: str, syntax: Syntax | None) -> Suppressions:
    """Every suppression of a text, and every comment that looks like one but is not.

    Linear: one lexer pass (only when the text holds ``repolens:`` at all), line numbers
    counted as the attempts go by."""
    if "repolens:" not in text:
        return EMPTY
    lines: dict[int, frozenset[str] | None] = {}
    problems: list[tuple[int, str]] = []
    in_comments: set[int] = set()  # offsets of the attempts that stand in comments
    line, position = 1, 0
    for token in tokens(text, syntax) if syntax is not None else ():
        if token.kind != "comment":
            continue
        for at in _attempts(text, token.start, token.end):
            in_comments.add(at)
            line += text.count("\n", position, at)
            position = at
            ids, problem = _parse(text, at, token.end)
            if problem is not None:
                problems.append((line, problem))
            elif ids is None or lines.get(line, frozenset()) is None:
                lines[line] = None
            else:
                lines[line] = lines.get(line, frozenset()) | ids  # type: ignore[operator]
    outside: set[int] = set()
    line, position = 1, 0
    for at in _attempts(text, 0, len(text)):
        line += text.count("\n", position, at)
        position = at
        if at not in in_comments:
            outside.add(line)
    return Suppressions(lines, tuple(problems), frozenset(outside))
