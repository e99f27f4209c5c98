"""Nothing in a scanned file is skipped silently, and its syntax is read the way its
language reads it: suppressions in comments only, with one grammar and a note for what is
not one; files past the content cap checked in windows; archives listed within a bound;
imports, comments and strings found by one pass of a lexer that agrees with the former
expressions, Python's own tokenizer and its AST; ignore patterns matched byte by byte as
git matches them. (What each costs per byte: test_bounds.py.)

Every tree is generated under ``tmp_path``; each fixture states what it must give.
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import tarfile
import time
import tokenize
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens.checks import CheckSettings, check, streaming
from repolens.checks import environment as environment_module
from repolens.checks.archives import list_members
from repolens.checks.lexers import syntax_named, tokens
from repolens.checks.python_imports import imports_in
from repolens.core import safeio
from repolens.scanning.options import CONTENT_LIMIT, ContentStream, ScanOptions

from .conftest import PYTHON, REPO, make_tree, notebook_json, python_env

AWS_KEY = "AKIA" + "Z7Q4XK3MPLW2R9TB"  # made up: split so no scanner flags this file
SECRETS = CheckSettings(select=("SE",))
PATHS = CheckSettings(select=("PA",))
HAS_GIT = shutil.which("git") is not None


def found(root: Path, settings: CheckSettings = SECRETS):  # type: ignore[no-untyped-def]
    outcome = check(root, settings=settings)
    return [(item.path, item.line, item.check) for item in outcome.findings], outcome.problems


# --- suppressions: one grammar, in comments only ---------------------------------------

# A comment after a line holding a key: (comment, suppressed, what the note says or None)
GRAMMAR = [
    ("# repolens: ignore", True, None),
    ("# repolens: ignore[SE001]", True, None),
    ("# repolens: ignore[PA001, SE001]", True, None),
    ("# repolens:ignore[SE001]", True, None),
    ("# repolens: ignore[ SE001 ] (a test key)", True, None),
    ("# repolens: ignore. The key is revoked.", True, None),
    ("# repolens: ignore[PA001]", False, None),  # another check: the finding stays, rightly
    ("# repolens: ignore[PA001", False, "'[' is not closed on its line"),
    ("# repolens: ignore[PA-001]", False, "'PA-001' is not a check id"),
    ("# repolens: ignored", False, "'repolens: ignored' is not 'repolens: ignore'"),
    ("# repolens: ignore-all", False, "'repolens: ignore-all' is not"),
    ("# repolens: ignore[XX999]", False, "no check is named XX999"),
    ("# repolens: ignore[]", False, "'ignore[]' names no check"),
    ("# repolens: ignore [SE001]", False, "a space between 'ignore' and '['"),
    ("# repolens: ignore[se001]", False, "'se001' is not a check id"),
    ("# repolens: ignore[SE001,]", False, "an empty id"),
    ("# repolens: ignore[SE]", False, "'SE' is not a check id"),
]


@pytest.mark.parametrize(("comment", "suppressed", "note"), GRAMMAR)
def test_suppressions_follow_one_exact_grammar(
    tmp_path: Path, comment: str, suppressed: bool, note: str | None
) -> None:
    root = make_tree(tmp_path, {"a.py": f"x = 1\nKEY = '{AWS_KEY}'  {comment}\n"})
    findings, problems = found(root)
    assert findings == ([] if suppressed else [("a.py", 2, "SE001")])
    if note is None:
        assert problems == ()
    else:
        assert len(problems) == 1
        assert problems[0].startswith(f"a.py:2: not a suppression: {note}")


@pytest.mark.parametrize(
    "line",
    [
        f"KEY = '{AWS_KEY}'; NOTE = 'repolens: ignore'",
        f"KEY = '{AWS_KEY}'; NOTE = \"# repolens: ignore[SE001]\"",
        f"KEY = '{AWS_KEY}' + '''repolens: ignore'''",
    ],
)
def test_repolens_ignore_inside_a_string_literal_is_not_a_suppression(
    tmp_path: Path, line: str
) -> None:
    root = make_tree(tmp_path, {"a.py": line + "\n"})
    findings, problems = found(root)
    assert findings == [("a.py", 1, "SE001")]
    assert problems == ("a.py:1: not a suppression: 'repolens: ignore' is not in a comment",)


@pytest.mark.parametrize(
    ("name", "text", "suppressed"),
    [
        ("a.c", f'char *k = "{AWS_KEY}"; /* repolens: ignore[SE001] */\n', True),
        ("a.c", f'char *k = "{AWS_KEY}"; // repolens: ignore\n', True),
        ("a.c", f'char *k = "{AWS_KEY} // repolens: ignore";\n', False),
        ("a.yaml", f"token: {AWS_KEY}  # repolens: ignore[SE001]\n", True),
        ("a.yaml", f"token: '{AWS_KEY} # repolens: ignore'\n", False),
        ("a.sh", f'export K="{AWS_KEY}" # repolens: ignore[SE001]\r\n', True),
        ("notes.md", f"The key {AWS_KEY} <!-- repolens: ignore[SE001] -->\n", True),
        ("notes.md", f"The key {AWS_KEY} # repolens: ignore[SE001]\n", False),
        ("a.py", f"KEY = '{AWS_KEY}'\t#\trepolens: ignore[SE001]\r\n", True),
    ],
)
def test_each_language_suppresses_in_its_own_comments(
    tmp_path: Path, name: str, text: str, suppressed: bool
) -> None:
    root = make_tree(tmp_path, {name: text})
    findings, _problems = found(root)
    assert findings == ([] if suppressed else [(name, 1, "SE001")])


def test_a_file_without_comments_cannot_suppress_and_says_so(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"data.csv": "path\nC:\\frames\\1.png,repolens: ignore\n"})
    findings, problems = found(root, PATHS)
    assert findings == [("data.csv", 2, "PA001")]
    assert problems == (
        "data.csv:2: not a suppression: 'repolens: ignore' cannot suppress here: this kind "
        "of file has no comments (per-file-ignores in the settings can)",
    )


def test_notebook_cells_suppress_in_their_own_comments(tmp_path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": f"K1 = '{AWS_KEY}'  # repolens: ignore[SE001]\nK2 = '{AWS_KEY}'",
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [],
            "source": f"K3 = '{AWS_KEY}'; s = '# repolens: ignore'",
        },
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": f"Key {AWS_KEY} <!-- repolens: ignore -->\n\nKey {AWS_KEY}",
        },
    ]
    root = make_tree(tmp_path, {"nb.ipynb": notebook_json(cells)})
    outcome = check(root, settings=SECRETS)
    assert [(item.cell, item.line) for item in outcome.findings] == [(0, 2), (1, 1), (2, 3)]
    assert outcome.problems == (
        "nb.ipynb, cell 2, line 1: not a suppression: 'repolens: ignore' is not in a comment",
    )


def test_many_malformed_suppressions_make_a_few_notes_and_a_count(tmp_path: Path) -> None:
    lines = "".join(f"K{n} = '{AWS_KEY}'  # repolens: ignore[SE00{n}\n" for n in range(9))
    root = make_tree(tmp_path, {"a.py": lines})
    findings, problems = found(root)
    assert len(findings) == 9
    assert len(problems) == 6
    assert problems[-1] == "a.py: 4 more comments that are not suppressions"


def test_a_malformed_suppression_is_noted_even_where_nothing_is_found(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"clean.py": "x = 1  # repolens: ignore[PA-001]\n"})
    assert found(root, PATHS) == (
        [],
        ("clean.py:1: not a suppression: 'PA-001' is not a check id (ids look like PA001)",),
    )


# --- PA001 on the variants of the attack's inputs -----------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # other drive letters, both slashes, CRLF and tabs
        ("data.csv", "a\r\n=D:\\x\r\n=z:/y\r\n", [("data.csv", 2, "2 absolute paths")]),
        ("data.tsv", "a\tb\n1\tQ:\\frames\\1.png\n", [("data.tsv", 2, "1 absolute path")]),
        (
            "x.py",
            "A = 'E:\\\\data'\r\nB = r'\\\\srv\\share'\r\n",
            [("x.py", 1, "'E:\\data'"), ("x.py", 2, "'\\\\srv\\share'")],  # as Python reads them
        ),
        # a very long single line: one finding per path in code, up to the cap
        (
            "x.c",
            'char *p = "/home/u/x"; ' + "int a; " * 200_000 + '"/mnt/d/y"\n',
            [("x.c", 1, "/home/u/x"), ("x.c", 1, "/mnt/d/y")],
        ),
        # an unclosed comment hides what follows it; what comes before still counts
        (
            "x.c",
            'char *p = "/home/u/x";\n/* ' + "/* " * 100_000 + '"/mnt/d/y"\n',
            [("x.c", 1, "/home/u/x")],
        ),
        # strings that never close do not hide the paths after them (a space before the
        # line break: a backslash there would continue the literal onto the next line)
        ("x.c", '"\\' * 100_000 + ' \nchar *p = "/home/u/x";\n', [("x.c", 2, "/home/u/x")]),
        # a NUL past the sniffed head: still text, still read
        ("x.py", "x = 1\n" * 2000 + "A = '/home/u/x'\0\n", [("x.py", 2001, "/home/u/x")]),
        # brackets nested deeper than any parser's stack
        ("x.py", "x = " + "(" * 100_000 + "\nP = '/Users/u/x'\n", [("x.py", 2, "/Users/u/x")]),
    ],
)
def test_absolute_paths_in_the_variants_of_the_attack(
    tmp_path: Path, name: str, text: str, expected: list[tuple[str, int, str]]
) -> None:
    root = make_tree(tmp_path, {name: text.encode("utf-8")})
    outcome = check(root, settings=PATHS)
    assert outcome.problems == ()
    got = [(item.path, item.line, item.message) for item in outcome.findings]
    assert len(got) == len(expected)
    for (path, line, message), (want_path, want_line, part) in zip(got, expected, strict=True):
        assert (path, line) == (want_path, want_line) and part in message, (got, expected)


# --- the lexer agrees with the former expressions and with Python's tokenizer -------------

FORMER = {  # the expressions the lexer replaces: the reference for what counts as what
    "c": re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""", re.DOTALL),
    "hash": re.compile(r"""#[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'"""),
}


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["/", "*", '"', "'", "\\", "\n", "a", " ", "#"]), max_size=24
    ).map("".join),
    syntax=st.sampled_from(["c", "hash"]),
)
def test_the_lexer_finds_what_the_former_expressions_found(text: str, syntax: str) -> None:
    former = [
        ("comment" if match.group()[0] in "/#" else "string", match.start(), match.end())
        for match in FORMER[syntax].finditer(text)
    ]
    now = [(token.kind, token.start, token.end) for token in tokens(text, syntax_named(syntax))]
    last = now[-1][1] if now else 0
    if now and text.startswith("/*", last) and "*/" not in text[last + 2 :]:
        # A '/*' never closed is a comment to the end now; it was no comment before.
        assert now[-1][2] == len(text)
        former = [token for token in former if token[1] < now[-1][1]]
        now = now[:-1]
    assert now == former


