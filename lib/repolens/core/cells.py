"""The guard on a CSV text cell that came from a tree: a spreadsheet shows it as text,
never runs it as a formula, and the guard can always be undone."""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_PREFIXES", "csv_unescape", "guard_cell"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "'")
"""A text cell starting with one of these gets a leading ``'`` in every CSV repolens
writes, so that a spreadsheet shows it as text instead of running it as a formula
(OWASP's advice); ``'`` itself is in the list so the escape can always be undone
(``csv_unescape``)."""


_FORMULA_STARTS = "".join(FORMULA_PREFIXES)


def guard_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: ``'`` before a formula start (and before
    a ``'``, so ``csv_unescape`` undoes it exactly)."""
    if value and type(value) is str and value[0] in _FORMULA_STARTS:
        return "'" + value
    return value


def csv_unescape(cell: str) -> str:
    """A files.csv text cell as the tree had it: the formula guard removed."""
    return cell[1:] if cell.startswith("'") else cell
