"""The imports a Python source needs, read from its statements without building its AST.

``ast.parse`` of ``a+a+a+...`` costs about 220 bytes of memory per byte of source (1.7 GB
for a 7.8 MB file); this reads the same imports in one pass of the lexer (``lexers.py``)
with memory for the imports it finds and the open ``try`` and ``if`` blocks.

Statements are cut where Python cuts them: at a line break outside brackets (a backslash
before it continues the line), at ``;``, and after the ``:`` that ends a compound
statement's header (``try: import x`` holds a statement of its own). A statement's
indentation says which blocks hold it. What counts is what the former AST visitor counted:

- ``import a.b`` and ``from a.b import c`` (absolute only), at any depth of statements;
- under ``try:`` whose handlers catch ``ImportError``, ``ModuleNotFoundError``,
  ``Exception`` or ``BaseException`` (or everything), imports are optional;
- under ``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``), imports do not count.

IPython lines (``%magic``, ``!shell``, ``?help``) are blanks, and a source whose first line
is a cell magic (``%%bash``) is not Python. A source that is not valid Python still has its
import statements read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .lexers import syntax_named, tokens

__all__ = ["MAX_IMPORTS", "Imports", "imports_in"]

_MAGIC = re.compile(r"^[^\S\n]*[%!?][^\n]*", re.MULTILINE)
_CELL_MAGIC = re.compile(r"[^\S\n]*%%")
_START = re.compile(r"[^\s]")
_INLINE = re.compile(r"[^\S\n]*(?:(import|from)\b)?")
_WORD = re.compile(r"[A-Za-z_]\w*")
# What cuts statements and tells their depth in brackets; runs of one kind are one match.
_STRUCTURE = re.compile(r"\\\r?\n|\n+|[(\[{]+|[)\]}]+|;|:(?!=)")
_COMPOUND = frozenset(
    {"if", "elif", "else", "try", "except", "finally", "for", "while", "with", "def", "class"}
    | {"async", "match", "case"}
)
_OPTIONAL_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_TYPE_CHECKING = re.compile(r"(?:[A-Za-z_]\w* ?\. ?)*TYPE_CHECKING")
_SPACES = re.compile(r"\s+|\\\r?\n")
_COMMENT = re.compile(r"#[^\n]*")  # no strings in import statements or handler types
_AS_NAME = re.compile(r"\bas\s+\w+\s*\Z")
_SPACE = r"(?:\s|\\\r?\n)"  # white space, and a backslash that continues the line
_NAME = rf"[A-Za-z_]\w*(?:{_SPACE}*\.{_SPACE}*[A-Za-z_]\w*)*"  # a dotted name, spaced or not
_FROM = re.compile(rf"from{_SPACE}+({_NAME}){_SPACE}+import\b")
_PARTS = re.compile(r"[^,()]+")
_IMPORT_PART = re.compile(rf"{_SPACE}*({_NAME})(?:{_SPACE}+as{_SPACE}+\w+)?{_SPACE}*")
MAX_IMPORTS = 10_000  # import statements read in one source; past them, a note


@dataclass(frozen=True, slots=True)
class _Statement:
    start: int
    line: int
    indent: float  # columns; a statement after a header's ":" on its line: the header's + 0.5
    keyword: str  # the first word ("" when it does not start with a name)
    colon: int  # where a compound statement's header ends (its ":"), else -1
    end: int


def _indent(code: str, start: int) -> float:
    line_start = code.rfind("\n", 0, start) + 1
    return float(len(code[line_start:start].expandtabs(8)))


def _code_spans(code: str) -> Iterator[tuple[int, int]]:
    """The stretches of code between comments and strings, and the first character of each
    string (a string can start a statement): where statements are cut and begin."""
    position = 0
    for token in tokens(code, syntax_named("python")):
        yield position, token.start
        if token.kind == "string":
            yield token.start, token.start + 1
        position = token.end
    yield position, len(code)


def _statements(code: str) -> Iterator[_Statement]:
    """The statements of the (magic-blanked) code that can matter, in order: every one that
    starts a line, and imports after ``;`` or a header's ``:`` (nothing else can stand
    there that says which blocks hold an import)."""
    depth, line, counted = 0, 1, 0
    pending, logical, inline_indent = True, True, 0.0
    current: list = []  # [start, line, indent, keyword, colon] of the statement read now
    for position, stop in _code_spans(code):
        while position < stop:
            if pending and logical:
                found = _START.search(code, position, stop)
                if found is None:
                    break
                start = found.start()
                if code[start] == "\\":  # a backslash on a blank line: keep looking
                    position = start + 1
                    continue
                line += code.count("\n", counted, start)
                counted = start
                word = _WORD.match(code, start)
                current = [start, line, _indent(code, start), word.group() if word else "", -1]
                pending, position = False, start
            elif pending:  # after ";" or a header's ":" on the same line
                found = _INLINE.match(code, position, stop)
                position = found.end()  # type: ignore[union-attr]
                if found.group(1):  # type: ignore[union-attr]
                    line += code.count("\n", counted, found.start(1))  # type: ignore[union-attr]
                    counted = found.start(1)  # type: ignore[union-attr]
                    current = [counted, line, inline_indent, found.group(1), -1]  # type: ignore[union-attr]
                elif position >= stop:
                    break  # only spaces so far
                pending = False
            found = _STRUCTURE.search(code, position, stop)
            if found is None:
                break
            mark = found.group()
            position = found.end()
            first = mark[0]
            if first in "([{":
                depth += len(mark)
                continue
            if first in ")]}":
                depth = max(0, depth - len(mark))
                continue
            if depth or first == "\\":
                continue
            if first == ":" and not (current and current[3] in _COMPOUND and current[4] < 0):
                continue
            end = found.start()
            if first == ":":
                current[4], end = end, found.end()
            if current:
                yield _Statement(*current, end)
                indent = current[2]
            else:
                indent = inline_indent
            current = []
            pending = True
            logical = first == "\n"
            inline_indent = indent + 0.5 if first == ":" else indent
    if current:
        yield _Statement(*current, len(code))


def _catches_import_error(code: str, header: _Statement) -> bool:
    """Whether an ``except`` header catches what a failed import raises: bare, or a name
    (or a tuple of names) ending in one of ``_OPTIONAL_ERRORS``."""
    start, stop = header.start + len(header.keyword), header.colon
    if stop - start > 4096:  # no handler is written so: any such name in it counts
        return any(
            match.group().rsplit(".", 1)[-1] in _OPTIONAL_ERRORS
            for match in _DOTTED.finditer(code, start, stop)
        )
    text = _COMMENT.sub("", code[start:stop]).strip()
    named = _AS_NAME.search(text)
    text = (text[: named.start()] if named else text).strip().lstrip("*").strip()
    if not text:
        return True
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return any(
        _DOTTED.fullmatch(name) is not None and name.rsplit(".", 1)[-1] in _OPTIONAL_ERRORS
        for name in (part.strip() for part in text.split(","))
    )


def _is_type_checking(code: str, header: _Statement) -> bool:
    """Whether an ``if`` or ``elif`` tests ``TYPE_CHECKING`` (a name or an attribute)."""
    start, end = header.start + len(header.keyword), header.colon
    if end - start > 512:
        return False
    test = _SPACES.sub(" ", code[start:end]).strip()
    while test.startswith("(") and test.endswith(")"):
        test = test[1:-1].strip()
    return _TYPE_CHECKING.fullmatch(test) is not None


def _imported(code: str, statement: _Statement) -> Iterator[str]:
    """The absolute modules an ``import`` or ``from`` statement names, read in place (a
    statement may be megabytes long: nothing of it is copied whole)."""
    start, end = statement.start, statement.end
    if statement.keyword == "from":
        found = _FROM.match(code, start, end)
        if found is not None:
            yield _SPACES.sub("", found.group(1))
        return
    comment = code.find("#", start, end)  # no string stands in an import: "#" is a comment
    for part in _PARTS.finditer(code, start + len("import"), end if comment < 0 else comment):
        found = _IMPORT_PART.fullmatch(part.group())
        if found is not None:
            yield _SPACES.sub("", found.group(1))


@dataclass
class _Block:
    """An open ``try`` (imports under it wait for its handlers) or a skipped ``if``."""

    indent: float
    kind: str  # "try" or "skip"
    catches: bool = False
    in_body: bool = True
    body: list[tuple[str, int, int]] = field(default_factory=list)
    body_optional: set[str] = field(default_factory=set)
    rest: list[tuple[str, int, int]] = field(default_factory=list)
    rest_optional: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Imports:
    found: list[
        tuple[str, int, int]
    ]  # (module, line, offset) of the imports that must succeed, in order
    optional: set[str]  # top-level names imported only where a failure is caught
    stopped: int | None = None  # the line where reading stopped at ``MAX_IMPORTS``


def imports_in(code: str) -> Imports:
    """The imports of a Python source (at most ``MAX_IMPORTS`` of them)."""
    if _CELL_MAGIC.match(code):
        return Imports([], set())
    if _MAGIC.search(code):
        code = _MAGIC.sub(lambda match: " " * len(match.group()), code)
    found: list[tuple[str, int, int]] = []
    optional: set[str] = set()
    stack: list[_Block] = []
    read, stopped = 0, None

    def sink() -> tuple[list[tuple[str, int, int]], set[str]]:
        for block in reversed(stack):
            if block.kind == "try":
                return (
                    (block.body, block.body_optional)
                    if block.in_body
                    else (
                        block.rest,
                        block.rest_optional,
                    )
                )
        return found, optional

    def finish(block: _Block) -> None:
        names, names_optional = sink()
        if block.catches:
            names_optional.update(item[0].split(".")[0] for item in block.body)
        else:
            names.extend(block.body)
        names_optional.update(block.body_optional)
        names.extend(block.rest)
        names_optional.update(block.rest_optional)

    for statement in _statements(code):
        keyword, indent = statement.keyword, statement.indent
        while stack:
            top = stack[-1]
            continues = indent == top.indent and (
                (top.kind == "try" and keyword in ("except", "else", "finally"))
                or (top.kind == "skip" and keyword in ("elif", "else"))
            )
            if indent > top.indent or continues:
                break
            stack.pop()
            if top.kind == "try":
                finish(top)
        if stack and stack[-1].kind == "skip" and indent > stack[-1].indent:
            continue  # under "if TYPE_CHECKING:": does not count
        top = stack[-1] if stack else None
        if top is not None and top.kind == "skip" and indent == top.indent:
            stack.pop()  # its "elif" or "else": the skipped body is over
            top = stack[-1] if stack else None
        if keyword in ("import", "from"):
            names, _optional = sink()
            for module in _imported(code, statement):
                names.append((module, statement.line, statement.start))
                read += 1
                if read >= MAX_IMPORTS:
                    break
            if read >= MAX_IMPORTS:
                stopped = statement.line
                break
        elif keyword == "try" and statement.colon >= 0:
            stack.append(_Block(indent, "try"))
        elif top is not None and top.kind == "try" and indent == top.indent:
            if keyword == "except" and statement.colon >= 0:
                top.catches = top.catches or _catches_import_error(code, statement)
            top.in_body = False
        if (
            keyword in ("if", "elif")
            and statement.colon >= 0
            and _is_type_checking(code, statement)
        ):
            stack.append(_Block(indent, "skip"))
    while stack:
        top = stack.pop()
        if top.kind == "try":
            finish(top)
    return Imports(found, optional, stopped)
