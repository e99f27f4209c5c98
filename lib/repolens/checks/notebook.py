"""Notebook checks (NB): saved errors, execution order, skipped cells, count gaps, heavy
outputs, empty cells, a missing kernel, untitled or copied names, late imports."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..core.findings import Finding
from ..core.records import FileRecord
from ..core.units import human_bytes
from .source import Source, finding

__all__ = ["check_notebook"]

HEAVY_OUTPUT_BYTES = 1 << 20
HEAVY_SHARE = 0.5
HEAVY_SHARE_MIN_FILE = 256 << 10
_UNTITLED = re.compile(r"^(Untitled\d*|.* - Copy( \(\d+\))?|Copy of .*)\.ipynb$", re.IGNORECASE)
_IMPORT = re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\s)")


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
                )
                break

    executed = [cell for cell in code if cell.execution_count is not None]
    previous = None
    for cell in executed:
        if previous is not None and cell.execution_count <= previous.execution_count:  # type: ignore[operator]
            yield finding(
                "NB002",
                path,
                f"cell {cell.index + 1} ran as [{cell.execution_count}] after cell "
                f"{previous.index + 1} ran as [{previous.execution_count}]: "
                "cells ran out of order.",
                evidence=f"[{previous.execution_count}] then [{cell.execution_count}]",
                cell=cell.index,
            )
            break
        previous = cell

    if executed:
        first, last = code.index(executed[0]), code.index(executed[-1])
        for cell in code[first:last]:
            if cell.execution_count is None and cell.source.strip():
                yield finding(
                    "NB003",
                    path,
                    f"cell {cell.index + 1} was never run, but cells after it were.",
                    evidence=_first_line(cell.source),
                    cell=cell.index,
                )

    counts = [cell.execution_count for cell in executed]
    if counts and counts == sorted(counts):
        expected = list(range(counts[0], counts[0] + len(counts)))
        if counts != expected or counts[0] != 1:
            gaps = [
                (before, after)
                for before, after in zip([0, *counts], counts, strict=False)
                if after != before + 1
            ]
            shown = ", ".join(f"[{a}] to [{b}]" for a, b in gaps[:3])
            yield finding(
                "NB004",
                path,
                f"execution counts jump ({shown}"
                + (f" and {len(gaps) - 3} more" if len(gaps) > 3 else "")
                + "): code ran that is no longer in the notebook.",
                evidence=f"[{gaps[0][0]}] then [{gaps[0][1]}]" if gaps[0][0] else "",
            )

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

    late = [
        (cell, number, line)
        for cell in code[1:]
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
