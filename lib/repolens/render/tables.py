"""Tables as people read them on a page: human column names, no index column, whole
numbers with thousands separators, sizes in KiB/MiB, ``—`` where there is no value, and
a sentence instead of a table with no rows.

``table_html`` is pure (a frame in, HTML out); ``show_table`` displays it in a notebook.
Every cell is escaped by pandas; the column names too.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..core.units import human_bytes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMN_NAMES", "MISSING", "human_column", "show_table", "table_html"]

MISSING = "—"
"""What a cell with no value shows (never ``NaN``, ``None`` or ``<NA>``)."""

COLUMN_NAMES = {
    "code": "lines of code",
    "code_lines": "lines of code",
    "comment": "comment lines",
    "blank": "blank lines",
    "code_cells": "code cells",
    "markdown_cells": "Markdown cells",
    "output_bytes": "outputs",
    "image_outputs": "images in outputs",
    "image_bytes": "images",
    "error_cells": "cells with errors",
    "executed_cells": "cells run",
    "out_of_order": "run out of order",
    "size_bytes": "size",
    "problem_cells": "cells to look at",
    "top_language": "main language of code",
    "notebooks_with_errors": "notebooks with errors",
    "notebooks_out_of_order": "notebooks out of order",
    "data_bytes": "data",
    "model_bytes": "models",
    "media_bytes": "media",
    "archive_bytes": "archives",
    "bytes": "size",
    "data_rows": "rows of data",
    "LFS": "in LFS",
}
"""Column names as a reader reads them; any other ``snake_case`` name loses its ``_``."""


def human_column(name: object) -> str:
    text = str(name)
    return COLUMN_NAMES.get(text, text.replace("_", " "))


def _cell(value: Any, size: bool) -> str:
    """One cell as text: a missing value is ``MISSING``, booleans are yes/no."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if type(value).__name__ in ("NAType", "NaTType"):
        return MISSING
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, int | float) or type(value).__module__ == "numpy":
        number = float(value)
        if math.isnan(number):
            return MISSING
        if size:
            return human_bytes(number)
        return f"{int(number):,}" if number == int(number) else f"{number:,.2f}"
    text = str(value)
    return text if text.strip() else MISSING


def table_html(frame: pd.DataFrame, empty: str = "Nothing to list.", index: bool = True) -> str:
    """``frame`` as an HTML table (its index becomes its first column when ``index``), or
    ``<p>empty</p>`` when it has no rows. Columns whose name ends in ``_bytes`` show
    sizes; every name from the data is escaped."""
    from html import escape

    if frame.empty:
        return f"<p>{escape(empty)}</p>"
    shown = frame.reset_index() if index and _named_index(frame) else frame.reset_index(drop=True)
    sizes = {column for column in shown.columns if str(column).endswith("_bytes")}
    text = shown.copy()
    for column in shown.columns:
        text[column] = [_cell(value, column in sizes) for value in shown[column]]
    text.columns = [human_column(column) for column in shown.columns]
    return text.to_html(index=False, escape=True, border=0, classes="repolens-table")


def _named_index(frame: pd.DataFrame) -> bool:
    """Whether the index carries data (a name), not just row numbers."""
    return any(name is not None for name in frame.index.names)


def show_table(frame: pd.DataFrame, empty: str = "Nothing to list.", index: bool = True) -> None:
    """Display ``table_html`` in a notebook, out of maths rendering."""
    from IPython.display import display

    from .display import HTML

    display(HTML(table_html(frame, empty, index)))
