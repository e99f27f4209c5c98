"""Notebook checks (NB): saved errors, execution order, skipped cells, count gaps, heavy
outputs, empty cells, a missing kernel, untitled or copied names, late imports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from ..core.findings import Finding
from ..core.records import FileRecord
from ..core.units import human_bytes
from .source import Cell, Source, finding

__all__ = ["check_notebook"]

HEAVY_OUTPUT_BYTES = 1 << 20
HEAVY_SHARE = 0.5
HEAVY_SHARE_MIN_FILE = 256 << 10
_UNTITLED = re.compile(r"^(Untitled\d*|.* - Copy( \(\d+\))?|Copy of .*)\.ipynb$", re.IGNORECASE)
_IMPORT = re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\s)")
# A line of a first cell that only prepares the machine: installs, mounts, magics, comments.
_SETUP_LINE = re.compile(r"^\s*(?:[!%].*|#.*|from google\.colab import drive|drive\.mount\(.*\)|)$")


def _raises_on_purpose(cell: Cell) -> bool:
    """A cell whose error is meant: tagged raises-exception (nbmake, nbval, Jupyter Book)
    or marked with nbval's NBVAL_RAISES_EXCEPTION comment."""
    return "raises-exception" in cell.tags or "NBVAL_RAISES_EXCEPTION" in cell.source


def _only_setup(cell: Cell) -> bool:
    return all(_SETUP_LINE.match(line) for line in cell.lines())


def _order_findings(path: str, code: list[Cell], executed: list[Cell]) -> Iterator[Finding]:
    """NB002 (a count lower than an earlier one), NB003 (a cell never run between cells
    that ran) and NB004 (counts that say code ran that is not in the notebook), each
    described as what the counts show. Counts of 0 or null are no count; two cells with
    the same count are a copy, not an order."""
    highest: Cell | None = None
    for cell in executed:
        if highest is not None and cell.execution_count < highest.execution_count:  # type: ignore[operator]
            yield finding(
                "NB002",
                path,
                f"cell {cell.index + 1} ran as [{cell.execution_count}] after cell "
                f"{highest.index + 1} ran as [{highest.execution_count}]: "
                "cells ran out of order.",
                evidence=f"[{highest.execution_count}] then [{cell.execution_count}]",
                cell=cell.index,
            )
            break
        if highest is None or cell.execution_count > highest.execution_count:  # type: ignore[operator]
            highest = cell
    if executed:
        first, last = executed[0].index, executed[-1].index
        for cell in code:
            if first < cell.index < last and not cell.execution_count and cell.source.strip():
                yield finding(
                    "NB003",
                    path,
                    f"cell {cell.index + 1} was never run, but cells after it were.",
                    evidence=_first_line(cell.source),
                    cell=cell.index,
                )
    counts = [cell.execution_count for cell in executed]
    distinct = sorted(set(counts))
    if not counts or counts != sorted(counts) or distinct == list(range(1, len(distinct) + 1)):
        return
    said = []
    if distinct[0] > 1:
        said.append(
            f"they start at [{distinct[0]}]: the kernel ran {distinct[0] - 1:,} "
            f"cell{'s' if distinct[0] != 2 else ''} before the first one saved"
        )
    gaps = [(a, b) for a, b in pairwise(distinct) if b != a + 1]
    if gaps:
        shown = ", ".join(f"[{a}] to [{b}]" for a, b in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        said.append(f"they jump ({shown}{more})")
    repeats = len(counts) - len(distinct)
    if repeats:
        said.append(
            f"{repeats} cell{'s' if repeats != 1 else ''} repeat a count (copied after running)"
        )
    yield finding(
        "NB004",
        path,
        f"execution counts: {'; '.join(said)}: code ran that is no longer in the notebook.",
        evidence=" ".join(f"[{count}]" for count in counts[:8])
        + (" ..." if len(counts) > 8 else ""),
    )


def _first_line(text: str, limit: int = 100) -> str:
    line = next((line for line in text.split("\n") if line.strip()), "")
    return line.strip()[:limit]


def check_notebook(record: FileRecord, source: Source) -> Iterator[Finding]:
    if source.notebook is None:
        return
    path = record.path
    name = path.rsplit("/", 1)[-1]
    code = [cell for cell in source.cells if cell.kind == "code"]

    for cell in code:
        if _raises_on_purpose(cell):
            continue  # the error is the lesson: nbmake and nbval expect it
        for output in cell.outputs:
            if output.get("output_type") in ("error", "pyerr"):
                ename = str(output.get("ename", "an error"))[:80]
                evalue = " ".join(str(output.get("evalue", "")).split())[:120]
                yield finding(
                    "NB001",
                    path,
                    f"cell {cell.index + 1} was saved with an error output ({ename}).",
                    evidence=f"{ename}: {evalue}".rstrip(": "),
                    cell=cell.index,
                    fix="Fix the failing cell, restart the kernel, run all cells top to "
                    "bottom and save; if the error is the lesson, tag the cell "
                    "raises-exception (nbmake and nbval then expect it).",
                )
                break

    executed = [cell for cell in code if cell.execution_count]  # 0 and null: never ran here
    yield from _order_findings(path, code, executed)

    stats = record.notebook
    if stats is not None:
        share = stats.output_bytes / record.size_bytes if record.size_bytes else 0.0
        if stats.output_bytes > HEAVY_OUTPUT_BYTES or (
            record.size_bytes > HEAVY_SHARE_MIN_FILE and share > HEAVY_SHARE
        ):
            yield finding(
                "NB005",
                path,
                f"outputs take {human_bytes(stats.output_bytes)}, {share:.0%} of the file"
                + (
                    f" ({stats.image_outputs} embedded image"
                    f"{'s' if stats.image_outputs != 1 else ''})."
                    if stats.image_outputs
                    else "."
                ),
                evidence=f"{human_bytes(stats.output_bytes)} of outputs in "
                f"{human_bytes(record.size_bytes)}",
            )

    empty = [cell for cell in code if not cell.source.strip()]
    if empty:
        numbers = ", ".join(str(cell.index + 1) for cell in empty[:10])
        yield finding(
            "NB006",
            path,
            f"{len(empty)} empty code cell{'s' if len(empty) != 1 else ''} "
            f"(cell{'s' if len(empty) != 1 else ''} {numbers}"
            + (" ..." if len(empty) > 10 else "")
            + ").",
            cell=empty[0].index,
        )

    metadata = source.notebook.get("metadata")
    kernelspec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    if not (isinstance(kernelspec, dict) and kernelspec.get("name")):
        yield finding("NB007", path, "the notebook names no kernel (metadata.kernelspec).")

    if _UNTITLED.match(name):
        yield finding(
            "NB008",
            path,
            f"'{name}' is an untitled notebook or a copy.",
            fix=f"Rename '{name}' after what it does, or delete it if it is a stale copy.",
        )

    # A first cell that only installs or mounts is not where imports belong: the next is.
    start = 2 if len(code) > 1 and _only_setup(code[0]) else 1
    late = [
        (cell, number, line)
        for cell in code[start:]
        for number, line in enumerate(cell.lines(), 1)
        if _IMPORT.match(line)
    ]
    if late:
        cell, number, line = late[0]
        cells = sorted({item[0].index for item in late})
        yield finding(
            "NB009",
            path,
            f"{len(late)} import{'s' if len(late) != 1 else ''} after the first code cell, "
            f"in {len(cells)} cell{'s' if len(cells) != 1 else ''}; the first in cell "
            f"{cell.index + 1}.",
            evidence=line.strip()[:120],
            cell=cell.index,
            line=number,
        )
