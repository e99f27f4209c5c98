"""gitsafe: how git is run. The environment is built, the repository's configuration
never reaches git, every documented program key is overridden, the files git would
open are checked first, and a git that hangs is stopped with all it started.

Every repository is generated here; what each holds is said where it is made.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from repolens.core import gitsafe

from .conftest import run_unprivileged

GIT_ENV = {
    "GIT_AUTHOR_NAME": "A",
    "GIT_AUTHOR_EMAIL": "a@example.org",
    "GIT_COMMITTER_NAME": "A",
    "GIT_COMMITTER_EMAIL": "a@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
MAN_PAGE = Path("/usr/share/man/man1/git-config.1.gz")

# Keys whose git-config(1) text mentions programs, hooks, shells, editors or helpers
# without naming a program themselves (checked by hand): what the documentation
# classifier below may find besides PROGRAM_KEYS.
REVIEWED_NOT_PROGRAMS = {
    "color.pager": "whether to colour output sent to a pager",
    "commit.status": "what the commit message template (editor) shows",
    "core.commentChar": "a character in the editor's message",
    "core.commentString": "a string in the editor's message",
    "core.fileMode": "the executable bit of files",
    "core.fsmonitorHookVersion": "the protocol of the fsmonitor hook (core.fsmonitor)",
    "core.restrictinheritedhandles": "handles a child inherits (Windows)",
    "credential.protectProtocol": "what is given to a credential helper",
    "difftool.trustExitCode": "how a diff tool's exit code is read",
    "fetch.writeCommitGraph": "writes a commit-graph",
    "format.coverLetter": "whether format-patch writes a cover letter",
    "fsck.<msg-id>": "the level of an fsck message",
    "fsck.skipList": "objects fsck skips",
    "gc.auto": "how many loose objects start gc (set to 0 anyway)",
    "grep.fallbackToNoIndex": "grep outside a repository",
    "gui.blamehistoryctx": "git gui's context lines",
    "http.minSessions": "curl sessions kept",
    "i18n.commitEncoding": "the encoding of commit messages",
    "index.threads": "threads reading the index",
    "log.date": "how dates are shown",
    "mergetool.prompt": "whether mergetool asks before each file",
    "pack.threads": "threads packing objects",
    "receive.certNonceSlop": "push certificates",
    "receive.denyCurrentBranch": "pushes to a checked-out branch",
    "safe.directory": "repositories owned by others (not read from a repository)",
    "sendemail.aliasFileType": "the format of an aliases file",
    "sendemail.multiEdit": "one editor or many for send-email",
    "tag.gpgSign": "whether tags are signed (git tag is never run)",
    "transfer.credentialsInUrl": "credentials in a remote's address",
    "transfer.hideRefs": "refs hidden from a transfer",
}
_WORDS = re.compile(
    r"\b(program|programs|executable|execute[sd]?|hooks?|helpers?|shell|pagers?|editors?|"
    r"browsers?|invoke[sd]?|spawn(?:s|ed)?|command (?:to|that)|proxy command|script)\b",
    re.IGNORECASE,
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.decode().strip()


def make_repo(path: Path, files: int = 2) -> Path:
    """A repository of ``files`` Python files in one commit."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for index in range(files):
        (path / f"f{index}.py").write_text(f"x = {index}\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-gpg-sign", "-m", "first")
    return path


def documented_keys(man_page: Path) -> dict[str, list[str]]:
    """Keys of git-config(1) (the roff source) whose text mentions a program, a hook, a
    shell, a pager, an editor, a browser or a helper, with the words found."""
    with gzip.open(man_page, "rt", encoding="utf-8", errors="replace") as handle:
        text = handle.read()

    def clean(part: str) -> str:
        return re.sub(r"\\f[BRIP]|\\&", "", part).replace("\\-", "-")

    found: dict[str, list[str]] = {}
    for chunk in text.split("\n.PP\n")[1:]:
        first, _newline, rest = chunk.partition("\n")
        words = sorted({word.lower() for word in _WORDS.findall(clean(rest)[:3000])})
        for name in (clean(item).strip() for item in first.split(",")):
            if words and re.fullmatch(r"[a-zA-Z][\w<>*-]*(\.[\w<>*-]+)+", name):
                found[name] = words
    return found


