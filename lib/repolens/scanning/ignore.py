"""Which paths git would ignore: ``.gitignore`` files and ``.git/info/exclude``.

Patterns follow git's own rules (``gitignore(5)`` and git's ``wildmatch``), compiled
here so they match exactly the path they name: a directory pattern (``keep/``) matches
that directory, not the files below it; files below an ignored directory are left out
because the walk does not enter it, so nothing can re-include them, as in git.
A line git cannot use (``!`` alone, a trailing backslash, a reversed range ``[z-a]``,
an unclosed ``[``) matches nothing in git; here it is skipped and reported, and so is a
line longer than ``MAX_PATTERN_BYTES``. Patterns match a path's bytes, as git's wildmatch
does; one with two ``**`` or more runs on RE2, in time linear in the path (with Python's
backtracking engine, ``**/a/**/a/.../b`` took time exponential in its ``**``).

Rules apply only inside a git work tree (a ``.git`` directory, or a ``.git`` file
naming one that exists, in the root or above it). Outside one, a stray
``.gitignore`` hides nothing: a source tarball may carry a ``.gitignore`` of ``/*``
that would otherwise hide the whole tree. The user's global excludes file is not
read, so a report does not depend on who ran it. Ignore files are read only when
they are regular files (git does not follow a symbolic link to one either) of at
most ``MAX_IGNORE_BYTES``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..core import safeio

try:  # pragma: no branch
    import re2 as _re2
except ImportError:  # pragma: no cover - the wheel is a dependency
    _re2 = None

__all__ = [
    "MAX_IGNORE_BYTES",
    "MAX_PATTERN_BYTES",
    "IgnoreRules",
    "InvalidPattern",
    "Pattern",
    "PatternTooLong",
    "compile_pattern",
    "find_work_tree",
    "read_patterns",
]

MAX_IGNORE_BYTES = 8 << 20
MAX_PATTERN_BYTES = 64 << 10  # a longer line is skipped and noted (git has no such cap)

# Character classes as git's wildmatch knows them: ASCII only, matched byte by byte.
_CLASSES = {
    "alnum": b"0-9A-Za-z",
    "alpha": b"A-Za-z",
    "blank": b" \t",
    "cntrl": b"\x00-\x1f\x7f",
    "digit": b"0-9",
    "graph": b"!-~",
    "lower": b"a-z",
    "print": b" -~",
    "punct": b"!-/:-@[-`{-~",
    "space": b" \t\n\r\f\v",
    "upper": b"A-Z",
    "xdigit": b"0-9A-Fa-f",
}
_SLASH = ord("/")
_NEVER = r"[^\x00-\xff]"  # a class no byte is in: what "[/]" matches under WM_PATHNAME
# Patterns with more than one "**" run on RE2: with Python's backtracking engine, "**/a/**/a/
# ... /b" against deep "a/a/a/..." paths takes time exponential in the number of "**". RE2
# matches in time linear in the path; Python's engine is kept for the rest, where it is
# linear too and several times faster per call.
_GLOBSTARS_FOR_RE2 = 2


class InvalidPattern(ValueError):
    """A pattern line git would never match; the message says why."""


class PatternTooLong(InvalidPattern):
    """A pattern line past ``MAX_PATTERN_BYTES``: git would match it, repolens does not
    compile it (a bound on what one line may cost)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str  # the line as written
    negated: bool
    directory_only: bool
    basename_only: bool  # no "/" inside: matched against the last component at any depth
    match_bytes: Callable[[bytes], object]  # fullmatch against a path's bytes
    literal: bytes | None = None  # a glob with no wildcard: it matches these bytes only
    suffix: bytes | None = None  # "*" then no wildcard (a name pattern): names ending so

    def match(self, path: str) -> bool:
        """Whether the pattern matches ``path`` (a str that may hold surrogate escapes)."""
        return self.match_bytes(path.encode("utf-8", "surrogateescape")) is not None


def _class_items(spec: bytes) -> set[int]:
    """The bytes of a class written as ranges (``b"0-9A-Z"``)."""
    members: set[int] = set()
    index = 0
    while index < len(spec):
        if index + 2 < len(spec) and spec[index + 1] == ord("-"):
            members.update(range(spec[index], spec[index + 2] + 1))
            index += 3
        else:
            members.add(spec[index])
            index += 1
    return members


