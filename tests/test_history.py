"""repolens history: every commit's row equals a scan of that commit's checkout.

The repository is generated here; it states what each commit brings (``STEPS``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from repolens.cli import main
from repolens.core.linekinds import is_code
from repolens.history import HistoryError, HistoryOptions, run_history
from repolens.history import run as history_run
from repolens.history.run import load_history_schema
from repolens.scanning.filetypes import file_types
from repolens.scanning.options import ScanOptions
from repolens.scanning.scanner import scan

from .conftest import SAMPLE

REPO_ROOT = Path(__file__).resolve().parents[1]
BIG = bytes(range(256)) * 4400  # 1,126,400 bytes of binary: over 1 MiB
LFS_SIZE = 734_003_200
LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    f"size {LFS_SIZE}\n"
)
NOTEBOOK = json.dumps(
    {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["hello\n"]},
                    {"output_type": "error", "ename": "E", "evalue": "x", "traceback": []},
                ],
                "source": ["print('hello')\n", "# a comment\n"],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)
FRAMES = 1001  # one folder over 1,000 files


def _env(n: int) -> dict[str, str]:
    date = f"2024-01-{n + 1:02d}T12:00:00+00:00"
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "A. Author",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "A. Author",
        "GIT_COMMITTER_EMAIL": "a@example.org",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def git(repo: Path, *args: str, n: int = 0) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, env=_env(n)
    )
    return done.stdout.decode("utf-8", "replace").strip()


def _write(repo: Path, name: str | bytes, data: bytes | str) -> None:
    path = os.path.join(os.fsencode(repo), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)


def _commit(repo: Path, n: int, subject: str) -> None:
    git(repo, "add", "-A", n=n)
    git(repo, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", subject, n=n)


def make_repository(repo: Path) -> None:
    """Eleven commits on main's first-parent line, one of them a merge (of two more)."""
    git(repo, "init", "-q", "-b", "main")
    _write(repo, "a.py", "import os\n\n# says hello\nprint('hi')\n")
    _write(repo, "README.md", "# Project\n\nSome words.\n")
    _write(repo, "empty.txt", "")
    _write(repo, "nb.ipynb", NOTEBOOK)
    _commit(repo, 0, "first: a script, a readme, a notebook")
    for index in range(FRAMES):
        _write(repo, f"frames/f{index:04d}.png", b"\x89PNG\r\n\x1a\n" + bytes([index % 256]) * 40)
    _write(repo, "a.py", "import os\n\n# says hello\nprint('hi')\nprint('again')\n")
    _commit(repo, 1, "camera frames")
    _write(repo, "model.pt", BIG)
    _write(repo, "src/long.py", "".join(f"x{n} = {n}  # {n}\n" for n in range(20000)))
    _commit(repo, 2, "the trained model")
    git(repo, "mv", "a.py", "src/a.py")
    git(repo, "rm", "-q", "README.md")
    _commit(repo, 3, "move the script, drop the readme")
    os.symlink("src/a.py", repo / "link")
    _write(repo, b"caf\xe9.txt", "latin-1 name\n")
    _write(repo, "new\nline.py", "x = 1\n")
    _write(repo, "-dash.py", "y = 2\n")
    _commit(repo, 4, '=HYPERLINK("http://x") <script>alert(1)</script>')
    sub = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/lib", n=5)
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "a submodule", n=5)
    (repo / "vendor" / "lib").mkdir(parents=True)  # as a clone leaves a submodule not fetched
    git(repo, "checkout", "-q", "-b", "feature", n=6)
    _write(repo, "src/feature.py", "def feature():\n    return 1\n")
    _commit(repo, 6, "feature work")
    _write(repo, "src/feature.py", "def feature():\n    return 2\n")
    _commit(repo, 7, "more feature work")
    git(repo, "checkout", "-q", "main", n=8)
    _write(repo, "src/other.py", "z = 3\n")
    _commit(repo, 8, "other work on main")
    git(repo, "merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "merge feature", "feature", n=9)
    _write(repo, "weights.h5", LFS_POINTER)
    _commit(repo, 10, "weights through LFS")
    _write(repo, "src/a.py", "print('rewritten')\n")
    _write(repo, "nb.ipynb", NOTEBOOK.replace("hello", "hello there"))
    _commit(repo, 11, "rewrite")
    (repo / "empty.txt").unlink()
    _commit(repo, 12, "drop the empty file")


COMMITS = 11  # on main's first-parent line (the feature commits are not)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("history") / "repo"
    repo.mkdir()
    make_repository(repo)
    return repo


def _history(repo: Path, out: Path, **options: Any) -> tuple[dict[str, Any], Any]:
    out.mkdir(exist_ok=True)
    result = run_history(repo, out, HistoryOptions(**options))
    return json.loads((out / "history.json").read_text("utf-8")), result


def _groups_of_scan(folder: Path) -> tuple[dict[tuple[str, str | None], list[int]], list[int]]:
    """What a scan of a checkout finds, by category and language; an LFS pointer counts
    as the size it points to, as the history records it."""
    table = file_types()
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    books = [0, 0, 0, 0]
    for record in scan(folder, ScanOptions(gitignore=False)).records:
        if record.reason == "Git LFS pointer":
            size = int(record_text(folder, record.path).split("size ")[1].split()[0])
            category = table.classify(record.path, record.extension) or "other"
            groups[(category, None)][0] += 1
            groups[(category, None)][1] += size
            continue
        values = groups[(record.category, record.language)]
        values[0] += 1
        values[1] += record.size_bytes
        if record.counts is not None:
            if is_code(record.category, record.language):  # lines of code, split
                values[2] += record.counts.code
                values[3] += record.counts.comment
            else:  # rows of data, markup, text: never code
                values[5] += record.counts.code + record.counts.comment
            values[4] += record.counts.blank
        if record.notebook is not None:
            stats = record.notebook
            for index, value in enumerate((1, stats.cells, stats.output_bytes, stats.error_cells)):
                books[index] += value
    return dict(groups), books


def record_text(folder: Path, path: str) -> str:
    return (folder / path).read_text("utf-8")


def _checkout(repo: Path, commit: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="tar")
    return into


def test_every_commit_equals_a_scan_of_its_checkout(repository: Path, tmp_path: Path) -> None:
    document, result = _history(repository, tmp_path / "out")
    jsonschema.validate(document, load_history_schema())
    assert len(document["commits"]) == COMMITS == result.commits
    for index, row in enumerate(document["commits"]):
        folder = _checkout(repository, row["commit"], tmp_path / f"c{index}")
        expected, books = _groups_of_scan(folder)
        found = {
            (g["category"], g["language"]): [
                g[k] for k in ("files", "bytes", "code", "comment", "blank", "other")
            ]
            for g in row["groups"]
        }
        assert found == expected, row["subject"]
        notebooks = row["notebooks"]
        assert [
            notebooks[k] for k in ("notebooks", "cells", "output_bytes", "error_cells")
        ] == books
        assert row["files"] == sum(values[0] for values in expected.values())
        shutil.rmtree(folder)


def test_a_moved_large_file_is_not_a_new_arrival(tmp_path: Path) -> None:
    """git mv of a 2 MiB file, then a copy of it and a new one: 3 arrivals, not 4 (the
    rename once counted as a file arriving)."""
    repo = tmp_path / "moves"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    big = bytes(range(256)) * 8192  # 2 MiB
    _write(repo, "data/model.bin", big)
    _commit(repo, 0, "add the model")
    git(repo, "mv", "data", "weights")
    _commit(repo, 1, "rename the folder")
    _write(repo, "copy/model.bin", big)  # the same content, now twice: a copy arrives
    _write(repo, "other.bin", big[::-1])
    _commit(repo, 2, "a copy and another")
    git(repo, "mv", "other.bin", "moved.bin")
    _write(repo, "moved.bin.txt", "note\n")
    _commit(repo, 3, "rename with a neighbour")
    document, _ = _history(repo, tmp_path / "out")
    arrivals = [(event["path"], event["commit"]) for event in document["events"]]
    commits = [row["commit"] for row in document["commits"]]
    assert arrivals == [
        ("data/model.bin", commits[0]),
        ("copy/model.bin", commits[2]),
        ("other.bin", commits[2]),
    ]
    assert document["commits"][1]["largest"][0] == {"path": "weights/model.bin", "bytes": len(big)}


def test_arrivals_submodules_links_and_lfs(repository: Path, tmp_path: Path) -> None:
    document, _ = _history(repository, tmp_path / "out")
    commits = document["commits"]
    subjects = [row["subject"] for row in commits]
    assert "feature work" not in subjects and "merge feature" in subjects
    events = {(event["kind"], event["path"]): event for event in document["events"]}
    folder = events[("large_folder", "frames/")]
    assert folder["files"] == FRAMES and folder["commit"] == commits[1]["commit"]
    model = events[("large_file", "model.pt")]
    assert (model["bytes"], model["commit"], model["lfs"]) == (
        len(BIG),
        commits[2]["commit"],
        False,
    )
    weights = events[("large_file", "weights.h5")]
    assert (weights["bytes"], weights["lfs"]) == (LFS_SIZE, True)
    assert len(events) == 3
    assert commits[5]["submodules"] == 1 and commits[4]["submodules"] == 0
    assert commits[8]["lfs_pointers"] == {"files": 1, "bytes": LFS_SIZE}
    assert commits[8]["largest"][0] == {"path": "weights.h5", "bytes": LFS_SIZE}
    assert commits[2]["largest"][0] == {"path": "model.pt", "bytes": len(BIG)}
    merge = commits[7]
    assert merge["changed"] == {"added": 1, "modified": 0, "deleted": 0}  # against main
    assert commits[3]["changed"] == {"added": 1, "modified": 0, "deleted": 2}


def test_csv_rows_match_the_json_and_cells_are_guarded(repository: Path, tmp_path: Path) -> None:
    document, _ = _history(repository, tmp_path / "out")
    with open(tmp_path / "out" / "history.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(row["groups"]) for row in document["commits"])
    hostile = [row for row in rows if "HYPERLINK" in row["subject"]]
    assert hostile and all(row["subject"].startswith("'=") for row in hostile)
    last = document["commits"][-1]
    mine = [row for row in rows if row["commit"] == last["commit"]]
    assert sum(int(row["code"]) for row in mine) == last["code"]


def test_small_windows_give_the_same_rows(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blobs read in many windows (each blob finished before the next window asks git)."""
    whole, _ = _history(repository, tmp_path / "one")
    monkeypatch.setattr(history_run, "WINDOW", 7)
    monkeypatch.setattr(history_run, "_PENDING_COMMITS", 2)
    windowed, _ = _history(repository, tmp_path / "many")
    assert windowed["commits"] == whole["commits"]


def test_the_same_history_gives_the_same_documents(repository: Path, tmp_path: Path) -> None:
    first, _ = _history(repository, tmp_path / "one")
    second, _ = _history(repository, tmp_path / "two", cache_dir=tmp_path / "cache")
    for document in (first, second):
        document.pop("timestamp")
        document.pop("repository")
    assert first == second
    assert (tmp_path / "one" / "history.csv").read_bytes() == (
        tmp_path / "two" / "history.csv"
    ).read_bytes()


def test_the_cache_reads_only_new_blobs(repository: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repository), str(clone)], check=True)
    cache = tmp_path / "cache"
    _, cold = _history(clone, tmp_path / "a", cache_dir=cache)
    assert cold.analysed == cold.blobs > 1000
    _, warm = _history(clone, tmp_path / "b", cache_dir=cache)
    assert warm.analysed == 0
    _write(clone, "src/new.py", "print('new')\n")
    _commit(clone, 20, "one more")
    document, after = _history(clone, tmp_path / "c", cache_dir=cache)
    assert after.analysed == 1 and after.commits == COMMITS + 1
    assert document["commits"][-1]["code"] == document["commits"][-2]["code"] + 1
    # A cache that does not decode is rebuilt, never trusted.
    for path in cache.iterdir():
        path.write_bytes(b"\x93garbage")
    broken, again = _history(clone, tmp_path / "d", cache_dir=cache)
    assert again.analysed == again.blobs and "did not decode" in " ".join(again.notes)
    assert broken["commits"] == document["commits"]


def test_a_limited_history_starts_from_the_tree_before_it(repository: Path, tmp_path: Path) -> None:
    whole, _ = _history(repository, tmp_path / "all")
    tail, _ = _history(repository, tmp_path / "tail", max_commits=3)
    assert [row["commit"] for row in tail["commits"]] == [
        row["commit"] for row in whole["commits"][-3:]
    ]
    assert tail["commits"] == whole["commits"][-3:]
    since, _ = _history(repository, tmp_path / "since", since=date(2024, 1, 11))
    assert since["commits"] == whole["commits"][-3:]


def test_a_folder_of_the_repository_has_its_own_history(repository: Path, tmp_path: Path) -> None:
    document, _ = _history(repository / "src", tmp_path / "o")
    assert document["prefix"] == "src"
    for row in document["commits"]:
        assert all(item["path"].count("/") == 0 for item in row["largest"])
    assert document["commits"][-1]["files"] == len(list((repository / "src").iterdir()))


def test_a_bare_clone_gives_the_same_rows(repository: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repository), str(bare)], check=True)
    whole, _ = _history(repository, tmp_path / "a")
    naked, _ = _history(bare, tmp_path / "b")
    assert naked["commits"] == whole["commits"]


def test_a_shallow_clone_says_how_deep_it_is(repository: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "4", f"file://{repository}", str(shallow)], check=True
    )
    out = tmp_path / "out"
    assert main(["history", str(shallow), "-o", str(out), "--no-cache"]) == 0
    printed = capsys.readouterr().out
    assert "shallow clone: only 4 commits are present" in printed
    document = json.loads((out / "history.json").read_text("utf-8"))
    assert document["shallow"] is True and len(document["commits"]) == 4
    whole, _ = _history(repository, tmp_path / "w")
    assert document["commits"][0]["groups"] == whole["commits"][-4]["groups"]


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("plain", [], "not a git repository"),
        ("empty", [], "has no commits yet"),
        ("repo", ["--rev", "no-such-branch"], "no-such-branch: no such revision"),
        ("repo", ["--rev=--all"], "not a revision"),
        ("repo", ["--since", "2090-01-01"], "no commits since 2090-01-01"),
        ("repo", ["--since", "2100-01-01"], "2100-01-01: git would read it as"),
        ("repo", ["--since", "2999-01-01"], "2999-01-01: git would read it as"),
        ("repo", ["--since", "1969-12-31"], "1969-12-31: git would read it as"),
        ("repo", ["--since", "0001-01-01"], "0001-01-01: git would read it as"),
        ("repo", ["--since", "yesterday-ish"], "not a date"),
        ("repo", ["--max-commits", "0"], "must be 1 or more"),
        ("missing", [], "no such directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(  # type: ignore[no-untyped-def]
    repository: Path, tmp_path: Path, capsys, setup: str, args: list[str], message: str
) -> None:
    target = {
        "plain": tmp_path / "plain",
        "empty": tmp_path / "empty",
        "repo": repository,
        "missing": tmp_path / "missing",
    }[setup]
    if setup == "plain":
        target.mkdir()
    if setup == "empty":
        target.mkdir()
        git(target, "init", "-q")
    out = tmp_path / "out"
    assert main(["history", str(target), "-o", str(out), *args]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert not (out / "history.json").exists()


def test_a_stopped_run_leaves_the_old_documents(
    repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _history(repository, out)
    before = (out / "history.json").read_bytes(), (out / "history.csv").read_bytes()

    def stop(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(history_run, "analyse_blobs", stop)
    with pytest.raises(KeyboardInterrupt):
        run_history(repository, out, HistoryOptions())
    assert ((out / "history.json").read_bytes(), (out / "history.csv").read_bytes()) == before
    assert sorted(path.name for path in out.iterdir()) == ["history.csv", "history.json"]


def test_the_sample_built_as_a_repository(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "Detect_Lines"
    subprocess.run(
        ["python", str(REPO_ROOT / "examples" / "make_sample.py"), "--git", str(repo)], check=True
    )
    out = tmp_path / "out"
    assert main(["history", str(repo), "-o", str(out), "--no-cache"]) == 0
    assert "4 commits" in capsys.readouterr().out
    document = json.loads((out / "history.json").read_text("utf-8"))
    expected, books = _groups_of_scan(SAMPLE)
    last = document["commits"][-1]
    found = {
        (g["category"], g["language"]): [
            g[k] for k in ("files", "bytes", "code", "comment", "blank", "other")
        ]
        for g in last["groups"]
    }
    assert found == expected
    assert last["notebooks"]["notebooks"] == books[0] == 8
    assert [row["files"] for row in document["commits"]] == [9, 18, 56, 59]


def test_history_reports_git_failures_as_history_errors(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="not a git repository"):
        run_history(tmp_path, tmp_path, HistoryOptions())


def test_views_escape_what_the_repository_says(repository: Path, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from repolens.history import view

    out = tmp_path / "out"
    _history(repository, out)
    document = view.load_history(out / "history.json")
    for row in document["commits"]:  # hostile subjects and paths everywhere
        row["subject"] = "<script>alert(1)</script>"
    for event in document["events"]:
        event["path"] = "<img src=x onerror=alert(1)>"
    text = view.bytes_sentence(document) + view.notebooks_sentence(document)
    text += view.languages_sentence(document)
    assert "<script>" not in text and "<img" not in text and "&lt;script&gt;" in text
    assert "model.pt" not in text  # the path was replaced, and the replacement escaped
    frame = view.languages_frame(document)
    assert frame.iloc[-1].sum() == document["commits"][-1]["code"] - sum(
        g["code"] for g in document["commits"][-1]["groups"] if not g["language"]
    )
    assert list(view.bytes_frame(document).iloc[-1]) == [
        sum(g["bytes"] for g in document["commits"][-1]["groups"] if g["category"] == name)
        for name in view.bytes_frame(document).columns
    ]
    assert len(view.events_frame(document)) == 3
    for plot in (
        view.plot_languages_over_time,
        view.plot_bytes_over_time,
        view.plot_notebooks_over_time,
    ):
        assert plot(document).get_title(loc="left")
        assert plot({**document, "commits": [], "events": []}).texts  # says there is nothing
    section = view.growth_html(out)
    assert 'href="history.json"' in section and "11 commits" in section
    assert "No history in this folder" in view.growth_html(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.json").write_text("{not json")
    assert "could not be read" in view.growth_html(tmp_path / "bad")
    (tmp_path / "bad" / "history.json").write_text(
        json.dumps({**document, "schema_version": "1.1.0"})
    )
    assert "run repolens history again" in view.growth_html(tmp_path / "bad")
    wrong = {
        "schema_version": "2.0.0",
        "commits": [{"time": 5}],
        "events": [],
        "head": "",
        "repository": "",
    }
    (tmp_path / "bad" / "history.json").write_text(json.dumps(wrong))
    assert "is not a history" in view.growth_html(tmp_path / "bad")  # the report goes on


def test_progress_counts_commits(repository: Path, tmp_path: Path) -> None:
    import io

    from repolens.core.progress import ProgressLine

    screen = io.StringIO()
    calls: list[tuple[int, int | None]] = []
    line = ProgressLine(screen, delay=0)

    def progress(phase: str, done: int, total: int | None) -> None:
        calls.append((done, total))
        line(phase, done, total)

    (tmp_path / "out").mkdir()
    run_history(repository, tmp_path / "out", HistoryOptions(), progress)
    assert calls[-1] == (COMMITS, COMMITS)
    assert f"{COMMITS}/{COMMITS} commits" in screen.getvalue()


def test_a_commit_past_the_year_9999_has_no_time_and_no_traceback(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "far"
    repo.mkdir()
    git(repo, "init", "-q")
    _write(repo, "a.py", "x = 1\n")
    git(repo, "add", "a.py")
    far = {**_env(0), "GIT_AUTHOR_DATE": "@253402300900 +0000"}
    far["GIT_COMMITTER_DATE"] = far["GIT_AUTHOR_DATE"]
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "--no-gpg-sign", "-m", "far"],
        check=True,
        env=far,
    )
    out = tmp_path / "out"
    assert main(["history", str(repo), "-o", str(out), "--no-cache"]) == 0
    assert "1 commits from ? to ?" in capsys.readouterr().out
    document = json.loads((out / "history.json").read_text("utf-8"))
    jsonschema.validate(document, load_history_schema())
    assert document["commits"][0]["time"] is None and document["commits"][0]["code"] == 1
