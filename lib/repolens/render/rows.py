"""The rows of files.csv: one per record, its columns in one table, the cells that come
from the tree guarded against spreadsheet formulas (``core.cells``)."""

from __future__ import annotations

from typing import Any

from ..core.cells import guard_cell
from ..core.records import FileRecord
from ..core.times import iso_time

__all__ = [
    "CSV_BOOLEAN_COLUMNS",
    "CSV_COLUMNS",
    "CSV_INTEGER_COLUMNS",
    "CSV_TIME_COLUMNS",
    "csv_row",
    "record_row",
]

CSV_COLUMNS = (
    "file_path",
    "file_name",
    "file_type",
    "kind",
    "category",
    "language",
    "size_bytes",
    "line_count",
    "code_lines",
    "comment_lines",
    "blank_lines",
    "is_binary",
    "encoding",
    "state",
    "reason",
    "modified_time",
    "changed_time",
    "birth_time",
    "notebook_kernel",
    "notebook_cells",
    "notebook_code_cells",
    "notebook_markdown_cells",
    "notebook_outputs",
    "notebook_output_bytes",
    "notebook_image_outputs",
    "notebook_error_cells",
    "notebook_out_of_order",
)
CSV_TIME_COLUMNS = ("modified_time", "changed_time", "birth_time")
CSV_BOOLEAN_COLUMNS = ("is_binary", "notebook_out_of_order")
CSV_INTEGER_COLUMNS = tuple(
    column
    for column in CSV_COLUMNS
    if column.endswith(("_bytes", "_count", "_lines", "_cells", "_outputs"))
)


# Columns whose text comes from the tree (names, link targets, notebook content).
_GUARDED = (
    "file_path",
    "file_name",
    "file_type",
    "language",
    "encoding",
    "reason",
    "notebook_kernel",
)


_GUARDED_INDEXES = tuple(CSV_COLUMNS.index(column) for column in _GUARDED)


def csv_row(record: FileRecord) -> list[Any]:
    """One files.csv row: text cells guarded against formulas, None as empty."""
    row = ["" if value is None else value for value in record_row(record)]
    for index in _GUARDED_INDEXES:
        row[index] = guard_cell(row[index])
    return row


def record_row(record: FileRecord) -> list[Any]:
    """A record's values in ``CSV_COLUMNS`` order, as they are (None where unknown)."""
    counts = record.counts
    notebook = record.notebook
    row: list[Any] = [
        record.path,
        record.name,
        record.extension,
        record.kind.value,
        record.category,
        record.language,
        record.size_bytes,
        record.lines,
        None if counts is None else counts.code,
        None if counts is None else counts.comment,
        None if counts is None else counts.blank,
        record.is_binary,
        record.encoding,
        record.state.value,
        record.reason,
        iso_time(record.modified_ns),
        iso_time(record.changed_ns),
        iso_time(record.birth_ns),
    ]
    if notebook is None:
        row += [None] * 9
    else:
        row += [
            notebook.kernel,
            notebook.cells,
            notebook.code_cells,
            notebook.markdown_cells,
            notebook.outputs,
            notebook.output_bytes,
            notebook.image_outputs,
            notebook.error_cells,
            notebook.out_of_order,
        ]
    return row
