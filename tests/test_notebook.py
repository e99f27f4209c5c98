"""notebooks/analyze.ipynb: committed clean, runs with papermill, agrees with the library."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import papermill
import pytest

from repolens import scan, summarise

from .conftest import REPO, make_tree

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ANALYZE = REPO / "notebooks" / "analyze.ipynb"
CHARTS = ("bytes_by_category", "lines_by_language", "largest_files", "notebook_health", "activity")


def execute(tmp_path: Path, cwd: Path | None = None, **parameters: object) -> nbformat.NotebookNode:
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(ANALYZE),
        str(out),
        parameters=parameters,
        cwd=str(cwd or tmp_path),
        progress_bar=False,
        kernel_name="python3",
    )
    return nbformat.read(out, as_version=4)


def all_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(json.dumps(output.get("data", {})) + "".join(output.get("text", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebooks_are_clean(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} carries outputs"
            assert cell.execution_count is None


def test_the_parameters_cell_holds_plain_literals() -> None:
    notebook = nbformat.read(ANALYZE, as_version=4)
    cell = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert "parameters" in cell.metadata.get("tags", [])
    names = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        names[node.targets[0].id] = ast.literal_eval(node.value)
    assert {"path", "output_dir", "top_n", "exclude", "title"} <= set(names)


def test_papermill_run_agrees_with_the_library(tmp_path: Path) -> None:
    tree = make_tree(
        tmp_path / "tree",
        {
            "train.py": "# train\nimport os\n\nprint(os.sep)\n",
            "data/log.csv": "a,b\n1,2\n3,4\n",
            "img/frame.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
            "model.h5": b"\x89HDF\r\n\x1a\n" + bytes(32),
            "nb.ipynb": json.dumps(
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "source": "x = 1\n",
                            "outputs": [],
                            "execution_count": 1,
                        }
                    ],
                    "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
                }
            ),
        },
    )
    out = tmp_path / "report"
    execute(tmp_path, path=str(tree), output_dir=str(out), top_n=3)
    written = json.loads((out / "metrics.json").read_text())
    expected = summarise(scan(tree).records, top=3)
    summary = written["summary"]
    assert summary["total_files"] == expected.total_files == 5
    assert summary["total_lines"] == expected.total_lines
    assert summary["code_lines"] == expected.files.kinds.code == 3  # the CSV's rows are data
    assert summary["total_size_bytes"] == expected.total_size_bytes
    assert {k: v["files"] for k, v in summary["by_category"].items()} == {
        name: group.files for name, group in expected.by_category.items()
    }
    assert len(summary["largest_files"]) == 3
    for chart in CHARTS:
        assert (out / f"{chart}.png").stat().st_size > 1000
    assert (out / "files.csv").is_file()


def test_a_missing_path_fails_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        execute(tmp_path, path=str(tmp_path / "nowhere"), output_dir=str(tmp_path / "o"))
    error = caught.value
    assert error.ename == "AnalysisError"
    assert "no such folder" in error.evalue
    assert len(error.traceback) == 1
    assert not (tmp_path / "o").exists()


def test_an_empty_tree_gives_a_report_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    notebook = execute(tmp_path, path=str(tmp_path / "empty"), output_dir=str(tmp_path / "o"))
    assert "holds no files" in all_text(notebook)
    for chart in CHARTS:
        assert (tmp_path / "o" / f"{chart}.png").is_file()


@pytest.mark.parametrize(("folder", "value"), [("2024", 2024), ('it\'s "q"', 'it\'s "q"')])
def test_paths_that_look_like_numbers_or_hold_quotes(
    tmp_path: Path, folder: str, value: object
) -> None:
    make_tree(tmp_path / folder, {"a.py": "x = 1\n"})
    execute(tmp_path, cwd=tmp_path, path=value, output_dir="out")
    written = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert written["summary"]["total_files"] == 1
    assert written["base_path"] == str((tmp_path / folder).resolve())


def test_the_notebook_has_one_source_and_ships_in_the_package() -> None:
    from repolens.render.reporting import bundled_notebook, find_notebook

    assert ANALYZE.is_symlink() and ANALYZE.resolve() == bundled_notebook().resolve()
    assert find_notebook() == bundled_notebook()
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"bundled/*.ipynb"' in pyproject  # package data: wheels carry it
