"""repolens portfolio --rerun: each repository's notebooks rerun in the sandbox, a
reproduction column per repository, the league table sorted by it.

``REPOS`` states each generated repository and its truth: good (2 notebooks, both
reproduce), drift (2, one reproduces), broken (1, fails on a missing module), plain (no
notebook)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from repolens.portfolio import COLUMNS, load_portfolio_schema
from repolens.portfolio.rows import RERUN_COLUMNS, valid_row
from repolens.portfolio.view import league, portfolio_frame, reproduction_sentence
from repolens.rerun.sandbox import available

from .conftest import make_tree, python_env


def _notebook(source: str, printed: str) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}],
        "source": source,
    }
    return json.dumps(
        {
            "cells": [cell],
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


REPOS: dict[str, tuple[dict[str, str], tuple[int, int]]] = {
    "good": (
        {
            "a.ipynb": _notebook("print(6 * 7)", "42\n"),
            "b.ipynb": _notebook("print('ok')", "ok\n"),
            "requirements.txt": "\n",
        },
        (2, 2),
    ),
    "drift": (
        {
            "same.ipynb": _notebook("print(2 ** 10)", "1024\n"),
            "moved.ipynb": _notebook("print(1 / 8)", "0.25\n"),
            "requirements.txt": "\n",
        },
        (2, 1),
    ),
    "broken": (
        {"x.ipynb": _notebook("import not_installed_here\n", ""), "requirements.txt": "\n"},
        (1, 0),
    ),
    "plain": ({"tool.py": "print(1)\n"}, (0, 0)),
}


@pytest.fixture(scope="module")
def rerun_portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not available("bwrap"):
        pytest.skip("bubblewrap cannot run here")
    root = tmp_path_factory.mktemp("portfolio")
    for name, (files, _truth) in REPOS.items():
        make_tree(root / "repos" / name, files)
    (root / "list.txt").write_text("".join(f"repos/{name}\n" for name in REPOS))
    out = root / "out"
    done = subprocess.run(
        [sys.executable, "-m", "repolens", "portfolio", str(root / "list.txt"), "-o", str(out),
         "--rerun", "--env", "current", "--sandbox", "bwrap", "--jobs", "2"],
        capture_output=True, text=True, env=python_env(), timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2/2 reproduced" in done.stderr and "0/1 reproduced" in done.stderr
    return out


@pytest.mark.slow
def test_every_repository_has_its_reproduction(rerun_portfolio: Path) -> None:
    document = json.loads((rerun_portfolio / "portfolio.json").read_text())
    jsonschema.validate(document, load_portfolio_schema())
    assert document["schema_version"] == "2.1.0"
    found = {
        row["name"]: (row["rerun_notebooks"], row["reproduced"], row["rerun_problem"])
        for row in document["rows"]
    }
    assert found == {name: (*truth, "") for name, (_files, truth) in REPOS.items()}
    for name in REPOS:
        rerun = json.loads((rerun_portfolio / name / "rerun" / "rerun.json").read_text())
        assert rerun["summary"]["notebooks"] == REPOS[name][1][0]
        assert (rerun_portfolio / name / "findings.sarif").is_file()  # the check's, kept
    with open(rerun_portfolio / "portfolio.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert [column for column in header if column in RERUN_COLUMNS] == list(RERUN_COLUMNS)


@pytest.mark.slow
def test_the_league_puts_the_least_reproducible_first(rerun_portfolio: Path) -> None:
    document = json.loads((rerun_portfolio / "portfolio.json").read_text())
    frame = portfolio_frame(document)
    table = league(frame)
    assert list(table["name"]) == ["broken", "drift", "good", "plain"]
    assert list(table["reproduction"]) == ["0/1", "1/2", "2/2", "0/0"]
    assert list(league(frame, "code")["name"])[:1] != []  # any column still sorts
    assert reproduction_sentence(frame) == (
        "<p>Rerun in a sandbox: 3 of 5 notebooks reproduced (60%). <code>broken</code> "
        "reproduces least (0 of 1).</p>"
    )


def test_without_rerun_the_league_is_as_before() -> None:
    rows = [
        {**dict.fromkeys(COLUMNS, 0), "name": name, "status": "ok", "reason": "",
         "errors": errors, "top_language": "", "largest_file": "", "checks": "",
         "rerun_notebooks": None, "reproduced": None, "rerun_problem": None}
        for name, errors in (("a", 1), ("b", 3))
    ]  # fmt: skip
    frame = portfolio_frame({"rows": rows})
    assert list(league(frame)["name"]) == ["b", "a"]
    assert "reproduction" not in league(frame).columns
    assert reproduction_sentence(frame) == ""


def _row(**rerun: Any) -> dict[str, Any]:
    measures = {
        "files": 1, "bytes": 1, "code": 1, "comment": 0, "blank": 0, "top_language": "Python",
        "languages": 1, "code_files": 1, "notebooks": 0, "notebook_cells": 0,
        "notebook_output_bytes": 0, "notebooks_with_errors": 0, "notebooks_out_of_order": 0,
        "data_bytes": 0, "model_bytes": 0, "image_files": 0, "media_bytes": 0,
        "archive_bytes": 0, "largest_file": "a.py", "largest_file_bytes": 1, "unreadable": 0,
        "data_rows": 0, "image_bytes": 0,
        "errors": 0, "warnings": 0, "notes": 0, "checks": "",
    }  # fmt: skip
    base = {"index": 0, "name": "a", "path": "a", "status": "ok", "reason": "", "run_id": "r1"}
    return {**base, **measures, **rerun}


@pytest.mark.parametrize(
    ("rerun", "error"),
    [
        ({}, ""),
        ({"rerun_notebooks": 3, "reproduced": 2, "rerun_problem": ""}, ""),
        ({"rerun_notebooks": None, "reproduced": None, "rerun_problem": "no sandbox"}, ""),
        ({"rerun_notebooks": 3, "reproduced": 4, "rerun_problem": ""}, "more notebooks reproduced"),
        ({"rerun_notebooks": 3, "reproduced": None, "rerun_problem": ""}, "come together"),
        ({"rerun_notebooks": 3, "reproduced": 1}, "without its problem"),
        ({"rerun_notebooks": None, "reproduced": None, "rerun_problem": ""}, "must say why"),
        ({"rerun_notebooks": -1, "reproduced": 0, "rerun_problem": ""}, "rerun_notebooks"),
    ],
)
def test_a_row_holds_a_rerun_only_in_a_shape_that_adds_up(
    rerun: dict[str, Any], error: str
) -> None:
    if not error:
        valid_row(_row(**rerun))
        return
    with pytest.raises(ValueError, match=error):
        valid_row(_row(**rerun))


def test_a_failed_row_has_no_rerun() -> None:
    failed = {
        "index": 0,
        "name": "a",
        "path": "a",
        "status": "failed",
        "reason": "x",
        "run_id": "r",
    }
    with pytest.raises(ValueError, match="a failed row with"):
        valid_row({**failed, "rerun_notebooks": 1, "reproduced": 1, "rerun_problem": ""})


def test_rerun_without_a_usable_sandbox_exits_2(tmp_path: Path) -> None:
    make_tree(tmp_path / "repos" / "a", {"a.py": "x = 1\n"})
    (tmp_path / "list.txt").write_text("repos/a\n")
    engine = next((kind for kind in ("docker", "podman") if not available(kind)), None)
    if engine is None:
        pytest.skip("both container engines run here")
    done = subprocess.run(
        [sys.executable, "-m", "repolens", "portfolio", str(tmp_path / "list.txt"), "-o",
         str(tmp_path / "out"), "--rerun", "--sandbox", engine],
        capture_output=True, text=True, env=python_env(), timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "portfolio.json").exists()
