"""Findings are values: which check, how severe, where, what was seen, how to fix it.

The checks themselves are data (``checks.toml``): id, level, what, why, anchor, fix.
Text, JSON, CSV and SARIF are renderings of one sorted list of ``Finding``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = ["LEVEL_ORDER", "Check", "Finding", "Level", "checks_table"]


class Level(StrEnum):
    """How much a finding matters, as SARIF names it."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    name: str
    level: Level
    what: str
    why: str
    anchor: str
    fix: str

    @property
    def family(self) -> str:
        return self.id[:2]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, where it is and how to remove it.

    ``path`` is relative to the scanned root ("" for the tree as a whole); ``line`` is
    1-based in the file, or in the cell when ``cell`` (0-based index) is set."""

    check: str
    level: Level
    path: str
    message: str
    fix: str
    evidence: str = ""
    line: int | None = None
    cell: int | None = None

    def sort_key(self) -> tuple[int, str, str, int, int, str]:
        return (
            LEVEL_ORDER[self.level],
            self.check,
            self.path,
            -1 if self.cell is None else self.cell,
            -1 if self.line is None else self.line,
            self.message,
        )

    @property
    def identity(self) -> str:
        """The same problem in another run: check, path, cell and what was seen (not the
        message, whose counts change, nor the line, which moves)."""
        return (
            f"{self.check}:{self.path}:{'' if self.cell is None else self.cell + 1}:{self.evidence}"
        )

    @property
    def where(self) -> str:
        """``path:line`` or ``path, cell N, line M`` as people read it."""
        text = self.path or "(the tree)"
        if self.cell is not None:
            text += f", cell {self.cell + 1}"
            if self.line is not None:
                text += f", line {self.line}"
        elif self.line is not None:
            text += f":{self.line}"
        return text


@cache
def checks_table() -> dict[str, Check]:
    """Every check, by id, in table order."""
    text = resources.files("repolens.checks").joinpath("checks.toml").read_text("utf-8")
    table: dict[str, Check] = {}
    for row in tomllib.loads(text)["check"]:
        check = Check(
            id=row["id"],
            name=row["name"],
            level=Level(row["level"]),
            what=row["what"],
            why=row["why"],
            anchor=row["anchor"],
            fix=row["fix"],
        )
        if check.id in table:
            raise ValueError(f"check {check.id} listed twice")
        table[check.id] = check
    return table
