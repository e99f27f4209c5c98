"""The tree at each commit, built from the one before and the commit's changes.

``Tree`` holds each present path's blob facts and running totals by category and
language, so a commit costs its changes, not its tree. ``Tree.state`` gives the
row of one commit; ``Tree.apply`` also says what arrived (events): a file over 1 MiB,
or a folder over 1,000 files, each the first time it appears.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..core.linekinds import LineKind, line_kind
from ..core.records import display_path
from ..core.times import iso_time
from ..scanning.filetypes import CATEGORIES
from .blobs import LFS_STATE, BlobFacts
from .git import Commit

__all__ = ["LARGE_FILE_BYTES", "LARGE_FOLDER_FILES", "Event", "Tree", "commit_time"]

LARGE_FILE_BYTES = 1 << 20
LARGE_FOLDER_FILES = 1000
LARGEST = 5
_ORDER = {name: index for index, name in enumerate(CATEGORIES)}


@dataclass(frozen=True, slots=True)
class Event:
    commit: str
    time: int | None
    kind: str  # "large_file" or "large_folder"
    path: str  # as reports show it; a folder ends with "/" ("./" for the top)
    bytes: int
    files: int  # a folder's files then; 1 for a file
    lfs: bool = False


def commit_time(seconds: int | None) -> str | None:
    """A commit's time as reports write times (None when git gives none it can read,
    or past the year 9999)."""
    return None if seconds is None else iso_time(seconds * 1_000_000_000)


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


_KIND_TOTALS = {
    LineKind.CODE: "code",
    LineKind.DATA: "data_rows",
    LineKind.MARKUP: "markup_lines",
    LineKind.TEXT: "text_lines",
    LineKind.CONFIG: "config_lines",
}


def _group(category: str, language: str | None, values: list[int]) -> dict[str, Any]:
    """A group's numbers: code and comment lines only where its lines are code; the
    non-blank lines of data, markup, text or configuration are ``other``, its ``kind``
    says which."""
    kind = line_kind(category, language)
    files, size, code, comment, blank = values
    is_code = kind is LineKind.CODE
    return {
        "category": category,
        "language": language,
        "kind": kind.value,
        "files": files,
        "bytes": size,
        "code": code if is_code else 0,
        "comment": comment if is_code else 0,
        "blank": blank,
        "other": 0 if is_code else code + comment,
    }


class Tree:
    """The files present at the commit last applied, with their totals."""

    def __init__(self) -> None:
        self.files: dict[str, BlobFacts] = {}
        self.submodules: set[str] = set()
        # (category, language) -> [files, bytes, code, comment, blank]
        self.groups: dict[tuple[str, str | None], list[int]] = {}
        self.notebooks = [0, 0, 0, 0]  # notebooks, cells, outputs' bytes, cells with errors
        self.lfs = [0, 0]  # pointers, bytes they stand for
        self.per_folder: Counter[str] = Counter()
        self._seen_large: set[str] = set()
        self._seen_folders: set[str] = set()
        self._top: list[tuple[int, str]] = []
        self._top_stale = False

    def remove(self, path: str) -> None:
        facts = self.files.pop(path, None)
        if facts is None:
            self.submodules.discard(path)
            return
        self._count(facts, -1)
        self.per_folder[_folder(path)] -= 1
        if self._top and facts.size >= self._top[0][0]:
            self._top_stale = True

    def add(
        self,
        path: str,
        facts: BlobFacts,
        commit: Commit | None,
        events: list[Event],
        moved: bool = False,
    ) -> None:
        """Put a file in the tree; ``commit`` None (the tree a history starts from) says
        nothing arrived; ``moved``: the same content left another path in this commit (a
        rename), so a large file is not a new arrival."""
        if path in self.files:
            self.remove(path)
        self.files[path] = facts
        self._count(facts, 1)
        folder = _folder(path)
        self.per_folder[folder] += 1
        if not self._top_stale:
            if len(self._top) < LARGEST:
                heapq.heappush(self._top, (facts.size, path))
            elif (facts.size, path) > self._top[0]:
                heapq.heapreplace(self._top, (facts.size, path))
        if commit is None:
            return
        if facts.size > LARGE_FILE_BYTES and path not in self._seen_large:
            self._seen_large.add(path)
            if not moved:
                shown = display_path(path)[0]
                lfs = facts.state == LFS_STATE
                events.append(
                    Event(commit.id, commit.time, "large_file", shown, facts.size, 1, lfs)
                )
        count = self.per_folder[folder]
        if count > LARGE_FOLDER_FILES and folder not in self._seen_folders:
            self._seen_folders.add(folder)
            shown = display_path(folder)[0] + "/" if folder else "./"
            size = sum(item.size for name, item in self.files.items() if _folder(name) == folder)
            events.append(Event(commit.id, commit.time, "large_folder", shown, size, count))

    def _count(self, facts: BlobFacts, sign: int) -> None:
        group = self.groups.get((facts.category, facts.language))
        if group is None:
            group = self.groups[(facts.category, facts.language)] = [0, 0, 0, 0, 0]
        group[0] += sign
        group[1] += sign * facts.size
        group[2] += sign * facts.code
        group[3] += sign * facts.comment
        group[4] += sign * facts.blank
        if facts.notebook is not None:
            cells, output_bytes, errors = facts.notebook
            books = self.notebooks
            books[0] += sign
            books[1] += sign * cells
            books[2] += sign * output_bytes
            books[3] += sign * errors
        if facts.state == LFS_STATE:
            self.lfs[0] += sign
            self.lfs[1] += sign * facts.size

    def largest(self) -> list[tuple[int, str]]:
        """The largest files present, largest first (ties by path)."""
        if self._top_stale:
            self._top = heapq.nlargest(
                LARGEST, ((facts.size, path) for path, facts in self.files.items())
            )
            heapq.heapify(self._top)
            self._top_stale = False
        return sorted(self._top, key=lambda item: (-item[0], item[1]))

    def state(self, commit: Commit, added: int, modified: int, deleted: int) -> dict[str, Any]:
        """The commit's row: totals (lines by what they are: ``core.linekinds``), groups
        by category and language, notebooks, LFS, submodules, the largest files, and how
        many paths it changed."""
        groups = [
            _group(category, language, values)
            for (category, language), values in sorted(
                self.groups.items(), key=lambda item: (_ORDER[item[0][0]], item[0][1] or "")
            )
            if values[0]
        ]
        books = self.notebooks
        time = commit_time(commit.time)
        lines = dict.fromkeys([*_KIND_TOTALS.values(), "comment"], 0)
        for group in groups:
            if group["kind"] == LineKind.CODE:
                lines["code"] += group["code"]
                lines["comment"] += group["comment"]
            else:
                lines[_KIND_TOTALS[group["kind"]]] += group["other"]
        row: dict[str, Any] = {
            "commit": commit.id,
            "parent": commit.parent,
            "time": time,
            "author": commit.author,
            "subject": commit.subject,
            "changed": {"added": added, "modified": modified, "deleted": deleted},
            "files": sum(group["files"] for group in groups),
            "bytes": sum(group["bytes"] for group in groups),
            "code": lines["code"],
            "comment": lines["comment"],
            "blank": sum(group["blank"] for group in groups),
            "data_rows": lines["data_rows"],
            "markup_lines": lines["markup_lines"],
            "text_lines": lines["text_lines"],
            "config_lines": lines["config_lines"],
            "groups": groups,
            "notebooks": {
                "notebooks": books[0],
                "cells": books[1],
                "output_bytes": books[2],
                "error_cells": books[3],
            },
            "lfs_pointers": {"files": self.lfs[0], "bytes": self.lfs[1]},
            "submodules": len(self.submodules),
            "largest": [
                {"path": display_path(path)[0], "bytes": size} for size, path in self.largest()
            ],
        }
        if time is None:
            row["time_problem"] = commit.time_problem or "after the year 9999"
        return row
