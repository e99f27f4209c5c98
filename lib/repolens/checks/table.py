"""The table of checks: data (``checks.toml``), one row per check with its id, level,
what it catches, why it matters, its anchor and the fix. The findings the checks make
are values of the ground floor (``core.findings``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..core.findings import Level

__all__ = ["Check", "checks_table"]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    name: str
    level: Level
    level_why: str
    what: str
    why: str
    anchor: str
    fix: str

    @property
    def family(self) -> str:
        return self.id[:2]


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
            level_why=row["level_why"],
            what=row["what"],
            why=row["why"],
            anchor=row["anchor"],
            fix=row["fix"],
        )
        if check.id in table:
            raise ValueError(f"check {check.id} listed twice")
        table[check.id] = check
    return table
