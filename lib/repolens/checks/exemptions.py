"""Which findings a tree's settings exempt by path: ``exclude`` and ``per-file-ignores``.

A glob covers the path it names and everything below a folder it names (``data/``
covers ``data/a.csv``). Every glob is compiled once, and the globs of one family (matched
against the name or the whole path, by folders only or not) are matched as one regular
expression: a finding is tested once for each folder above it and once for itself per
family, whatever the number of globs, so 40,000 per-file-ignores and 300 findings cost
about a thousand matches instead of twelve million.

``exclude`` is one list in order, read as ``.gitignore`` lines are: the last glob that
matches decides, so ``!data/keep.csv`` after ``data/*`` takes that file back. Each
``per-file-ignores`` glob stands alone with its checks (a ``!`` glob there exempts
nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..scanning.ignore import InvalidPattern, Pattern, compile_pattern

__all__ = ["MAX_EXCLUDE_RUNS", "Exemptions", "compile_globs", "exclude_runs", "matches_check"]

MAX_EXCLUDE_RUNS = 64
"""The most runs of ``exclude`` globs of one sign (``a``, ``!b``, ``c`` are three): each
run costs one match per path."""

_ANY_CHECK = "[^\x00]*"


def matches_check(check: str, ids: Sequence[str]) -> bool:
    """Whether ``ids`` name the check: its id, or its family (two letters)."""
    return any(check == value or (len(value) == 2 and check.startswith(value)) for value in ids)


def compile_globs(globs: Sequence[str]) -> tuple[Pattern, ...]:
    """Each glob as a pattern; ``InvalidPattern`` (naming it) for one that matches nothing."""
    patterns = []
    for glob in globs:
        try:
            pattern = compile_pattern(glob)
        except InvalidPattern as error:
            raise InvalidPattern(f"{_shown(glob)}: {error}") from None
        if pattern is None:
            raise InvalidPattern(f"{_shown(glob)}: empty or a comment, so it matches nothing")
        patterns.append(pattern)
    return tuple(patterns)


def _shown(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def exclude_runs(patterns: Sequence[Pattern]) -> int:
    """How many runs of one sign (all ``!`` or none) the globs make, in order."""
    return sum(
        1
        for index, pattern in enumerate(patterns)
        if index == 0 or pattern.negated != patterns[index - 1].negated
    )


def _ids_source(ids: Sequence[str]) -> str:
    """The checks a glob exempts as a regular expression over a check id: an id itself,
    or a family (two letters) and every check in it."""
    return "|".join(
        re.escape(value) + (_ANY_CHECK if len(value) == 2 else "") for value in sorted(set(ids))
    )


def _source(pattern: Pattern) -> str | None:
    """The regular expression behind a compiled glob, when it is one (``DOTALL``)."""
    compiled = getattr(pattern.match, "__self__", None)
    if isinstance(compiled, re.Pattern) and compiled.flags & ~re.UNICODE == re.DOTALL:
        return compiled.pattern
    return None


Family = tuple[bool, bool]
"""Globs matched alike: (against the name only, against folders only)."""


def _family(pattern: Pattern) -> Family:
    return pattern.basename_only, pattern.directory_only


def _families(patterns: Sequence[Pattern]) -> dict[Family, list[int]]:
    """The positions of the globs of each family, in order."""
    found: dict[Family, list[int]] = {}
    for index, pattern in enumerate(patterns):
        found.setdefault(_family(pattern), []).append(index)
    return found


def _subjects(families: Iterable[Family], path: str, is_dir: bool) -> Iterator[tuple[Family, str]]:
    """What each family of globs is matched against for one path: its last part or all of
    it; folder-only globs only for a folder."""
    name = path.rsplit("/", 1)[-1]
    for family in families:
        basename_only, directory_only = family
        if is_dir or not directory_only:
            yield family, name if basename_only else path


def _candidates(path: str) -> Iterator[tuple[str, bool]]:
    """The folders above a path, then the path itself, with whether each is a folder."""
    parts = path.rstrip("/").split("/")
    for depth in range(1, len(parts)):
        yield "/".join(parts[:depth]), True
    yield "/".join(parts), path.endswith("/")


def _matches_one(pattern: Pattern, path: str, is_dir: bool) -> bool:
    return any(pattern.match(subject) for _, subject in _subjects([_family(pattern)], path, is_dir))


def _union(sources: Sequence[str]) -> re.Pattern[str]:
    """One expression matching what any of the sources matches (no capture groups: with
    them, each failing alternative costs as many steps as there are groups)."""
    return re.compile("|".join(f"(?:{source})" for source in sources), re.DOTALL)


@dataclass(frozen=True)
class _Run:
    """Consecutive globs of the same sign (all ``!`` or none), one expression per family."""

    negated: bool
    combined: dict[Family, re.Pattern[str]]

    def matches(self, path: str, is_dir: bool) -> bool:
        return any(
            self.combined[family].fullmatch(subject)
            for family, subject in _subjects(self.combined, path, is_dir)
        )


@dataclass(frozen=True)
class _Excludes:
    """Globs in order; the last one matching a path decides whether it is left out. The
    globs are cut into runs of one sign; the last run that matches decides, so a path
    costs one match per family and run (``MAX_EXCLUDE_RUNS`` bounds the runs)."""

    patterns: tuple[Pattern, ...]
    runs: tuple[_Run, ...] | None  # None: a glob not backed by a regex

    @classmethod
    def build(cls, patterns: tuple[Pattern, ...]) -> _Excludes:
        sources = [_source(pattern) for pattern in patterns]
        if any(source is None for source in sources):
            return cls(patterns, None)
        runs = []
        start = 0
        for end in range(1, len(patterns) + 1):
            if end == len(patterns) or patterns[end].negated != patterns[start].negated:
                chosen = patterns[start:end]
                combined = {
                    family: _union([sources[start + index] or "" for index in indexes])
                    for family, indexes in _families(chosen).items()
                }
                runs.append(_Run(patterns[start].negated, combined))
                start = end
        return cls(patterns, tuple(runs))

    def _left_out(self, path: str, is_dir: bool) -> bool:
        if self.runs is not None:
            deciding = next((run for run in reversed(self.runs) if run.matches(path, is_dir)), None)
            return deciding is not None and not deciding.negated
        for pattern in reversed(self.patterns):
            if _matches_one(pattern, path, is_dir):
                return not pattern.negated
        return False

    def covers(self, path: str) -> bool:
        return bool(self.patterns) and any(
            self._left_out(candidate, is_dir) for candidate, is_dir in _candidates(path)
        )


@dataclass(frozen=True)
class _PerFile:
    """Globs each with the checks it exempts; any one matching with the check decides.
    Each family is one expression over ``check NUL subject``, its globs grouped by the
    checks they name."""

    entries: tuple[tuple[Pattern, tuple[str, ...]], ...]
    combined: dict[Family, re.Pattern[str]] | None

    @classmethod
    def build(cls, entries: tuple[tuple[Pattern, tuple[str, ...]], ...]) -> _PerFile:
        entries = tuple((pattern, ids) for pattern, ids in entries if not pattern.negated and ids)
        sources = [_source(pattern) for pattern, _ids in entries]
        if any(source is None for source in sources):
            return cls(entries, None)
        combined = {}
        for family, indexes in _families([pattern for pattern, _ids in entries]).items():
            by_checks: dict[str, list[str]] = {}
            for index in indexes:
                by_checks.setdefault(_ids_source(entries[index][1]), []).append(
                    f"(?:{sources[index]})"
                )
            groups = (
                f"(?:{checks})\x00(?:{'|'.join(globs)})" for checks, globs in by_checks.items()
            )
            combined[family] = re.compile("|".join(groups), re.DOTALL)
        return cls(entries, combined)

    def covers(self, check: str, path: str) -> bool:
        if self.combined is not None:
            combined = self.combined
            return any(
                combined[family].fullmatch(f"{check}\x00{subject}")
                for candidate, is_dir in _candidates(path)
                for family, subject in _subjects(combined, candidate, is_dir)
            )
        return any(
            matches_check(check, ids) and _matches_one(pattern, candidate, is_dir)
            for pattern, ids in self.entries
            for candidate, is_dir in _candidates(path)
        )


@dataclass(frozen=True)
class Exemptions:
    """``exclude`` and ``per-file-ignores`` compiled: ``covers(check, path)``."""

    excludes: _Excludes
    per_file: _PerFile

    @classmethod
    def build(
        cls,
        exclude: Sequence[Pattern],
        per_file: Sequence[tuple[Pattern, tuple[str, ...]]],
    ) -> Exemptions:
        return cls(_Excludes.build(tuple(exclude)), _PerFile.build(tuple(per_file)))

    @classmethod
    def from_globs(cls, exclude: Sequence[str], per_file: dict[str, tuple[str, ...]]) -> Exemptions:
        """Compiled from the text of the settings (``InvalidPattern`` names a bad glob)."""
        patterns = compile_globs(list(per_file))
        return cls.build(
            compile_globs(exclude), list(zip(patterns, per_file.values(), strict=True))
        )

    def covers(self, check: str, path: str) -> bool:
        """Whether a finding of ``check`` at ``path`` (relative, ``/``-separated) is exempt."""
        return bool(path) and (self.excludes.covers(path) or self.per_file.covers(check, path))
