"""What git says about a repository's history: its commits on one first-parent line,
each with the files it changed, and the blobs' content, read through git's plumbing
(every command through ``gitsafe``: git reads the repository as data).

One ``git log --raw`` streams every commit's changes (a diff against its first parent,
or against nothing for a root commit); one ``git cat-file --batch`` process hands out
blob contents on request. A blob git does not have, or cannot read, is answered with
``Unreadable`` and the rest go on. Paths are bytes as git stores them, kept as ``str``
with surrogate escapes (``os.fsdecode``).
"""

from __future__ import annotations

import os
import re
import stat as stat_module
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from ..core import gitsafe, safeio

__all__ = [
    "Blob",
    "BlobCut",
    "BlobReader",
    "Change",
    "Commit",
    "HistoryError",
    "Repository",
    "Unreadable",
    "open_repository",
    "parse_since",
]

FILE_MODES = frozenset({"100644", "100755", "100664"})
LINK_MODE = "120000"
GITLINK_MODE = "160000"  # a submodule: recorded, never entered
_NULL = re.compile(r"0+")
_HEX = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: the last time reports can write


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
    time: int | None  # committer time, seconds since the epoch; None: see time_problem
    author: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    time_problem: str | None = None  # why there is no time


def commit_seconds(text: bytes) -> tuple[int | None, str | None]:
    """A commit time as git prints it (``%ct``), or None and the reason: git prints
    nothing for a date it cannot read (a time of -1), and any number of digits for a
    date past the year 9999."""
    if not text:
        return None, "git gives no time for this commit (its date cannot be read)"
    if not text.isdigit():
        return None, f"git gives the time {text[:30].decode('ascii', 'replace')!r}"
    if len(text) > 12 or int(text) > _LAST_SECOND:
        shown = text[:30].decode("ascii") + ("..." if len(text) > 30 else "")
        return None, f"git gives the time {shown}, after the year 9999"
    return int(text), None


class Repository:
    """A git repository and where in it the history is taken (``prefix``, "" for all).
    Every command runs through one ``gitsafe.Session``: close the repository (or use
    ``with``) when done."""

    def __init__(self, path: str, session: gitsafe.Session) -> None:
        self.path = path  # the folder given (its prefix applies)
        self.session = session
        self.git_dir = session.location.git_dir  # absolute, links resolved
        self.objects = os.path.join(session.location.common_dir, "objects")
        flags = self.run(
            "rev-parse", "--is-bare-repository", "--is-shallow-repository", "--show-prefix"
        )
        lines = flags.decode("utf-8", "surrogateescape").split("\n")
        self.bare = session.location.work_tree is None
        self.shallow = len(lines) > 1 and lines[1] == "true"
        prefix = "" if self.bare or len(lines) < 3 else lines[2]
        self.prefix = prefix.rstrip("/")  # the folder given, relative to the top

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def run(self, *args: str) -> bytes:
        """``git ARGS`` in the repository; ``HistoryError`` with git's own line on failure."""
        try:
            return self.session.run(*args)
        except gitsafe.GitError as error:
            raise HistoryError(str(error)) from None

    def resolve(self, rev: str) -> str:
        """The commit a revision names; ``HistoryError`` when there is none."""
        if not rev or rev.startswith("-") or "\0" in rev:
            raise HistoryError(f"{rev!r}: not a revision")
        try:
            found = self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
        except HistoryError:
            raise HistoryError(f"{rev}: no such revision in {self.path}") from None
        return found.decode("ascii").strip()

    def check_since(self, since: date) -> None:
        """``HistoryError`` when git would not take ``since`` as the date it is: git reads
        years outside 1970 to 2099 as another date (``2100-01-01`` as the first day of
        this year, and then silently keeps every commit)."""
        wanted = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp())
        said = self.run("rev-parse", _limits(since, None)[0]).decode("ascii", "replace")
        match = re.fullmatch(r"--max-age=(-?\d{1,20})\s*", said)
        if match is None:
            raise HistoryError(f"--since {since.isoformat()}: git does not read it as a date")
        seconds = int(match.group(1))
        if seconds != wanted:
            shown = (
                datetime.fromtimestamp(seconds, UTC).date().isoformat()
                if 0 <= seconds <= _LAST_SECOND
                else str(seconds)
            )
            raise HistoryError(
                f"--since {since.isoformat()}: git would read it as {shown} and keep commits "
                "it should not (git takes dates from 1970 to 2099)"
            )

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
            "--no-show-signature",
            "--no-mailmap",
            "--no-textconv",
            "--no-ext-diff",
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
        stream = self.session.stream(*args)
        try:
            yield from parse(_tokens(stream))
        finally:
            code = stream.close()
        if code != 0 or stream.stalled:
            raise HistoryError(stream.error())

    def loose_problem(self, oid: str) -> str | None:
        """Why git must not be asked for an object: its loose file is there and is not a
        regular file (git would block on a FIFO for ever). None otherwise."""
        try:
            mode = os.lstat(os.path.join(self.objects, oid[:2], oid[2:])).st_mode
        except OSError:
            return None
        if stat_module.S_ISREG(mode):
            return None
        return str(safeio.NotRegularFile(mode).strerror)

    def loose_file(self, oid: str) -> bool:
        """Whether the object has a loose file (git saying it is missing then means the
        file is corrupt)."""
        return os.path.lexists(os.path.join(self.objects, oid[:2], oid[2:]))


