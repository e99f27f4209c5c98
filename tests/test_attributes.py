"""``.gitattributes`` read by repolens: the ``filter`` of each path is what
``git check-attr`` says (git is the oracle, on trees generated here), and a file that is
a FIFO, a link or too large is not read, with a note.

Each case is a table: attribute files ({path: text}) and the paths asked about.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens.checks.assets import lfs_status
from repolens.scanning import attributes
from repolens.scanning.attributes import filters

from .conftest import make_tree

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
PATHS = [
    "model.pt",
    "a.bin",
    "b c.bin",
    "data/x.csv",
    "data/deep/y.csv",
    "data/deep/z.pt",
    "docs/readme.md",
    "docs/img/logo.png",
    "!bang.bin",
    "src/main.py",
]
CASES = {
    "plain": {".gitattributes": "*.pt filter=lfs diff=lfs merge=lfs -text\n"},
    "later line wins": {".gitattributes": "*.bin filter=lfs\na.bin filter=other\n"},
    "unset and unspecified": {
        ".gitattributes": "* filter=lfs\n*.md -filter\ndocs/** !filter\n",
    },
    "deeper file wins": {
        ".gitattributes": "*.csv filter=lfs\n",
        "data/deep/.gitattributes": "*.csv filter=none\n",
    },
    "info wins over the tree": {
        ".gitattributes": "*.pt filter=lfs\n",
        "$INFO": "model.pt filter=kept\n",
    },
    "anchored and globstar": {
        ".gitattributes": "/model.pt filter=lfs\ndata/**/*.pt filter=lfs\n**/img/* filter=lfs\n",
    },
    "relative to its folder": {"data/.gitattributes": "deep/*.csv filter=lfs\n/x.csv filter=lfs\n"},
    "folder patterns match no file": {".gitattributes": "data/ filter=lfs\ndocs filter=lfs\n"},
    "negative patterns are ignored": {".gitattributes": "*.bin filter=lfs\n!a.bin filter=no\n"},
    "quoted pattern": {".gitattributes": '"b c.bin" filter=lfs\n"\\041bang.bin" filter=lfs\n'},
    "macros": {
        ".gitattributes": "[attr]big filter=lfs -text\n[attr]huge big\n"
        "*.pt huge\n*.bin big\na.bin -big\n"
    },
    "macro unset wins over a lower set": {
        ".gitattributes": "[attr]big filter=lfs\n*.csv big\n",
        "data/.gitattributes": "x.csv -big\n",
    },
    "macros only at the top": {
        ".gitattributes": "*.csv mine\n",
        "data/.gitattributes": "[attr]mine filter=lfs\n",
    },
    "comments, blanks, tabs and CRLF": {
        ".gitattributes": "# *.pt filter=lfs\n\n\t*.pt\tfilter=lfs\r\n   *.png   filter=lfs  \n"
    },
    "set without a value": {".gitattributes": "*.pt filter\n"},
    "an overlong line is ignored": {
        ".gitattributes": "*.pt filter=lfs\n*.pt filter=other " + "x" * 2100 + "\n"
    },
}


def _repository(root: Path, files: dict[str, str]) -> Path:
    make_tree(root, {path: "data\n" for path in PATHS})
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True, env=ENV)
    for name, text in files.items():
        target = root / ".git" / "info" / "attributes" if name == "$INFO" else root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _git_says(root: Path, paths: list[str]) -> dict[str, object]:
    done = subprocess.run(
        ["git", "-C", str(root), "check-attr", "-z", "--stdin", "filter"],
        input="\0".join(paths).encode() + b"\0",
        capture_output=True,
        check=True,
        env=ENV,
    )
    fields = done.stdout.decode().split("\0")
    meaning = {"set": True, "unset": False, "unspecified": None}
    return {
        fields[i]: meaning.get(fields[i + 2], fields[i + 2]) for i in range(0, len(fields) - 2, 3)
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_filter_of_each_path_is_what_git_says(tmp_path: Path, case: str) -> None:
    root = _repository(tmp_path / "repo", CASES[case])
    problems: list[str] = []
    found = filters(str(root), str(root / ".git" / "info" / "attributes"), PATHS, problems)
    assert found == _git_says(root, PATHS)
    assert problems == []


GLOBS = st.sampled_from(
    ["*", "*.pt", "*.bin", "*.csv", "data/**", "**/deep/*", "/a.bin", "data", "x.csv", "deep/"]
)
STATES = st.sampled_from(["filter=lfs", "filter=no", "-filter", "!filter", "filter", "big", "-big"])
LINES = st.lists(st.tuples(GLOBS, STATES).map(" ".join), max_size=6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(top=LINES, data=LINES, deep=LINES)
def test_generated_attribute_files_agree_with_git(
    tmp_path_factory: pytest.TempPathFactory, top: list[str], data: list[str], deep: list[str]
) -> None:
    files = {
        ".gitattributes": "[attr]big filter=lfs\n" + "\n".join(top) + "\n",
        "data/.gitattributes": "\n".join(data) + "\n",
        "data/deep/.gitattributes": "\n".join(deep) + "\n",
    }
    root = _repository(tmp_path_factory.mktemp("gen") / "repo", files)
    found = filters(str(root), None, PATHS, [])
    assert found == _git_says(root, PATHS), files


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large"])
def test_an_attributes_file_that_is_not_a_small_regular_file_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    root = _repository(tmp_path / "repo", {"data/.gitattributes": "*.csv filter=lfs\n"})
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=ENV)
    target = root / ".gitattributes"
    if kind == "fifo":
        os.mkfifo(target)
        reason = "a FIFO"
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
        reason = "a symbolic link"
    else:
        target.write_text("*.pt filter=lfs\n" * 10)
        monkeypatch.setattr(attributes, "MAX_ATTRIBUTES_BYTES", 100)
        reason = "over the 100-byte limit"
    problems: list[str] = []
    clock = time.monotonic()
    status = lfs_status(str(root), str(root), ["model.pt", "data/x.csv"], problems)
    assert time.monotonic() - clock < 30
    assert status == ({"model.pt", "data/x.csv"}, {"data/x.csv"})
    assert problems == [f".gitattributes not read, as if empty: not a regular file ({reason})"] or (
        kind == "too-large" and problems and reason in problems[0]
    )


def test_lines_that_set_filters_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attributes, "MAX_ATTRIBUTE_LINES", 5)
    text = "".join(f"f{index}.bin filter=lfs\n" for index in range(20)) + "*.pt -text\n"
    root = _repository(tmp_path / "repo", {".gitattributes": text})
    problems: list[str] = []
    found = filters(str(root), None, ["f1.bin", "f9.bin", "model.pt"], problems)
    assert found == {"f1.bin": "lfs", "f9.bin": None, "model.pt": None}
    assert problems == [
        ".gitattributes: more than 5 lines set filters; the lines past that are not used"
    ]


def test_many_paths_and_lines_stay_fast(tmp_path: Path) -> None:
    """10,000 filter lines against 2,000 paths: bounded work (a budget of lines, each
    file read once), far below what one git check-attr per path would cost."""
    text = "".join(f"dir{index}/*.bin filter=lfs\n" for index in range(10_000))
    root = _repository(tmp_path / "repo", {".gitattributes": text})
    paths = [f"dir{index}/f.bin" for index in range(2000)]
    clock = time.monotonic()
    found = filters(str(root), None, paths, [])
    assert time.monotonic() - clock < 120
    assert all(state == "lfs" for state in found.values())
