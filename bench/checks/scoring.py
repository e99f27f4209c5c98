"""Score findings against a truth file: pure functions over values.

A finding matches a truth entry when the check is the same and
- the entry names a key (EN002: the module; AS003: the file pattern) and the finding's
  message names the same one, or
- one of the entry's places has the finding's path, the same notebook cell (when either
  names one) and a line within ``LINE_TOLERANCE`` of the finding's (when both name one).

Each entry is matched once: a second finding of the same problem is a false alarm
("reported twice"). A finding that matches no entry but a ``judged`` one is a false alarm
with that judgement's reason; one that matches neither is *unjudged*: counted apart, never
as right or wrong. Entries no finding matched are misses.

Checks that report one finding per notebook (NB004-NB009) match on the path alone: the cell
they name is the first of several, and which one is first is not the problem.

LINE_TOLERANCE is 2: a finding reported at the first line of a two- or three-line
statement still matches the literal's own line; a docstring or a call that opens further
up does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "LINE_TOLERANCE",
    "Outcome",
    "Score",
    "changes",
    "effective_truth",
    "finding_key",
    "place_key",
    "score",
    "score_repository",
    "totals",
]

LINE_TOLERANCE = 2
PER_NOTEBOOK = frozenset({"NB004", "NB005", "NB006", "NB007", "NB008", "NB009"})
_KEYS = {
    "EN002": re.compile(r"^imports ([\w.]+)"),
    "AS003": re.compile(r" matching (\S+) \("),
}


@dataclass(frozen=True)
class Outcome:
    """What one finding was judged to be: ``right``, ``wrong`` or ``unjudged``."""

    finding: dict[str, Any]
    verdict: str
    reason: str = ""


@dataclass
class Score:
    right: int = 0
    wrong: int = 0
    unjudged: int = 0
    missed: int = 0

    def add(self, other: Score) -> None:
        self.right += other.right
        self.wrong += other.wrong
        self.unjudged += other.unjudged
        self.missed += other.missed

    @property
    def precision(self) -> float | None:
        judged = self.right + self.wrong
        return self.right / judged if judged else None

    @property
    def recall(self) -> float | None:
        expected = self.right + self.missed
        return self.right / expected if expected else None


@dataclass
class RepositoryScore:
    outcomes: list[Outcome] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)

    def by_check(self) -> dict[str, Score]:
        table: dict[str, Score] = {}
        for outcome in self.outcomes:
            score = table.setdefault(outcome.finding["check"], Score())
            if outcome.verdict == "right":
                score.right += 1
            elif outcome.verdict == "wrong":
                score.wrong += 1
            else:
                score.unjudged += 1
        for entry in self.missed:
            table.setdefault(entry["check"], Score()).missed += 1
        return table


def finding_key(finding: dict[str, Any]) -> str | None:
    pattern = _KEYS.get(finding["check"])
    if pattern is None:
        return None
    match = pattern.search(finding.get("message", ""))
    return match.group(1) if match else None


def _places(entry: dict[str, Any]) -> list[tuple[str, int | None, int | None]]:
    first = (entry.get("path", ""), entry.get("line"), entry.get("cell"))
    return [first, *(tuple(item) for item in entry.get("also", []))]


def _at(finding: dict[str, Any], path: str, line: int | None, cell: int | None) -> bool:
    if finding.get("path", "") != path:
        return False
    if (cell is not None or finding.get("cell") is not None) and finding.get("cell") != cell:
        return False
    found = finding.get("line")
    return line is None or found is None or abs(found - line) <= LINE_TOLERANCE


def matches(finding: dict[str, Any], entry: dict[str, Any]) -> bool:
    if finding["check"] != entry["check"]:
        return False
    if entry.get("key") is not None and finding["check"] in _KEYS:
        return finding_key(finding) == entry["key"]
    if finding["check"] in PER_NOTEBOOK:
        return finding.get("path") == entry.get("path")
    return any(_at(finding, *place) for place in _places(entry))


def _same_entry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["check"] == b["check"]
        and a.get("path", "") == b.get("path", "")
        and a.get("line") == b.get("line")
        and a.get("cell") == b.get("cell")
        and a.get("key") == b.get("key")
    )


def effective_truth(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The problems that should be found: the tools' entries less those judged not to be
    problems, plus those added by reading, plus secrets reviewed as real."""
    removed = truth.get("removed", [])
    entries = [e for e in truth.get("expected", []) if not any(_same_entry(e, r) for r in removed)]
    entries += truth.get("added", [])
    for review in truth.get("reviews", []):
        if review.get("verdict") in ("SE001", "SE002"):
            entries.append(
                {
                    "check": review["verdict"],
                    "path": review["path"],
                    "line": review.get("line"),
                    "cell": review.get("cell"),
                    "how": f"reviewed: {review.get('reason', '')}",
                }
            )
    return entries


def score_repository(findings: Sequence[dict[str, Any]], truth: dict[str, Any]) -> RepositoryScore:
    entries = effective_truth(truth)
    used = [False] * len(entries)
    judged = truth.get("judged", [])
    result = RepositoryScore()
    for finding in findings:
        candidates = [i for i, entry in enumerate(entries) if matches(finding, entry)]
        free = [i for i in candidates if not used[i]]
        if free:
            used[free[0]] = True
            result.outcomes.append(Outcome(finding, "right", entries[free[0]].get("how", "")))
            continue
        verdict = next((j for j in judged if matches(finding, j)), None)
        if verdict is not None:
            result.outcomes.append(Outcome(finding, "wrong", verdict.get("reason", "")))
        elif candidates:
            result.outcomes.append(Outcome(finding, "wrong", "the same problem reported twice"))
        else:
            result.outcomes.append(Outcome(finding, "unjudged"))
    result.missed = [entry for entry, hit in zip(entries, used, strict=True) if not hit]
    return result


def score(results: Iterable[RepositoryScore]) -> dict[str, Score]:
    """Scores per check over many repositories."""
    table: dict[str, Score] = {}
    for result in results:
        for check, item in result.by_check().items():
            table.setdefault(check, Score()).add(item)
    return dict(sorted(table.items()))


def totals(by_check: dict[str, Score]) -> dict[str, Score]:
    """Scores per family (the two letters of the id)."""
    table: dict[str, Score] = {}
    for check, item in by_check.items():
        table.setdefault(check[:2], Score()).add(item)
    return dict(sorted(table.items()))


def place_key(finding: dict[str, Any]) -> str:
    """A finding as last.json keeps it: check, path, place (cell and line)."""
    cell = "" if finding.get("cell") is None else str(finding["cell"])
    line = "" if finding.get("line") is None else str(finding["line"])
    return f"{finding['check']}\t{finding.get('path', '')}\t{cell}\t{line}"


def changes(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> dict[str, tuple[list[str], list[str]]]:
    """Per repository, the findings added and removed since the last run."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            changed[name] = (sorted(new - old), sorted(old - new))
    return changed
