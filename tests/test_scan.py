"""The scan: one record per file, whatever the file is or does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens import Kind, ScanError, ScanOptions, State, scan
from repolens.core.records import LineCounts

from .conftest import PEAK_RSS_KIB, make_tree, notebook_json, run_unprivileged


def by_path(root: Path, **options: object):
    return {record.path: record for record in scan(root, ScanOptions(**options)).records}


def test_a_small_project_is_recorded_file_by_file(tmp_path: Path) -> None:
    # expected: 6 files; code 1 (2 code lines), data 1, image 1, model 1, docs 1, notebook 1
    make_tree(
        tmp_path,
        {
            "train.py": "# train\nimport os\n\nprint(os.sep)\n",
            "data/log.csv": "a,b\n1,2\n",
            "img/frame.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
            "model.h5": b"\x89HDF\r\n\x1a\n" + bytes(50),
            "README.md": "# Title\n\nText\n",
            "nb.ipynb": notebook_json(
                [{"cell_type": "code", "source": "x = 1\n", "outputs": [], "execution_count": 1}]
            ),
        },
    )
    records = by_path(tmp_path)
    assert len(records) == 6
    script = records["train.py"]
    assert (script.category, script.language, script.state) == ("code", "Python", State.OK)
    assert script.counts == LineCounts(code=2, comment=1, blank=1) and script.lines == 4
    assert script.encoding == "ascii" and script.is_binary is False
    assert (records["data/log.csv"].category, records["data/log.csv"].lines) == ("data", 2)
    assert records["data/log.csv"].language == "CSV"
    image = records["img/frame.png"]
    assert (image.category, image.state, image.lines, image.counts) == (
        "image",
        State.BINARY,
        None,
        None,
    )
    assert records["model.h5"].category == "model"
    notebook = records["nb.ipynb"]
    assert notebook.notebook is not None and notebook.notebook.code_cells == 1
    assert notebook.counts == LineCounts(1, 0, 0)
    assert all(
        record.size_bytes == (tmp_path / path).stat().st_size for path, record in records.items()
    )


def test_records_are_sorted_by_path(tmp_path: Path) -> None:
    make_tree(tmp_path, {name: "x\n" for name in ("b.py", "a/z.py", "a.py", "C.py", "a/b/c.py")})
    paths = [record.path for record in scan(tmp_path).records]
    assert paths == sorted(paths)


@pytest.mark.parametrize(
    ("root_kind", "message"),
    [("missing", "no such directory"), ("file", "not a directory"), ("empty", "no path given")],
)
def test_a_bad_root_raises_scan_error(tmp_path: Path, root_kind: str, message: str) -> None:
    root = {"missing": tmp_path / "nope", "file": tmp_path / "f", "empty": ""}[root_kind]
    (tmp_path / "f").write_text("x")
    with pytest.raises(ScanError, match=message):
        scan(root)


ROOT_ERROR = """
import json, sys
from repolens import ScanError, scan
try:
    scan(sys.argv[1])
    print(json.dumps("no error"))
except ScanError as error:
    print(json.dumps(str(error)))
