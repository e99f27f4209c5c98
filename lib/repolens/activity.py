"""Activity from git: commits per month and the last commit in each top-level folder.

Copies, checkouts and archives reset file times, so inside a git work tree the history
is the better witness. One ``git log`` (local, no network) over the analysed folder; None
outside a work tree, or when git is missing or has no commits there.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from .scanning.gitrun import git_output
from .scanning.ignore import find_work_tree

__all__ = ["GitActivity", "git_activity"]

_MARK = "\x1e"  # starts each commit in the log: a byte no path or date holds


@dataclass(frozen=True)
class GitActivity:
    commits: int
    by_month: dict[str, int]  # "YYYY-MM" -> commits, in time order
    last_by_folder: dict[str, str]  # top-level folder ("." for files at the top) -> ISO date
    first: str  # date of the first commit touching the folder
    last: str
    shallow: bool  # a shallow clone: older history is missing


def _date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def git_activity(root: str) -> GitActivity | None:
    """The git history of the folder ``root``, or None when there is none to read."""
    top = find_work_tree(root)
    if top is None:
        return None
    log = git_output(
        root,
        "log",
        "--no-renames",
        "--relative",
        "--name-only",
        f"--format={_MARK}%ct",
        "--",
        ".",
    )
    if not log:
        return None
    months: Counter[str] = Counter()
    last: dict[str, int] = {}
    times: list[int] = []
    for block in os.fsdecode(log).split(_MARK)[1:]:
        lines = [line for line in block.split("\n") if line]
        if not lines or not lines[0].isdigit():
            continue
        when = int(lines[0])
        times.append(when)
        months[datetime.fromtimestamp(when, UTC).strftime("%Y-%m")] += 1
        for path in lines[1:]:
            folder = path.split("/", 1)[0] if "/" in path else "."
            if when > last.get(folder, -1):
                last[folder] = when
    if not times:
        return None
    shallow = os.path.exists(os.path.join(top, ".git", "shallow"))
    return GitActivity(
        commits=len(times),
        by_month=dict(sorted(months.items())),
        last_by_folder={
            folder: _date(when)
            for folder, when in sorted(last.items(), key=lambda item: (-item[1], item[0]))
        },
        first=_date(min(times)),
        last=_date(max(times)),
        shallow=shallow,
    )
