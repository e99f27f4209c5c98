"""A repository whose own configuration names a program behind every key git's
documentation says runs one: no repolens command runs any of them.

The repository is generated here (``hostile_repository``): two commits, the second
signed (a ``gpgsig`` header, so that ``log.showSignature`` asks ``gpg.program``), one
blob missing (so that a partial clone would fetch it through its promisor remote),
a ``.gitattributes`` and ``info/attributes`` that give every path a filter, diff and
merge driver, every hook in ``.git/hooks`` and in ``core.hooksPath``, and a
``.git/config`` (with an ``include.path`` and an ``includeIf`` file) that plants each
key of ``gitsafe.PROGRAM_KEYS`` (``planted``). Each planted value is a marker program
``bin/m<N>`` that creates ``PWNED-<N>``; ``KEY_OF_MARKER`` says which key it was.

A control test runs plain git on the same repository and sees markers appear: the
planting is live, so the absence of markers elsewhere means something.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from repolens.checks.assets import lfs_status
from repolens.checks.run import check
from repolens.cli import main
from repolens.core import gitsafe
from repolens.history.git import BlobReader, open_repository
from repolens.scanning.activity import git_activity
from repolens.scanning.scanner import scan

from .conftest import PYTHON, python_env
from .test_gitsafe import GIT_ENV

HOOKS = [
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
]
SETUP_ENV = {**os.environ, **GIT_ENV}
SIGNATURE = (
    "-----BEGIN PGP SIGNATURE-----\n\n"
    "iQEzBAABCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAFAmAAAAAACgkQAAAAAAAAAAAA\n"
    "-----END PGP SIGNATURE-----"
)
TREE_FILES = {"a.py": "print('a')\n", "b.py": "print('b')\n", "model.pt": "weights\n"}
COMMITS = 2  # the second one signed; b.py's blob is the missing one


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, env=SETUP_ENV, check=True
    )
    return done.stdout.decode().strip()


class Markers:
    """Marker programs, one per planted key: ``bin/m<N>`` creates ``PWNED-<N>``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "bin").mkdir()
        self.keys: list[str] = []

    def program(self, key: str) -> str:
        number = len(self.keys)
        self.keys.append(key)
        path = self.folder / "bin" / f"m{number}"
        path.write_text(f'#!/bin/sh\ntouch "{self.folder}/PWNED-{number}"\nexit 0\n')
        path.chmod(0o755)
        return str(path)

    def fired(self) -> list[str]:
        return sorted(
            self.keys[int(path.name.split("-", 1)[1])] for path in self.folder.glob("PWNED-*")
        )

    def clear(self) -> None:
        for path in self.folder.glob("PWNED-*"):
            path.unlink()


def planted(key: str, markers: Markers, includes: tuple[str, str]) -> list[tuple[str, str]]:
    """The configuration entries that plant ``key``: its ``<name>`` parts as "evil" (or
    as the names git's own commands would use), its value a marker program, or the
    value that makes git reach for a program."""
    mark = markers.program(key)
    special: dict[str, list[tuple[str, str]]] = {
        "pager.<cmd>": [(f"pager.{name}", mark) for name in ("log", "ls-files", "cat-file")],
        "alias.*": [(f"alias.{name}", "!" + mark) for name in ("evil", "log", "ls-files")],
        "alias.*.command": [("alias.evil2.command", "!" + mark)],
        "credential.<url>.helper": [("credential.https://example.invalid.helper", mark)],
        "include.path": [("include.path", includes[0])],
        "includeIf.<condition>.path": [("includeIf.gitdir:/**.path", includes[1])],
        "url.<base>.insteadOf": [(f"url.ext::{mark}.insteadOf", "https://example.invalid/")],
        "protocol.allow": [("protocol.allow", "always")],
        "protocol.<name>.allow": [(f"protocol.{name}.allow", "always") for name in ("ext", "evil")],
        "protocol.ext.allow": [("protocol.ext.allow", "always")],
        "protocol.file.allow": [("protocol.file.allow", "always")],
        "log.showSignature": [("log.showSignature", "true")],
        "merge.verifySignatures": [("merge.verifySignatures", "true")],
        "gc.auto": [("gc.auto", "1")],
        "maintenance.auto": [("maintenance.auto", "true")],
        "submodule.<name>.update": [("submodule.evil.update", "!" + mark)],
        "hook.<friendly-name>.event": [
            ("hook.evil.event", event) for event in ("post-index-change", "reference-transaction")
        ],
        "sendemail.<identity>.<config>": [("sendemail.evil.smtpServer", mark)],
        "http.proxy": [("http.proxy", "http://127.0.0.1:9")],
        "remote.<name>.proxy": [("remote.evil.proxy", "http://127.0.0.1:9")],
        "gpg.<format>.program": [("gpg.evil.program", mark)],
    }
    if key in special:
        return special[key]
    name = key
    for part in ("<driver>", "<tool>", "<name>", "<friendly-name>", "<format>", "<key-alias>"):
        name = name.replace(part, "evil")
    assert "<" not in name and "*" not in name, key
    return [(name, mark)]


