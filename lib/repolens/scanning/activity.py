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

from ..core.gitsafe import GitError, open_session
from .ignore import find_work_tree

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


_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def _log(root: str) -> tuple[bytes, bool] | None:
    """``git log`` of the folder (each commit's time and the files it changed) and
    whether the clone is shallow; None when git is missing or cannot answer."""
    try:
        with open_session(root) as session:
            log = session.run(
                "log",
                "--no-renames",
                "--relative",
                "--name-only",
                "--no-show-signature",
                "--no-mailmap",
                "--no-textconv",
                "--no-ext-diff",
                "--no-color",
                f"--format={_MARK}%ct",
                "--",
                ".",
            )
            shallow = os.path.lexists(os.path.join(session.location.common_dir, "shallow"))
    except GitError:
        return None
    return log, shallow


def git_activity(root: str) -> GitActivity | None:
    """The git history of the folder ``root``, or None when there is none to read.
    A commit whose time git cannot give (or gives past the year 9999) counts among the
    commits, not in any month."""
    if find_work_tree(root) is None:
        return None
    found = _log(root)
    if found is None or not found[0]:
        return None
    log, shallow = found
    months: Counter[str] = Counter()
    last: dict[str, int] = {}
    times: list[int] = []
    commits = 0
    for block in os.fsdecode(log).split(_MARK)[1:]:
        stamp, *paths = block.split("\n")
        commits += 1
        if not (stamp.isdigit() and len(stamp) <= 12 and int(stamp) <= _LAST_SECOND):
            continue
        when = int(stamp)
        times.append(when)
        months[datetime.fromtimestamp(when, UTC).strftime("%Y-%m")] += 1
        for path in filter(None, paths):
            folder = path.split("/", 1)[0] if "/" in path else "."
            if when > last.get(folder, -1):
                last[folder] = when
    if not times:
        return None
    return GitActivity(
        commits=commits,
        by_month=dict(sorted(months.items())),
        last_by_folder={
            folder: _date(when)
            for folder, when in sorted(last.items(), key=lambda item: (-item[1], item[0]))
        },
        first=_date(min(times)),
        last=_date(max(times)),
        shallow=shallow,
    )
