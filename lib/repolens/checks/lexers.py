"""Where a source's comments and strings are: one pass over the text, never a rescan.

One expression matches a whole token where one can start (a comment, a string, a string
that does not close); its parts are possessive, so they never give back what they read.
A string that does not close on its line is no string (its quote is an ordinary
character, as it was for the expressions this replaces), and its quote cannot open a
string again before the place where that read stopped: a later quote there would read the
same characters the same way, so the lexer looks past it with that quote left out. Every
character is thus read a bounded number of times, and an unclosed ``/*`` or a line of
``"\\"\\"...`` costs what its length costs.

A comment or a triple-quoted string that runs to the end of the text is one token open at
its end (``Token.open`` names what would close it): a text read in pieces (a file past the
content cap) hands it to the next piece as ``inside``. The syntaxes are data
(``syntax.toml``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

__all__ = ["Syntax", "Token", "syntax_for", "syntax_named", "tokens"]


@dataclass(frozen=True, slots=True)
class Syntax:
    """How a language writes comments and strings (one entry of ``syntax.toml``)."""

    name: str
    line: tuple[str, ...] = ()
    block: tuple[tuple[str, str], ...] = ()
    quotes: tuple[str, ...] = ()
    triple_quotes: bool = False
    escaped_newlines: bool = False
    escapes: tuple[tuple[str, str], ...] = ()  # (quote, how its strings decode: literals.py)
    paths: str = "text"  # what PA001 reads: "strings" only, or all "text" but comments


class Token(NamedTuple):
    """A comment or a string: where it starts and ends (a tuple, not a dataclass: a text
    may hold a token every few characters, and each costs a fraction of the time)."""

    kind: str  # "comment" or "string"
    start: int
    end: int
    open: str | None = None  # what would close it, when the text ended first


@dataclass(frozen=True)
class _Table:
    by_name: dict[str, Syntax]
    by_extension: dict[str, Syntax]
    by_file_name: dict[str, Syntax]


@cache
def _table() -> _Table:
    text = resources.files("repolens.checks").joinpath("syntax.toml").read_text("utf-8")
    by_name: dict[str, Syntax] = {}
    by_extension: dict[str, Syntax] = {}
    by_file_name: dict[str, Syntax] = {}
    for name, row in tomllib.loads(text).items():
        syntax = Syntax(
            name,
            tuple(row.get("line", ())),
            tuple((opener, closer) for opener, closer in row.get("block", ())),
            tuple(row.get("quotes", ())),
            bool(row.get("triple_quotes", False)),
            bool(row.get("escaped_newlines", False)),
            tuple(sorted(row.get("escapes", {}).items())),
            str(row.get("paths", "text")),
        )
        by_name[name] = syntax
        by_extension.update(dict.fromkeys(row.get("extensions", ()), syntax))
        by_file_name.update(dict.fromkeys(row.get("names", ()), syntax))
    return _Table(by_name, by_extension, by_file_name)


def syntax_named(name: str) -> Syntax:
    """A syntax of the table by its name ("python", "c", "markup", ...)."""
    return _table().by_name[name]


def syntax_for(path: str) -> Syntax | None:
    """The syntax of a file by its name (a ``/``-separated path), or None: no comments."""
    table = _table()
    name = path.rsplit("/", 1)[-1]
    found = table.by_file_name.get(name)
    if found is not None:
        return found
    if name.startswith("requirements") and name.endswith((".txt", ".in")):
        return table.by_name.get("hash")
    dot = name.rfind(".")
    return table.by_extension.get(name[dot:].lower()) if dot > 0 else None


def _until(closer: str) -> str:
    """An expression for what comes before ``closer``, possessive: read once."""
    head, rest = re.escape(closer[0]), re.escape(closer[1:])
    if not rest:
        return rf"(?:[^{head}]++)?"
    return rf"(?:[^{head}]++|{head}(?!{rest}))*+"


def _master(syntax: Syntax, quotes: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One expression for every token that can start, with only ``quotes`` still able to
    open a string, and what each named group is. A whole token is one match: the engine's
    loop reads it, not Python's."""
    kinds: list[tuple[str, str, str]] = []  # (marker, group, expression)
    for number, quote in enumerate(quotes):
        q = re.escape(quote)
        if syntax.triple_quotes:
            body = rf"(?:[^{q}\\]++|\\[\s\S]|{q}(?!{q}{q}))*+"
            kinds.append((quote * 3, f"t{number}", rf"{q}{q}{q}{body}(?:{q}{q}{q})?"))
        newline = r"\\[\s\S]" if syntax.escaped_newlines else r"\\."
        body = rf"(?:[^{q}\\\n]++|{newline})*+"
        kinds.append((quote, f"s{number}", rf"{q}{body}{q}"))
        kinds.append((quote, f"d{number}", q))  # tried only when the string fails
    for number, (opener, closer) in enumerate(syntax.block):
        expression = rf"{re.escape(opener)}{_until(closer)}(?:{re.escape(closer)})?"
        kinds.append((opener, f"b{number}", expression))
    for number, marker in enumerate(syntax.line):
        kinds.append((marker, f"l{number}", rf"{re.escape(marker)}[^\n]*"))
    kinds.sort(key=lambda kind: -len(kind[0]))  # "//" before "/", '"""' before '"'
    if not kinds:
        return re.compile(r"(?!)"), {}
    groups = {group: marker for marker, group, _expression in kinds}
    expression = "|".join(f"(?P<{group}>{pattern})" for _marker, group, pattern in kinds)
    return re.compile(expression), groups


