"""Which findings a tree's settings exempt by path: ``exclude`` and ``per-file-ignores``.

A glob covers the path it names and everything below a folder it names (``data/``
covers ``data/a.csv``). Every glob is compiled once (``scanning.ignore``, git's rules),
and the globs of one family (matched against the name or the whole path, by folders
only or not) are matched as one regular expression: a finding is tested once per family
for each folder above it and once for itself, whatever the number of globs, so 40,000
per-file-ignores and 300 findings cost about a thousand matches instead of twelve
million. A glob whose matcher is not one of Python's expressions (another engine) is
still matched, on its own.

``exclude`` is one list in order, read as ``.gitignore`` lines are: the last glob that
matches decides, so ``!data/keep.csv`` after ``data/*`` takes that file back. Each
``per-file-ignores`` glob stands alone with its checks (a ``!`` glob there exempts
nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..scanning.ignore import InvalidPattern, Pattern, compile_pattern

__all__ = [
    "MAX_EXCLUDE_RUNS",
    "Exemptions",
    "GlobError",
    "compile_globs",
    "exclude_runs",
    "matches_check",
]

MAX_EXCLUDE_RUNS = 64
"""The most runs of ``exclude`` globs of one sign (``a``, ``!b``, ``c`` are three): each
run costs one match per path."""

Family = tuple[bool, bool]
"""Globs matched alike: (against the name only, against folders only)."""

CHUNK = 2000
"""Globs compiled into one expression at most."""

Entry = tuple[Pattern, tuple[str, ...]]
"""A glob and the checks it exempts (``()`` for every check)."""


def matches_check(check: str, ids: Sequence[str]) -> bool:
    """Whether ``ids`` name the check: its id, or its family (two letters)."""
    return any(check == value or (len(value) == 2 and check.startswith(value)) for value in ids)


class GlobError(InvalidPattern):
    """A glob that matches nothing: ``glob`` is the glob, the message why."""

    def __init__(self, glob: str, reason: str) -> None:
        super().__init__(reason)
        self.glob = glob


def compile_globs(globs: Sequence[str]) -> tuple[Pattern, ...]:
    """Each glob as a pattern; ``GlobError`` for one that matches nothing."""
    patterns = []
    for glob in globs:
        try:
            pattern = compile_pattern(glob)
        except InvalidPattern as error:
            raise GlobError(glob, str(error)) from None
        if pattern is None:
            raise GlobError(glob, "empty or a comment, so it matches nothing")
        patterns.append(pattern)
    return tuple(patterns)


def exclude_runs(patterns: Sequence[Pattern]) -> int:
    """How many runs of one sign (all ``!`` or none) the globs make, in order."""
    return sum(
        1
        for index, pattern in enumerate(patterns)
        if index == 0 or pattern.negated != patterns[index - 1].negated
    )


def _regex(pattern: Pattern) -> re.Pattern[str] | re.Pattern[bytes] | None:
    """The Python expression behind a compiled glob (over text or over bytes, as the
    ignore module compiles it), or None when another engine matches it."""
    for attribute in ("match_bytes", "match"):
        compiled = getattr(getattr(pattern, attribute, None), "__self__", None)
        if isinstance(compiled, re.Pattern) and compiled.flags & ~re.UNICODE == re.DOTALL:
            return compiled
    return None


def _family(pattern: Pattern) -> Family:
    return pattern.basename_only, pattern.directory_only


def _subject(family: Family, path: str, is_dir: bool) -> str | None:
    """What a family of globs is matched against for one path: its last part or all of
    it; None when the family is of folder globs and the path is no folder."""
    basename_only, directory_only = family
    if directory_only and not is_dir:
        return None
    return path.rsplit("/", 1)[-1] if basename_only else path


def _candidates(path: str) -> Iterator[tuple[str, bool]]:
    """The folders above a path, then the path itself, with whether each is a folder."""
    parts = path.rstrip("/").split("/")
    for depth in range(1, len(parts)):
        yield "/".join(parts[:depth]), True
    yield "/".join(parts), path.endswith("/")


def _ids_source(ids: Sequence[str]) -> str:
    """Checks as an expression over a check id: an id itself, or a family (two letters)
    and every check in it."""
    return "|".join(
        re.escape(value) + ("[^\x00]*" if len(value) == 2 else "") for value in sorted(set(ids))
    )


@dataclass(frozen=True)
class _Group:
    """The globs of one family matched as one: expressions of up to ``CHUNK`` alternatives
    each (no capture groups: with them a failing alternative costs a step per group; and
    chunks, so that compiling never holds the parse of every glob at once), over
    ``check NUL subject`` when globs exempt some checks only; the globs on another engine
    one by one."""

    unions: tuple[re.Pattern[str] | re.Pattern[bytes], ...]
    binary: bool  # the expressions read the subject's bytes
    by_check: bool
    rest: tuple[Entry, ...]

    @classmethod
    def build(cls, entries: Sequence[Entry], by_check: bool) -> _Group:
        regexes = [_regex(pattern) for pattern, _ids in entries]
        binary = any(isinstance(regex.pattern, bytes) for regex in regexes if regex is not None)
        alternatives: list[tuple[str, str]] = []  # (the checks, the glob's expression)
        rest = []
        for entry, regex in zip(entries, regexes, strict=True):
            if regex is None or isinstance(regex.pattern, bytes) != binary:
                rest.append(entry)
                continue
            source = regex.pattern
            text = source.decode("latin-1") if isinstance(source, bytes) else source
            alternatives.append((_ids_source(entry[1]) if by_check else "", text))
        unions = tuple(
            _union(alternatives[start : start + CHUNK], by_check, binary)
            for start in range(0, len(alternatives), CHUNK)
        )
        return cls(unions, binary, by_check, tuple(rest))

    def matches(self, subject: str, check: str = "") -> bool:
        if self.unions:
            text = f"{check}\x00{subject}" if self.by_check else subject
            value: str | bytes = text.encode("utf-8", "surrogateescape") if self.binary else text
            if any(union.fullmatch(value) for union in self.unions):  # type: ignore[arg-type]
                return True
        return any(
            (not self.by_check or matches_check(check, ids)) and pattern.match(subject)
            for pattern, ids in self.rest
        )


def _union(
    alternatives: Sequence[tuple[str, str]], by_check: bool, binary: bool
) -> re.Pattern[str] | re.Pattern[bytes]:
    """One expression of the alternatives, those of the same checks under one prefix."""
    grouped: dict[str, list[str]] = {}
    for ids, source in alternatives:
        grouped.setdefault(ids, []).append(f"(?:{source})")
    text = "|".join(
        (f"(?:{ids})\x00" if by_check else "") + f"(?:{'|'.join(sources)})"
        for ids, sources in grouped.items()
    )
    return re.compile(text.encode("latin-1") if binary else text, re.DOTALL)


def _groups(entries: Sequence[Entry], by_check: bool) -> dict[Family, _Group]:
    families: dict[Family, list[Entry]] = {}
    for entry in entries:
        families.setdefault(_family(entry[0]), []).append(entry)
    return {family: _Group.build(chosen, by_check) for family, chosen in families.items()}


def _any_matches(groups: dict[Family, _Group], path: str, is_dir: bool, check: str = "") -> bool:
    for family, group in groups.items():
        subject = _subject(family, path, is_dir)
        if subject is not None and group.matches(subject, check):
            return True
    return False


@dataclass(frozen=True)
class _Run:
    """Consecutive ``exclude`` globs of the same sign (all ``!`` or none)."""

    negated: bool
    groups: dict[Family, _Group]


@dataclass(frozen=True)
class _Excludes:
    """Globs in order; the last one matching a path decides whether it is left out. The
    globs are cut into runs of one sign: the last run that matches decides, so a path
    costs one match per family and run (``MAX_EXCLUDE_RUNS`` bounds the runs)."""

    runs: tuple[_Run, ...]

    @classmethod
    def build(cls, patterns: Sequence[Pattern]) -> _Excludes:
        runs = []
        start = 0
        for end in range(1, len(patterns) + 1):
            if end == len(patterns) or patterns[end].negated != patterns[start].negated:
                chosen = [(pattern, ()) for pattern in patterns[start:end]]
                runs.append(_Run(patterns[start].negated, _groups(chosen, by_check=False)))
                start = end
        return cls(tuple(runs))

    def _left_out(self, path: str, is_dir: bool) -> bool:
        for run in reversed(self.runs):
            if _any_matches(run.groups, path, is_dir):
                return not run.negated
        return False

    def covers(self, path: str) -> bool:
        return bool(self.runs) and any(
            self._left_out(candidate, is_dir) for candidate, is_dir in _candidates(path)
        )


@dataclass(frozen=True)
class Exemptions:
    """``exclude`` and ``per-file-ignores`` compiled: ``covers(check, path)``."""

    excludes: _Excludes
    per_file: dict[Family, _Group]

    @classmethod
    def build(cls, exclude: Sequence[Pattern], per_file: Sequence[Entry]) -> Exemptions:
        kept = [(pattern, ids) for pattern, ids in per_file if not pattern.negated and ids]
        return cls(_Excludes.build(exclude), _groups(kept, by_check=True))

    @classmethod
    def from_globs(cls, exclude: Sequence[str], per_file: dict[str, tuple[str, ...]]) -> Exemptions:
        """Compiled from the text of the settings (``GlobError`` for a bad glob)."""
        patterns = compile_globs(list(per_file))
        return cls.build(
            compile_globs(exclude), list(zip(patterns, per_file.values(), strict=True))
        )

    def covers(self, check: str, path: str) -> bool:
        """Whether a finding of ``check`` at ``path`` (relative, ``/``-separated) is exempt."""
        if not path:
            return False
        if self.excludes.covers(path):
            return True
        return bool(self.per_file) and any(
            _any_matches(self.per_file, candidate, is_dir, check)
            for candidate, is_dir in _candidates(path)
        )
