"""Findings are values: which check, how severe, where, what was seen, how to fix it.

Text, JSON, CSV and SARIF are renderings of one sorted list of ``Finding``; what each
check is and why it matters is the checks' table (``checks/checks.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["LEVEL_ORDER", "Finding", "Level"]


class Level(StrEnum):
    """How much a finding matters, as SARIF names it."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}


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