"""

RECORDS = """
import json, sys
from repolens import scan
records = scan(sys.argv[1]).records
print(json.dumps({r.path: [r.state.value, r.kind.value, r.reason] for r in records}))
"""


def test_an_unreadable_root_raises_scan_error(mode_tmp: Path) -> None:
    locked = mode_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o000)
    assert "permission denied" in run_unprivileged(ROOT_ERROR, str(locked)).lower()


def test_unreadable_files_and_folders_are_recorded(mode_tmp: Path) -> None:
    make_tree(mode_tmp, {"ok.py": "x = 1\n", "secret.py": "x = 2\n", "closed/inner.py": "y\n"})
    (mode_tmp / "secret.py").chmod(0o000)
    (mode_tmp / "closed").chmod(0o000)
    records = run_unprivileged(RECORDS, str(mode_tmp))
    assert records["ok.py"][0] == "ok"
    assert records["secret.py"] == ["unreadable", "file", "permission denied"]
    assert records["closed"][:2] == ["unreadable", "directory"]
    assert "could not be listed" in records["closed"][2]


def test_links_loops_and_special_files_are_recorded(tmp_path: Path) -> None:
    make_tree(tmp_path, {"real/a.py": "x\n"})
    (tmp_path / "broken").symlink_to("nowhere")
    (tmp_path / "real" / "up").symlink_to("..")
    (tmp_path / "self").symlink_to("self")
    os.mkfifo(tmp_path / "pipe")
    records = by_path(tmp_path)
    assert {path: record.state for path, record in records.items()} == {
        "real/a.py": State.OK,
        "broken": State.SYMLINK,
        "real/up": State.SYMLINK,
        "self": State.SYMLINK,
        "pipe": State.SPECIAL,
    }
    assert "broken symbolic link to nowhere" in records["broken"].reason
    assert "loop" in records["self"].reason
    assert records["pipe"].kind is Kind.SPECIAL and "never opened" in records["pipe"].reason


def test_followed_links_to_files_are_read_through(tmp_path: Path) -> None:
    make_tree(tmp_path, {"real/a.py": "x = 1\ny = 2\n"})
    (tmp_path / "link.py").symlink_to("real/a.py")
    records = by_path(tmp_path, follow_symlinks=True)
    assert (records["link.py"].state, records["link.py"].lines) == (State.OK, 2)
    assert records["link.py"].kind is Kind.FILE
    assert by_path(tmp_path)["link.py"].state is State.SYMLINK


def test_names_that_are_not_utf8_are_kept(tmp_path: Path) -> None:
    name = b"frame_\xff\xfe.png"
    with open(os.path.join(os.fsencode(tmp_path), name), "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
    with open(os.path.join(os.fsencode(tmp_path), b"notes_\xe9.txt"), "wb") as handle:
        handle.write(b"hello\n")
    records = by_path(tmp_path)
    assert set(records) == {"frame_\\xff\\xfe.png", "notes_\\xe9.txt"}
    assert all(not record.path_is_utf8 for record in records.values())
    assert records["notes_\\xe9.txt"].lines == 1  # counted without the engine
    assert records["frame_\\xff\\xfe.png"].category == "image"


@pytest.mark.parametrize(
    ("name", "content", "state", "category", "reason_part"),
    [
        ("nul.py", b"\x00\x00print(1)\n" * 10, State.BINARY, "code", "binary content"),
        ("empty.py", b"", State.EMPTY, "code", "0 bytes"),
        ("blank.py", b"\n\n   \n", State.EMPTY, "code", "white space"),
        ("photo.json", b"\xff\xd8\xff\xe0" + bytes(64), State.BINARY, "image", "JPEG content in"),
        (
            "weights.h5",
            b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n",
            State.OK,
            "model",
            "Git LFS pointer",
        ),
        ("run", b"#!/usr/bin/env python3\nprint(1)\n", State.OK, "code", ""),
        ("blob", b"\x7fELF" + bytes(40), State.BINARY, "other", "ELF content"),
    ],
)
def test_content_decides_where_the_name_lies(
    tmp_path: Path, name: str, content: bytes, state: State, category: str, reason_part: str
) -> None:
    (tmp_path / name).write_bytes(content)
    record = by_path(tmp_path)[name]
    assert (record.state, record.category) == (state, category)
    assert reason_part in record.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"metadata": {}, "nbformat": 4}', "no 'cells' list"),
        (b'{"cells": [{"cell_type": "code", "source": 3}]}', "source is int"),
    ],
)
def test_broken_notebooks_are_invalid_with_the_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "nb.ipynb").write_bytes(content)
    record = by_path(tmp_path)["nb.ipynb"]
    assert record.state is State.INVALID and reason in record.reason
    assert record.lines is None and record.notebook is None


@pytest.mark.parametrize(
    "source", [["import os\n", "# c\n", "\n", "x = 1\n"], "import os\n# c\n\nx = 1\n"]
)
def test_notebook_code_is_counted_in_the_kernel_language(tmp_path: Path, source: object) -> None:
    cells = [
        {"cell_type": "markdown", "source": ["# T\n", "\n", "words\n"]},
        {"cell_type": "code", "source": source, "outputs": [], "execution_count": None},
    ]
    (tmp_path / "nb.ipynb").write_text(notebook_json(cells))
    record = by_path(tmp_path)["nb.ipynb"]
    assert record.notebook.code_lines == LineCounts(code=2, comment=1, blank=1)
    # markdown prose (2 non-blank lines) counts as comment
    assert record.counts == LineCounts(code=2, comment=3, blank=1)


def test_a_file_deleted_between_walk_and_read_is_recorded(tmp_path: Path) -> None:
    make_tree(tmp_path, {"stays.py": "x\n", "goes.py": "y\n"})

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "scan" and done == 0:
            (tmp_path / "goes.py").unlink()

    records = {r.path: r for r in scan(tmp_path, progress=progress).records}
    assert records["goes.py"].state is State.UNREADABLE
    assert records["goes.py"].reason == "vanished during the scan"
    assert records["stays.py"].state is State.OK


def test_text_over_the_limit_gets_physical_lines_only(tmp_path: Path) -> None:
    (tmp_path / "big.csv").write_text("a,b\n" * 5000)  # 20,000 bytes
    record = by_path(tmp_path, max_count_bytes=10_000)["big.csv"]
    assert (record.state, record.lines, record.counts) == (State.TOO_LARGE, 5000, None)


SPARSE_SCRIPT = (
    PEAK_RSS_KIB
    + """