def hostile_repository(folder: Path) -> tuple[Path, Markers]:
    markers = Markers(folder)
    repo = folder / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for name, text in TREE_FILES.items():
        (repo / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-gpg-sign", "-m", "first")
    (repo / "a.py").write_text("print('a, again')\n")
    _git(repo, "add", "-A")
    tree = _git(repo, "write-tree")
    parent = _git(repo, "rev-parse", "HEAD")
    signature = SIGNATURE.replace("\n", "\n ")
    text = (
        f"tree {tree}\nparent {parent}\n"
        "author A <a@example.org> 1700000000 +0000\n"
        "committer A <a@example.org> 1700000000 +0000\n"
        f"gpgsig {signature}\n\nsigned\n"
    )
    signed = _git(repo, "hash-object", "-t", "commit", "-w", "--stdin", data=text.encode())
    _git(repo, "update-ref", "refs/heads/main", signed)
    missing = _git(repo, "rev-parse", "HEAD:b.py")
    (repo / ".git" / "objects" / missing[:2] / missing[2:]).unlink()
    # Attributes: every path gets the evil filter, diff and merge drivers.
    (repo / ".gitattributes").write_text("* filter=evil diff=evil merge=evil\n")
    (repo / ".git" / "info" / "attributes").write_text("*.py filter=evil diff=evil\n")
    # Hooks, in the repository and where core.hooksPath points.
    hooks = folder / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        for where in (repo / ".git" / "hooks", hooks):
            (where / name).write_text(f"#!/bin/sh\nexec {markers.program('hook ' + name)}\n")
            (where / name).chmod(0o755)
    includes = (str(folder / "included.cfg"), str(folder / "included-if.cfg"))
    for number, path in enumerate(includes):
        for key, value in (
            ("core.fsmonitor", markers.program(f"core.fsmonitor (include {number})")),
            ("filter.inc.smudge", markers.program(f"filter.inc.smudge (include {number})")),
            ("gpg.program", markers.program(f"gpg.program (include {number})")),
        ):
            _git(repo, "config", "--file", path, key, value)
    config = str(repo / ".git" / "config")
    for guard in gitsafe.PROGRAM_KEYS:
        for key, value in planted(guard.key, markers, includes):
            if guard.key == "core.hooksPath":
                value = str(hooks)
            _git(repo, "config", "--file", config, "--add", key, value)
    for key, value in (
        ("core.repositoryformatversion", "1"),
        ("extensions.partialClone", "evil"),
        ("remote.evil.url", "ext::" + markers.program("remote.evil.url (lazy fetch)")),
        ("remote.evil.promisor", "true"),
        ("filter.evil.required", "true"),
        ("gpg.format", "openpgp"),
    ):
        _git(repo, "config", "--file", config, key, value)
    return repo, markers


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Markers]:
    return hostile_repository(tmp_path)


def test_every_guarded_key_is_planted(hostile: tuple[Path, Markers]) -> None:
    _repo, markers = hostile
    planted_keys = set(markers.keys)
    assert {guard.key for guard in gitsafe.PROGRAM_KEYS} <= planted_keys
    assert planted_keys >= gitsafe.DOCUMENTED_PROGRAM_KEYS


