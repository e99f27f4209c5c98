"""repolens history on imperfect repositories: missing and corrupt objects are named and
the history goes on; commit times git cannot give are null with a reason; a --since git
cannot honour is exit 2; the blob cache is read only when it is a regular file.

Each repository is generated here. ``small_repository`` makes three commits, each
adding one Python file of one line (``f1.py``, ``f2.py``, ``f3.py``), so every row's
files and lines are known: commit k holds k files and k lines of code.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from repolens.cli import main
from repolens.history import HistoryOptions, run_history
from repolens.history import blobs as history_blobs
from repolens.history.run import load_history_schema
from repolens.scanning.activity import git_activity

from .test_history import _env, git

COMMITS = 3


def small_repository(repo: Path) -> dict[str, str]:
    """Three commits, each adding ``fK.py`` (one line); the blob id of each file."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for number in range(1, COMMITS + 1):
        (repo / f"f{number}.py").write_text(f"x{number} = {number}\n")
        git(repo, "add", "-A", n=number)
        git(repo, "commit", "-q", "--no-gpg-sign", "-m", f"add f{number}", n=number)
    return {f"f{n}.py": git(repo, "rev-parse", f"HEAD:f{n}.py") for n in range(1, COMMITS + 1)}


def long_repository(repo: Path, commits: int) -> None:
    """``commits`` commits made at once by git fast-import, each changing one file of
    a long name: git log's output is far larger than a pipe holds."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    stream = []
    for number in range(commits):
        text = f"x = {number}\n".encode()
        name = f"{'folder/' * 20}file{number % 50}.py"
        stream.append(
            f"commit refs/heads/main\ncommitter A <a@example.org> {1700000000 + number} +0000\n"
            "data 2\nc\n"
        )
        stream.append(f"M 100644 inline {name}\ndata {len(text)}\n{text.decode()}\n")
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
        env=_env(0),
    )


def _loose(repo: Path, oid: str) -> Path:
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


def _history(repo: Path, out: Path, capsys, *args: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    assert main(["history", str(repo), "-o", str(out), "--no-cache", *args]) == 0
    document = json.loads((out / "history.json").read_text("utf-8"))
    jsonschema.validate(document, load_history_schema())
    return document, capsys.readouterr().out


def _pack_blobs_only(repo: Path) -> Path:
    """Put every blob in one pack of its own (commits and trees stay loose)."""
    listing = git(repo, "rev-list", "--objects", "--all")
    oids = [line.split()[0] for line in listing.splitlines()]
    blobs = [oid for oid in oids if git(repo, "cat-file", "-t", oid) == "blob"]
    name = (
        subprocess.run(
            ["git", "-C", str(repo), "pack-objects", "-q", ".git/objects/pack/pack"],
            input="\n".join(blobs).encode() + b"\n",
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    for oid in blobs:
        _loose(repo, oid).unlink()
    return repo / ".git" / "objects" / "pack" / f"pack-{name}.pack"


def _break(repo: Path, blobs: dict[str, str], how: str) -> None:
    """Damage f2.py's blob."""
    oid = blobs["f2.py"]
    if how == "missing":
        _loose(repo, oid).unlink()
    elif how == "garbage":
        _loose(repo, oid).chmod(0o644)
        _loose(repo, oid).write_bytes(b"this is not a zlib stream")
    elif how == "fifo":
        _loose(repo, oid).unlink()
        os.mkfifo(_loose(repo, oid))
    elif how == "packed-corrupt":
        pack = _pack_blobs_only(repo)
        index = pack.with_suffix(".idx")
        rows = git(repo, "verify-pack", "-v", str(index)).splitlines()
        offset = next(int(row.split()[4]) for row in rows if row.startswith(oid))
        pack.chmod(0o644)
        with open(pack, "r+b") as handle:
            handle.seek(offset + 2)
            handle.write(b"\xff" * 8)
    elif how == "pack-truncated":
        pack = _pack_blobs_only(repo)
        pack.chmod(0o644)
        with open(pack, "r+b") as handle:
            handle.truncate(pack.stat().st_size - 30)


@pytest.mark.parametrize(
    ("how", "problems", "unreadable"),
    [
        ("missing", {"missing"}, 1),
        ("garbage", {"corrupt"}, 1),
        ("fifo", {"corrupt"}, 1),
        ("packed-corrupt", {"corrupt"}, 1),
        ("pack-truncated", {"missing", "corrupt"}, COMMITS),  # the pack is unusable whole
    ],
)
def test_a_damaged_blob_is_named_and_the_history_goes_on(
    tmp_path: Path, capsys, how: str, problems: set[str], unreadable: int
) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    blobs = small_repository(repo)
    _break(repo, blobs, how)
    document, printed = _history(repo, tmp_path / "out", capsys)
    rows = document["commits"]
    assert [row["files"] for row in rows] == [1, 2, 3]  # every file counts
    listed = document["unreadable_objects"]
    assert listed["count"] == len(listed["objects"]) == unreadable
    entry = next(item for item in listed["objects"] if item["object"] == blobs["f2.py"])
    assert entry["problem"] in problems
    assert entry["paths"] == ["f2.py"]
    assert entry["commits"] == [rows[1]["commit"]] and entry["commits_total"] == 1
    if unreadable == 1:
        assert [row["code"] for row in rows] == [1, 1, 2]  # f2.py counts no lines
    noun = "object" if unreadable == 1 else "objects"
    assert f"{unreadable} {noun} of the repository could not be read" in printed


