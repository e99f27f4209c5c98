"""Notebook truth (NB001-NB009) from nbformat's own reading of each notebook.

What counts, and why (where it departs from a literal reading of the check's one line):

- NB001: a code cell with an ``error`` output, unless the cell says the error is meant:
  tagged ``raises-exception`` (nbmake, nbval, Jupyter Book) or holding ``NBVAL_RAISES_EXCEPTION``.
- NB002: a positive execution count lower than the one of an earlier cell (the first such
  cell). Counts of 0 are no count (cleared or never run); two cells with the same count are
  a copy, not an order: neither is "out of order".
- NB003: a non-empty code cell with no count between cells that have one.
- NB004: positive counts in increasing order (repeats allowed) whose distinct values are
  not 1, 2, 3, ... (a gap, or a first count above 1: code ran that is not in the notebook
  any more).
- NB005: outputs over 1 MiB, or over half of a file of more than 256 KiB; output bytes
  are the bytes of each output as nbformat writes it (JSON, no indentation).
- NB006: empty code cells: one problem per notebook, any empty cell is the place.
- NB007: no ``metadata.kernelspec.name``.
- NB008: ``Untitled*.ipynb``, ``* - Copy.ipynb``, ``Copy of *.ipynb``.
- NB009: an import statement at the start of a line of a code cell after the first code
  cell that is not only installs, mounts or magics; one problem per notebook, any late
  import is the place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import Expected, Place, code_cells, read_bytes, read_notebook

__all__ = ["notebook_truth"]

_UNTITLED = re.compile(r"^(Untitled\d*|.* - Copy( \(\d+\))?|Copy of .*)\.ipynb$", re.IGNORECASE)
_IMPORT = re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\s)")
_SETUP_LINE = re.compile(r"^\s*([!%].*|#.*|from google\.colab import drive|drive\.mount\(.*\)|)$")


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _count(cell: Any) -> int | None:
    count = cell.get("execution_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _intended_error(cell: Any) -> bool:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return "raises-exception" in tags or "NBVAL_RAISES_EXCEPTION" in _source(cell)


def _output_bytes(cell: Any) -> int:
    return sum(
        len(json.dumps(output, ensure_ascii=False, separators=(",", ":")).encode())
        for output in cell.get("outputs", [])
    )


def _checks(path: str, notebook: Any, size: int) -> Iterator[Expected]:
    how = "nbformat"
    cells = list(code_cells(notebook))
    for index, cell in cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and not _intended_error(cell):
            yield Expected(
                "NB001",
                (Place(path, None, index),),
                f"{how}: error output {errors[0].get('ename', '')}",
            )
    counted = [(index, count) for index, cell in cells if (count := _count(cell))]
    highest = 0
    for index, count in counted:
        if count < highest:
            yield Expected(
                "NB002", (Place(path, None, index),), f"{how}: [{count}] after [{highest}]"
            )
            break
        highest = max(highest, count)
    if counted:
        first, last = counted[0][0], counted[-1][0]
        for index, cell in cells:
            if first < index < last and _count(cell) is None and _source(cell).strip():
                yield Expected(
                    "NB003", (Place(path, None, index),), f"{how}: no count between counted cells"
                )
    distinct = sorted(set(count for _, count in counted))
    numbers = [count for _, count in counted]
    if numbers and numbers == sorted(numbers) and distinct != list(range(1, len(distinct) + 1)):
        yield Expected("NB004", (Place(path),), f"{how}: counts {numbers[:6]}")
    output = sum(_output_bytes(cell) for _, cell in cells)
    if output > 1 << 20 or (size > 256 << 10 and output > size / 2):
        yield Expected("NB005", (Place(path),), f"{how}: {output:,} bytes of outputs in {size:,}")
    empty = [index for index, cell in cells if not _source(cell).strip()]
    if empty:
        places = tuple(Place(path, None, index) for index in empty)
        yield Expected("NB006", places, f"{how}: {len(empty)} empty code cell(s)")
    spec = (notebook.get("metadata") or {}).get("kernelspec") or {}
    if not spec.get("name"):
        yield Expected("NB007", (Place(path),), f"{how}: metadata.kernelspec.name missing")
    if _UNTITLED.match(path.rsplit("/", 1)[-1]):
        yield Expected("NB008", (Place(path),), "file name")
    late = []
    for position, (index, cell) in enumerate(cells):
        lines = _source(cell).split("\n")
        if position == 0:
            continue
        if position == 1 and all(
            _SETUP_LINE.match(line) for line in _source(cells[0][1]).split("\n")
        ):
            continue  # the first cell only installs or mounts: this one is the real first
        for number, line in enumerate(lines, 1):
            if _IMPORT.match(line):
                late.append(Place(path, number, index))
    if late:
        yield Expected(
            "NB009", tuple(late), f"{how}: {len(late)} import line(s) after the first code cell"
        )


def notebook_truth(root: Path, files: list[str]) -> Iterator[Expected]:
    for path in files:
        if not path.endswith(".ipynb"):
            continue
        notebook = read_notebook(root, path)
        data = read_bytes(root, path)
        if notebook is None or data is None:
            continue
        yield from _checks(path, notebook, len(data))
