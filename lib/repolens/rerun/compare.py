"""A notebook's saved outputs against a fresh run's, cell by cell, with tolerance.

``compare_notebook(saved, fresh, tolerance)`` takes the two notebooks as JSON documents
and gives one ``CellComparison`` per code cell of the saved notebook that has something
to compare (a cell never run when it was saved, with no outputs, has nothing).

- **Cells** are matched by position when both notebooks hold the same cells; otherwise
  by their source, in order (so a cell injected by the runner shifts nothing). A
  notebook edited between the two runs is out of scope: its edited cells are compared
  with nothing, and their saved outputs count as missing.
- **Outputs** of a cell: stream outputs are joined per stream (``stdout``, ``stderr``) as
  nbval does, text a terminal would overwrite (``\\r``, ``\\b``) settled; an
  ``execute_result`` and a ``display_data`` are the same kind of output (a MIME bundle);
  errors are compared by name and message, never by traceback. Outputs are paired in
  order within their kind; those left over are missing (saved only) or new (fresh only).
  Widgets are left out (their model ids are random; their state is not an output).
- **MIME bundles** are compared on the richest type both sides have (``BUNDLE_ORDER``):
  pixels for images (``images.py``), tables as tables for HTML, text otherwise. A type
  only one side has (``image/svg+xml`` beside a PNG, say) is no difference by itself.
- **Text** is sanitised (``sanitise.py``), then read as tokens: numbers (``1e-5``,
  ``-0.0``, ``nan``, ``inf``, ``1,234.5``, inside numpy and pandas reprs), dates, and
  the text between them with its whitespace left out (column widths change when
  numbers do). The same text and numbers within the relative tolerance (default
  ``1e-6``, with an absolute floor of ``1e-12`` for rounding noise around zero) is the
  same output; a date that is the moment its side ran (``sanitise.near``) matches any
  date in the other.
- **HTML tables** (pandas' ``to_html``, a Styler) are compared cell by cell with the same
  text rule, after the same shape; styles, scripts and attributes (random element ids)
  are left out, and the text around the tables is compared as text.

Everything here is pure: values in, values out; the cost is linear in the outputs.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from . import images
from .model import CellComparison, Difference, DifferenceKind
from .sanitise import DATE, near, sanitise

__all__ = [
    "BUNDLE_ORDER",
    "DEFAULT_TOLERANCE",
    "IGNORED_TYPES",
    "RunTimes",
    "Tolerance",
    "compare_bundles",
    "compare_html",
    "compare_notebook",
    "compare_outputs",
    "compare_text",
    "ran_at",
    "tokens",
]

DEFAULT_TOLERANCE = 1e-6

BUNDLE_ORDER = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "text/latex",
    "application/json",
    "text/plain",
)
"""MIME types from the richest: two bundles are compared on the first type both hold."""

IGNORED_TYPES = frozenset(
    {
        "application/vnd.jupyter.widget-view+json",
        "application/vnd.jupyter.widget-state+json",
    }
)
"""An output holding one of these is a widget: not compared."""

EXCERPT = 120  # characters of each side shown for a difference
MAX_TOKENS = 500_000  # past this many tokens in one output, the text is compared whole


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far two outputs may be apart and still be the same: numbers by ``relative``
    (and ``absolute`` near zero), images by ``images.PIXEL_DELTA`` and ``PIXEL_SHARE``."""

    relative: float = DEFAULT_TOLERANCE
    absolute: float = 1e-12
    pixel_delta: int = images.PIXEL_DELTA
    pixel_share: float = images.PIXEL_SHARE


@dataclass(frozen=True, slots=True)
class RunTimes:
    """When each side ran (None when its notebook does not say): a date that is the
    moment of its side's run is no result."""

    saved: datetime | None = None
    fresh: datetime | None = None


@dataclass(slots=True)
class _Tally:
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0
    sanitised: int = 0


# -- tokens -----------------------------------------------------------------------------

_NUMBER = (
    r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?(?![\d,])"
    r"|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?<![\w.])[-+]?(?i:nan|inf(?:inity)?)(?!\w)"
)
_TOKEN = re.compile(rf"(?P<date>{DATE.pattern})|(?P<number>{_NUMBER})")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number" or "date"
    text: str
    start: int