# -- the tables ----------------------------------------------------------------------


def test_every_documented_program_key_has_a_guard() -> None:
    guarded = {guard.key for guard in gitsafe.PROGRAM_KEYS}
    assert gitsafe.DOCUMENTED_PROGRAM_KEYS - guarded == set()
    unguarded = [guard for guard in gitsafe.PROGRAM_KEYS if guard.value is None]
    assert all(guard.why for guard in unguarded)  # each says what stands instead
    assert {guard.key for guard in unguarded} == {
        "alias.*",
        "alias.*.command",
        "url.<base>.insteadOf",
        "sendemail.<identity>.<config>",
        "include.path",
        "includeIf.<condition>.path",
    }


@pytest.mark.skipif(not MAN_PAGE.exists(), reason="git-config(1) is not installed here")
def test_the_local_git_documentation_names_no_program_key_the_table_misses() -> None:
    found = documented_keys(MAN_PAGE)
    assert len(found) > 40  # the classifier reads the page
    guarded = {guard.key for guard in gitsafe.PROGRAM_KEYS}
    missed = sorted(set(found) - guarded - set(REVIEWED_NOT_PROGRAMS))
    assert missed == [], {key: found[key] for key in missed}


def test_overrides_set_every_plain_key_and_each_name_the_config_uses() -> None:
    names = [
        "filter.lfs.smudge",
        "filter.a b.process",
        "diff.pic.textconv",
        "pager.log",
        "remote.origin.uploadpack",
        "hook.lint.command",
        "credential.https://x.example.helper",
        "filter.x=y.clean",  # cannot be given on the command line: left out
        "core.fsmonitor",  # plain: already there, once
        "user.name",  # no guard: left alone
    ]
    argv = gitsafe.overrides(names)
    pairs = [argv[index + 1] for index in range(0, len(argv), 2)]
    assert all(argv[index] == "-c" for index in range(0, len(argv), 2))
    given = {pair.partition("=")[0]: pair.partition("=")[2] for pair in pairs}
    for guard in gitsafe.PROGRAM_KEYS:
        if guard.value is not None and "<" not in guard.key and "*" not in guard.key:
            assert given[guard.key] == guard.value, guard.key
    for key, value in gitsafe.SAFETY_OVERRIDES:
        assert given[key] == value
    assert given["filter.lfs.smudge"] == "" and given["filter.a b.process"] == ""
    assert given["pager.log"] == "false" and given["remote.origin.uploadpack"] == ""
    assert given["hook.lint.command"] == "" and given["credential.https://x.example.helper"] == ""
    assert "filter.x" not in given and "user.name" not in given
    assert sum(1 for pair in pairs if pair.startswith("core.fsmonitor=")) == 1


INHERITED = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_EXTERNAL_DIFF",
    "GIT_SSH_COMMAND",
    "GIT_EXEC_PATH",
    "GIT_GLOB_PATHSPECS",
    "LD_PRELOAD",
)


def test_the_environment_is_built_not_inherited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in INHERITED:
        monkeypatch.setenv(name, "/tmp/somewhere-else")
    env = gitsafe.environment(str(tmp_path))
    assert set(env) & set(INHERITED) == set() and env["PATH"] == os.environ["PATH"]
    assert env["HOME"] == env["XDG_CONFIG_HOME"] == str(tmp_path)
    expected = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_OPTIONAL_LOCKS": "0",
        "LC_ALL": "C",
    }
    assert {name: env[name] for name in expected} == expected


def test_a_git_dir_in_the_users_environment_redirects_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = make_repo(tmp_path / "mine", files=2)
    other = make_repo(tmp_path / "other", files=5)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    listing = gitsafe.git_output(str(mine), "ls-files", "-z")
    assert listing is not None and sorted(listing.split(b"\0")[:-1]) == [b"f0.py", b"f1.py"]


# -- finding the repository ------------------------------------------------------------


