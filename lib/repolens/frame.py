"""Records as pandas DataFrames, for notebooks. pandas is imported here only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .records import FileRecord
from .report import CSV_COLUMNS, _csv_row

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["notebooks_frame", "to_frame"]


def to_frame(records: Sequence[FileRecord]) -> pd.DataFrame:
    """One row per record, with the CSV's columns and proper dtypes."""
    import pandas as pd

    rows = [_csv_row(record) for record in records]
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    frame = frame.replace("", pd.NA)
    for column in ("modified_time", "changed_time", "birth_time"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    integer_columns = [
        "size_bytes",
        "line_count",
        "code_lines",
        "comment_lines",
        "blank_lines",
        "notebook_cells",
        "notebook_code_cells",
        "notebook_markdown_cells",
        "notebook_outputs",
        "notebook_output_bytes",
        "notebook_image_outputs",
        "notebook_error_cells",
    ]
    for column in integer_columns:
        frame[column] = frame[column].astype("Int64")
    for column in ("is_binary", "notebook_out_of_order"):
        frame[column] = frame[column].astype("boolean")
    return frame


def notebooks_frame(records: Sequence[FileRecord]) -> pd.DataFrame:
    """One row per readable notebook: cells, output weight, errors, execution order."""
    import pandas as pd

    rows = []
    for record in records:
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
    return pd.DataFrame(rows, columns=columns)