def tokens(text: str) -> tuple[str, list[Token]]:
    """``text`` as its skeleton (the text between numbers and dates, whitespace left out,
    each number and date a marker) and the numbers and dates in order."""
    text = text.replace("\x00", "")
    parts: list[str] = []
    found: list[Token] = []
    last = 0
    for match in _TOKEN.finditer(text):
        parts.append(_SPACE.sub("", text[last : match.start()]))
        kind = "date" if match.group("date") is not None else "number"
        parts.append("\x00d" if kind == "date" else "\x00n")
        found.append(Token(kind, match.group(), match.start()))
        last = match.end()
    parts.append(_SPACE.sub("", text[last:]))
    return "".join(parts), found


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _close(saved: float, fresh: float, tolerance: Tolerance) -> bool:
    if math.isnan(saved) or math.isnan(fresh):
        return math.isnan(saved) and math.isnan(fresh)
    return math.isclose(saved, fresh, rel_tol=tolerance.relative, abs_tol=tolerance.absolute)


def _line_at(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)].strip()
    if len(line) <= EXCERPT:
        return line
    offset = max(0, min(position - start - EXCERPT // 2, len(line) - EXCERPT))
    return line[offset : offset + EXCERPT]


def _first_difference(saved: str, fresh: str) -> tuple[str, str]:
    """The first line where the two texts part, from each."""
    saved_lines, fresh_lines = saved.splitlines(), fresh.splitlines()
    for left, right in zip(saved_lines, fresh_lines, strict=False):
        if _SPACE.sub("", left) != _SPACE.sub("", right):
            return left.strip()[:EXCERPT], right.strip()[:EXCERPT]
    if len(saved_lines) > len(fresh_lines):
        return saved_lines[len(fresh_lines)].strip()[:EXCERPT], "(nothing more)"
    if len(fresh_lines) > len(saved_lines):
        return "(nothing more)", fresh_lines[len(saved_lines)].strip()[:EXCERPT]
    return saved.strip()[:EXCERPT], fresh.strip()[:EXCERPT]


def _change(saved: float, fresh: float) -> float:
    if math.isnan(saved) or math.isnan(fresh) or math.isinf(saved) or math.isinf(fresh):
        return math.inf
    scale = max(abs(saved), abs(fresh))
    return abs(saved - fresh) / scale if scale else 0.0


def compare_text(
    saved: str,
    fresh: str,
    tolerance: Tolerance = Tolerance(),
    sides: RunTimes = RunTimes(),
) -> tuple[Difference | None, bool]:
    """``(difference or None, equal only once sanitised or within tolerance)``."""
    if saved == fresh:
        return None, False
    clean_saved, clean_fresh = sanitise(saved), sanitise(fresh)
    if clean_saved == clean_fresh:
        return None, True
    skeleton_saved, found_saved = tokens(clean_saved)
    skeleton_fresh, found_fresh = tokens(clean_fresh)
    too_many = max(len(found_saved), len(found_fresh)) > MAX_TOKENS
    if too_many or skeleton_saved != skeleton_fresh:
        left, right = _first_difference(clean_saved, clean_fresh)
        return Difference(DifferenceKind.TEXT, left, right, "the text differs"), False
    beyond: list[tuple[Token, Token, float]] = []
    numbers = 0
    for left, right in zip(found_saved, found_fresh, strict=True):
        if left.kind == "date":
            if left.text != right.text and not (
                near(right.text, sides.fresh)
                and (sides.saved is None or near(left.text, sides.saved))
            ):
                beyond.append((left, right, math.inf))
            continue
        numbers += 1
        a, b = _number(left.text), _number(right.text)
        if not _close(a, b, tolerance):
            beyond.append((left, right, _change(a, b)))
    if not beyond:
        return None, True
    first_saved, first_fresh, _ = beyond[0]
    largest = max(change for _left, _right, change in beyond)
    dates = sum(1 for left, _right, _change in beyond if left.kind == "date")
    parts = []
    if len(beyond) > dates:
        parts.append(
            f"{len(beyond) - dates:,} of {numbers:,} numbers beyond {tolerance.relative:g}, "
            + (
                f"largest relative change {largest:.3g}"
                if math.isfinite(largest)
                else "some not finite"
            )
        )
    if dates:
        parts.append(f"{dates:,} date{'s' if dates != 1 else ''} changed")
    kind = DifferenceKind.NUMBER if len(beyond) > dates else DifferenceKind.TEXT
    return (
        Difference(
            kind,
            _line_at(clean_saved, first_saved.start),
            _line_at(clean_fresh, first_fresh.start),
            "; ".join(parts),
        ),
        False,
    )


# -- HTML tables --------------------------------------------------------------------------


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


def _read_html(text: str) -> _Tables:
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
    tolerance: Tolerance = Tolerance(),
    sides: RunTimes = RunTimes(),
) -> tuple[Difference | None, bool]:
    """HTML outputs: tables cell by cell, the rest as text."""
    if saved == fresh:
        return None, False
    left, right = _read_html(saved), _read_html(fresh)
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


# -- outputs ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(item for item in value if isinstance(item, str))
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _bundle(output: dict[str, Any]) -> dict[str, Any]:
    data = output.get("data")
    return data if isinstance(data, dict) else {}


def _excerpt(value: Any) -> str:
    text = " ".join(_text(value).split())
    return text[:EXCERPT]


def _compare_image(
    saved: Any, fresh: Any, kind: str, tolerance: Tolerance
) -> tuple[Difference | None, bool]:
    first, second = images.decode(saved), images.decode(fresh)
    if first is None or second is None:
        same = _text(saved) == _text(fresh)
        detail = "" if same else f"{kind} that is not base64"
        return (None if same else Difference(DifferenceKind.IMAGE, detail=detail)), False
    outcome = images.compare_images(first, second, tolerance.pixel_delta, tolerance.pixel_share)
    if outcome.same:
        return None, first != second
    return Difference(DifferenceKind.IMAGE, kind, kind, outcome.detail), False


def compare_bundles(
    saved: dict[str, Any],
    fresh: dict[str, Any],
    tolerance: Tolerance = Tolerance(),
    sides: RunTimes = RunTimes(),
) -> tuple[Difference | None, bool]:
    """Two MIME bundles on the richest type both hold."""
    common = [kind for kind in BUNDLE_ORDER if kind in saved and kind in fresh]
    if not common:
        return (
            Difference(
                DifferenceKind.TYPE,
                ", ".join(sorted(saved))[:EXCERPT],
                ", ".join(sorted(fresh))[:EXCERPT],
                "no type in common",
            ),
            False,
        )
    kind = common[0]
    if kind.startswith("image/") and kind != "image/svg+xml":
        return _compare_image(saved[kind], fresh[kind], kind, tolerance)
    if kind == "text/html":
        return compare_html(_text(saved[kind]), _text(fresh[kind]), tolerance, sides)
    if kind == "image/svg+xml":  # drawn the same way twice, it differs only in metadata
        strip = re.compile(r"<metadata>.*?</metadata>|\bid=\"[^\"]{0,80}\"", re.S)
        return compare_text(
            strip.sub("", _text(saved[kind])), strip.sub("", _text(fresh[kind])), tolerance, sides
        )
    return compare_text(_text(saved[kind]), _text(fresh[kind]), tolerance, sides)


@dataclass(frozen=True, slots=True)
class _Output:
    slot: str  # "stream:stdout", "stream:stderr", "bundle", "error"
    value: Any  # the joined text, the MIME bundle, or "ename: evalue"


def _outputs(outputs: Iterable[Any]) -> list[_Output]:
    """A cell's outputs as nbval sees them: streams joined per name (in the place of the
    first), bundles and errors in order, widgets left out."""
    found: list[_Output] = []
    streams: dict[str, list[str]] = {}
    for output in outputs:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            name = str(output.get("name") or "stdout")
            if name not in streams:
                streams[name] = []
                found.append(_Output(f"stream:{name}", name))
            streams[name].append(_text(output.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            bundle = _bundle(output)
            if IGNORED_TYPES.intersection(bundle):
                continue
            found.append(_Output("bundle", bundle))
        elif kind == "error":
            found.append(
                _Output("error", f"{output.get('ename', '')}: {_text(output.get('evalue', ''))}")
            )
    return [
        _Output(item.slot, "".join(streams[item.value])) if item.slot.startswith("stream") else item
        for item in found
    ]


def _slot_name(slot: str) -> str:
    return {"bundle": "output", "error": "error"}.get(slot, slot.partition(":")[2])


def compare_outputs(
    saved: Sequence[Any],
    fresh: Sequence[Any],
    tolerance: Tolerance = Tolerance(),
    sides: RunTimes = RunTimes(),
) -> tuple[tuple[Difference, ...], int, int]:
    """One cell's outputs: ``(differences, outputs compared, equal once sanitised)``."""
    tally = _Tally()
    left, right = _outputs(saved), _outputs(fresh)
    streams = sorted({item.slot for item in left + right if item.slot.startswith("stream:")})
    for slot in (*streams, "bundle", "error"):
        mine = [item.value for item in left if item.slot == slot]
        theirs = [item.value for item in right if item.slot == slot]
        for a, b in zip(mine, theirs, strict=False):
            tally.compared += 1
            if slot == "bundle":
                difference, cleaned = compare_bundles(a, b, tolerance, sides)
            else:
                difference, cleaned = compare_text(a, b, tolerance, sides)
            if difference is not None:
                tally.differences.append(difference)
            tally.sanitised += cleaned
        name = _slot_name(slot)
        for extra in mine[len(theirs) :]:
            shown = _bundle_excerpt(extra) if slot == "bundle" else _excerpt(extra)
            tally.differences.append(
                Difference(DifferenceKind.MISSING, shown, "", f"a saved {name} the fresh run lacks")
            )
        for extra in theirs[len(mine) :]:
            shown = _bundle_excerpt(extra) if slot == "bundle" else _excerpt(extra)
            tally.differences.append(
                Difference(DifferenceKind.NEW, "", shown, f"a fresh {name} with no saved one")
            )
    return tuple(tally.differences), tally.compared, tally.sanitised


def _bundle_excerpt(bundle: dict[str, Any]) -> str:
    if "text/plain" in bundle:
        return _excerpt(bundle["text/plain"])
    return ", ".join(sorted(bundle))[:EXCERPT]


# -- cells ------------------------------------------------------------------------------


def _cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    return (
        [cell if isinstance(cell, dict) else {} for cell in cells]
        if isinstance(cells, list)
        else []
    )


def _key(cell: dict[str, Any]) -> tuple[str, str]:
    return str(cell.get("cell_type", "")), _text(cell.get("source", ""))


def _pairs(
    saved: list[dict[str, Any]], fresh: list[dict[str, Any]]
) -> Iterator[tuple[int, int | None]]:
    """``(saved index, fresh index or None)`` for every saved cell: by position when the
    two hold the same cells, else by source in order."""
    if [_key(cell) for cell in saved] == [_key(cell) for cell in fresh]:
        yield from ((index, index) for index in range(len(saved)))
        return
    matcher = difflib.SequenceMatcher(
        None, [_key(cell) for cell in saved], [_key(cell) for cell in fresh], autojunk=False
    )
    matched: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            matched[block.a + offset] = block.b + offset
    for index in range(len(saved)):
        yield index, matched.get(index)


def _has_saved_run(cell: dict[str, Any]) -> bool:
    outputs = cell.get("outputs")
    return bool(outputs) or cell.get("execution_count") is not None


def ran_at(notebook: dict[str, Any]) -> datetime | None:
    """When a notebook ran, if it says: papermill's start time, else the first cell's
    execution time that nbclient or JupyterLab recorded."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    candidates: list[Any] = []
    if isinstance(metadata, dict) and isinstance(metadata.get("papermill"), dict):
        candidates.append(metadata["papermill"].get("start_time"))
    for cell in _cells(notebook):
        timing = (
            cell.get("metadata", {}).get("execution")
            if isinstance(cell.get("metadata"), dict)
            else None
        )
        if isinstance(timing, dict):
            candidates.extend(
                timing.get(key) for key in ("iopub.execute_input", "shell.execute_reply")
            )
            break
    for candidate in candidates:
        if isinstance(candidate, str):
            try:
                moment = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return None


def compare_notebook(
    saved: dict[str, Any],
    fresh: dict[str, Any],
    tolerance: float | Tolerance = DEFAULT_TOLERANCE,
) -> tuple[CellComparison, ...]:
    """Every code cell of ``saved`` that ran when it was saved, against ``fresh``: one
    ``CellComparison`` each, indexed by the saved cell's position."""
    if not isinstance(tolerance, Tolerance):
        tolerance = Tolerance(relative=float(tolerance))
    sides = RunTimes(ran_at(saved), ran_at(fresh))
    saved_cells, fresh_cells = _cells(saved), _cells(fresh)
    found = []
    for index, other in _pairs(saved_cells, fresh_cells):
        cell = saved_cells[index]
        if cell.get("cell_type") != "code" or not _has_saved_run(cell):
            continue
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        fresh_outputs: list[Any] = []
        if other is not None and isinstance(fresh_cells[other].get("outputs"), list):
            fresh_outputs = fresh_cells[other]["outputs"]
        differences, compared, sanitised = compare_outputs(outputs, fresh_outputs, tolerance, sides)
        found.append(CellComparison(index, differences, compared, sanitised))
    return tuple(found)
