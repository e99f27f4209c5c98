"""Records as pandas DataFrames, for notebooks. pandas is imported here only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.findings import Finding
from ..core.linekinds import Lines, other_lines
from ..core.records import FileRecord
from ..core.units import human_bytes
from .rows import (
    CSV_BOOLEAN_COLUMNS,
    CSV_COLUMNS,
    CSV_INTEGER_COLUMNS,
    CSV_TIME_COLUMNS,
    record_row,
)
from .summary import Summary, as_summary

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "for_display",
    "languages_frame",
    "notebooks_frame",
    "notebooks_table",
    "overview_frame",
    "problems_frame",
    "ranked_frame",
    "to_frame",
]


def _count(value: object) -> object:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for people: whole numbers with thousands separators, ``*_bytes`` columns
    in KiB/MiB as the prose writes them."""
    shown = frame.copy()
    for column in shown.columns:
        if str(column).endswith("_bytes"):
            shown[column] = shown[column].map(human_bytes)
        elif str(shown[column].dtype) in ("int64", "Int64"):
            shown[column] = shown[column].map(_count)
    return shown


def to_frame(records: Sequence[FileRecord]) -> pd.DataFrame:
    """One row per record, with the CSV's columns and proper dtypes."""
    import pandas as pd

    rows = [record_row(record) for record in records]
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object)
    frame = frame.fillna(pd.NA)
    for column in CSV_TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    for column in CSV_INTEGER_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in CSV_BOOLEAN_COLUMNS:
        frame[column] = frame[column].astype("boolean")
    return frame


def notebooks_frame(summary: Summary | Sequence[FileRecord]) -> pd.DataFrame:
    """One row per readable notebook: cells, output weight, errors, execution order."""
    import pandas as pd

    rows = []
    for record in as_summary(summary).notebook_files:
        stats = record.notebook
        if stats is None:
            continue
        rows.append(
            {
                "notebook": record.path,
                "kernel": stats.kernel,
                "code_cells": stats.code_cells,
                "markdown_cells": stats.markdown_cells,
                "code_lines": stats.code_lines.code,
                "outputs": stats.outputs,
                "output_bytes": stats.output_bytes,
                "image_outputs": stats.image_outputs,
                "image_bytes": stats.image_bytes,
                "error_cells": stats.error_cells,
                "executed_cells": stats.executed_cells,
                "out_of_order": stats.out_of_order,
                "size_bytes": record.size_bytes,
            }
        )
    columns = [
        "notebook",
        "kernel",
        "code_cells",
        "markdown_cells",
        "code_lines",
        "outputs",
        "output_bytes",
        "image_outputs",
        "image_bytes",
        "error_cells",
        "executed_cells",
        "out_of_order",
        "size_bytes",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("notebook")


def notebooks_table(
    summary: Summary | Sequence[FileRecord], findings: Sequence[Finding] = (), top: int = 10
) -> pd.DataFrame:
    """Notebooks worst first (errors, then out of order, then output weight), for people:
    every notebook with a problem, then the heaviest others up to ``top`` rows, the cells
    named from the findings."""
    frame = notebooks_frame(summary)
    if frame.empty:
        return for_display(frame)
    cells: dict[str, list[str]] = {}
    for item in findings:
        if item.check in ("NB001", "NB002", "NB003") and item.cell is not None:
            label = {"NB001": "error", "NB002": "out of order", "NB003": "skipped"}[item.check]
            cells.setdefault(item.path, []).append(f"{label} in cell {item.cell + 1}")
    frame = frame.assign(problem_cells=[", ".join(cells.get(path, [])) for path in frame.index])
    frame = frame.sort_values(
        ["error_cells", "out_of_order", "output_bytes"], ascending=False, kind="stable"
    )
    troubled = (frame["error_cells"] > 0) | frame["out_of_order"]
    shown = frame[troubled]
    rest = frame[~troubled].head(max(top - len(shown), 0))
    import pandas as pd

    return for_display(pd.concat([shown, rest]))


def _size(size: float) -> str:
    return human_bytes(size)


def _other(kinds: Lines) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in other_lines(kinds))


def overview_frame(summary: Summary) -> pd.DataFrame:
    """One row per category: files, size, lines of code and the other lines named for what
    they are (rows of data, lines of text, ...); a total row last."""
    import pandas as pd

    total = summary.total_size_bytes or 1
    rows = [
        {
            "category": name,
            "files": f"{group.files:,}",
            "size": _size(group.size_bytes),
            "share of bytes": f"{group.size_bytes / total:.0%}",
            "lines of code": f"{group.kinds.code:,}",
            "comment lines": f"{group.kinds.comment:,}",
            "other lines": _other(group.kinds),
        }
        for name, group in summary.by_category.items()
    ]
    rows.append(
        {
            "category": "total",
            "files": f"{summary.total_files:,}",
            "size": _size(summary.total_size_bytes),
            "share of bytes": "100%" if summary.total_files else "0%",
            "lines of code": f"{summary.code_lines:,}",
            "comment lines": f"{summary.files.kinds.comment:,}",
            "other lines": _other(summary.files.kinds),
        }
    )
    return pd.DataFrame(rows).set_index("category")


def languages_frame(summary: Summary, top: int = 15) -> pd.DataFrame:
    """Lines of code per language (most code first), cut to ``top`` rows: only the
    languages of code (data, markup, text and configuration are not code)."""
    import pandas as pd

    rows = [
        {
            "language": name,
            "files": f"{group.files:,}",
            "lines of code": f"{group.kinds.code:,}",
            "comment lines": f"{group.kinds.comment:,}",
            "blank lines": f"{group.kinds.blank:,}",
        }
        for name, group in list(summary.code_languages.items())[:top]
    ]
    columns = ["language", "files", "lines of code", "comment lines", "blank lines"]
    return pd.DataFrame(rows, columns=columns).set_index("language")


def ranked_frame(records: Sequence[FileRecord]) -> pd.DataFrame:
    """Files as ranked in a summary: path, category, size and lines."""
    import pandas as pd

    rows = [
        {
            "file": record.path,
            "category": record.category,
            "size": _size(record.size_bytes),
            "lines": "" if record.lines is None else f"{record.lines:,}",
        }
        for record in records
    ]
    return pd.DataFrame(rows, columns=["file", "category", "size", "lines"]).set_index("file")


def problems_frame(summary: Summary | Sequence[FileRecord], top: int | None = None) -> pd.DataFrame:
    """Records that were not analysed as text or binary content: state and reason (a
    summary keeps the first ``PROBLEMS_KEPT`` of each state; files.csv has every one)."""
    import pandas as pd

    rows = [
        {"file": record.path, "state": record.state.value, "reason": record.reason}
        for record in as_summary(summary).problem_records
    ]
    frame = pd.DataFrame(rows[:top] if top else rows, columns=["file", "state", "reason"])
    return frame.set_index("file")
