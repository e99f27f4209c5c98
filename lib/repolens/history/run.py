"""``run_history``: a repository's first-parent line, commit by commit, into
``history.json`` and ``history.csv``.

Commits stream from ``git log --raw``; each commit's new blobs are gathered until a
window is full, analysed once (``analyse_blobs``), and the waiting commits are then
replayed on ``Tree`` in order, each row written as it comes. Memory holds the tree
of one commit, the blob facts and one window, never the whole history.

A blob the repository does not have, or cannot read, does not stop the history: its
file counts with no bytes and no lines, and ``unreadable_objects`` names the object,
its paths and the commits that brought it, with the count in the notes.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any

from .._version import __version__
from ..core.atomic import AtomicFile
from ..core.cells import guard_cell
from ..core.records import display_path
from ..scanning.options import ScanError, check_root
from .blobs import WINDOW, BlobCache, BlobFacts, Unread, Wanted, analyse_blobs, blob_key
from .git import (
    FILE_MODES,
    GITLINK_MODE,
    LINK_MODE,
    BlobReader,
    Change,
    Commit,
    HistoryError,
    Repository,
    open_repository,
)
from .replay import Event, Tree, commit_time

__all__ = [
    "HISTORY_FILES",
    "HISTORY_SCHEMA_VERSION",
    "HistoryOptions",
    "HistoryResult",
    "load_history_schema",
    "run_history",
]

HISTORY_SCHEMA_VERSION = "2.0.0"
HISTORY_FILES = ("history.json", "history.csv")
CSV_COLUMNS = (
    "commit",
    "time",
    "author",
    "subject",
    "category",
    "language",
    "kind",
    "files",
    "bytes",
    "code",
    "comment",
    "blank",
    "other",
)
_PENDING_COMMITS = 512  # commits held while their window's blobs are analysed
_UNREADABLE_LISTED = 1000  # objects listed in history.json (all are counted)
_UNREADABLE_PLACES = 20  # paths and commits listed for each

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class HistoryOptions:
    rev: str = "HEAD"
    since: date | None = None
    max_commits: int | None = None
    cache_dir: Path | None = None  # None: no cache
    max_count_bytes: int = 64 << 20


@dataclass
class HistoryResult:
    repository: str
    head: str
    commits: int
    blobs: int  # distinct blobs (by content and name) on the line
    analysed: int  # blobs read this run; the rest came from the cache
    shallow: bool
    first: dict[str, Any] | None  # the oldest commit's row
    last: dict[str, Any] | None  # the newest commit's row
    events: list[Event]
    elapsed: float
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unreadable: int = 0  # objects git could not hand out (missing or corrupt)


def load_history_schema() -> dict[str, Any]:
    """The JSON Schema history.json follows."""
    text = resources.files("repolens").joinpath("schema/history.schema.json").read_text("utf-8")
    return json.loads(text)


def _open(path: str) -> Repository:
    try:
        check_root(path)
    except ScanError as error:
        raise HistoryError(str(error)) from None
    return open_repository(path)


def _head(repository: Repository, rev: str) -> str:
    try:
        return repository.resolve(rev)
    except HistoryError:
        if rev == "HEAD" and not repository.run("rev-list", "-n", "1", "--all").strip():
            raise HistoryError(f"{repository.path}: the repository has no commits yet") from None
        raise


class _Writers:
    """history.json and history.csv, written as rows come into temporary files that
    replace the old ones only when the history is complete (a stopped run leaves them)."""

    def __init__(self, folder: Path, head: dict[str, Any]) -> None:
        self._json = AtomicFile(folder / "history.json")
        try:
            self._csv = AtomicFile(folder / "history.csv")
        except BaseException:
            self._json.discard()
            raise
        self._rows = csv.writer(self._csv.handle)  # RFC 4180, as files.csv
        self._rows.writerow(CSV_COLUMNS)
        text = json.dumps(head, indent=1, ensure_ascii=False)
        self._json.handle.write(text[: text.rindex("}")].rstrip() + ',\n "commits": [')
        self._first = True
        self.paths = [self._json.target, self._csv.target]

    def commit(self, row: dict[str, Any]) -> None:
        handle: IO[str] = self._json.handle
        handle.write(("\n  " if self._first else ",\n  ") + json.dumps(row, ensure_ascii=False))
        self._first = False
        front = [row["commit"], row["time"], guard_cell(row["author"]), guard_cell(row["subject"])]
        for group in row["groups"]:
            self._rows.writerow(
                [
                    *front,
                    group["category"],
                    guard_cell(group["language"] or ""),
                    group["kind"],
                    group["files"],
                    group["bytes"],
                    group["code"],
                    group["comment"],
                    group["blank"],
                    group["other"],
                ]
            )

    def finish(self, tail: dict[str, Any]) -> None:
        handle = self._json.handle
        handle.write("\n ]")
        for key, value in tail.items():
            handle.write(f",\n {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        handle.write("\n}\n")
        self._csv.commit()
        self._json.commit()

    def discard(self) -> None:
        self._json.discard()
        self._csv.discard()


def _event_dict(event: Event) -> dict[str, Any]:
    return {
        "commit": event.commit,
        "time": commit_time(event.time),
        "kind": event.kind,
        "path": event.path,
        "bytes": event.bytes,
        "files": event.files,
        "lfs": event.lfs,
    }


@dataclass
class _Problem:
    """One object that could not be read: where it was wanted, and by which commits."""

    problem: str
    detail: str
    paths: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    times: int = 0  # commits that brought it (all counted, the first few listed)

    def add(self, path: str, commit: Commit | None) -> None:
        shown = display_path(path)[0]
        if shown not in self.paths and len(self.paths) < _UNREADABLE_PLACES:
            self.paths.append(shown)
        if commit is not None:
            self.times += 1
            if len(self.commits) < _UNREADABLE_PLACES:
                self.commits.append(commit.id)

    def as_dict(self, oid: str) -> dict[str, Any]:
        return {
            "object": oid,
            "problem": self.problem,
            "detail": self.detail,
            "paths": self.paths,
            "commits": self.commits,
            "commits_total": self.times,
        }


class _Replayer:
    """Commits in, rows out: blobs of waiting commits are analysed a window at a time."""

    def __init__(
        self,
        repository: Repository,
        cache: BlobCache,
        writers: _Writers,
        options: HistoryOptions,
        progress: Progress,
        total: int,
    ) -> None:
        self.tree = Tree()
        self.events: list[Event] = []
        self.cache = cache
        self.writers = writers
        self.limit = options.max_count_bytes
        self.progress = progress
        self.total = total
        self.reader: BlobReader | None = None
        self.repository = repository
        self.waiting: list[tuple[Commit | None, list[tuple[Change, bytes | None]]]] = []
        self.wanted: dict[bytes, Wanted] = {}
        self.keys: set[bytes] = set()
        self.analysed = 0
        self.unread: dict[bytes, Unread] = {}  # by blob key: never cached
        self.problems: dict[str, _Problem] = {}  # by object id
        self.done = 0
        self.first: dict[str, Any] | None = None
        self.last: dict[str, Any] | None = None

    def take(self, commit: Commit | None, changes: Iterable[Change]) -> None:
        """A commit (None: the tree the first commit starts from) and its changes."""
        keyed: list[tuple[Change, bytes | None]] = []
        for change in changes:
            key = None
            if change.new is not None and (
                change.new[0] in FILE_MODES or change.new[0] == LINK_MODE
            ):
                mode, oid = change.new
                key = blob_key(oid, mode, change.path)
                self.keys.add(key)
                known = key in self.wanted or key in self.cache.blobs or key in self.unread
                if not known:
                    self.wanted[key] = Wanted(key, oid, mode, change.path)
            keyed.append((change, key))
        self.waiting.append((commit, keyed))
        if len(self.wanted) >= WINDOW or len(self.waiting) >= _PENDING_COMMITS:
            self.flush()

    def flush(self) -> None:
        if self.wanted:
            if self.reader is None:
                self.reader = BlobReader(self.repository)
            found, unread = analyse_blobs(self.reader, list(self.wanted.values()), self.limit)
            self.analysed += len(found)
            self.cache.add(found)
            self.unread.update(unread)
            self.wanted.clear()
        for commit, keyed in self.waiting:
            self._replay(commit, keyed)
        self.waiting.clear()

    def _replay(self, commit: Commit | None, keyed: list[tuple[Change, bytes | None]]) -> None:
        tree, events = self.tree, self.events
        added = modified = deleted = 0
        # the blobs that left a path in this commit: one of them added elsewhere is a move
        # (git mv, a renamed folder), so a large file moved is not a new arrival
        left = {
            change.old[1]
            for change, _key in keyed
            if change.old is not None and (change.new is None or change.new[1] != change.old[1])
        }
        for change, key in keyed:
            old, new = change.old, change.new
            if new is None:
                deleted += 1
                tree.remove(change.path)
                continue
            if old is None:
                added += 1
            else:
                modified += 1
            if new[0] == GITLINK_MODE:
                tree.remove(change.path)
                tree.submodules.add(change.path)
            elif key is not None:
                facts = self.cache.blobs.get(key)
                if facts is None:
                    facts = self._unreadable(key, new[1], change.path, commit)
                tree.add(change.path, facts, commit, events, moved=new[1] in left)
            else:  # a mode git did not have when this was written: left out
                tree.remove(change.path)
        if commit is None:
            return
        row = tree.state(commit, added, modified, deleted)
        self.writers.commit(row)
        if self.first is None:
            self.first = row
        self.last = row
        self.done += 1
        self.progress("history", self.done, self.total)

    def _unreadable(self, key: bytes, oid: str, path: str, commit: Commit | None) -> BlobFacts:
        unread = self.unread[key]
        problem = self.problems.get(oid)
        if problem is None:
            problem = self.problems[oid] = _Problem(unread.problem, unread.detail)
        problem.add(path, commit)
        return unread.facts

    def unreadable(self) -> dict[str, Any]:
        """What history.json says of the objects that could not be read."""
        listed = sorted(self.problems.items())[:_UNREADABLE_LISTED]
        return {
            "count": len(self.problems),
            "objects": [problem.as_dict(oid) for oid, problem in listed],
        }

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


def run_history(
    path: str | os.PathLike[str],
    output_dir: Path,
    options: HistoryOptions = HistoryOptions(),
    progress: Progress | None = None,
) -> HistoryResult:
    """Write ``history.json`` and ``history.csv`` for the repository holding ``path``
    (its folder ``path`` when that is below the top); ``HistoryError`` (one line,
    nothing written) when there is no history to read."""
    clock = time.perf_counter()
    text = os.fspath(path)
    with _open(text) as repository:
        return _run(repository, text, output_dir, options, progress, clock)


def _unreadable_note(count: int) -> str:
    return (
        f"{count:,} object{'s' if count != 1 else ''} of the repository could not be read "
        "(missing or corrupt): their files count with no bytes and no lines; "
        "unreadable_objects in history.json names them"
    )


def _run(
    repository: Repository,
    text: str,
    output_dir: Path,
    options: HistoryOptions,
    progress: Progress | None,
    clock: float,
) -> HistoryResult:
    if options.since is not None:
        repository.check_since(options.since)
    head = _head(repository, options.rev)
    total = repository.count(head, options.since, options.max_commits)
    notes: list[str] = []
    if total == 0:
        where = f" under {repository.prefix}/" if repository.prefix else ""
        since = f" since {options.since.isoformat()}" if options.since else ""
        raise HistoryError(f"{options.rev}: no commits{where}{since}")
    if repository.shallow:
        notes.append(
            f"a shallow clone: only {repository.depth():,} commits are present, so the "
            "history starts at the oldest of them, with everything it held"
        )
    cache = BlobCache(options.cache_dir, repository.git_dir, options.max_count_bytes)
    document = {
        "schema_version": HISTORY_SCHEMA_VERSION,
        "tool": {"name": "repolens", "version": __version__},
        "timestamp": datetime.now(UTC).isoformat(),
        "repository": os.path.abspath(text),
        "prefix": repository.prefix,
        "rev": options.rev,
        "head": head,
        "shallow": repository.shallow,
        "since": options.since.isoformat() if options.since else None,
        "max_commits": options.max_commits,
        "thresholds": {"large_file_bytes": 1 << 20, "large_folder_files": 1000},
    }
    writers = _Writers(output_dir, document)
    replayer = _Replayer(repository, cache, writers, options, progress or (lambda *_: None), total)
    try:
        for index, commit in enumerate(
            repository.commits(head, options.since, options.max_commits)
        ):
            if index == 0 and commit.parent is not None:
                replayer.take(None, repository.tree(commit.parent))
            replayer.take(commit, commit.changes)
        replayer.flush()
        if replayer.problems:
            notes.append(_unreadable_note(len(replayer.problems)))
        writers.finish(
            {
                "blobs": len(replayer.keys),
                "events": [_event_dict(event) for event in replayer.events],
                "notes": notes,
                "unreadable_objects": replayer.unreadable(),
            }
        )
    except BaseException:
        writers.discard()
        raise
    finally:
        replayer.close()
        cache.save()  # what was analysed is kept, even when the run stopped
    if cache.problem:
        notes.append(cache.problem)
    return HistoryResult(
        repository=os.path.abspath(text),
        head=head,
        commits=replayer.done,
        blobs=len(replayer.keys),
        analysed=replayer.analysed,
        shallow=repository.shallow,
        first=replayer.first,
        last=replayer.last,
        events=replayer.events,
        elapsed=time.perf_counter() - clock,
        notes=notes,
        written=writers.paths,
        unreadable=len(replayer.problems),
    )