@cache
def _variants(
    syntax: Syntax,
) -> dict[tuple[str, ...], tuple[re.Pattern[str], dict[str, str], re.Pattern[str]]]:
    """The expressions for each set of quotes that may still open a string (all of them,
    or some left out where they failed to close), by that set."""
    subsets: list[tuple[str, ...]] = [()]
    for quote in syntax.quotes:
        subsets += [(*subset, quote) for subset in subsets]
    return {subset: (*_master(syntax, subset), _starts(syntax, subset)) for subset in subsets}


def _starts(syntax: Syntax, quotes: tuple[str, ...]) -> re.Pattern[str]:
    """Where a token can start, with only ``quotes`` still able to open a string."""
    markers = [quote * 3 for quote in quotes] if syntax.triple_quotes else []
    markers += [opener for opener, _closer in syntax.block] + list(syntax.line) + list(quotes)
    markers.sort(key=len, reverse=True)
    return re.compile("|".join(re.escape(marker) for marker in markers) or r"(?!)")


@cache
def _body(quote: str, escaped_newlines: bool) -> re.Pattern[str]:
    """A one-line string's characters after its opening quote, up to where it must close
    or fails (possessive: it never gives back what it read)."""
    q = re.escape(quote)
    return re.compile(rf"(?:[^{q}\\\n]++|\\.)*+", re.DOTALL if escaped_newlines else 0)


@cache
def _triple_body(quote: str) -> re.Pattern[str]:
    q = re.escape(quote)
    return re.compile(rf"(?:[^{q}\\]++|\\.|{q}(?!{q}{q}))*+", re.DOTALL)


def tokens(text: str, syntax: Syntax, inside: str | None = None) -> Iterator[Token]:
    """The comments and strings of ``text`` in order. ``inside``: the text starts inside
    a comment or a triple-quoted string that this closes (``Token.open`` of the piece
    before)."""
    length = len(text)
    position = 0
    if inside is not None:
        token = _finish(text, inside, syntax)
        yield token
        if token.open is not None:
            return
        position = token.end
    closers = dict(syntax.block)
    dead: dict[str, int] = {}  # quote -> where the string it opened failed to close
    quotes = syntax.quotes
    variants = _variants(syntax)
    master, groups, starts = variants[quotes]
    stop = length
    while position < length:
        if position >= stop:  # past where a dead quote failed: it may open strings again
            stop, live = length, quotes
            if dead:
                for quote, until in list(dead.items()):
                    if until <= position:
                        del dead[quote]
                    elif until < stop:
                        stop = until
                live = tuple(quote for quote in quotes if quote not in dead)
            master, groups, starts = variants[live]
        if stop >= length:
            found = master.search(text, position)
            if found is None:
                return
        else:  # find the next start short of ``stop`` (no marker spans it), then read it whole
            start = starts.search(text, position, stop)
            if start is None:
                position = stop
                continue
            found = master.match(text, start.start())
            assert found is not None  # every start is a token, a dead quote at least
        group = found.lastgroup
        start, end = found.span()
        kind = group[0]  # type: ignore[index]
        if kind == "l":
            yield Token("comment", start, end)
        elif kind == "s":
            yield Token("string", start, end)
        elif kind == "d":  # not a string: the quote is a character, dead where it failed
            quote = groups[group]  # type: ignore[index]
            failed = _body(quote, syntax.escaped_newlines).match(text, end).end()
            if text.find(quote, end, failed) >= 0:  # it could open another string there
                dead[quote] = failed
                stop = end  # look again with this quote left out
            position = end
            continue
        else:
            marker = groups[group]  # type: ignore[index]
            closer = marker if kind == "t" else closers[marker]
            if text.endswith(closer, start + len(marker), end):
                yield Token("string" if kind == "t" else "comment", start, end)
            else:
                yield Token("string" if kind == "t" else "comment", start, length, closer)
                return
        position = end


def _finish(text: str, closer: str, syntax: Syntax) -> Token:
    """The comment or triple-quoted string, begun before ``text``, that ``closer`` ends."""
    if syntax.triple_quotes and len(closer) == 3 and closer[0] in syntax.quotes:
        end = _triple_body(closer[0]).match(text).end()
        if text.startswith(closer, end):
            return Token("string", 0, end + 3)
        return Token("string", 0, len(text), closer)
    end = text.find(closer)
    if end < 0:
        return Token("comment", 0, len(text), closer)
    return Token("comment", 0, end + len(closer))