def _byte_class(members: set[int]) -> str:
    """A regular-expression class of exactly ``members`` (never "/"), as ASCII text."""
    members = members - {_SLASH}
    if not members:
        return _NEVER
    ranges: list[str] = []
    ordered = sorted(members)
    low = previous = ordered[0]
    for value in [*ordered[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        ranges.append(f"\\x{low:02x}" if low == previous else f"\\x{low:02x}-\\x{previous:02x}")
        if value is not None:
            low = previous = value
    return f"[{''.join(ranges)}]"


def _bracket(pattern: bytes, start: int) -> tuple[str, int]:
    """Translate ``[...]`` starting at ``start``; return the regex and the index after it.

    Git compares bytes: ``[é]`` is a set of the two bytes of ``é``, and a class never
    matches "/" (``WM_PATHNAME``)."""
    index = start + 1
    negate = index < len(pattern) and pattern[index] in b"!^"
    if negate:
        index += 1
    members: set[int] = set()
    first = True
    while True:
        if index >= len(pattern):
            raise InvalidPattern("an unclosed '['")
        char = pattern[index]
        if char == ord("]") and not first:
            index += 1
            break
        first = False
        if char == ord("[") and pattern.startswith(b"[:", index):
            end = pattern.find(b":]", index + 2)
            if end < 0:
                raise InvalidPattern("an unclosed '[:'")
            name = pattern[index + 2 : end].decode("latin-1")
            if name not in _CLASSES:
                raise InvalidPattern(f"an unknown class [:{name}:]")
            members |= _class_items(_CLASSES[name])
            index = end + 2
            continue
        if char == ord("\\"):
            index += 1
            if index >= len(pattern):
                raise InvalidPattern("ends with a backslash")
            char = pattern[index]
        low = char
        index += 1
        if (
            index + 1 < len(pattern)
            and pattern[index] == ord("-")
            and pattern[index + 1] != ord("]")
        ):
            high = pattern[index + 1]
            index += 2
            if high == ord("\\"):
                if index >= len(pattern):
                    raise InvalidPattern("ends with a backslash")
                high = pattern[index]
                index += 1
            if high < low:
                raise InvalidPattern(f"a reversed range [{chr(low)}-{chr(high)}]")
            members.update(range(low, high + 1))
        else:
            members.add(low)
    return _byte_class(set(range(256)) - members if negate else members), index


_STAR = object()  # "*": any run of bytes but "/"
_ANY_FOLDERS = "(?:.*/)?"  # "**/": zero or more folders
_ANY_BELOW = ".*"  # a final "**": everything below


def _literal(byte: int) -> str:
    """One byte as a regular expression matching it (ASCII text, for both engines)."""
    if byte == _SLASH or (byte < 128 and chr(byte).isalnum()):
        return chr(byte)
    return f"\\x{byte:02x}"


def _tokens(glob: bytes, anchored: bool = False) -> list[object]:
    """A glob as regex pieces (str) and ``_STAR`` markers; globstars are regex pieces.

    ``anchored``: a pattern matched against the whole path. Git compares such a pattern's
    literal head (up to its first ``*?[\\``) by itself and hands only the rest to wildmatch,
    so a ``**`` right after that head counts as starting the pattern (``b**/`` is ``b`` then
    ``**/``)."""
    head = next((i for i, char in enumerate(glob) if char in b"*?[\\"), len(glob))
    out: list[object] = []
    index = 0
    length = len(glob)
    while index < length:
        char = glob[index]
        if char == ord("*"):
            stars = 1
            while index + stars < length and glob[index + stars] == ord("*"):
                stars += 1
            at_start = index == 0 or glob[index - 1] == _SLASH or (anchored and index == head)
            after = index + stars
            at_end = after == length or glob[after] == _SLASH
            if stars >= 2 and at_start and at_end:
                if after == length:  # "**" or ".../**": everything below
                    out.append(_ANY_BELOW)
                    index = after
                else:  # "**/": zero or more folders; "**/**/" is the same as one
                    if not out or out[-1] != _ANY_FOLDERS:
                        out.append(_ANY_FOLDERS)
                    index = after + 1
                continue
            if not out or out[-1] is not _STAR:
                out.append(_STAR)
            index = after
        elif char == ord("?"):
            out.append("[^/]")
            index += 1
        elif char == ord("["):
            regex, index = _bracket(glob, index)
            out.append(regex)
        elif char == ord("\\"):
            if index + 1 >= length:
                raise InvalidPattern("ends with a backslash")
            out.append(_literal(glob[index + 1]))
            index += 2
        else:
            out.append(_literal(char))
            index += 1
    return out


def _translate(glob: bytes, anchored: bool = False, atomic: bool = True) -> str:
    """A git wildmatch glob (matched with WM_PATHNAME, byte by byte) as a regular
    expression over bytes, in ASCII text.

    ``atomic`` (for Python's engine): a star followed by more pattern and another star
    matches its piece at the first place it can, inside an atomic group (as ``fnmatch``
    does since Python 3.11): the first place is always a right one, and ``*a*a*a*a*a*b``
    against a long name of ``a`` takes linear time instead of the exponential backtracking
    it would otherwise. RE2 has no atomic groups and needs none."""
    pieces = _tokens(glob, anchored)
    stars = [index for index, piece in enumerate(pieces) if piece is _STAR]
    out: list[str] = []
    index = 0
    for number, star in enumerate(stars):
        out.extend(str(piece) for piece in pieces[index:star])
        following = stars[number + 1] if number + 1 < len(stars) else None
        segment = pieces[star + 1 : following] if following is not None else None
        if (
            atomic
            and segment
            and all(
                piece is not _STAR and "/" not in str(piece) and ".*" not in str(piece)
                for piece in segment
            )
        ):
            out.append(f"(?>[^/]*?{''.join(str(piece) for piece in segment)})")
            index = following  # type: ignore[assignment]
        else:
            out.append("[^/]*")
            index = star + 1
    out.extend(str(piece) for piece in pieces[index:])
    return "".join(out)


def _compile(glob: bytes, anchored: bool) -> Callable[[bytes], object]:
    """The fullmatch of a glob, on the engine that matches it in linear time."""
    globstars = sum(1 for piece in _tokens(glob, anchored) if piece in (_ANY_FOLDERS, _ANY_BELOW))
    if globstars >= _GLOBSTARS_FOR_RE2 and _re2 is not None:
        options = _re2.Options()
        options.encoding = _re2.Options.Encoding.LATIN1
        options.dot_nl = True
        options.log_errors = False  # a hostile pattern must not write to the terminal
        try:
            return _re2.compile(
                _translate(glob, anchored, atomic=False).encode(), options
            ).fullmatch
        except _re2.error:
            raise InvalidPattern("too large to match in linear time") from None
    return re.compile(_translate(glob, anchored).encode(), re.DOTALL).fullmatch


def _trim_trailing_spaces(line: str) -> str:
    """Trailing spaces go unless the last one is escaped with a backslash (as git does)."""
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = 0
        position = end - 2
        while position >= 0 and line[position] == "\\":
            backslashes += 1
            position -= 1
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


_WILDCARDS = b"*?[\\"


def _plain(glob: bytes) -> bool:
    """Whether a glob has no wildcard and no escape: it matches its own bytes only."""
    return len(glob.translate(None, _WILDCARDS)) == len(glob)


def _equals(literal: bytes) -> Callable[[bytes], object]:
    return lambda path: True if path == literal else None


def _ends_with(suffix: bytes) -> Callable[[bytes], object]:
    return lambda name: True if name.endswith(suffix) else None


def _fast(glob: bytes, basename_only: bool) -> tuple[bytes | None, bytes | None]:
    """``(literal, suffix)`` of a glob a regular expression is not needed for: no wildcard
    at all (``build``, ``docs/_build``), or a name pattern of ``*`` then no wildcard
    (``*.pyc``; ``*`` never meets a ``/`` in a name, and may match nothing)."""
    if _plain(glob):
        return glob, None
    if basename_only and len(glob) > 1 and glob[0] == ord("*") and _plain(glob[1:]):
        return None, glob[1:]
    return None, None


def compile_pattern(line: str, fast: bool = False) -> Pattern | None:
    """One ignore-file line as a ``Pattern``; None for blanks and comments.

    ``fast``: a line with no wildcard, or a name pattern of ``*`` then none, is compared
    as bytes (``Pattern.literal``, ``Pattern.suffix``) and compiles no regular expression;
    the same paths match. Raises ``InvalidPattern`` for a line git would never match."""
    text = _trim_trailing_spaces(line)
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    body = text[1:] if negated else text
    if not body:
        raise InvalidPattern("'!' with nothing to negate")
    directory_only = body.endswith("/")
    if directory_only:
        body = body[:-1]  # one slash, as git strips it: "a//" then matches nothing
        if not body:
            raise InvalidPattern("'/' alone names no path")
    basename_only = "/" not in body
    if body.startswith("/"):
        body = body[1:]
    glob = body.encode("utf-8", "surrogateescape")
    if len(glob) > MAX_PATTERN_BYTES:
        raise PatternTooLong(f"longer than {MAX_PATTERN_BYTES:,} bytes")
    if fast:
        literal, suffix = _fast(glob, basename_only)
        if literal is not None:
            return Pattern(line, negated, directory_only, basename_only, _equals(literal), literal)
        if suffix is not None:
            match = _ends_with(suffix)
            return Pattern(line, negated, directory_only, basename_only, match, None, suffix)
    match = _compile(glob, anchored=not basename_only)
    return Pattern(line, negated, directory_only, basename_only, match)


def compile_patterns(
    lines: list[str], where: str, problems: list[str] | None = None, fast: bool = False
) -> tuple[Pattern, ...]:
    """The usable patterns of a file; an unusable line is skipped and told in ``problems``."""
    patterns = []
    for number, line in enumerate(lines, 1):
        try:
            pattern = compile_pattern(line, fast)
        except InvalidPattern as error:
            if problems is not None:
                shown = repr(line) if len(line) <= 80 else repr(line[:80]) + "…"
                how = (
                    "; git would match it" if isinstance(error, PatternTooLong) else ", as git does"
                )
                problems.append(f"{where} line {number}: {shown} skipped ({error}){how}")
            continue
        if pattern is not None:
            patterns.append(pattern)
    return tuple(patterns)


def _git_dir_exists(dot_git: str) -> bool:
    """Whether ``dot_git`` (a ``.git`` entry) is a repository: a folder with ``HEAD``,
    or a file ``gitdir: PATH`` naming such a folder."""
    try:
        st = os.lstat(dot_git)
    except OSError:
        return False
    import stat as stat_module

    if stat_module.S_ISDIR(st.st_mode):
        return os.path.exists(os.path.join(dot_git, "HEAD"))
    if not stat_module.S_ISREG(st.st_mode):
        return False
    try:
        text = safeio.read_small_file(dot_git, 4096).decode("utf-8", "replace")
    except OSError:
        return False
    if not text.startswith("gitdir:"):
        return False
    target = text[len("gitdir:") :].strip()
    if not target:
        return False
    target = os.path.join(os.path.dirname(dot_git), target)
    return os.path.isdir(target) and os.path.exists(os.path.join(target, "HEAD"))


def find_work_tree(root: str) -> str | None:
    """The top of the git work tree that holds ``root``, or None.

    Not ``core.gitsafe.locate``, whose rules are git's for running it: this walks up the
    path as given (links in it unresolved, so ignore rules match the paths the walk
    reports), takes a ``.git`` folder with a ``HEAD`` as a work tree, and passes bare
    repositories and git folders by on the way up."""
    current = os.path.abspath(root)
    while True:
        if _git_dir_exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def read_patterns(path: str, problems: list[str] | None = None, shown: str = "") -> list[str]:
    """The lines of an ignore file. A missing one has none; one that is a link, a FIFO,
    a device or over ``MAX_IGNORE_BYTES`` is not read, and ``problems`` says so (naming
    the file as ``shown``, a path relative to the scanned root)."""
    try:
        data = safeio.read_small_file(path, MAX_IGNORE_BYTES)
    except FileNotFoundError:
        return []
    except OSError as error:
        if problems is not None:
            reason = error.strerror or str(error)
            problems.append(f"{shown or path} not read, as if empty: {reason}")
        return []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return [line[:-1] if line.endswith("\r") else line for line in lines]


_Indexes = dict[bytes, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class _Level:
    """The patterns of one ignore file, those without a wildcard and the ``*.ext`` ones
    looked up by the bytes they match (a dictionary each) rather than tried one by one:
    a file of 100,000 such lines costs a few look-ups per path."""

    base: str  # directory the patterns are relative to ("" for the work-tree top)
    patterns: tuple[Pattern, ...]  # in file order; the last match wins
    names: _Indexes  # literal name patterns, by the name: their places in ``patterns``
    paths: _Indexes  # literal patterns of a path from ``base``, by that path
    suffixes: _Indexes  # "*suffix" name patterns, by the suffix
    suffix_lengths: tuple[int, ...]
    others: tuple[int, ...]  # the rest, matched by expression

    @classmethod
    def build(cls, base: str, patterns: tuple[Pattern, ...]) -> _Level:
        names: dict[bytes, list[int]] = {}
        paths: dict[bytes, list[int]] = {}
        suffixes: dict[bytes, list[int]] = {}
        others = []
        for index, pattern in enumerate(patterns):
            if pattern.literal is not None:
                table = names if pattern.basename_only else paths
                table.setdefault(pattern.literal, []).append(index)
            elif pattern.suffix is not None:
                suffixes.setdefault(pattern.suffix, []).append(index)
            else:
                others.append(index)
        return cls(
            base,
            patterns,
            {key: tuple(value) for key, value in names.items()},
            {key: tuple(value) for key, value in paths.items()},
            {key: tuple(value) for key, value in suffixes.items()},
            tuple(sorted({len(suffix) for suffix in suffixes})),
            tuple(others),
        )

    def _last(self, places: tuple[int, ...] | None, is_dir: bool) -> int:
        """The last of ``places`` whose pattern applies to a path of this kind, or -1."""
        if places is None:
            return -1
        for index in reversed(places):
            if is_dir or not self.patterns[index].directory_only:
                return index
        return -1

    def decide(self, name: bytes, relative: bytes, is_dir: bool) -> bool | None:
        """Whether the last pattern of this file matching the path ignores it (True) or
        re-includes it (False); None when none matches."""
        best = max(
            self._last(self.names.get(name), is_dir), self._last(self.paths.get(relative), is_dir)
        )
        for length in self.suffix_lengths:
            if length > len(name):
                break
            best = max(best, self._last(self.suffixes.get(name[-length:]), is_dir))
        patterns = self.patterns
        for index in reversed(self.others):
            if index < best:
                break
            pattern = patterns[index]
            if pattern.directory_only and not is_dir:
                continue
            if pattern.match_bytes(name if pattern.basename_only else relative) is not None:
                best = index
                break
        return None if best < 0 else not patterns[best].negated


class IgnoreRules:
    """A stack of ignore levels, deepest last; paths are relative to the work-tree top."""

    __slots__ = ("_levels",)

    def __init__(self, levels: tuple[_Level, ...] = ()) -> None:
        self._levels = levels

    @classmethod
    def from_patterns(
        cls, lines: list[str], base: str = "", problems: list[str] | None = None, where: str = ""
    ) -> IgnoreRules:
        return cls().with_patterns(lines, base, problems, where)

    def with_patterns(
        self, lines: list[str], base: str, problems: list[str] | None = None, where: str = ""
    ) -> IgnoreRules:
        """These rules plus one deeper level; unchanged when there is no pattern."""
        where = where or f"{base or '.'}/.gitignore"
        patterns = compile_patterns(lines, where, problems, fast=True)
        if not patterns:
            return self
        return IgnoreRules((*self._levels, _Level.build(base, patterns)))

    def __bool__(self) -> bool:
        return bool(self._levels)

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git would ignore ``path`` itself: the deepest level with a matching
        pattern decides, and in it the last matching line."""
        name = path.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape")
        for level in reversed(self._levels):
            if level.base:
                if not path.startswith(level.base + "/"):
                    continue
                relative = path[len(level.base) + 1 :]
            else:
                relative = path
            decided = level.decide(name, relative.encode("utf-8", "surrogateescape"), is_dir)
            if decided is not None:
                return decided
        return False


def validate_excludes(globs: tuple[str, ...] | list[str]) -> None:
    """Raise ``InvalidPattern`` naming the first exclude glob that can match nothing."""
    for glob in globs:
        try:
            compile_pattern(glob)
        except InvalidPattern as error:
            raise InvalidPattern(f"--exclude {glob!r}: {error}") from None
