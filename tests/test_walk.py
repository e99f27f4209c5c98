"""The walk: every entry once, .gitignore the way git does, links never looped."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens.core.records import Kind, display_path
from repolens.scanning.walk import WalkSettings, WalkStats, walk

from .conftest import make_tree

HAS_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAS_GIT, reason="git is not installed")


def walked(root: Path, **settings: object) -> set[str]:
    return {entry.rel for entry in walk(str(root), WalkSettings(**settings))}


def git_files(root: Path) -> set[str]:
    """What git itself lists: tracked plus untracked files that are not ignored."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    return {os.fsdecode(item) for item in out.split(b"\0") if item}


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)


TREE = {
    ".gitignore": "*.log\nbuild/\n/data/raw/\n!keep.log\nsecret*\n**/tmp/*.bin\n",
    "keep.log": "kept\n",
    "run.log": "ignored\n",
    "src/app.py": "x = 1\n",
    "src/.gitignore": "generated_*.py\n!generated_ok.py\n",
    "src/generated_a.py": "",
    "src/generated_ok.py": "",
    "src/build/out.o": "",
    "build/cache.bin": "",
    "data/raw/frame.png": "",
    "data/clean/frame.png": "",
    "data/tmp/a.bin": "",
    "data/tmp/a.txt": "",
    "secrets.txt": "",
    "docs/secret/notes.md": "",
    ".hidden/config": "",
    ".env": "",
}


@needs_git
def test_gitignore_rules_match_git_inside_a_work_tree(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    git_init(tmp_path)
    (tmp_path / ".git" / "info" / "exclude").write_text(".env\n")
    assert walked(tmp_path) == git_files(tmp_path)
    assert "keep.log" in walked(tmp_path) and "run.log" not in walked(tmp_path)


@needs_git
def test_tracked_files_are_never_ignored(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.log": "", "dir/b.log": "", "c.py": ""})
    git_init(tmp_path)
    subprocess.run(["git", "-C", str(tmp_path), "add", "a.log", "dir/b.log"], check=True)
    (tmp_path / ".gitignore").write_text("*.log\ndir/\n")
    assert walked(tmp_path) == git_files(tmp_path) == {"a.log", "dir/b.log", "c.py", ".gitignore"}


@needs_git
def test_a_subfolder_root_obeys_the_rules_above_it(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "*.tmp\n", "project/a.tmp": "", "project/b.py": ""})
    git_init(tmp_path)
    assert walked(tmp_path / "project") == {"b.py"}


@needs_git
def test_a_root_that_git_ignores_is_analysed_without_the_rules(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "venv/\n*.pyc\n", "venv/lib/x.py": "", "venv/x.pyc": ""})
    git_init(tmp_path)
    stats = WalkStats()
    rels = {entry.rel for entry in walk(str(tmp_path / "venv"), WalkSettings(), stats)}
    assert rels == {"lib/x.py", "x.pyc"}
    assert stats.root_ignored and not stats.gitignore_applied


def test_outside_a_work_tree_a_stray_gitignore_hides_nothing(tmp_path: Path) -> None:
    # The kernel tarball ships a top-level .gitignore of "/*"
    make_tree(tmp_path, {".gitignore": "/*\n!.gitignore\n", "Makefile": "", "kernel/fork.c": ""})
    stats = WalkStats()
    rels = {entry.rel for entry in walk(str(tmp_path), WalkSettings(), stats)}
    assert rels == {".gitignore", "Makefile", "kernel/fork.c"}
    assert stats.work_tree is None and not stats.gitignore_applied


@needs_git
def test_no_gitignore_turns_the_rules_off(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "*.log\n", "a.log": "", "b.py": ""})
    git_init(tmp_path)
    assert walked(tmp_path, gitignore=False) == {".gitignore", "a.log", "b.py"}


def test_the_git_folder_is_never_entered(tmp_path: Path) -> None:
    make_tree(tmp_path, {".git/config": "", ".git/objects/ab": "", "a.py": "", "sub/.git": ""})
    assert walked(tmp_path) == {"a.py", "sub/.git"}  # a .git *file* (worktree link) is a file


@pytest.mark.parametrize(
    ("excludes", "expected"),
    [
        (("*.png",), {"a.py", "data/log.csv"}),
        (("data/",), {"a.py", "img/x.png"}),
        (("/img",), {"a.py", "data/log.csv"}),
        (("*.png", "*.csv"), {"a.py"}),
        ((), {"a.py", "data/log.csv", "img/x.png"}),
    ],
)
def test_excludes(tmp_path: Path, excludes: tuple[str, ...], expected: set[str]) -> None:
    make_tree(tmp_path, {"a.py": "", "data/log.csv": "", "img/x.png": ""})
    assert walked(tmp_path, excludes=excludes) == expected