def test_locate_finds_work_trees_linked_work_trees_and_bare_repositories(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    found = gitsafe.locate(str(repo / "sub"))
    assert (found.work_tree, found.git_dir) == (str(repo), str(repo / ".git"))
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"))
    linked = gitsafe.locate(str(tmp_path / "linked"))
    assert linked.work_tree == str(tmp_path / "linked")
    assert linked.common_dir == str(repo / ".git") != linked.git_dir
    assert gitsafe.git_output(str(tmp_path / "linked"), "ls-files") == b"f0.py\nf1.py\n"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(tmp_path / "b.git")], check=True)
    bare = gitsafe.locate(str(tmp_path / "b.git"))
    assert bare.work_tree is None and bare.git_dir == str(tmp_path / "b.git")
    for inside in (repo / ".git", repo / ".git" / "objects", tmp_path / "b.git" / "refs"):
        with pytest.raises(gitsafe.NotARepository, match="inside git's own folder"):
            gitsafe.locate(str(inside))
    (tmp_path / "plain").mkdir()
    with pytest.raises(gitsafe.NotARepository, match="not a git repository"):
        gitsafe.locate(str(tmp_path / "plain"))


def test_a_git_folder_reached_through_a_link_is_not_followed(tmp_path: Path) -> None:
    make_repo(tmp_path / "real")
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / ".git").symlink_to(tmp_path / "real" / ".git")
    with pytest.raises(gitsafe.NotARepository):
        gitsafe.locate(str(tmp_path / "linked"))


def test_core_worktree_elsewhere_does_not_move_the_work_tree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", files=3)
    elsewhere = make_repo(tmp_path / "elsewhere", files=1)
    git(repo, "config", "core.worktree", str(elsewhere))
    with gitsafe.open_session(str(repo)) as session:
        assert session.run("rev-parse", "--show-toplevel").decode().strip() == str(repo)
        assert session.run("ls-files").decode().split() == ["f0.py", "f1.py", "f2.py"]


# -- what git would open ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("index", "the index: not a regular file (a FIFO)"),
        ("packed-refs", "packed-refs: not a regular file (a FIFO)"),
        ("config", "config cannot be read"),
        ("refs/heads/extra", "refs/heads/extra: not a regular file (a FIFO)"),
        ("objects/pack/pack-x.pack", "objects/pack/pack-x.pack: not a regular file"),
        ("objects/info/alternates", "alternates: not a regular file (a FIFO)"),
    ],
)
def test_a_fifo_where_git_reads_is_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    target = repo / ".git" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    clock = time.monotonic()
    with pytest.raises(gitsafe.GitError, match=re.escape(message)):
        gitsafe.open_session(str(repo))
    assert time.monotonic() - clock < 30  # refused, not waited on
    problems: list[str] = []
    assert gitsafe.git_output(str(repo), "ls-files", problems=problems) is None
    assert len(problems) == 1 and message in problems[0]
    assert list(scratch.iterdir()) == []  # no stand-in left behind


def test_a_fifo_head_is_no_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "HEAD").unlink()
    os.mkfifo(repo / ".git" / "HEAD")
    with pytest.raises(gitsafe.NotARepository):
        gitsafe.open_session(str(repo))


def test_an_index_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "index").unlink()
    (repo / ".git" / "index").symlink_to("/dev/zero")
    with pytest.raises(gitsafe.GitError, match="character device"):
        gitsafe.open_session(str(repo))


def test_a_config_git_cannot_parse_or_too_large_is_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    config = repo / ".git" / "config"
    config.write_bytes(b"[core\n\x00\x00garbage")
    with pytest.raises(gitsafe.GitError, match="the repository's config: git config failed"):
        gitsafe.open_session(str(repo))
    config.write_bytes(b"[core]\n" + b"# comment\n" * 200_000)  # 2 MB
    with pytest.raises(gitsafe.GitError, match="over the 1,048,576-byte limit"):
        gitsafe.open_session(str(repo))


def test_a_sha256_repository_keeps_its_object_format(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256")
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "first")
    with gitsafe.open_session(str(repo)) as session:
        head = session.run("rev-parse", "HEAD").decode().strip()
    assert len(head) == 64


def test_the_stand_in_is_removed_and_holds_no_hook_or_config_of_the_repository(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "core.fsmonitor", "true")
    git(repo, "config", "include.path", str(tmp_path / "more"))
    with gitsafe.open_session(str(repo)) as session:
        folder = Path(session.folder)
        written = (folder / "git" / "config").read_text()
        assert "fsmonitor" not in written and "include" not in written
        assert sorted(path.name for path in (folder / "git").iterdir()) == [
            "HEAD",
            "config",
            "index",
            "objects",
            "refs",
        ]
        assert list((folder / "home").iterdir()) == []
    assert not folder.exists()


