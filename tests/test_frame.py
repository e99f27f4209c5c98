"""Records as pandas frames: one row per record, typed columns."""

from __future__ import annotations

import pandas as pd

from repolens import notebooks_frame, scan, to_frame
from repolens.report import CSV_COLUMNS, CSV_INTEGER_COLUMNS

from .conftest import SAMPLE


def test_to_frame_has_a_typed_row_per_record() -> None:
    records = scan(SAMPLE).records
    frame = to_frame(records)
    assert len(frame) == len(records) and list(frame.columns) == list(CSV_COLUMNS)
    assert all(str(frame[column].dtype) == "Int64" for column in CSV_INTEGER_COLUMNS)
    assert str(frame["is_binary"].dtype) == "boolean"
    assert isinstance(frame["modified_time"].dtype, pd.DatetimeTZDtype)
    model = frame.set_index("file_path").loc["model.h5"]
    assert bool(model["is_binary"]) and pd.isna(model["line_count"])
    assert frame["size_bytes"].sum() == sum(record.size_bytes for record in records)


def test_notebooks_frame_has_a_row_per_readable_notebook() -> None:
    frame = notebooks_frame(scan(SAMPLE).records)
    assert len(frame) == 5  # the merge-conflicted notebook is not readable
    assert frame.loc["notebooks/02_train_model.ipynb", "error_cells"] == 1
    assert bool(frame.loc["notebooks/02_train_model.ipynb", "out_of_order"])
