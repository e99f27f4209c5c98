"""The report's "Does it reproduce?" section from rerun.json: verdicts, failing cells,
causes and the reproduction rate, every string escaped, a document of the wrong shape
said in one line, the section left out of the page when no rerun wrote into the folder.

``rerun_json`` writes the document with the rerun's own writer from values stated here:
5 notebooks, 1 reproduced, 1 differing, 2 failed (1 predicted by EN002), 1 not run."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolens.render.reporting import drop_silent_sections
from repolens.rerun.environment import Environment
from repolens.rerun.execute import Settings
from repolens.rerun.model import (
    Cause,
    CauseKind,
    CellComparison,
    CellError,
    CellRun,
    CellState,
    Difference,
    DifferenceKind,
    Execution,
    ExecutionState,
    NotebookResult,
    RerunResult,
    Verdict,
)
from repolens.rerun.run import Rerun
from repolens.rerun.view import MAX_RERUN_BYTES, SHOWN, reproduce_html
from repolens.rerun.writers import rerun_document

HOSTILE = "$\\href{https://e.vil}{x}$ <script>alert(1)</script></table> \u202egpj.py"


def notebook(
    path: str,
    verdict: Verdict,
    state: ExecutionState,
    cells: tuple[CellRun, ...] = (),
    comparisons: tuple[CellComparison, ...] = (),
    cause: Cause | None = None,
    reason: str = "",
) -> NotebookResult:
    execution = Execution(path, state, cells, {"cells": []}, "python3", 1.5, reason)
    return NotebookResult(path, verdict, execution, comparisons, cause)


def results(hostile: str = "") -> tuple[NotebookResult, ...]:
    return (
        notebook(
            "nb/reproduces.ipynb",
            Verdict.REPRODUCED,
            ExecutionState.COMPLETED,
            (CellRun(0, CellState.RAN),),
            (CellComparison(0, (), 2, 1),),
        ),
        notebook(
            f"nb/drifts{hostile}.ipynb",
            Verdict.DIFFERS,
            ExecutionState.COMPLETED,
            (CellRun(0, CellState.RAN), CellRun(3, CellState.RAN)),
            (
                CellComparison(0, (), 1),
                CellComparison(
                    3,
                    (
                        Difference(
                            DifferenceKind.NUMBER,
                            f"mean 0.18 {hostile}",
                            f"mean 0.23 {hostile}",
                            "1 of 1 numbers beyond 1e-06, largest relative change 0.216",
                        ),
                    ),
                    1,
                ),
            ),
        ),
        notebook(
            "nb/module.ipynb",
            Verdict.FAILED,
            ExecutionState.FAILED,
            (
                CellRun(0, CellState.RAN),
                CellRun(
                    1,
                    CellState.FAILED,
                    0.1,
                    CellError("ModuleNotFoundError", "No module named 'cv2'"),
                ),
            ),
            cause=Cause(
                CauseKind.MISSING_MODULE,
                "No module named 'cv2' (distribution opencv-python); EN002 predicted it",
                "ModuleNotFoundError: No module named 'cv2'",
                "EN002 nb/module.ipynb, cell 2, line 1",
                True,
            ),
        ),
        notebook(
            f"nb/file{hostile}.ipynb",
            Verdict.FAILED,
            ExecutionState.FAILED,
            (CellRun(4, CellState.FAILED, 0.1, CellError("FileNotFoundError", hostile)),),
            cause=Cause(CauseKind.MISSING_FILE, f"{hostile}: never committed", hostile),
        ),
        notebook(
            "nb/r.ipynb",
            Verdict.NOT_RUN,
            ExecutionState.NOT_RUN,
            cause=Cause(CauseKind.KERNEL_UNAVAILABLE, "kernel 'ir' not available"),
            reason="kernel 'ir' not available",
        ),
    )


def rerun_json(
    folder: Path, hostile: str = "", items: tuple[NotebookResult, ...] | None = None
) -> dict[str, Any]:
    """rerun.json written into ``folder`` as ``repolens rerun`` writes it; the document."""
    notebooks = results(hostile) if items is None else items
    result = RerunResult(str(folder), "declared", "bwrap", notebooks, seconds=42.0)
    environment = Environment("declared", "/env/bin/python", lock="numpy==2.0\n")
    document = rerun_document(Rerun(result, environment, (), ()), Settings(), 1e-6, 1, False, True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rerun.json").write_text(json.dumps(document), "utf-8")
    return document


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self.in_cell = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self.rows[-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.in_cell = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.in_cell:
            self.rows[-1][-1] += data


def test_the_document_the_section_reads_is_the_one_the_schema_describes(tmp_path: Path) -> None:
    from importlib import resources

    schema = json.loads(
        resources.files("repolens").joinpath("schema/rerun.schema.json").read_text()
    )
    jsonschema.validate(rerun_json(tmp_path), schema)


def test_the_section_says_the_rate_the_recall_and_each_verdict(tmp_path: Path) -> None:
    rerun_json(tmp_path)
    page = Page(reproduce_html(tmp_path))
    shown = "".join(page.text)
    assert (
        "1 of 5 notebooks reproduced (20%), run from the declared environment in a bwrap "
        "sandbox, 42 s." in shown
    )
    assert "1 ran with results that differ, 2 failed, 1 did not run." in shown
    assert (
        "A static finding predicted 1 of 2 runtime failures (missing file: 0 of 1 (PA001); "
        "missing module: 1 of 1 (EN002))." in shown
    )
    rows = [row for row in page.rows if row]
    assert [row[1] for row in rows] == [
        "failed",
        "failed",
        "not run",
        "ran, results differ",
        "reproduced",
    ]
    assert [row[2] for row in rows] == ["cell 5", "cell 2", "", "cell 4", ""]
    assert rows[1][3].startswith(
        "missing module: No module named 'cv2' (distribution opencv-python); EN002 predicted "
        "it (EN002 nb/module.ipynb, cell 2, line 1)"
    )
    assert "Saved: mean 0.18" in rows[3][3] and "fresh: mean 0.23" in rows[3][3]
    assert rows[4][3] == "2 outputs compared"
    assert "rerun.json" in shown


def test_every_string_from_the_document_is_escaped(tmp_path: Path) -> None:
    rerun_json(tmp_path, HOSTILE)
    html = reproduce_html(tmp_path)
    page = Page(html)
    assert "script" not in page.tags and "<script" not in html
    assert HOSTILE in "".join(page.text)


def test_links_go_only_to_executed_notebooks_under_the_folder(tmp_path: Path) -> None:
    document = rerun_json(tmp_path)
    executed = tmp_path / "notebooks" / "nb" / "reproduces.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("{}")
    document["notebooks"][1]["executed"] = "javascript:alert(1)"
    document["notebooks"][2]["executed"] = "notebooks/../../etc/passwd"
    (tmp_path / "rerun.json").write_text(json.dumps(document))
    html = reproduce_html(tmp_path)
    assert html.count("<a href=") == 2  # the executed notebook and rerun.json
    assert 'href="notebooks/nb/reproduces.ipynb"' in html and "javascript" not in html


def test_no_rerun_json_means_no_section(tmp_path: Path) -> None:
    assert reproduce_html(tmp_path) == ""


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"{not json", "not a readable rerun document"),
        (b"\xff\xfe", "not a readable rerun document"),
        (b'{"schema_version": "2.0", "notebooks": []}', "not a rerun document of schema 1.x"),
        (b'{"schema_version": "1.0"}', "a rerun document without its notebooks"),
        (b"[" * 100_000, "not a readable rerun document"),
    ],
)
def test_a_document_that_is_not_one_is_said_in_one_line(
    tmp_path: Path, content: bytes, said: str
) -> None:
    (tmp_path / "rerun.json").write_bytes(content)
    html = reproduce_html(tmp_path)
    assert html.startswith("<p>rerun.json could not be read: ") and said in html


def test_a_fifo_a_link_to_dev_zero_or_a_huge_file_is_never_read(tmp_path: Path) -> None:
    for name, make in (
        ("fifo", lambda path: os.mkfifo(path)),
        ("zero", lambda path: path.symlink_to("/dev/zero")),
        ("huge", lambda path: path.write_bytes(b" " * (MAX_RERUN_BYTES + 1))),
    ):
        folder = tmp_path / name
        folder.mkdir()
        make(folder / "rerun.json")
        assert reproduce_html(folder).startswith("<p>rerun.json could not be read"), name


def test_fields_of_the_wrong_shape_never_raise(tmp_path: Path) -> None:
    document = rerun_json(tmp_path)
    document["notebooks"] += [
        {"path": 3, "verdict": "bogus", "cells": "x", "comparisons": [None, {"differences": 5}]},
        {"verdict": "failed", "cause": {"kind": "missing module", "predicted": "yes"}},
        None,
        "a string",
    ]
    document["environment"] = ["x"]
    document["seconds"] = "soon"
    (tmp_path / "rerun.json").write_text(json.dumps(document))
    shown = "".join(Page(reproduce_html(tmp_path)).text)
    assert "1 of 7 notebooks reproduced" in shown and "bogus" in shown


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                ["path", "verdict", "cells", "comparisons", "cause", "executed", "reason"]
            ),
            json_values,
        ),
        max_size=5,
    )
)
def test_any_notebooks_list_gives_a_section(tmp_path: Path, notebooks: list[Any]) -> None:
    (tmp_path / "rerun.json").write_text(
        json.dumps({"schema_version": "1.0", "notebooks": notebooks})
    )
    assert reproduce_html(tmp_path).startswith("<p><strong>")


def test_a_long_rerun_shows_the_first_rows_and_says_how_many_more(tmp_path: Path) -> None:
    many = tuple(
        notebook(f"nb/{index:04}.ipynb", Verdict.REPRODUCED, ExecutionState.COMPLETED)
        for index in range(SHOWN + 25)
    )
    rerun_json(tmp_path, items=many)
    html = reproduce_html(tmp_path)
    assert html.count("<tr>") == SHOWN + 1  # the head's row too
    assert "And 25 more notebooks: rerun.csv lists every one." in html


def _cell(kind: str, tags: list[str], outputs: list[Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {"tags": tags}, "source": ""}
    if kind == "code":
        cell["outputs"] = outputs or []
    return cell


def test_an_optional_section_that_showed_nothing_leaves_the_page() -> None:
    shown = [{"output_type": "display_data", "data": {"text/html": "x"}}]
    cells = [
        _cell("code", []),
        _cell("markdown", ["report-optional"]),
        _cell("code", ["report-optional"]),
        _cell("markdown", []),
        _cell("markdown", ["report-optional"]),
        _cell("code", ["report-optional"], shown),
        _cell("code", ["report-optional", "other"]),
    ]
    kept = drop_silent_sections(cells)
    assert [next(i for i, cell in enumerate(cells) if cell is item) for item in kept] == [
        0,
        3,
        4,
        5,
        6,
    ]
