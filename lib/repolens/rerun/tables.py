"""HTML outputs compared as tables: pandas' ``to_html`` and Styler output, cell by cell.

An HTML output is read (``html.parser``, linear) as its tables, each a list of rows of
cell texts, and the text outside them; the content of ``<style>``, ``<script>`` and
``<template>`` and every attribute (a Styler's random element ids) are left out. Two
outputs with the same number of tables of the same shapes are compared cell by cell
with the text rule (``text.compare_text``: numbers within tolerance), then the text
around the tables as text. HTML with no table is compared as its text.
"""

from __future__ import annotations

from html.parser import HTMLParser

from .model import Difference, DifferenceKind
from .text import RunTimes, Tolerance, compare_text

__all__ = ["compare_html", "read_html"]

_DEFAULT = Tolerance()
_UNKNOWN = RunTimes()


class _Tables(HTMLParser):
    """An HTML output read as its tables (rows of cell texts) and the text outside them;
    the content of ``<style>``, ``<script>`` and ``<template>`` is left out."""

    _SKIPPED = frozenset({"style", "script", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.outside: list[str] = []
        self._open: list[list[list[str]]] = []  # the tables being read (nested ones too)
        self._cell: list[str] | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag == "table":
            self._open.append([])
            self._cell = None
        elif tag == "tr" and self._open:
            self._open[-1].append([])
        elif tag in ("td", "th") and self._open:
            if not self._open[-1]:
                self._open[-1].append([])
            self._cell = []
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "table" and self._open:
            self._close_cell()
            self.tables.append(self._open.pop())

    def _close_cell(self) -> None:
        if self._cell is not None and self._open and self._open[-1]:
            self._open[-1][-1].append(" ".join("".join(self._cell).split()))
        self._cell = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif not self._open:
            self.outside.append(data)


def read_html(text: str) -> _Tables:
    reader = _Tables()
    reader.feed(text)
    reader.close()
    while reader._open:  # tables never closed still count
        reader._close_cell()
        reader.tables.append(reader._open.pop())
    return reader


def _shape(table: list[list[str]]) -> str:
    columns = max((len(row) for row in table), default=0)
    return f"{len(table)} rows × {columns} columns"


def compare_html(
    saved: str,
    fresh: str,
    tolerance: Tolerance = _DEFAULT,
    sides: RunTimes = _UNKNOWN,
) -> tuple[Difference | None, bool]:
    """HTML outputs: tables cell by cell, the rest as text."""
    if saved == fresh:
        return None, False
    left, right = read_html(saved), read_html(fresh)
    if not left.tables and not right.tables:
        return compare_text(" ".join(left.outside), " ".join(right.outside), tolerance, sides)
    if len(left.tables) != len(right.tables):
        return (
            Difference(
                DifferenceKind.TABLE,
                f"{len(left.tables)} tables",
                f"{len(right.tables)} tables",
                "another number of tables",
            ),
            False,
        )
    sanitised = False
    for number, (first, second) in enumerate(zip(left.tables, right.tables, strict=True), 1):
        if [len(row) for row in first] != [len(row) for row in second]:
            return (
                Difference(
                    DifferenceKind.TABLE,
                    _shape(first),
                    _shape(second),
                    f"table {number} has another shape",
                ),
                False,
            )
        cells = 0
        differing: list[tuple[int, int, Difference]] = []
        for row, (saved_row, fresh_row) in enumerate(zip(first, second, strict=True)):
            for column, (a, b) in enumerate(zip(saved_row, fresh_row, strict=True)):
                cells += 1
                difference, cleaned = compare_text(a, b, tolerance, sides)
                sanitised |= cleaned
                if difference is not None:
                    differing.append((row, column, difference))
        if differing:
            row, column, difference = differing[0]
            return (
                Difference(
                    DifferenceKind.TABLE,
                    difference.saved,
                    difference.fresh,
                    f"table {number}: {len(differing):,} of {cells:,} cells differ, the first "
                    f"at row {row + 1}, column {column + 1}"
                    + (f" ({difference.detail})" if difference.detail else ""),
                ),
                False,
            )
    around, cleaned = compare_text(
        " ".join(left.outside), " ".join(right.outside), tolerance, sides
    )
    return around, sanitised or cleaned or around is None