def test_a_blob_missing_in_several_places_names_each_and_is_never_cached(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    blobs = small_repository(repo)
    (repo / "copy").mkdir()
    (repo / "copy" / "f2.py").write_text((repo / "f2.py").read_text())
    git(repo, "add", "-A", n=5)
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "a copy", n=5)
    saved = _loose(repo, blobs["f2.py"]).read_bytes()
    _loose(repo, blobs["f2.py"]).unlink()
    cache = tmp_path / "cache"
    first = run_history(repo, _out(tmp_path / "a"), HistoryOptions(cache_dir=cache))
    document = json.loads((tmp_path / "a" / "history.json").read_text())
    (entry,) = document["unreadable_objects"]["objects"]
    assert entry["paths"] == ["f2.py", "copy/f2.py"] and entry["commits_total"] == 2
    assert first.unreadable == 1
    _loose(repo, blobs["f2.py"]).write_bytes(saved)  # the object comes back
    second = run_history(repo, _out(tmp_path / "b"), HistoryOptions(cache_dir=cache))
    assert second.unreadable == 0 and second.analysed == 1  # only it is read again
    assert json.loads((tmp_path / "b" / "history.json").read_text())["commits"][-1]["code"] == 4


def _out(path: Path) -> Path:
    path.mkdir()
    return path