def _limits(since: date | None, limit: int | None) -> list[str]:
    out = []
    if since is not None:
        out.append(f"--since={since.isoformat()} 00:00:00 +0000")
    if limit is not None:
        out.append(f"--max-count={limit}")
    return out


def _tokens(stream: gitsafe.Stream) -> Iterator[bytes]:
    """The NUL-separated fields of git's ``-z`` output, as they arrive. A field longer
    than a block is gathered in parts and joined once, so its cost is its length."""
    parts: list[bytes] = []
    while block := stream.read1(1 << 16):
        pieces = block.split(b"\0")
        if len(pieces) == 1:
            parts.append(block)
            continue
        parts.append(pieces[0])
        yield b"".join(parts)
        yield from pieces[1:-1]
        parts = [pieces[-1]]
    if tail := b"".join(parts):
        yield tail


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
            head = token[1:].decode("ascii", "replace")
            parents = next(tokens, b"").decode("ascii", "replace").split()
            seconds, problem = commit_seconds(next(tokens, b""))
            author = next(tokens, b"").decode("utf-8", "replace")
            subject = next(tokens, b"").decode("utf-8", "replace")
            if not _HEX.fullmatch(head):
                raise HistoryError(f"git log gave an unreadable commit line: {head[:50]!r}")
            first = parents[0] if parents else None
            commit = Commit(head, first, seconds, author, subject, time_problem=problem)
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


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A blob git cannot hand out: ``problem`` is "missing" (git does not have it),
    "corrupt" (git has it and cannot read it), or "not a blob"; ``detail`` says more."""

    oid: str
    problem: str
    detail: str = ""


class BlobCut(HistoryError):
    """git stopped in the middle of a blob: the object is corrupt."""


class Blob:
    """A blob being read from git: its size, its first bytes, then the rest on request."""

    _BLOCK = 1 << 20

    def __init__(self, stream: gitsafe.Stream, oid: str, size: int, head: int) -> None:
        self.oid = oid
        self.size = size
        self._stream = stream
        self.head = stream.read(min(size, head))
        self._left = size - len(self.head)
        self.cut = len(self.head) != min(size, head)

    def copy_rest(self, handle) -> int:  # type: ignore[no-untyped-def]
        """Write what follows the head into ``handle`` (None: read past it); the bytes.
        ``BlobCut`` when git stops before the end (a corrupt object)."""
        copied = 0
        while self._left and not self.cut:
            block = self._stream.read(min(self._left, self._BLOCK))
            if handle is not None and block:
                handle.write(block)
            self._left -= len(block)
            copied += len(block)
            if not block:
                self.cut = True
        if self.cut:
            raise BlobCut(f"{self.oid}: git stopped in the middle of the blob")
        return copied


class BlobReader:
    """Blob contents from ``git cat-file --batch``; a new process takes over the rest
    of the ids when one stops on an object it cannot read."""

    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._stream: gitsafe.Stream | None = None
        self._writer: threading.Thread | None = None
        self.restarts = 0

    def _start(self, oids: list[str]) -> gitsafe.Stream:
        """A ``cat-file --batch`` process asked for ``oids``, written by a thread while
        the answers are read, so git never waits for the next request."""
        self.close()
        stream = self._repository.session.stream("cat-file", "--batch", feed=True)
        stdin = stream.stdin
        assert stdin is not None

        def ask() -> None:
            try:
                for start in range(0, len(oids), 4096):
                    stdin.write(
                        b"".join(oid.encode("ascii") + b"\n" for oid in oids[start : start + 4096])
                    )
                stdin.flush()
            except (OSError, ValueError):
                pass  # git stopped, or the reader closed the pipe: the reader says so

        self._writer = threading.Thread(target=ask, daemon=True)
        self._writer.start()
        self._stream = stream
        return stream

    def read_all(self, oids: list[str], head: int) -> Iterator[Blob | Unreadable]:
        """For each id in turn, its ``Blob`` (the first ``head`` bytes read, the rest left
        to the caller: ``Blob.copy_rest``, skipped when not taken), or ``Unreadable``. A
        blob of any size costs one block of memory."""
        repository = self._repository
        blocked = {oid: problem for oid in oids if (problem := repository.loose_problem(oid))}
        asked = [oid for oid in oids if oid not in blocked]
        stream: gitsafe.Stream | None = None
        position = 0  # in asked: the next answer git gives
        for oid in oids:
            if oid in blocked:
                yield Unreadable(oid, "corrupt", f"its file is {blocked[oid]}: not read")
                continue
            if stream is None:
                stream = self._start(asked[position:])
            position += 1
            header = stream.readline()
            fields = header.split()
            if len(fields) == 2 and fields[1] == b"missing":
                if repository.loose_file(oid):
                    yield Unreadable(oid, "corrupt", "git cannot read its loose file")
                else:
                    yield Unreadable(oid, "missing")
                continue
            if len(fields) != 3 or not fields[2].isdigit() or fields[0] != oid.encode():
                yield Unreadable(oid, "corrupt", self._stop(stream))
                stream = None
                continue
            size = int(fields[2])
            if fields[1] != b"blob":
                kind = fields[1].decode("ascii", "replace")[:20]
                blob = Blob(stream, oid, size, 0)
                try:
                    blob.copy_rest(None)
                    stream.read(1)
                except BlobCut:
                    stream = None
                    self._stop_quietly()
                yield Unreadable(oid, "not a blob", f"git has a {kind} under this id")
                continue
            blob = Blob(stream, oid, size, head)
            if blob.cut:
                yield Unreadable(oid, "corrupt", self._stop(stream))
                stream = None
                continue
            yield blob
            try:
                blob.copy_rest(None)
            except BlobCut:
                self._stop_quietly()
                stream = None
                continue
            stream.read(1)  # the newline after each object
        # Every answer came, so every id was written. A reader that stops early does not
        # wait for the writer (it may be blocked on a full pipe): close() ends both.
        if self._writer is not None:
            self._writer.join()

    def _stop(self, stream: gitsafe.Stream) -> str:
        """End a process that stopped answering; what it said."""
        self.close()
        self.restarts += 1
        return stream.error()

    def _stop_quietly(self) -> None:
        self.close()
        self.restarts += 1

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            # Our end of git's output first: git then stops on a broken pipe, which frees
            # a writer blocked on its input, so closing that cannot wait on the writer.
            stream.close()
        if self._writer is not None:
            self._writer.join(timeout=10)
            self._writer = None


def open_repository(path: str) -> Repository:
    """The repository holding ``path``; ``HistoryError`` with one line when there is none."""
    try:
        session = gitsafe.open_session(path)
    except gitsafe.GitMissing:
        raise HistoryError("git is not installed: the history is read through git") from None
    except gitsafe.NotARepository as error:
        raise HistoryError(str(error)) from None
    except gitsafe.GitError as error:
        raise HistoryError(f"{path}: {error}") from None
    try:
        return Repository(path, session)
    except BaseException:
        session.close()
        raise


def parse_since(text: str) -> date:
    """A ``--since`` date: YYYY-MM-DD (or an ISO date-time)."""
    try:
        return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise HistoryError(f"--since {text!r}: not a date (YYYY-MM-DD)") from None