def _python_files() -> list[Path]:
    return sorted((REPO / "lib").rglob("*.py")) + sorted((REPO / "tests").rglob("*.py"))


def test_the_python_lexer_agrees_with_tokenize_on_this_repository() -> None:
    python = syntax_named("python")
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        starts = [0]
        for line in text.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        expected = []
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.STRING, tokenize.COMMENT):
                start = starts[token.start[0] - 1] + token.start[1]
                end = starts[token.end[0] - 1] + token.end[1]
                if token.type == tokenize.STRING:  # tokenize starts at the prefix (r, b, f)
                    start += len(token.string) - len(token.string.lstrip("rRbBuUfF"))
                expected.append(
                    ("string" if token.type == tokenize.STRING else "comment", start, end)
                )
        got = [(token.kind, token.start, token.end) for token in tokens(text, python)]
        assert got == expected, path


# --- imports: what the former AST visitor found, without an AST --------------------------


class FormerImports(ast.NodeVisitor):
    """The AST visitor import discovery used before (the oracle)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, int]] = []
        self.optional: set[str] = set()

    def generic_visit(self, node: ast.AST) -> None:
        for field in ("body", "handlers", "orelse", "finalbody", "cases"):
            children = getattr(node, field, None)
            if type(children) is list:
                for child in children:
                    if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                        self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.extend((alias.name, node.lineno) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.found.append((node.module, node.lineno))

    def visit_Try(self, node: ast.Try) -> None:
        errors = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}

        def catches(handler: ast.ExceptHandler) -> bool:
            if handler.type is None:
                return True
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            return any(
                (item.id if isinstance(item, ast.Name) else getattr(item, "attr", "")) in errors
                for item in kinds
            )

        if any(catches(handler) for handler in node.handlers):
            guarded = FormerImports()
            for child in node.body:
                guarded.visit(child)
            self.optional.update(name.split(".")[0] for name, _ in guarded.found)
            self.optional.update(guarded.optional)
        else:
            for child in node.body:
                self.visit(child)
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name != "TYPE_CHECKING":
            for child in node.body:
                self.visit(child)
        for child in node.orelse:
            self.visit(child)


def former_imports(code: str) -> tuple[list[tuple[str, int]], set[str]]:
    visitor = FormerImports()
    visitor.visit(ast.parse(code))
    return sorted(visitor.found), visitor.optional


def now_imports(code: str) -> tuple[list[tuple[str, int]], set[str]]:
    found = imports_in(code)
    return sorted((name, line) for name, line, _offset in found.found), found.optional


def test_imports_are_what_the_ast_visitor_found_on_this_repository() -> None:
    for path in _python_files():
        code = path.read_text(encoding="utf-8")
        assert now_imports(code) == former_imports(code), path


STATEMENTS = st.sampled_from(
    [
        "import a",
        "import a.b as c, d",
        "from e.f import (g,\n    h)",
        "from . import x",
        "from .i import j",
        "x = 1",
        "s = 'import k'",
        'd = """\nimport l\n"""',
        "# import m",
        "import n; import o",
        "y = (1,\n 2)",
        "z = 3 \\\n  + 4",
        "pass",
        "import p  # q",
        "from r import *",
        "lambda: 0",
        "t: int = 5",
        "print('x: y')",
    ]
)


@st.composite
def programs(draw: st.DrawFn, depth: int = 0) -> list[str]:
    """Valid Python: simple statements and compound ones (try, if, def, with, for) with
    their bodies indented, or inline after the header's colon."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(["simple", "simple", "try", "if", "block"] if depth < 3 else ["simple"])
        )
        if kind == "simple":
            lines += draw(STATEMENTS).split("\n")
            continue
        if kind == "try":
            handler = draw(
                st.sampled_from(
                    [
                        "except ImportError:",
                        "except (ValueError, ModuleNotFoundError) as e:",
                        "except ValueError:",
                        "except:",
                        "except Exception:",
                        "finally:",
                    ]
                )
            )
            parts = [("try:", draw(programs(depth + 1))), (handler, draw(programs(depth + 1)))]
            if handler != "finally:" and draw(st.booleans()):
                parts.append(("else:", draw(programs(depth + 1))))
        elif kind == "if":
            test = draw(
                st.sampled_from(["TYPE_CHECKING", "typing.TYPE_CHECKING", "x", "not TYPE_CHECKING"])
            )
            parts = [(f"if {test}:", draw(programs(depth + 1)))]
            if draw(st.booleans()):
                parts.append(("elif TYPE_CHECKING:", draw(programs(depth + 1))))
            if draw(st.booleans()):
                parts.append(("else:", draw(programs(depth + 1))))
        else:
            parts = [
                (
                    draw(st.sampled_from(["def f():", "with w:", "for i in j:", "class A:"])),
                    draw(programs(depth + 1)),
                )
            ]
        for header, body in parts:
            if len(body) == 1 and "\n" not in body[0] and draw(st.booleans()):
                lines.append(f"{header} {body[0].strip()}")  # the body inline
            else:
                lines.append(header)
                lines += ["    " + line if line else line for line in body]
    return lines


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=programs())
def test_imports_are_what_the_ast_visitor_found_on_generated_programs(lines: list[str]) -> None:
    code = "\n".join(lines) + "\n"
    try:
        expected = former_imports(code)
    except SyntaxError:
        return  # an inline body that Python does not take (a compound statement after ':')
    assert now_imports(code) == expected, code