def test_plain_git_runs_what_the_repository_names(hostile: tuple[Path, Markers]) -> None:
    """The control: the planting is live. Plain git (no repolens) runs the fsmonitor
    hook, the signature program, the hooks and the filter."""
    repo, markers = hostile
    for args in (
        ["ls-files"],
        ["log", "-1", "--format=%H"],
        ["checkout", "--", "a.py"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=SETUP_ENV)
    fired = " ".join(markers.fired())
    assert "core.fsmonitor" in fired
    assert "gpg." in fired and "program" in fired
    assert "filter." in fired


def test_no_library_call_runs_a_program_of_the_repository(hostile: tuple[Path, Markers]) -> None:
    repo, markers = hostile
    root = str(repo)
    assert gitsafe.git_output(root, "ls-files", "-z", "--cached") is not None
    result = scan(root)
    assert result.work_tree == root and len(result.records) >= len(TREE_FILES)
    checked = check(root)
    assert checked is not None
    assert lfs_status(root, root, ["model.pt", "a.py"]) is not None
    activity = git_activity(root)
    assert activity is not None and activity.commits == COMMITS
    with open_repository(root) as repository:
        head = repository.resolve("HEAD")
        commits = list(repository.commits(head, None, None))
        assert len(commits) == COMMITS
        assert [change.path for change in repository.tree(commits[0].id)] == sorted(TREE_FILES)
        reader = BlobReader(repository)
        try:
            oids = [change.new[1] for change in repository.tree(head) if change.new]
            answers = list(reader.read_all(oids, 100))
        finally:
            reader.close()
        assert sum(1 for answer in answers if hasattr(answer, "problem")) == 1  # b.py
    assert markers.fired() == []


def test_no_command_runs_a_program_of_the_repository(
    hostile: tuple[Path, Markers], tmp_path: Path
) -> None:
    repo, markers = hostile
    out = tmp_path / "out"
    for command in ("scan", "check", "history"):
        code = main([command, str(repo), "-o", str(out / command), "-q"])
        assert code in (0, 4), command
    document = json.loads((out / "history" / "history.json").read_text())
    assert len(document["commits"]) == COMMITS
    assert document["unreadable_objects"]["count"] == 1
    listing = tmp_path / "list.txt"
    listing.write_text(f"{repo}\n")
    assert main(["portfolio", str(listing), "-o", str(out / "portfolio"), "--jobs", "1", "-q"]) == 0
    assert markers.fired() == []
    report = subprocess.run(
        [PYTHON, "-m", "repolens", "report", str(repo), "-o", str(out / "report"), "-q"],
        capture_output=True,
        text=True,
        env=python_env(),
        timeout=600,
        check=False,
    )
    assert report.returncode in (0, 4), report.stderr[-2000:]
    assert (out / "report" / "report.html").exists()
    assert markers.fired() == []


def test_the_overrides_alone_keep_git_from_running_them(
    hostile: tuple[Path, Markers],
) -> None:
    """Without the stand-in git folder (git reading the repository's own configuration,
    includes and all), the environment and the -c overrides still run nothing for the
    commands repolens gives."""
    repo, markers = hostile
    missing = _git(repo, "rev-parse", "HEAD:b.py")
    with gitsafe.open_session(str(repo)) as session:
        session.env.pop("GIT_DIR")
        session.env.pop("GIT_WORK_TREE")
        session.cwd = str(repo)
        names = _git(repo, "config", "--list", "--name-only").split("\n")
        session.overrides = gitsafe.overrides(names)
        assert session.run("rev-parse", "--show-toplevel").decode().strip() == str(repo)
        session.run("ls-files", "-z", "--cached")
        session.run(
            "log",
            "--raw",
            "-z",
            "--no-show-signature",
            "--no-mailmap",
            "--no-textconv",
            "--no-ext-diff",
            "--format=%H%x00%ct%x00%an%x00%s",
        )
        session.run("log", "--name-only", "--format=%ct", "--", ".")
        session.run("ls-tree", "-r", "-z", "HEAD")
        session.run("rev-list", "--count", "--all")
        with pytest.raises(gitsafe.GitError):
            session.run("cat-file", "-p", missing)  # a partial clone would fetch it
    assert markers.fired() == []
