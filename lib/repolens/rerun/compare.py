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
- **Text** is compared with its numbers within tolerance (``text.py``) once sanitised
  (``sanitise.py``); **HTML** as tables (``tables.py``).

Everything here is pure: values in, values out; the cost is linear in the outputs.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import images
from .model import CellComparison, Difference, DifferenceKind
from .tables import compare_html
from .text import DEFAULT_TOLERANCE, EXCERPT, RunTimes, Tolerance, compare_text

__all__ = [
    "BUNDLE_ORDER",
    "IGNORED_TYPES",
    "compare_bundles",
    "compare_notebook",
    "compare_outputs",
    "ran_at",
]

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

_DEFAULT = Tolerance()
_UNKNOWN = RunTimes()


@dataclass(slots=True)
class _Tally:
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0
    sanitised: int = 0


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
    tolerance: Tolerance = _DEFAULT,
    sides: RunTimes = _UNKNOWN,
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
    tolerance: Tolerance = _DEFAULT,
    sides: RunTimes = _UNKNOWN,
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
    return (isinstance(outputs, list) and bool(outputs)) or cell.get("execution_count") is not None


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
