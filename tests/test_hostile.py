"""Hostile trees and hostile settings: no crash, no hang, no silent loss, no injection.

Every tree is generated here, under ``tmp_path``. Cases that could hang run in a
subprocess with a deadline, so a regression fails the test instead of the suite.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repolens import cli, scan, summarise
from repolens.core.cells import csv_unescape
from repolens.core.records import State
from repolens.render.report import verify_report_set, write_reports
from repolens.render.rows import CSV_COLUMNS
from repolens.scanning.cache import ScanCache, read_raw, write_raw
from repolens.scanning.notebooks import InvalidNotebook, read_notebook
from repolens.scanning.options import ScanError, ScanOptions

from .conftest import PEAK_RSS_KIB, PYTHON, make_tree, notebook_json, python_env, run_unprivileged

DEADLINE = 60  # seconds: a case that takes longer has hung


def run_repolens(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [PYTHON, "-m", "repolens", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or python_env(),
        timeout=DEADLINE,
        check=False,
    )


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=DEADLINE,
        check=False,
    )


def by_path(root: Path, **options) -> dict:
    return {record.path: record for record in scan(root, ScanOptions(**options)).records}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


def git_init(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    git(root, "config", "user.email", "lab@example.org")
    git(root, "config", "user.name", "Lab")
    return root


def git_listing(root: Path) -> set[str]:
    """What git itself lists: tracked files and untracked files it does not ignore."""
    out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return {name for name in out.split("\0") if name}


# --- spreadsheet formulas --------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["=cmd|' /C calc'!A0.txt", "+1+2.txt", "-3.txt", "@SUM(A1).txt", "'quoted.txt"]
)
def test_csv_guards_cells_a_spreadsheet_would_run_as_a_formula(tmp_path: Path, name: str) -> None:
    root = make_tree(tmp_path / "tree", {name: "x\n"})
    result = scan(root)
    write_reports(tmp_path / "out", result, summarise(result))
    with open(tmp_path / "out" / "files.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["file_path"] == "'" + name  # shown as text, never evaluated
    assert csv_unescape(rows[0]["file_path"]) == name
    document = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    assert document["file_metrics"][0]["file_path"] == name  # JSON keeps the name as it is


# --- names of every byte -----------------------------------------------------------


def expected_path(raw: bytes) -> str:
    """How reports show a name: backslash doubled, bytes that are not UTF-8 as \\xNN."""
    text = raw.replace(b"\\", b"\\\\")
    return text.decode("utf-8", "backslashreplace")


def test_every_byte_in_a_name_round_trips_through_json_csv_and_pandas(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    expected = set()
    for byte in range(1, 256):
        if byte == ord("/"):
            continue
        raw = b"a" + bytes([byte]) + b"z"
        with open(os.path.join(os.fsencode(root), raw), "wb") as handle:
            handle.write(b"1\n")
        expected.add(expected_path(raw))
    assert len(expected) == 254  # the escaping is injective: no two names collide
    result = scan(root)
    write_reports(tmp_path / "out", result, summarise(result))

    document = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    assert {item["file_path"] for item in document["file_metrics"]} == expected

    with open(tmp_path / "out" / "files.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(CSV_COLUMNS) and len(rows) == 255
    assert {csv_unescape(row[0]) for row in rows[1:]} == expected

    frame = pd.read_csv(
        tmp_path / "out" / "files.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    assert len(frame) == 254
    assert set(frame["file_path"].map(csv_unescape)) == expected
    assert verify_report_set(tmp_path / "out") is None


def test_a_literal_backslash_x_and_a_raw_byte_get_different_paths(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a\\xff.txt").write_text("literal\n")
    with open(os.path.join(os.fsencode(root), b"a\xff.txt"), "wb") as handle:
        handle.write(b"byte\n")
    paths = sorted(by_path(root))
    assert paths == ["a\\\\xff.txt", "a\\xff.txt"]


# --- ignore rules -----------------------------------------------------------------


@pytest.mark.parametrize("line", ["!", "\\", "[z-a]", "[unclosed"])
def test_a_gitignore_line_git_cannot_use_is_skipped_and_noted(tmp_path: Path, line: str) -> None:
    root = git_init(tmp_path / "repo")
    make_tree(root, {".gitignore": f"*.log\n{line}\n", "a.log": "x\n", "keep.txt": "x\n"})
    result = scan(root)
    paths = {record.path for record in result.records}
    assert paths == git_listing(root) == {".gitignore", "keep.txt"}
    assert any(".gitignore line 2" in note and "skipped" in note for note in result.notes)
    write_reports(tmp_path / "out", result, summarise(result))
    notes = json.loads((tmp_path / "out" / "metrics.json").read_text())["notes"]
    assert notes == list(result.notes)
    assert not any(str(tmp_path) in note for note in notes)  # relative: same tree, same report


@pytest.mark.parametrize("glob", ["!", "\\", "[z-a]"])
def test_an_exclude_that_can_match_nothing_exits_2_before_writing(
    tmp_path: Path, glob: str
) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    out = tmp_path / "out"
    done = run_repolens("scan", str(root), "-o", str(out), "--exclude", glob, "--no-cache")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--exclude" in done.stderr
    assert not out.exists()


GIT_CASES = {
    "a negated folder in a nested file does not re-include what a parent ignores": {
        ".gitignore": "*.txt\n",
        "sub/.gitignore": "!keep/\n",
        "sub/keep/c.txt": "x\n",
        "sub/keep/d.py": "x\n",
    },
    "'foo/**/' ignores folders under foo, not the files in it": {
        ".gitignore": "foo/**/\n",
        "foo/x.txt": "x\n",
        "foo/deep/y.txt": "x\n",
    },
    "a trailing space is trimmed, an escaped one is kept": {
        ".gitignore": "spaced.txt   \nkept\\ \n",
        "spaced.txt": "x\n",
        "kept ": "x\n",
        "other.txt": "x\n",
    },
    "globstar in the middle matches zero or more folders": {
        ".gitignore": "a/**/b.txt\n",
        "a/b.txt": "x\n",
        "a/x/y/b.txt": "x\n",
        "a/c.txt": "x\n",
    },
    "'**' right after a pattern's literal head starts it, as in git: 'b**//' is folder b": {
        ".gitignore": "b**//\n",
        "b/ab": "x\n",
        "bb/x": "x\n",
        "b.txt": "x\n",
    },
    "character classes and ranges": {
        ".gitignore": "[[:digit:]]*.dat\nlog[a-c].txt\n",
        "1.dat": "x\n",
        "x1.dat": "x\n",
        "logb.txt": "x\n",
        "logd.txt": "x\n",
    },
}


@pytest.mark.parametrize("case", list(GIT_CASES))
def test_ignore_rules_agree_with_git(tmp_path: Path, case: str) -> None:
    root = make_tree(git_init(tmp_path / "repo"), GIT_CASES[case])
    assert {record.path for record in scan(root).records} == git_listing(root)


def test_a_file_re_included_inside_an_ignored_folder_with_tracked_files_stays_out(
    tmp_path: Path,
) -> None:
    root = make_tree(git_init(tmp_path / "repo"), {"build/tracked.txt": "x\n"})
    git(root, "add", "build/tracked.txt")
    git(root, "commit", "-qm", "track one file")
    make_tree(
        root, {".gitignore": "build/\n!build/keep.txt\n", "build/keep.txt": "x\n", "b.py": "x\n"}
    )
    paths = {record.path for record in scan(root).records}
    assert paths == git_listing(root) == {".gitignore", "b.py", "build/tracked.txt"}


def test_a_git_file_pointing_nowhere_is_not_a_work_tree(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {".git": "gitdir: ../nowhere\n", ".gitignore": "*\n"})
    make_tree(root, {"a.py": "x\n"})
    result = scan(root)
    assert result.work_tree is None
    assert {record.path for record in result.records} == {".git", ".gitignore", "a.py"}


# --- things that are not regular files ----------------------------------------------


HANG_CASES = {
    "a FIFO as .gitignore": "os.mkfifo(root / '.gitignore')",
    "a FIFO as .git/info/exclude": "(root / '.git/info/exclude').unlink(missing_ok=True); "
    "os.mkfifo(root / '.git/info/exclude')",
    ".gitignore linked to /dev/zero": "os.symlink('/dev/zero', root / '.gitignore')",
    "a FIFO as the cache file": "os.mkfifo(cache_file)",
    "the cache file linked to /dev/zero": "os.symlink('/dev/zero', cache_file)",
}


@pytest.mark.parametrize("case", list(HANG_CASES))
def test_ignore_files_and_caches_that_are_not_regular_files_are_not_read(
    tmp_path: Path, case: str
) -> None:
    root = git_init(tmp_path / "repo")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / "a.py").write_text("x = 1\n")
    code = f"""
        import json, os, sys
        from pathlib import Path
        from repolens import scan
        from repolens.scanning.cache import ScanCache, read_raw, write_raw
        from repolens.scanning.options import ScanOptions
        root, cache = Path(sys.argv[1]), Path(sys.argv[2])
        cache.mkdir()
        cache_file = ScanCache.open(cache, str(root), {{}}).path
        {HANG_CASES[case]}
        result = scan(root, ScanOptions(cache_dir=cache))
        peak = peak_rss_kib() // 1024
        print(json.dumps({{"paths": sorted(r.path for r in result.records),
                          "notes": [*result.notes, result.cache_note], "peak_mib": peak}}))
    """
    done = run_python(PEAK_RSS_KIB + textwrap.dedent(code), str(root), str(tmp_path / "cache"))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert "a.py" in found["paths"]
    assert found["peak_mib"] < 400  # nothing was read without bound
    assert any(note and "not a regular file" in note for note in found["notes"]), found


def test_a_fifo_swapped_in_after_the_walk_is_recorded_not_read(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"data.csv": "a,b\n1,2\n", "ok.py": "x = 1\n"})
    code = """
        import json, os, sys
        from repolens.scanning import scanner
        root = sys.argv[1]
        original = scanner.walk
        def walk_then_swap(*args, **kwargs):
            entries = list(original(*args, **kwargs))
            os.unlink(os.path.join(root, "data.csv"))
            os.mkfifo(os.path.join(root, "data.csv"))
            return entries
        scanner.walk = walk_then_swap
        result = scanner.scan(root)
        print(json.dumps({r.path: [r.state.value, r.reason] for r in result.records}))
    """
    done = run_python(code, str(root))
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert records["data.csv"][0] == "special" and "FIFO" in records["data.csv"][1]
    assert records["ok.py"][0] == "ok"


# --- notebooks ------------------------------------------------------------------------


def deep_output(depth: int) -> str:
    output = {
        "output_type": "display_data",
        "data": {"application/json": "@"},
        "metadata": {},
    }
    text = json.dumps(output).replace('"@"', "[" * depth + "1" + "]" * depth)
    cell = (
        '{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "x",'
        f' "outputs": [{text}]}}'
    )
    return (
        f'{{"cells": [{cell}], "metadata": {{"kernelspec": {{"name": "python3",'
        ' "language": "python"}}}, "nbformat": 4, "nbformat_minor": 5}'
    )


HOSTILE_NOTEBOOKS = {
    "output data nested 900 lists deep": (deep_output(900), None),
    "a 5,000-digit integer": ('{"cells": [], "n": ' + "9" * 5000 + "}", "invalid"),
    "nbformat 3 with worksheets [1]": ('{"worksheets": [1], "nbformat": 3}', "invalid"),
    "nbformat 3 with a worksheet whose cells are 5": (
        '{"worksheets": [{"cells": 5}], "nbformat": 3}',
        "invalid",
    ),
    "nested 100,000 lists deep": ("[" * 100_000 + "]" * 100_000, "invalid"),
    "a kernelspec name holding a lone surrogate": (
        '{"cells": [], "metadata": {"kernelspec": {"name": "py\\ud800", "language": "python"}},'
        ' "nbformat": 4, "nbformat_minor": 5}',
        "empty",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_NOTEBOOKS))
def test_any_notebook_bytes_give_a_record_and_a_writable_report(tmp_path: Path, case: str) -> None:
    content, state = HOSTILE_NOTEBOOKS[case]
    root = make_tree(tmp_path / "tree", {"bad.ipynb": content})
    result = scan(root)
    (record,) = result.records
    if state is not None:
        assert record.state.value == state
    else:
        assert record.state in (State.OK, State.INVALID)
    assert record.state is State.OK or record.reason
    write_reports(tmp_path / "out", result, summarise(result))
    document = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    assert document["file_metrics"][0]["state"] == record.state.value
    assert verify_report_set(tmp_path / "out") is None


def test_a_lone_surrogate_kernel_is_kept_escaped(tmp_path: Path) -> None:
    content = HOSTILE_NOTEBOOKS["a kernelspec name holding a lone surrogate"][0]
    root = make_tree(tmp_path / "tree", {"nb.ipynb": content})
    (record,) = scan(root).records
    assert record.notebook is not None and record.notebook.kernel == "py\\ud800"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_as_a_notebook_or_say_why_not(data: bytes) -> None:
    try:
        parsed = read_notebook(data)
    except InvalidNotebook as error:
        assert str(error)
    else:
        assert parsed.stats.cells >= 0


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=20,
    )
)
def test_any_json_document_parses_as_a_notebook_or_says_why_not(document: object) -> None:
    try:
        read_notebook(json.dumps(document).encode())
    except InvalidNotebook as error:
        assert str(error)


def test_nbformat_3_markdown_and_top_level_payloads_are_counted(tmp_path: Path) -> None:
    png = "iVBORw0KGgo=" * 100  # 1,200 bytes of base64
    document = {
        "nbformat": 3,
        "metadata": {"language": "python"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": ["Title"]},
                    {"cell_type": "markdown", "source": ["one\n", "\n", "two\n"]},
                    {
                        "cell_type": "code",
                        "input": ["x = 1\n", "x\n"],
                        "prompt_number": 1,
                        "outputs": [
                            {"output_type": "pyout", "prompt_number": 1, "text": ["1"]},
                            {"output_type": "display_data", "png": png, "html": "<b>1</b>"},
                        ],
                    },
                ]
            }
        ],
    }
    parsed = read_notebook(json.dumps(document).encode())
    stats = parsed.stats
    assert (stats.markdown_cells, stats.code_cells) == (2, 1)
    assert stats.markdown_lines == 3  # "Title", "one", "two"
    assert (stats.image_outputs, stats.image_bytes) == (1, 1200)
    assert stats.output_bytes == 1 + 1200 + len("<b>1</b>")
    assert parsed.code == "x = 1\nx\n"


@pytest.mark.parametrize("content", ["", "   \n\t\n"])
def test_a_notebook_of_white_space_is_empty(tmp_path: Path, content: str) -> None:
    root = make_tree(tmp_path / "tree", {"blank.ipynb": content})
    (record,) = scan(root).records
    assert record.state is State.EMPTY


# --- times ----------------------------------------------------------------------------


YEAR_10000_NS = 253_402_300_800 * 1_000_000_000  # 10000-01-01T00:00:00Z


def test_a_time_past_year_9999_is_recorded_as_null_with_a_reason(tmp_path: Path) -> None:
    base = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else tmp_path
    root = base / f"repolens-future-{os.getpid()}"
    root.mkdir()
    try:
        path = root / "future.txt"
        path.write_text("from the future\n")
        os.utime(path, ns=(YEAR_10000_NS, YEAR_10000_NS))
        if os.stat(path).st_mtime_ns != YEAR_10000_NS:
            pytest.skip(f"{base} cannot hold a time past year 9999")
        result = scan(root)
        (record,) = result.records
        assert "modified time out of range" in record.reason
        write_reports(tmp_path / "out", result, summarise(result))
        item = json.loads((tmp_path / "out" / "metrics.json").read_text())["file_metrics"][0]
        assert item["modified_time"] is None and item["line_count"] == 1
    finally:
        for child in root.iterdir():
            child.unlink()
        root.rmdir()


# --- the cache --------------------------------------------------------------------------


def hostile_caches(header: object, entries: list) -> dict[str, tuple[object, list]]:
    """Cache contents a hostile or broken writer could leave: (header, entries)."""
    negative = [list(entry) for entry in entries]
    negative[0][6] = -5
    negative[0][7] = [-5, 0, 0]
    wrong = [list(entry) for entry in entries]
    wrong[0][2:] = ["not a list"]
    strings = [list(entry) for entry in entries]
    strings[0][6] = "3"
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    return {
        "nested 100,000 deep": (header, nested),
        "negative counts": (header, negative),
        "a payload of the wrong type": (header, wrong),
        "a count given as a string": (header, strings),
        "entries that are not a list": (header, {"a": 1}),  # type: ignore[dict-item]
    }


@pytest.mark.parametrize(
    "case",
    [
        "nested 100,000 deep",
        "negative counts",
        "a payload of the wrong type",
        "a count given as a string",
        "entries that are not a list",
    ],
)
def test_a_hostile_cache_is_ignored_and_rebuilt(tmp_path: Path, case: str) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x = 1\ny = 2\n", "b.txt": "b\n"})
    cache = tmp_path / "cache"
    fresh = by_path(root)
    scan(root, ScanOptions(cache_dir=cache))
    cache_file = ScanCache.open(cache, str(root), {}).path
    assert cache_file is not None
    header, entries = read_raw(cache_file)
    try:
        write_raw(cache_file, *hostile_caches(header, entries)[case])
    except (ValueError, RecursionError):  # too deep to even write: write the bytes by hand
        cache_file.write_bytes(cache_file.read_bytes()[: 4 + len(encode(header))] + deep_frame())
    result = scan(root, ScanOptions(cache_dir=cache))
    assert result.cache_note and "ignored" in result.cache_note
    assert {r.path: (r.lines, r.counts) for r in result.records} == {
        path: (record.lines, record.counts) for path, record in fresh.items()
    }
    again = scan(root, ScanOptions(cache_dir=cache))  # rebuilt: now it is used
    assert again.cache_hits == 2 and again.cache_note is None


def encode(value: object) -> bytes:
    import msgspec

    return msgspec.msgpack.encode(value)


def deep_frame(depth: int = 100_000) -> bytes:
    """A frame of arrays nested ``depth`` deep (MessagePack fixarray of one item)."""
    payload = b"\x91" * depth + b"\x90"
    return len(payload).to_bytes(4, "big") + payload


# --- charts -----------------------------------------------------------------------------


def test_no_file_name_breaks_a_chart(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from repolens.render import charts

    names = {"bad$\\foo$.py": "x = 1\n" * 50, "$x^{2}$.ipynb": notebook_json([]), "a$.txt": "a"}
    root = make_tree(tmp_path / "tree", names)
    result = scan(root)
    summary = summarise(result, top=5)
    for plot in (charts.plot_largest_files, charts.plot_lines_by_language):
        charts.save_chart(plot(summary), tmp_path / f"{plot.__name__}.png")
    for plot in (charts.plot_notebook_health, charts.plot_activity):
        charts.save_chart(plot(result.records), tmp_path / f"{plot.__name__}.png")
    assert len(list(tmp_path.glob("*.png"))) == 4


# --- deep and locked trees -------------------------------------------------------------


def make_deep(root: Path, depth: int) -> None:
    """``depth`` nested folders, each holding one file; built relative to folder descriptors."""
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for level in range(depth):
            file = os.open("f.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
            os.write(file, f"level {level}\n".encode())
            os.close(file)
            os.mkdir("d", dir_fd=descriptor)
            inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    finally:
        os.close(descriptor)


def remove_deep(root: Path) -> None:
    """Remove a tree too deep for recursive removal, from the bottom up."""
    chain = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)]
    while True:
        try:
            chain.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=chain[-1]))
        except FileNotFoundError:
            break
    while chain:
        descriptor = chain.pop()
        for name in os.listdir(descriptor):
            if name != "d":
                os.unlink(name, dir_fd=descriptor)
        if chain:
            os.rmdir("d", dir_fd=chain[-1])
        os.close(descriptor)


def test_a_tree_3000_levels_deep_is_recorded_whole(tmp_path: Path) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    make_deep(root, 3000)
    try:
        result = scan(root)
        records = result.records
        assert len(records) == 3000
        assert all(record.state is State.OK and record.lines == 1 for record in records)
        deepest = max(records, key=lambda record: record.path.count("/"))
        assert deepest.path.count("/") == 2999 and len(deepest.path) > 4096
    finally:
        remove_deep(root)


def test_a_folder_readable_but_not_enterable_is_recorded_not_dropped(mode_tmp: Path) -> None:
    root = make_tree(
        mode_tmp / "tree", {"locked/a.txt": "a\n", "locked/b.txt": "b\n", "ok.txt": "x"}
    )
    os.chmod(root / "locked", 0o600)
    code = """
        import json, sys
        from repolens import scan
        print(json.dumps({r.path: [r.state.value, r.reason] for r in scan(sys.argv[1]).records}))
    """
    records = run_unprivileged(textwrap.dedent(code), str(root))
    assert records["ok.txt"][0] == "ok"
    assert {path for path in records if path.startswith("locked")} >= {"locked/a.txt"}
    for path in ("locked/a.txt", "locked/b.txt"):
        state, reason = records[path]
        assert state == "unreadable" and "ermission denied" in reason


# --- paths and output folders ----------------------------------------------------------


def test_a_path_with_a_trailing_space_is_the_folder_it_names(tmp_path: Path) -> None:
    from repolens.analysis import analyse

    make_tree(tmp_path, {"trail /inside.py": "x\n", "trail/sibling.py": "x\n"})
    run = analyse(str(tmp_path / "trail "), str(tmp_path / "out"))
    document = json.loads((run.output_dir / "metrics.json").read_text())
    assert [item["file_path"] for item in document["file_metrics"]] == ["inside.py"]


def test_an_empty_path_argument_is_refused_even_with_analysis_path_set(tmp_path: Path) -> None:
    make_tree(tmp_path / "tree", {"a.py": "x\n"})
    env = {**python_env(), "ANALYSIS_PATH": str(tmp_path / "tree")}
    done = run_repolens("scan", "", "-o", str(tmp_path / "out"), env=env)
    assert done.returncode == 2 and "PATH is empty" in done.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_output_folder_is_refused(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    done = run_repolens("scan", str(root), "-o", "", cwd=tmp_path)
    assert done.returncode == 2 and "--output-dir is empty" in done.stderr
    assert not (tmp_path / "repolens-report").exists()


@pytest.mark.parametrize("name", ["out?", "rep[1]", "*"])
def test_an_output_folder_named_like_a_glob_hides_itself_and_nothing_else(
    tmp_path: Path, name: str
) -> None:
    root = make_tree(tmp_path / "tree", {"out1/a.py": "x\n", "rep1/b.py": "x\n", "c.py": "x\n"})
    for _run in range(2):
        done = run_repolens("scan", str(root), "-o", str(root / name), "--no-cache", "-q")
        assert done.returncode == 0, done.stderr
    document = json.loads((root / name / "metrics.json").read_text())
    assert {item["file_path"] for item in document["file_metrics"]} == {
        "out1/a.py",
        "rep1/b.py",
        "c.py",
    }


def test_the_tree_itself_as_output_folder_gives_the_same_report_twice(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    documents = []
    for _run in range(2):
        done = run_repolens("scan", str(root), "-o", str(root), "--no-cache", "-q")
        assert done.returncode == 0, done.stderr
        document = json.loads((root / "metrics.json").read_text())
        document.pop("timestamp")
        documents.append(document)
    assert documents[0] == documents[1]
    assert [item["file_path"] for item in documents[1]["file_metrics"]] == ["a.py"]


def test_excluded_entries_do_not_change_between_runs(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n", "build/b.py": "x\n"})
    counts = []
    for _run in range(2):
        done = run_repolens(
            "scan", str(root), "-o", str(root / "reports"), "--exclude", "build/", "--no-cache"
        )
        assert done.returncode == 0, done.stderr
        settings_ = json.loads((root / "reports" / "metrics.json").read_text())["settings"]
        counts.append(settings_["excluded_entries"])
    assert counts == [1, 1]


def test_an_output_path_that_is_a_file_is_refused_before_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    (tmp_path / "taken").write_text("mine\n")

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("scanned before checking the output folder")

    from repolens.commands import scan as scan_command

    monkeypatch.setattr(scan_command, "ScanStream", no_scan)
    assert cli.main(["scan", str(root), "-o", str(tmp_path / "taken")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert (tmp_path / "taken").read_text() == "mine\n"


def test_an_unwritable_output_folder_exits_2_with_one_line(mode_tmp: Path) -> None:
    root = make_tree(mode_tmp / "tree", {"a.py": "x\n"})
    out = mode_tmp / "out"
    out.mkdir()
    os.chmod(out, 0o555)
    code = """
        import json, subprocess, sys
        done = subprocess.run([sys.executable, "-m", "repolens", "scan", sys.argv[1], "-o",
                               sys.argv[2], "--no-cache"], capture_output=True, text=True)
        print(json.dumps([done.returncode, done.stderr]))
    """
    returncode, stderr = run_unprivileged(textwrap.dedent(code), str(root), str(out))
    assert returncode == 2
    assert stderr.count("\n") == 1 and "cannot write into output folder" in stderr


# --- report sets ------------------------------------------------------------------------


def test_a_kill_between_the_two_renames_leaves_a_set_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolens.render import report

    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    out = tmp_path / "out"
    out.mkdir()
    result = scan(root)
    write_reports(out, result, summarise(result))
    assert verify_report_set(out) is None
    (root / "b.py").write_text("y\n")
    result = scan(root)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies after files.csv was renamed

    monkeypatch.setattr(report, "document_halves", killed)
    with pytest.raises(KeyboardInterrupt):
        write_reports(out, result, summarise(result))
    problem = verify_report_set(out)
    assert problem is not None and "not the one written with metrics.json" in problem


def test_stale_temporary_files_are_removed_by_the_next_run(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    out = tmp_path / "out"
    out.mkdir()
    for stale in (".metrics.json.abc123.tmp", ".files.csv.xyz.tmp"):
        (out / stale).write_text("half a report")
    (out / ".notes.tmp").write_text("not ours")
    result = scan(root)
    write_reports(out, result, summarise(result))
    assert sorted(path.name for path in out.iterdir()) == [
        ".notes.tmp",
        "files.csv",
        "metrics.json",
    ]


# --- signatures and categories ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "category", "binary"),
    [
        ("webp.h", b"#ifndef WEBP_H\n#define WEBP_H\n#endif\n", "code", False),
        ("wave.h", b"/* 1234 WAVE header */\nint x;\n", "code", False),
        ("avi.c", b"int m=0; AVI \nint y;\n", "code", False),
        ("tags.csv", b"ID3,title\n1,a\n", "data", False),
        ("real.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 \x00\x00", "image", True),
        ("real.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 20, "media", True),
        ("._test2.mp4", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ", "other", True),
        ("__MACOSX/photos/._a.png", b"\x00\x05\x16\x07\x00\x02\x00\x00", "other", True),
        ("__MACOSX/notes.txt", b"text\n", "other", False),
        ("~$report.docx", b"\x0bLab Member\x00\x00", "other", True),
        ("tool.pyw", b"print('hi')\n", "code", False),
        ("sound.aif", b"FORM\x00\x00\x00\x00AIFF", "media", True),
        ("sound.au", b".snd\x00\x00\x00\x18", "media", True),
        ("sound.voc", b"Creative Voice File\x1a\x1a\x00\x0a\x01\x29\x11", "media", True),
        ("picture.ras", b"\x59\xa6\x6a\x95\x00\x00", "image", True),
        ("picture.sgi", b"\x01\xda\x01\x01\x00\x03", "image", True),
        ("icon.xbm", b"#define icon_width 1\nstatic char icon_bits[] = {0x00};\n", "image", False),
    ],
)
def test_content_and_name_decide_the_category_together(
    tmp_path: Path, name: str, content: bytes, category: str, binary: bool
) -> None:
    root = make_tree(tmp_path / "tree", {name: content})
    (record,) = scan(root).records
    assert (record.category, record.is_binary) == (category, binary), record.reason


# --- settings from the environment -------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_bad_top_n_in_the_environment_exits_2_with_one_line(
    tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    monkeypatch.setenv("REPOLENS_TOP_N", value)
    assert cli.main(["report", str(root), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "REPOLENS_TOP_N" in err
    assert not (tmp_path / "out").exists()


def test_a_bad_exclude_in_the_environment_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    monkeypatch.setenv("REPOLENS_EXCLUDE", "build/,[z-a]")
    assert cli.main(["report", str(root), "-o", str(tmp_path / "out")]) == 2
    assert "reversed range" in capsys.readouterr().err


def test_scan_refuses_an_exclude_that_can_match_nothing(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="ends with a backslash"):
        scan(tmp_path, ScanOptions(excludes=("\\",)))


def test_help_reads_as_help(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    assert "the command line over the library" not in text and "``" not in text
    assert "Exit codes" in text


# --- ignore rules against git itself, on generated patterns ------------------------------

PIECES = ["a", "b", "*", "?", "/", "**", "[ab]", "[!a]", "[a-b]", "[[:alpha:]]", "[]a]"]
PIECES += ["\\*", ".", " ", "\\ ", "#", "!", "\\!", "\\#"]
PATTERN_PIECES = st.sampled_from(PIECES)
FILES = ["a", "ab", "a.b", "b/a", "b/ab", "b/b/a", "ba/a.b", "ba/b/ab", "bb/*", "bb/a/b/a"]
FILES += ["a ", "#a", "!a", "]", "b/a b", "ba/b/#b"]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.booleans(), st.lists(PATTERN_PIECES, min_size=1, max_size=5), st.booleans()),
        min_size=1,
        max_size=3,
    )
)
def test_generated_ignore_patterns_agree_with_git(tmp_path_factory, lines) -> None:
    text = "".join(
        ("!" if negated else "") + "".join(pieces) + ("/" if folder else "") + "\n"
        for negated, pieces, folder in lines
    )
    root = make_tree(git_init(tmp_path_factory.mktemp("patterns")), dict.fromkeys(FILES, "x\n"))
    (root / ".gitignore").write_text(text)
    assert {record.path for record in scan(root).records} == git_listing(root), text


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00+00:00"),
        (-1_000_000_000, "1969-12-31T23:59:59+00:00"),
        (YEAR_10000_NS - 1_000, "9999-12-31T23:59:59.999999+00:00"),
        (YEAR_10000_NS, None),
        (-62_135_596_801 * 1_000_000_000, None),  # before year 1
        (None, None),
    ],
)
def test_times_outside_years_1_to_9999_are_written_as_null(ns: int | None, text: str) -> None:
    from repolens.core.times import iso_time

    assert iso_time(ns) == text


def test_tables_write_numbers_as_the_prose_does(tmp_path: Path) -> None:
    from repolens.render import frame

    root = make_tree(tmp_path / "tree", {"big.py": "x = 1\n" * 1234, "notes.md": "# n\n"})
    summary = summarise(scan(root))
    overview = frame.overview_frame(summary)
    assert overview.loc["code", "lines of code"] == "1,234"
    assert overview.loc["total", "files"] == "2"
    assert frame.languages_frame(summary).loc["Python", "lines of code"] == "1,234"
    assert frame.ranked_frame(summary.most_lines).loc["big.py", "lines"] == "1,234"
    assert overview.loc["code", "size"].endswith("KiB")


def test_a_cache_folder_that_is_the_tree_itself_is_not_counted(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree", {"a.py": "x\n"})
    for _run in range(2):
        result = scan(root, ScanOptions(cache_dir=root))
        assert [record.path for record in result.records] == ["a.py"]
    assert result.cache_hits == 1
