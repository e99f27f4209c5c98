"""What git says about a repository's history: its commits on one first-parent line,
each with the files it changed, and the blobs' content, read through git's plumbing.

One ``git log --raw`` streams every commit's changes (a diff against its first parent,
or against nothing for a root commit); one ``git cat-file --batch`` process hands out
blob contents on request. Paths are bytes as git stores them, kept as ``str`` with
surrogate escapes (``os.fsdecode``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

__all__ = [
    "Blob",
    "BlobReader",
    "Change",
    "Commit",
    "HistoryError",
    "Repository",
    "open_repository",
]

FILE_MODES = frozenset({"100644", "100755", "100664"})
LINK_MODE = "120000"
GITLINK_MODE = "160000"  # a submodule: recorded, never entered
_NULL = re.compile(r"0+")
_HEX = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_TIMEOUT = 120


class HistoryError(Exception):
    """The history cannot be read: not a repository, no commits, no such revision.
    One line; nothing was written."""


@dataclass(frozen=True, slots=True)
class Change:
    """One path a commit changed: the blob and mode before and after (None: absent)."""

    path: str
    old: tuple[str, str] | None  # (mode, object id)
    new: tuple[str, str] | None


@dataclass(slots=True)
class Commit:
    id: str
    parent: str | None  # the first parent; None for a root (or a shallow clone's edge)
    time: int  # committer time, seconds since the epoch
    author: str
    subject: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Repository:
    """A git repository and where in it the history is taken (``prefix``, "" for all)."""

    path: str  # where git runs: the folder given (its prefix applies)
    git_dir: str  # absolute
    bare: bool
    shallow: bool
    prefix: str  # the folder given, relative to the top of the work tree ("" at the top)
    git: str

    def run(self, *args: str) -> bytes:
        """``git ARGS`` in the repository; ``HistoryError`` with git's own line on failure."""
        try:
            done = subprocess.run(
                [self.git, "-C", self.path, *args],
                capture_output=True,
                check=False,
                timeout=_TIMEOUT,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise HistoryError(f"git {args[0]} failed: {error}") from None
        if done.returncode != 0:
            raise HistoryError(f"git {args[0]} failed: {_first_line(done.stderr)}")
        return done.stdout

    def resolve(self, rev: str) -> str:
        """The commit a revision names; ``HistoryError`` when there is none."""
        if not rev or rev.startswith("-") or "\0" in rev:
            raise HistoryError(f"{rev!r}: not a revision")
        try:
            found = self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        except HistoryError:
            raise HistoryError(f"{rev}: no such revision in {self.path}") from None
        return found.decode("ascii").strip()

    def count(self, rev: str, since: date | None, limit: int | None) -> int:
        """How many commits ``commits`` will give."""
        args = ["rev-list", "--count", "--first-parent", *_limits(since, limit), rev]
        return int(self.run(*args, *self._pathspec()) or b"0")

    def depth(self) -> int:
        """Commits reachable from any ref: how deep a shallow clone goes."""
        return int(self.run("rev-list", "--count", "--all") or b"0")

    def _pathspec(self) -> list[str]:
        return ["--relative", "--", "."] if self.prefix else []

    def commits(self, rev: str, since: date | None, limit: int | None) -> Iterator[Commit]:
        """The first-parent line of ``rev``, oldest first, each with its changes (within
        ``prefix``, paths relative to it). Under a prefix, only commits that changed it."""
        args = [
            "log",
            "--first-parent",
            "--reverse",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--root",
            "--diff-merges=first-parent",
            "--no-color",
            "--format=%x01%H%x00%P%x00%ct%x00%an%x00%s",
            *_limits(since, limit),
            rev,
            *self._pathspec(),
        ]
        yield from self._stream(args, _parse_log)

    def tree(self, commit: str) -> Iterator[Change]:
        """Every file of a commit's tree (within ``prefix``) as an addition."""
        args = ["ls-tree", "-r", "-z", commit, *(["--", "."] if self.prefix else [])]
        yield from self._stream(args, _parse_tree)

    def _stream(self, args: list[str], parse) -> Iterator:  # type: ignore[no-untyped-def]
        process = subprocess.Popen(
            [self.git, "-C", self.path, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None and process.stderr is not None
        finished = False
        try:
            yield from parse(_tokens(process.stdout))
            finished = True
        finally:
            if not finished:
                process.kill()
            process.stdout.close()
            error = process.stderr.read()
            process.stderr.close()
            code = process.wait()
        if code != 0:
            raise HistoryError(f"git {args[0]} failed: {_first_line(error)}")


def _limits(since: date | None, limit: int | None) -> list[str]:
    out = []
    if since is not None:
        out.append(f"--since={since.isoformat()} 00:00:00 +0000")
    if limit is not None:
        out.append(f"--max-count={limit}")
    return out


def _first_line(error: bytes) -> str:
    text = error.decode("utf-8", "replace").strip().splitlines()
    return text[0][:300] if text else "no message"


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """The NUL-separated fields of git's ``-z`` output, as they arrive."""
    rest = b""
    while block := stream.read(1 << 16):
        parts = (rest + block).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _path(raw: bytes) -> str:
    return os.fsdecode(raw)


def _side(mode: str, oid: str) -> tuple[str, str] | None:
    return None if _NULL.fullmatch(oid) or mode == "000000" else (mode, oid)


def _parse_log(tokens: Iterator[bytes]) -> Iterator[Commit]:
    """Commits of ``git log --raw -z`` with the format ``\\x01%H\\0%P\\0%ct\\0%an\\0%s``."""
    commit: Commit | None = None
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if commit is not None:
                yield commit
            head = token[1:].decode("ascii")
            parents = next(tokens).decode("ascii").split()
            seconds = next(tokens).decode("ascii")
            author = next(tokens).decode("utf-8", "replace")
            subject = next(tokens).decode("utf-8", "replace")
            if not _HEX.fullmatch(head):
                raise HistoryError(f"git log gave an unreadable commit line: {head[:50]!r}")
            commit = Commit(head, parents[0] if parents else None, int(seconds), author, subject)
        elif token.startswith(b":"):
            if commit is None:
                raise HistoryError("git log gave changes before any commit")
            old_mode, new_mode, old_id, new_id, _status = token[1:].decode("ascii").split(" ")
            commit.changes.append(
                Change(_path(next(tokens)), _side(old_mode, old_id), _side(new_mode, new_id))
            )
        elif token:
            raise HistoryError(f"git log gave an unreadable line: {token[:50]!r}")
    if commit is not None:
        yield commit


def _parse_tree(tokens: Iterator[bytes]) -> Iterator[Change]:
    """Entries of ``git ls-tree -r -z``: ``mode type id<TAB>path``."""
    for token in tokens:
        meta, _tab, path = token.partition(b"\t")
        mode, _kind, oid = meta.decode("ascii").split(" ")
        yield Change(_path(path), None, (mode, oid))


class Blob:
    """A blob being read from git: its size, its first bytes, then the rest on request."""

    _BLOCK = 1 << 20

    def __init__(self, stream: IO[bytes], size: int, head: int) -> None:
        self.size = size
        self._stream = stream
        self.head = stream.read(min(size, head))
        self._left = size - len(self.head)
        if len(self.head) != min(size, head):
            raise HistoryError("git cat-file stopped before the end of a blob")

    def copy_rest(self, handle: IO[bytes] | None) -> int:
        """Write what follows the head into ``handle`` (None: read past it); the bytes."""
        copied = 0
        while self._left:
            block = self._stream.read(min(self._left, self._BLOCK))
            if not block:
                raise HistoryError("git cat-file stopped before the end of a blob")
            if handle is not None:
                handle.write(block)
            self._left -= len(block)
            copied += len(block)
        return copied


class BlobReader:
    """Blob contents from one ``git cat-file --batch`` process."""

    def __init__(self, repository: Repository) -> None:
        self._process = subprocess.Popen(
            [repository.git, "-C", repository.path, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def read_all(self, oids: list[str], head: int) -> Iterator[Blob]:
        """Each blob in turn, its first ``head`` bytes read and the rest left to the caller
        (``Blob.copy_rest``; skipped when the caller does not take it), so a blob of any
        size costs one block of memory. The ids are written by a thread while the blobs
        are read, so git never waits for the next request. ``HistoryError`` when git does
        not have one."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        stdin, stdout = process.stdin, process.stdout

        def ask() -> None:
            try:
                stdin.write(b"".join(oid.encode("ascii") + b"\n" for oid in oids))
                stdin.flush()
            except (OSError, ValueError):
                pass  # git stopped, or the reader closed the pipe: the reader says so

        writer = threading.Thread(target=ask, daemon=True)
        writer.start()
        for oid in oids:
            header = stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise HistoryError(f"{oid}: the blob is missing from the repository")
            blob = Blob(stdout, int(header[2]), head)
            yield blob
            blob.copy_rest(None)
            stdout.read(1)  # the newline after each object
        # Every answer came, so every id was written. A reader that stops early does not
        # wait for the writer (it may be blocked on a full pipe): close() ends both.
        writer.join()

    def close(self) -> None:
        process = self._process
        # Our end of git's output first: git then stops on a broken pipe, which frees a
        # writer blocked on its input, so closing that cannot wait on the writer's lock.
        for pipe in (process.stdout, process.stdin):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def open_repository(path: str) -> Repository:
    """The repository holding ``path``; ``HistoryError`` with one line when there is none."""
    git = shutil.which("git")
    if git is None:
        raise HistoryError("git is not installed: the history is read through git")
    done = subprocess.run(
        [
            git,
            "-C",
            path,
            "rev-parse",
            "--is-bare-repository",
            "--is-shallow-repository",
            "--absolute-git-dir",
            "--show-prefix",
        ],
        capture_output=True,
        check=False,
        timeout=_TIMEOUT,
    )
    if done.returncode != 0:
        raise HistoryError(f"{path}: not a git repository ({_first_line(done.stderr)})")
    lines = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    bare, shallow, git_dir = lines[0] == "true", lines[1] == "true", lines[2]
    prefix = "" if bare else lines[3] if len(lines) > 3 else ""
    if prefix.startswith(".git/") or os.path.realpath(path).startswith(
        os.path.realpath(git_dir) + os.sep
    ):
        raise HistoryError(f"{path}: inside git's own folder, not a work tree")
    return Repository(path, git_dir, bare, shallow, prefix.rstrip("/"), git)


def parse_since(text: str) -> date:
    """A ``--since`` date: YYYY-MM-DD (or an ISO date-time)."""
    try:
        return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise HistoryError(f"--since {text!r}: not a date (YYYY-MM-DD)") from None
