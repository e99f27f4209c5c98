"""Line counting: the engine adapter and the physical fallback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repolens.core.records import LineCounts
from repolens.scanning.counting import count_newlines, count_physical, count_with_engine

DATA = Path(__file__).parent / "data" / "lines"
HEADER = re.compile(r"(\d+) lines (\d+) code (\d+) comments (\d+) blanks")


def stated_counts(path: Path) -> tuple[int, LineCounts]:
    """A fixture states its own counts in its first lines: 'N lines C code K comments B blanks'."""
    for line in path.read_text().splitlines()[:3]:
        found = HEADER.search(line)
        if found:
            lines, code, comments, blanks = map(int, found.groups())
            return lines, LineCounts(code, comments, blanks)
    raise AssertionError(f"{path.name} states no counts")


FIXTURES = ["python.py", "c.c", "shell.sh", "rust.rs", "page.html", "guide.md"]


@pytest.mark.parametrize("name", FIXTURES)
def test_engine_matches_the_counts_each_fixture_states(name: str) -> None:
    path = DATA / name
    lines, expected = stated_counts(path)
    counted = count_with_engine([str(path)])
    _language, counts = counted[str(path)]
    assert counts == expected
    assert counts.lines == lines == len(path.read_text().splitlines())


@pytest.mark.parametrize("name", FIXTURES)
def test_embedded_languages_count_in_the_file_that_holds_them(name: str) -> None:
    """Doc comments in Rust, <script>/<style> in HTML, fenced code in Markdown: a file's
    lines never fall below its physical lines."""
    path = DATA / name
    counts = count_with_engine([str(path)])[str(path)][1]
    assert counts.lines == len(path.read_bytes().splitlines())


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("python.py", "Python"),
        ("c.c", "C"),
        ("shell.sh", "Shell"),
        ("README.md", "Markdown"),
        ("rust.rs", "Rust"),
        ("page.html", "HTML"),
    ],
)
def test_engine_names_the_language(name: str, language: str) -> None:
    path = str(DATA / name)
    assert count_with_engine([path])[path][0] == language


def test_docstrings_count_as_code(tmp_path: Path) -> None:
    source = tmp_path / "doc.py"
    source.write_text('def f():\n    """One.\n\n    Three.\n    """\n    return 1\n')
    counts = count_with_engine([str(source)])[str(source)][1]
    assert counts == LineCounts(code=6, comment=0, blank=0)


@pytest.mark.parametrize("name", ["data.csv", "unknown.xyz"])
def test_engine_leaves_out_formats_it_does_not_know(name: str) -> None:
    assert count_with_engine([str(DATA / name)]) == {}


def test_engine_counts_hidden_and_git_ignored_files_when_listed(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    paths = []
    for name in ("ignored.py", ".hidden.py", ".dir/inside.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("x = 1\n")
        paths.append(str(path))
    assert sorted(count_with_engine(paths)) == sorted(paths)


def test_engine_with_nothing_to_count() -> None:
    assert count_with_engine([]) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", LineCounts(0, 0, 0)),
        ("a\n", LineCounts(1, 0, 0)),
        ("a", LineCounts(1, 0, 0)),
        ("a\n\n  \nb\n", LineCounts(2, 0, 2)),
        ("a\r\nb\r\n", LineCounts(2, 0, 0)),
        ("\n", LineCounts(0, 0, 1)),
        ("a\x0cb\n", LineCounts(1, 0, 0)),  # a form feed does not end a line
    ],
)
def test_physical_counts(text: str, expected: LineCounts) -> None:
    assert count_physical(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"), [("data.csv", LineCounts(3, 0, 1)), ("unknown.xyz", LineCounts(2, 0, 1))]
)
def test_physical_counts_of_fixtures(name: str, expected: LineCounts) -> None:
    assert count_physical((DATA / name).read_text()) == expected


@given(st.text(alphabet=st.sampled_from("ab \t\n\r"), max_size=200))
def test_physical_lines_add_up_and_match_newlines(text: str) -> None:
    counts = count_physical(text)
    assert counts.code + counts.comment + counts.blank == counts.lines
    assert counts.lines == count_newlines([text.encode()])


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_newlines_do_not_depend_on_chunking(data: bytes, size: int) -> None:
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    expected = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert count_newlines(chunks) == expected