def test_imports_of_huge_expressions_cost_no_syntax_tree(tmp_path: Path) -> None:
    code = "import numpy\nx = " + "a+" * 2_000_000 + "a\n" + "import scipy\n"
    found = imports_in(code)
    assert [(name, line) for name, line, _offset in found.found] == [("numpy", 1), ("scipy", 3)]


# --- files past the content cap: read in windows, never skipped silently -----------------

BIG = CONTENT_LIMIT + (1 << 20)  # 9 MiB: past the cap, checked in windows of 1 MiB


def filler(size: int, line: str = "x = 1\n") -> str:
    return line * (size // len(line))


def test_a_secret_in_a_9_mib_python_file_is_found_and_the_unread_part_named(
    tmp_path: Path,
) -> None:
    body = filler(BIG)
    root = make_tree(tmp_path, {"big.py": body + f"KEY = '{AWS_KEY}'\nimport torch\n"})
    outcome = check(root, settings=CheckSettings(select=("SE", "PA")))
    key_line = body.count("\n") + 1
    assert [(item.path, item.line, item.check) for item in outcome.findings] == [
        ("big.py", key_line, "SE001")
    ]
    assert outcome.problems == (
        f"big.py: {(root / 'big.py').stat().st_size:,} bytes, over the 8 MiB content limit: "
        "checked for secrets and paths in pieces; imports not read",
    )


def test_a_line_that_straddles_two_blocks_is_read_whole(tmp_path: Path) -> None:
    head = filler((1 << 20) - 10, "a" * 63 + "\n")  # the key starts 10 bytes before 1 MiB
    body = head + f"token = '{AWS_KEY}'\n" + filler(BIG, "b" * 63 + "\n")
    root = make_tree(tmp_path, {"conf.yaml": body})
    findings, _problems = found(root)
    assert findings == [("conf.yaml", head.count("\n") + 1, "SE001")]


def test_one_line_of_9_mib_is_read_in_overlapping_pieces(tmp_path: Path) -> None:
    other = "ASIA" + AWS_KEY[4:]  # a second key: one finding each (the same twice is one)
    text = "y" * ((2 << 20) - 5) + f" {AWS_KEY} " + "z" * BIG + f" {other}"
    root = make_tree(tmp_path, {"one.txt": text})
    outcome = check(root, settings=SECRETS)
    assert sorted(item.evidence for item in outcome.findings) == [
        "AKIA…(20 characters)",
        "ASIA…(20 characters)",
    ]
    assert {item.line for item in outcome.findings} == {1}


def test_a_big_csv_gets_one_finding_with_the_count_of_all_its_paths(tmp_path: Path) -> None:
    text = (
        "a,b\n"
        + filler(BIG, "1,2\n")
        + "C:\\x\\1.png,3\n" * 3
        + filler(1 << 20, "\\\\srv\\s,4\n")  # 10 characters a line
    )
    root = make_tree(tmp_path, {"log.csv": text})
    outcome = check(root, settings=PATHS)
    (only,) = outcome.findings
    first = 1 + 1 + BIG // 4
    assert only.line == first
    assert only.message.startswith(f"{3 + (1 << 20) // 10:,} absolute paths in this data file")


def test_a_comment_open_across_windows_is_still_a_comment(tmp_path: Path) -> None:
    text = (
        'char *a = "/home/a/x";\n/*\n'
        + filler(BIG, "int x;\n")
        + '"/home/b/in_comment" */ char *c = "/home/c/x";\n'
    )
    root = make_tree(tmp_path, {"big.c": text})
    outcome = check(root, settings=PATHS)
    assert [item.message.split("'")[1] for item in outcome.findings] == ["/home/a/x", "/home/c/x"]


def test_suppressions_hold_in_a_file_past_the_cap(tmp_path: Path) -> None:
    text = (
        filler(BIG)
        + f"K = '{AWS_KEY}'  # repolens: ignore[SE001]\nJ = '{AWS_KEY}'  # repolens: ignore[S]\n"
    )
    root = make_tree(tmp_path, {"big.py": text})
    outcome = check(root, settings=SECRETS)
    assert [item.line for item in outcome.findings] == [BIG // 6 + 2]
    assert f"big.py:{BIG // 6 + 2}: not a suppression: 'S' is not a check id" in outcome.problems[0]


def test_the_windows_cover_the_text_once_whatever_the_block_boundaries() -> None:
    text = ("ab\n" * 500_000) + "c" * 3_000_000 + "\n" + "d\n" * 10
    blocks = [text.encode()[index : index + 777_777] for index in range(0, len(text), 777_777)]
    windows = list(streaming.windows(blocks, "utf-8"))
    counted = "".join(window.text[window.start : window.end] for window in windows)
    assert counted == text
    assert all(
        len(window.text) <= streaming.WINDOW + streaming.OVERLAP + 777_777 for window in windows
    )
    position = 0
    for window in windows:  # each window's line number is that of its first character
        assert window.line == 1 + text.count("\n", 0, position - window.start)
        assert text[position - window.start : position] == window.text[: window.start]
        position += window.end - window.start


def test_a_file_that_is_no_longer_regular_is_not_read_past_the_cap(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    stream = ContentStream(str(tmp_path / "pipe.py"), BIG)
    started = time.monotonic()
    with pytest.raises(safeio.NotRegularFile):
        list(stream.blocks())
    assert time.monotonic() - started < 5  # never waits for a writer


def test_a_notebook_over_the_counting_limit_is_named_in_a_note(tmp_path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": f"K = '{AWS_KEY}'\n" + "x = 1\n" * 50_000,
        }
    ]
    root = make_tree(tmp_path, {"nb.ipynb": notebook_json(cells)})
    outcome = check(root, ScanOptions(max_count_bytes=100_000), SECRETS)
    assert outcome.findings == ()
    assert len(outcome.problems) == 1
    assert outcome.problems[0].startswith("nb.ipynb: not checked: a notebook of ")


def test_a_cell_over_the_cell_limit_is_not_read_for_imports_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(environment_module, "CELL_LIMIT", 1000)
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": "import numpy\n",
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [],
            "source": "import torch\n" + f"K = '{AWS_KEY}'\n" + "x = 1\n" * 300,
        },
    ]
    root = make_tree(tmp_path, {"nb.ipynb": notebook_json(cells), "requirements.txt": "numpy==1\n"})
    outcome = check(root, settings=CheckSettings(select=("SE", "EN")))
    assert [(item.check, item.cell) for item in outcome.findings] == [("SE001", 1)]
    assert outcome.problems == (
        f"nb.ipynb, cell 2: not read for imports: {len(cells[1]['source']):,} characters, over "
        "the 1,000-character cell limit",
    )