def test_a_missing_tree_stops_the_history_with_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    small_repository(repo)
    tree = git(repo, "rev-parse", "HEAD~1^{tree}")
    _loose(repo, tree).unlink()
    out = tmp_path / "out"
    assert main(["history", str(repo), "-o", str(out), "--no-cache"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "git log failed" in error
    assert not (out / "history.json").exists()


def _commit_with_time(repo: Path, parent: str | None, stamp: str, subject: str) -> str:
    tree = git(repo, "write-tree")
    head = f"tree {tree}\n" + (f"parent {parent}\n" if parent else "")
    text = (
        f"{head}author A <a@example.org> {stamp} +0000\n"
        f"committer A <a@example.org> {stamp} +0000\n\n{subject}\n"
    )
    done = subprocess.run(
        ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip()


def test_commit_times_git_cannot_give_are_null_with_a_reason(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Four commits: time -1 (git prints nothing), a good time, a time past 9999, and a
    number of 25 digits."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    parent = None
    for number, stamp in enumerate(("-1", "1700000000", "253402300900", "9" * 25)):
        (repo / f"f{number}.py").write_text(f"x = {number}\n")
        git(repo, "add", "-A")
        parent = _commit_with_time(repo, parent, stamp, f"at {stamp}")
    git(repo, "update-ref", "refs/heads/main", parent)
    document, printed = _history(repo, tmp_path / "out", capsys)
    rows = document["commits"]
    assert [row["time"] for row in rows] == [None, "2023-11-14T22:13:20+00:00", None, None]
    assert "gives no time" in rows[0]["time_problem"]
    assert "time_problem" not in rows[1]
    assert "after the year 9999" in rows[2]["time_problem"]
    assert "after the year 9999" in rows[3]["time_problem"]
    assert [row["code"] for row in rows] == [1, 2, 3, 4]
    assert "4 commits from ? to ?" in printed
    csv_times = (tmp_path / "out" / "history.csv").read_text().splitlines()[1].split(",")[1]
    assert csv_times == ""
    activity = git_activity(str(repo))
    assert activity is not None and activity.commits == 4 and activity.by_month == {"2023-11": 1}


def _dated_repository(repo: Path) -> None:
    """Two commits: one in 2024, one in 2095 (a clock far ahead)."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for number, when in enumerate(("2024-05-01T00:00:00+00:00", "2095-05-01T00:00:00+00:00")):
        (repo / f"f{number}.py").write_text(f"x = {number}\n")
        git(repo, "add", "-A")
        environment = {**_env(0), "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        subprocess.run(
            ["git", "-C", str(repo), "commit", "-q", "--no-gpg-sign", "-m", when[:4]],
            env=environment,
            check=True,
        )


@pytest.mark.parametrize(
    ("since", "subjects"),
    [
        ("1970-01-01", ["2024", "2095"]),  # git reads it as the epoch: every commit
        ("2024-01-01", ["2024", "2095"]),
        ("2090-01-01", ["2095"]),  # in the future, and git honours it
        ("2099-12-31", []),
    ],
)
def test_a_since_git_honours_selects_by_date(
    tmp_path: Path, capsys, since: str, subjects: list[str]
) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    _dated_repository(repo)
    out = tmp_path / "out"
    code = main(["history", str(repo), "-o", str(out), "--no-cache", "--since", since])
    if not subjects:
        assert code == 2 and f"no commits since {since}" in capsys.readouterr().err
        return
    assert code == 0
    document = json.loads((out / "history.json").read_text())
    assert [row["subject"] for row in document["commits"]] == subjects


@pytest.mark.parametrize("since", ["2100-01-01", "2999-12-31", "9999-12-31", "1969-12-31"])
def test_a_since_git_cannot_honour_is_exit_2_and_nothing_written(
    tmp_path: Path, capsys, since: str
) -> None:  # type: ignore[no-untyped-def]
    """git reads these as other dates and would write every commit."""
    repo = tmp_path / "repo"
    _dated_repository(repo)
    out = tmp_path / "out"
    assert main(["history", str(repo), "-o", str(out), "--no-cache", "--since", since]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"--since {since}: git would read it as" in error
    assert not out.exists() or list(out.iterdir()) == []


def test_history_of_a_repository_whose_worktree_setting_points_elsewhere(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    small_repository(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "other.py").write_text("y = 1\n")
    git(repo, "config", "core.worktree", str(elsewhere))
    document, _ = _history(repo, tmp_path / "out", capsys)
    assert [row["files"] for row in document["commits"]] == [1, 2, 3]
    assert document["prefix"] == ""


def test_git_dir_in_the_users_environment_does_not_change_the_history(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    small_repository(repo)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "z.py").write_text("z = 1\n")
    git(other, "add", "-A")
    git(other, "commit", "-q", "--no-gpg-sign", "-m", "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    document, _ = _history(repo, tmp_path / "out", capsys)
    assert [row["subject"] for row in document["commits"]] == ["add f1", "add f2", "add f3"]


def test_a_linked_work_tree_has_the_history_of_its_branch(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    small_repository(repo)
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"), "HEAD~1")
    document, _ = _history(tmp_path / "side", tmp_path / "out", capsys)
    assert [row["files"] for row in document["commits"]] == [1, 2]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "too-large"])
def test_a_cache_that_is_not_a_small_regular_file_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    repo = tmp_path / "repo"
    small_repository(repo)
    cache = tmp_path / "cache"
    run_history(repo, _out(tmp_path / "a"), HistoryOptions(cache_dir=cache))
    (path,) = cache.iterdir()
    if kind == "fifo":
        path.unlink()
        os.mkfifo(path)
        reason = "a FIFO"
    elif kind == "dev-zero":
        path.unlink()
        path.symlink_to("/dev/zero")
        reason = "a symbolic link"
    else:
        monkeypatch.setattr(history_blobs, "MAX_CACHE_BYTES", 10)
        reason = "over the 10-byte limit"
    result = run_history(repo, _out(tmp_path / "b"), HistoryOptions(cache_dir=cache))
    assert result.analysed == result.blobs == COMMITS
    assert any("could not be read" in note and reason in note for note in result.notes)
    assert path.is_file() and not path.is_symlink()  # saved again, as a file


def test_a_subject_of_many_megabytes_is_read_whole(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """One commit whose subject is 16 MiB on one line: a field of git's output longer
    than any read is gathered in parts and comes out whole."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    subject = "s" * (16 << 20)
    head = _commit_with_time(repo, None, "1700000000", subject)
    git(repo, "update-ref", "refs/heads/main", head)
    clock = time.monotonic()
    document, _ = _history(repo, tmp_path / "out", capsys)
    assert time.monotonic() - clock < 120
    assert len(document["commits"][0]["subject"]) == len(subject)


def test_an_interrupted_history_leaves_no_git_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while blobs are analysed: the git log and cat-file processes (each in a
    process group of its own, out of the terminal's reach) are ended by repolens."""
    from repolens.history import run as history_run

    from .test_gitsafe import track_git

    repo = tmp_path / "repo"
    long_repository(repo, 3000)
    started = track_git(monkeypatch)

    def interrupted(reader, wanted, limit):  # type: ignore[no-untyped-def]
        next(iter(reader.read_all([item.oid for item in wanted], 10)))  # cat-file running
        raise KeyboardInterrupt

    monkeypatch.setattr(history_run, "analyse_blobs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_history(repo, _out(tmp_path / "out"), HistoryOptions())
    names = [process.args[-1] if isinstance(process.args, list) else "" for process in started]
    assert any("--batch" in str(name) for name in names)  # cat-file was started
    assert all(process.poll() is not None for process in started)
