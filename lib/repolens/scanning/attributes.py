"""Which files ``.gitattributes`` hands to a filter (``filter=lfs``: Git LFS), read by
repolens itself.

``git check-attr`` would open every ``.gitattributes`` on the way to each path, and a
FIFO there blocks it for ever. Here each file is read through the safe reader (a
regular file that is not a link, at most ``MAX_ATTRIBUTES_BYTES``) and matched as git
does (gitattributes(5)): ``$GIT_DIR/info/attributes`` first, then the
``.gitattributes`` of the path's own folder and of each folder above it up to the top
of the work tree, and in each file the last line that matches; the first assignment
found this way wins. Patterns are gitignore patterns (``compile_pattern``) relative to
the file's folder, but a negative pattern is ignored and a folder pattern (``dir/``)
matches no file. Macros (``[attr]lfs filter=lfs ...``) are defined in the top-level
files only, and a macro set on a path sets what it stands for. A line longer than
2,048 bytes is ignored, as git does; the system and global attribute files are not
read (git runs without them here too).

Only lines that assign ``filter`` (or a macro that does) are kept, at most
``MAX_ATTRIBUTE_LINES`` of them, and at most ``MAX_MATCHES`` pattern tests are made in
all: past that, the remaining paths have no filter and a note says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core import safeio
from .ignore import InvalidPattern, Pattern, compile_pattern

__all__ = [
    "MAX_ATTRIBUTES_BYTES",
    "MAX_ATTRIBUTE_LINES",
    "MAX_MATCHES",
    "filters",
    "parse_attributes",
]

MAX_ATTRIBUTES_BYTES = 8 << 20
MAX_ATTRIBUTE_LINES = 10_000
MAX_MATCHES = 20_000_000  # pattern tests for all paths together (a few seconds)
_MAX_LINE = 2048
_NAME = re.compile(r"[-_.A-Za-z0-9]+")
_WANTED = "filter"
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

State = bool | str | None  # True set, False unset, None unspecified, str a value


@dataclass(frozen=True, slots=True)
class Line:
    pattern: Pattern
    assigns: tuple[tuple[str, State], ...]  # in the order written


@dataclass(frozen=True, slots=True)
class Attributes:
    """One attributes file: its lines (those that may decide ``filter``) and, for a
    top-level file, the macros it defines."""

    lines: tuple[Line, ...]
    macros: dict[str, tuple[tuple[str, State], ...]]


def _unquote(text: str) -> tuple[str, str] | None:
    """A C-quoted pattern at the start of ``text`` and what follows it; None if unclosed."""
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return "".join(out), text[index + 1 :]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in "01234567" and re.match(r"[0-7]{3}", text[index + 1 : index + 4]):
                out.append(chr(int(text[index + 1 : index + 4], 8)))
                index += 4
                continue
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return None


def _assignment(token: str) -> tuple[str, State] | None:
    if token.startswith("-"):
        name, state = token[1:], False
    elif token.startswith("!"):
        name, state = token[1:], None
    else:
        name, equals, value = token.partition("=")
        state = value if equals else True
    if not _NAME.fullmatch(name) or name.startswith("-"):
        return None
    return name, state


def parse_attributes(text: str, top_level: bool) -> Attributes:
    """The lines of an attributes file that may decide ``filter`` (the macros a
    top-level file defines are kept whatever they set)."""
    lines: list[tuple[Pattern, tuple[tuple[str, State], ...]]] = []
    macros: dict[str, tuple[tuple[str, State], ...]] = {}
    for raw in text.split("\n"):
        if len(raw.encode("utf-8", "surrogateescape")) > _MAX_LINE:
            continue
        line = raw.strip(" \t\r\f\v")
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            quoted = _unquote(line)
            if quoted is None:
                continue
            glob, rest = quoted
        else:
            glob, _, rest = line.replace("\t", " ").partition(" ")
        assigns = tuple(item for token in rest.split() if (item := _assignment(token)) is not None)
        if glob.startswith("[attr]"):
            name = glob[len("[attr]") :]
            if top_level and _NAME.fullmatch(name):
                macros[name] = assigns
            continue
        try:
            pattern = compile_pattern(glob)
        except InvalidPattern:
            continue
        if pattern is not None and not pattern.negated and not pattern.directory_only:
            lines.append((pattern, assigns))
    return Attributes(tuple(Line(pattern, assigns) for pattern, assigns in lines), macros)


def _deciding(macros: dict[str, tuple[tuple[str, State], ...]]) -> frozenset[str]:
    """``filter`` and every macro that sets it, directly or through another macro."""
    names = {_WANTED}
    grew = True
    while grew:
        grew = False
        for name, assigns in macros.items():
            if name not in names and any(item in names for item, _state in assigns):
                names.add(name)
                grew = True
    return frozenset(names)


class _Tree:
    """The attributes files of one work tree, each read once, when first needed."""

    def __init__(self, work_tree: str, info_attributes: str | None, problems: list[str]):
        self.work_tree = work_tree
        self.problems = problems
        self.files: dict[str, Attributes | None] = {}
        self.kept = 0
        self.matches = 0  # pattern tests made
        top = self._read(os.path.join(work_tree, ".gitattributes"), ".gitattributes", True)
        info = (
            self._read(info_attributes, "$GIT_DIR/info/attributes", True)
            if info_attributes
            else None
        )
        macros = {**(top.macros if top else {}), **(info.macros if info else {})}
        self.macros = macros
        self.deciding = _deciding(macros)
        self.files[""] = self._keep(top, ".gitattributes")
        self.info = self._keep(info, "$GIT_DIR/info/attributes")

    def _read(self, path: str, shown: str, top_level: bool) -> Attributes | None:
        try:
            data = safeio.read_small_file(path, MAX_ATTRIBUTES_BYTES)
        except FileNotFoundError:
            return None
        except OSError as error:
            self.problems.append(f"{shown} not read, as if empty: {error.strerror or error}")
            return None
        return parse_attributes(data.decode("utf-8", "surrogateescape"), top_level)

    def _keep(self, found: Attributes | None, shown: str) -> Attributes | None:
        """Only the lines that may decide ``filter``, within the budget of lines."""
        if found is None:
            return None
        lines = tuple(
            line for line in found.lines if any(n in self.deciding for n, _s in line.assigns)
        )
        room = MAX_ATTRIBUTE_LINES - self.kept
        if len(lines) > room:
            self.problems.append(
                f"{shown}: more than {MAX_ATTRIBUTE_LINES:,} lines set filters; "
                "the lines past that are not used"
            )
            lines = lines[: max(room, 0)]
        self.kept += len(lines)
        return Attributes(lines, {})

    def folder(self, folder: str) -> Attributes | None:
        if folder not in self.files:
            shown = f"{folder}/.gitattributes"
            path = os.path.join(self.work_tree, *folder.split("/"), ".gitattributes")
            self.files[folder] = self._keep(self._read(path, shown, False), shown)
        return self.files[folder]


def _matches(pattern: Pattern, base: str, path: str) -> bool:
    if base:
        if not path.startswith(base + "/"):
            return False
        relative = path[len(base) + 1 :]
    else:
        relative = path
    return pattern.match(path.rsplit("/", 1)[-1] if pattern.basename_only else relative)


def _filter_of(tree: _Tree, path: str) -> State:
    """The ``filter`` attribute of ``path`` (relative to the top of the work tree)."""
    parts = path.split("/")[:-1]
    folders = ["/".join(parts[:depth]) for depth in range(len(parts), -1, -1)]
    stack = [("", tree.info), *((folder, tree.folder(folder)) for folder in folders)]
    assigned: dict[str, State] = {}

    def assign(name: str, state: State, depth: int = 0) -> None:
        if name in assigned or depth > 32:
            return
        assigned[name] = state
        if state is True and name in tree.macros:
            for member, member_state in reversed(tree.macros[name]):
                assign(member, member_state, depth + 1)

    for base, attributes in stack:
        if attributes is None:
            continue
        tree.matches += len(attributes.lines)
        for line in reversed(attributes.lines):
            if _matches(line.pattern, base, path):
                for name, state in reversed(line.assigns):
                    assign(name, state)
                if _WANTED in assigned:
                    return assigned[_WANTED]
    return None


def filters(
    work_tree: str, info_attributes: str | None, paths: Iterable[str], problems: list[str]
) -> dict[str, State]:
    """The ``filter`` attribute of each path (relative to the top of the work tree, "/"
    separated): a driver's name, or True, False or None as git's set, unset and
    unspecified. Files that cannot be read count as empty, and ``problems`` says so."""
    tree = _Tree(work_tree, info_attributes, problems)
    found: dict[str, State] = {}
    for path in paths:
        if tree.matches > MAX_MATCHES:
            problems.append(
                f"attributes: more than {MAX_MATCHES:,} pattern tests; the filters of "
                f"{path} and the paths after it were not looked up"
            )
            break
        found[path] = _filter_of(tree, path)
    return found