# --- archives: listed as zipfile and tarfile list them, never past a bound ------------------


def _tar(path: Path, mode: str) -> None:
    with tarfile.open(path, mode) as archive:
        for index in range(40):
            data = b"y" * index
            info = tarfile.TarInfo(f"d{index % 3}/" + "n" * (index * 4) + ".txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("folder")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)


def _zip(path: Path, prefix: bytes = b"", comment: bytes = b"") -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(30):
            archive.writestr(f"é/{index}.txt" if index % 4 else f"d{index}/", b"x" * index)
        archive.comment = comment
    if prefix:
        path.write_bytes(prefix + path.read_bytes())


ARCHIVES = {
    "a.zip": lambda path: _zip(path),
    "sfx.zip": lambda path: _zip(path, prefix=b"MZ" + b"\0" * 5000),
    "comment.zip": lambda path: _zip(path, comment=b"a comment after the end record" * 3),
    "a.tar": lambda path: _tar(path, "w"),
    "a.tar.gz": lambda path: _tar(path, "w:gz"),
    "a.tar.bz2": lambda path: _tar(path, "w:bz2"),
    "a.tar.xz": lambda path: _tar(path, "w:xz"),
}


@pytest.mark.parametrize("name", list(ARCHIVES))
def test_archives_are_listed_as_zipfile_and_tarfile_list_them(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    ARCHIVES[name](path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            expected = [item for item in archive.namelist() if not item.endswith("/")]
    else:
        with tarfile.open(path) as archive:
            expected = [member.name for member in archive if member.isfile()]
    listing = list_members(str(path))
    assert listing is not None and list(listing.names) == expected and listing.stopped == ""
    assert len(expected) in (22, 40)


@pytest.mark.parametrize("kind", ["text", "fifo", "link to /dev/zero", "empty", "truncated zip"])
def test_what_is_no_archive_lists_nothing_and_never_blocks(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.tar.gz"
    if kind == "text":
        path.write_text("not an archive\n" * 100)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        _zip(tmp_path / "a.zip")
        path.write_bytes((tmp_path / "a.zip").read_bytes()[:-30])
    started = time.monotonic()
    assert list_members(str(path)) is None
    assert time.monotonic() - started < 5


def test_an_archive_listed_in_part_is_judged_on_that_part_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.checks import archives

    monkeypatch.setattr(archives, "MAX_MEMBERS", 5)
    root = tmp_path / "tree"
    _zip(tmp_path / "frames.zip")
    make_tree(root, {f"é/{index}.txt": "x" * index for index in range(1, 30) if index % 4})
    (root / "frames.zip").write_bytes((tmp_path / "frames.zip").read_bytes())
    outcome = check(root, settings=CheckSettings(select=("DU002",)))
    assert [item.message for item in outcome.findings] == [
        "5 of its 5 files also lie unpacked in ./."
    ]
    assert outcome.problems == ("frames.zip: compared by the first 5 names only",)


# --- ignore patterns: git's bytes, in linear time ----------------------------------------

needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


def _git_listing(root: Path) -> set[str]:
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    return {os.fsdecode(name) for name in out.split(b"\0") if name}


@needs_git
@pytest.mark.parametrize(
    "pattern",
    ["a?b", "c[é]d", "e[!x]f", "x?y", "[[:alpha:]]?z", "**/a/**/a/**/b", "a/**/*?/b"],
)
def test_ignore_patterns_match_bytes_as_git_does(tmp_path: Path, pattern: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    names = [
        b"aeb",
        "aéb".encode(),
        "céd".encode(),
        b"cxd",
        "eéf".encode(),
        b"exf",
        b"eyf",
        b"x\xffy",
        b"xyy",
        "éz".encode(),
        b"qqz",
        b"a/a/b",
        b"a/x/a/y/b",
        b"a/b",
    ]
    for name in names:
        target = os.path.join(os.fsencode(root), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(b"x\n")
    (root / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
    walked = {record.path for record in check(root, settings=PATHS).scan.records}
    listed = {
        name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        for name in _git_listing(root)
    }
    assert walked == listed, pattern


def test_sixty_globstars_on_folders_sixty_deep_take_milliseconds(tmp_path: Path) -> None:
    from repolens.scanning.ignore import IgnoreRules

    rules = IgnoreRules.from_patterns(["**/" + "a/**/" * 60 + "b"])
    started = time.process_time()
    matched = [rules.ignored("/".join(["a"] * depth + ["c"]), False) for depth in range(1, 200)]
    assert not any(matched)
    assert rules.ignored("/".join(["a"] * 61 + ["b"]), False)
    assert time.process_time() - started < 2  # backtracking took minutes at depth 60


def test_a_pattern_past_the_length_cap_is_skipped_with_a_note_and_nothing_on_stderr() -> None:
    # In a process of its own: RE2 writes its errors to the process's stderr.
    code = (
        "from repolens.scanning.ignore import IgnoreRules\n"
        "notes = []\n"
        "rules = IgnoreRules.from_patterns(\n"
        "    ['**/a/' * 200_000 + 'b', '**/a/' * 13_000 + 'b', '*.log'], '', notes, '.gitignore'\n"
        ")\n"
        "print(len(notes), notes[0][:40], rules.ignored('x.log', False))\n"
        "print(rules.ignored('a/' * 13_000 + 'b', False), rules.ignored('a/' * 20 + 'b', False))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", code],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "1 .gitignore line 1: '**/a/**/a/**/a/**/a/ True",
        "True False",
    ]
