"""Records as pandas frames: one row per record, typed columns."""

from __future__ import annotations

import pandas as pd

from repolens import notebooks_frame, scan, to_frame
from repolens.render.rows import CSV_COLUMNS, CSV_INTEGER_COLUMNS

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
    assert len(frame) == 8  # the merge-conflicted notebook is not readable
    assert frame.loc["notebooks/02_train_model.ipynb", "error_cells"] == 1
    assert bool(frame.loc["notebooks/02_train_model.ipynb", "out_of_order"])


def test_the_notebook_table_puts_problems_first_and_names_their_cells(tmp_path) -> None:
    from repolens.checks import check
    from repolens.render import frame

    from .conftest import make_tree, notebook_json

    def cell(count, outputs=()):
        return {
            "cell_type": "code",
            "execution_count": count,
            "metadata": {},
            "source": "x",
            "outputs": list(outputs),
        }

    error = {"output_type": "error", "ename": "E", "evalue": "", "traceback": []}
    heavy = {"output_type": "stream", "name": "stdout", "text": "y" * 5000}
    files = {f"ok_{index}.ipynb": notebook_json([cell(1, [heavy])]) for index in range(5)}
    files["z_error.ipynb"] = notebook_json([cell(1), cell(2, [error])])
    files["y_order.ipynb"] = notebook_json([cell(2), cell(1)])
    outcome = check(make_tree(tmp_path / "tree", files))
    table = frame.notebooks_table(outcome.scan.records, outcome.findings, top=3)
    assert list(table.index[:2]) == ["z_error.ipynb", "y_order.ipynb"]  # past alphabetical order
    assert len(table) == 3  # both problem notebooks, then the heaviest other one
    assert table.loc["z_error.ipynb", "problem_cells"] == "error in cell 2"
    assert table.loc["y_order.ipynb", "problem_cells"] == "out of order in cell 2"