import os, sys
from repolens import scan
root = sys.argv[1]
with open(os.path.join(root, "huge.bin"), "wb") as f:
    f.truncate(2 * 1024**3)
open(os.path.join(root, "zero.txt"), "wb").close()
records = {r.path: r for r in scan(root).records}
huge = records["huge.bin"]
print(huge.state.value, huge.size_bytes, records["zero.txt"].state.value)
print(peak_rss_kib())
"""
)


def test_a_2gb_sparse_file_is_scanned_in_bounded_memory(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SPARSE_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0] == f"binary {2 * 1024**3} empty"
    assert int(out[1]) < 200 * 1024  # KiB: far below the file's 2 GiB


NAMES = st.text(alphabet="abcXYZ_-.é", min_size=1, max_size=8).filter(
    lambda name: name not in (".", "..", ".git")
)
CONTENT = st.one_of(st.binary(max_size=64), st.text(max_size=64).map(str.encode))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tree=st.dictionaries(st.lists(NAMES, min_size=1, max_size=3).map(tuple), CONTENT, max_size=12)
)
def test_every_walked_file_has_exactly_one_record(
    tmp_path_factory: pytest.TempPathFactory, tree: dict[tuple[str, ...], bytes]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    written: set[str] = set()
    for parts, content in tree.items():
        path = root.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # a name used both as a file and as a folder
        written.add("/".join(parts))
    on_disk = {
        os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
        for folder, _dirs, files in os.walk(root)
        for name in files
    }
    records = scan(root).records
    paths = [record.path for record in records]
    assert sorted(paths) == sorted(on_disk)
    assert len(paths) == len(set(paths))
    for record in records:
        if record.counts is not None:
            assert record.counts.code + record.counts.comment + record.counts.blank == record.lines
        assert record.state is State.OK or record.reason


# --- the engine's own process ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More files than one chunk (4,096), so the engine counts in a process of its own."""
    root = tmp_path_factory.mktemp("big")
    for index in range(5000):
        folder = root / f"d{index // 500}"
        folder.mkdir(exist_ok=True)
        body = f"# {index}\nx = {index}\n\n" if index % 2 else f"<p>{index}</p>\n"
        (folder / (f"m{index}.py" if index % 2 else f"p{index}.html")).write_text(body)
    return root


def test_counts_from_the_engines_process_equal_counts_made_here(
    big_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.scanning import counting

    submitted: list[int] = []
    real = counting.EngineProcess.submit

    def spy(self, paths):  # type: ignore[no-untyped-def]
        submitted.append(len(paths))
        return real(self, paths)

    monkeypatch.setattr(counting.EngineProcess, "submit", spy)
    there = scan(big_tree).records
    assert submitted and sum(submitted) >= 4096  # the big window went to the process
    monkeypatch.setattr(counting.EngineProcess, "submit", lambda self, paths: None)
    here = scan(big_tree).records
    assert there == here
    assert sum(record.counts.comment for record in here if record.language == "Python") == 2500


def test_an_engine_process_that_dies_costs_nothing_but_time(
    big_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from repolens.scanning import counting

    def broken(self, paths):  # type: ignore[no-untyped-def]
        future: Future = Future()
        future.set_exception(BrokenProcessPool("killed"))
        return future

    reference = scan(big_tree).records
    monkeypatch.setattr(counting.EngineProcess, "submit", broken)
    assert scan(big_tree).records == reference


def test_an_engine_process_that_cannot_run_is_counted_for_here(
    big_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that exits at once (a broken interpreter, a path that cannot import)."""
    import sys

    reference = scan(big_tree).records
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert scan(big_tree).records == reference