def test_a_session_never_closed_leaves_no_stand_in(tmp_path: Path) -> None:
    import gc

    repo = make_repo(tmp_path / "repo")
    session = gitsafe.open_session(str(repo))
    folder = Path(session.folder)
    assert (folder / "git" / "HEAD").exists()
    del session
    gc.collect()
    assert not folder.exists()


# -- stopping a git that hangs -------------------------------------------------------------


def _fifo_object(repo: Path) -> str:
    """Replace the loose blob of f0.py by a FIFO (git's open then waits for a writer)."""
    oid = git(repo, "rev-parse", "HEAD:f0.py")
    path = repo / ".git" / "objects" / oid[:2] / oid[2:]
    path.unlink()
    os.mkfifo(path)
    return oid


def test_a_one_shot_command_past_its_timeout_is_stopped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    oid = _fifo_object(repo)
    with gitsafe.open_session(str(repo)) as session:
        clock = time.monotonic()
        with pytest.raises(gitsafe.GitError, match="took longer than 1 s: stopped"):
            session.run("cat-file", "-p", oid, timeout=1)
        assert time.monotonic() - clock < 30


def test_a_stream_that_gives_nothing_and_spends_nothing_is_stopped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    oid = _fifo_object(repo)
    with gitsafe.open_session(str(repo)) as session:
        stream = session.stream("cat-file", "--batch", feed=True, stall=2)
        assert stream.stdin is not None
        stream.stdin.write(oid.encode() + b"\n")
        stream.stdin.flush()
        clock = time.monotonic()
        assert stream.readline() == b""
        assert stream.stalled and time.monotonic() - clock < 30
        stream.close()
        assert "gave nothing for 2 s" in stream.error()
        with pytest.raises(ProcessLookupError):
            os.killpg(stream.process.pid, 0)


def test_a_timeout_ends_everything_git_started(tmp_path: Path) -> None:
    """A stand-in for git that starts a child and waits: both are gone after the timeout."""
    repo = make_repo(tmp_path / "repo")
    child = tmp_path / "child.pid"
    fake = tmp_path / "git"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {child}\nwait\n")
    fake.chmod(0o755)
    with gitsafe.open_session(str(repo)) as session:
        session.git = str(fake)
        with pytest.raises(gitsafe.GitError, match="took longer"):
            session.run("status", timeout=2)
    pid = int(child.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the child git started still runs")


def track_git(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Every git process gitsafe starts from now on, in the order started."""
    from repolens.core.gitsafe import process as git_processes

    started: list[subprocess.Popen[bytes]] = []
    original = git_processes._spawn

    def spawn(*args, **kwargs):  # type: ignore[no-untyped-def]
        process = original(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(git_processes, "_spawn", spawn)
    return started


def test_an_interrupted_command_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    started = track_git(monkeypatch)

    def interrupted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess.Popen, "communicate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gitsafe.open_session(str(repo))
    assert started and all(process.returncode is not None for process in started)


def test_a_scan_says_when_git_was_there_and_refused(tmp_path: Path) -> None:
    from repolens.scanning.scanner import scan

    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "index").unlink()
    os.mkfifo(repo / ".git" / "index")
    result = scan(str(repo))
    assert any(
        "tracked files unknown" in note and "the index: not a regular file (a FIFO)" in note
        for note in result.notes
    )
    assert sorted(record.path for record in result.records) == ["f0.py", "f1.py"]


def test_a_git_folder_that_cannot_be_listed_is_one_line_not_a_traceback(mode_tmp: Path) -> None:
    repo = make_repo(mode_tmp / "repo")
    (repo / ".git").chmod(0o311)  # enterable, not listable
    found = run_unprivileged(
        "import json, sys\n"
        "from repolens.core import gitsafe\n"
        "problems = []\n"
        "out = gitsafe.git_output(sys.argv[1], 'ls-files', problems=problems)\n"
        "print(json.dumps([out is None, problems]))\n",
        str(repo),
    )
    (repo / ".git").chmod(0o755)
    assert found[0] is True
    assert len(found[1]) == 1 and "cannot be read (Permission denied): git not run" in found[1][0]