def test_symlinks_are_recorded_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, {"real/a.py": "x\n"})
    (tmp_path / "link_dir").symlink_to("real")
    (tmp_path / "link_file.py").symlink_to("real/a.py")
    (tmp_path / "broken").symlink_to("nowhere")
    (tmp_path / "real" / "loop").symlink_to("..")
    entries = {entry.rel: entry for entry in walk(str(tmp_path))}
    assert set(entries) == {"real/a.py", "link_dir", "link_file.py", "broken", "real/loop"}
    assert entries["broken"].kind is Kind.SYMLINK and entries["broken"].link_note == "broken"
    assert entries["link_dir"].link_target == "real"


def test_following_symlinks_never_loops(tmp_path: Path) -> None:
    make_tree(tmp_path, {"real/a.py": "x\n"})
    (tmp_path / "real" / "loop").symlink_to("..")
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "elsewhere").symlink_to(tmp_path / "real")
    entries = {
        entry.rel: entry for entry in walk(str(tmp_path), WalkSettings(follow_symlinks=True))
    }
    assert entries["real/loop"].link_note == "inside"
    assert entries["self"].link_note == "loop"
    assert entries["elsewhere"].link_note == "inside"  # real/ is walked where it is
    assert [rel for rel in entries if rel.endswith("a.py")] == ["real/a.py"]


def test_two_links_to_one_outside_folder_walk_it_once(tmp_path: Path) -> None:
    make_tree(tmp_path / "outside", {"b.py": ""})
    root = tmp_path / "root"
    root.mkdir()
    (root / "one").symlink_to(tmp_path / "outside")
    (root / "two").symlink_to(tmp_path / "outside")
    entries = {entry.rel: entry for entry in walk(str(root), WalkSettings(follow_symlinks=True))}
    files = [rel for rel, entry in entries.items() if entry.kind is Kind.FILE]
    assert len(files) == 1
    assert sum(1 for entry in entries.values() if entry.link_note == "loop") == 1


def test_followed_link_to_a_folder_is_walked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, {"b.py": ""})
    root = tmp_path / "root"
    root.mkdir()
    (root / "ext").symlink_to(outside)
    assert walked(root, follow_symlinks=True) == {"ext/b.py"}
    assert walked(root) == {"ext"}


def test_special_files_are_entries_of_their_own_kind(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (entry,) = list(walk(str(tmp_path)))
    assert entry.kind is Kind.SPECIAL


# --- order: the walk yields paths as the reports sort them --------------------------------

NAME_PARTS = ["a", "a.b", "a-b", "a b", "ab", "a/", "b", "Z", "é", "\\", "x\x7f", "~"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    paths=st.lists(
        st.lists(
            st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=3).map("".join),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_entries_come_in_the_order_of_their_paths(tmp_path: Path, paths: list[list[str]]) -> None:
    """Folders named like the start of a sibling (``a`` beside ``a.b`` and ``a-b``), names
    with a backslash or bytes that are not UTF-8: the depth-first walk yields exactly the
    order ``sorted()`` gives the reports' paths, so nothing needs holding to sort."""
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    for parts in paths:
        names = [name.replace("/", "") or "s" for name in parts]
        folder = root.joinpath(*names[:-1])
        if any(p.is_file() for p in (folder, *folder.parents) if p != root):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / names[-1]).exists():
            (folder / names[-1]).write_text("x")
    raw = os.fsencode(root) + b"/\xff-raw"
    with open(raw, "wb") as handle:
        handle.write(b"x")
    shown = [display_path(entry.rel)[0] for entry in walk(str(root))]
    assert shown == sorted(shown)
    assert len(shown) == len(set(shown)) == sum(len(found) for _, _, found in os.walk(root))


def test_a_folder_that_cannot_be_listed_is_recorded_where_its_path_sorts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``data`` (unlistable) sorts before ``data.csv``, although its files would sort after."""
    make_tree(tmp_path, {"data.csv": "a\n", "data-old/x": "x\n", "data/y": "y\n", "e": "e\n"})
    from repolens.core import safeio

    real = safeio.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if path == os.path.join(tmp_path, "data"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(safeio, "scandir", scandir)
    entries = list(walk(str(tmp_path)))
    assert [entry.rel for entry in entries] == ["data", "data-old/x", "data.csv", "e"]
    assert entries[0].kind is Kind.DIRECTORY and entries[0].error == "Permission denied"
