"""Notebooks read as JSON: cells, outputs, kernel and errors."""

from __future__ import annotations

import json

import pytest

from repolens.scanning.notebooks import InvalidNotebook, read_notebook, source_extension

from .conftest import notebook_json


def code(source, count=None, outputs=()):
    return {
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": list(outputs),
        "metadata": {},
    }


def markdown(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


PNG_B64 = "iVBORw0KGgo="  # 12 bytes as stored


def test_cells_outputs_and_kernel_are_counted() -> None:
    # 2 code cells, 1 markdown (2 non-blank lines), 3 outputs of which one image, one error
    content = notebook_json(
        [
            markdown(["# Title\n", "\n", "text\n"]),
            code(
                ["import os\n", "x = 1\n"],
                1,
                [
                    {"output_type": "stream", "name": "stdout", "text": ["hello\n"]},
                    {"output_type": "display_data", "data": {"image/png": PNG_B64}, "metadata": {}},
                ],
            ),
            code(
                "raise ValueError",
                2,
                [
                    {
                        "output_type": "error",
                        "ename": "ValueError",
                        "evalue": "",
                        "traceback": ["Traceback", "ValueError"],
                    },
                ],
            ),
        ]
    )
    parsed = read_notebook(content.encode())
    stats = parsed.stats
    assert (stats.code_cells, stats.markdown_cells, stats.raw_cells) == (2, 1, 0)
    assert stats.markdown_lines == 2
    assert (stats.outputs, stats.image_outputs, stats.image_bytes) == (3, 1, len(PNG_B64))
    assert stats.output_bytes == len("hello\n") + len(PNG_B64) + len("Traceback") + len(
        "ValueError"
    )
    assert stats.error_cells == 1
    assert stats.executed_cells == 2
    assert not stats.out_of_order
    assert (stats.kernel, stats.language) == ("python3", "python")
    assert parsed.code == "import os\nx = 1\nraise ValueError\n"


@pytest.mark.parametrize(
    ("counts", "out_of_order"),
    [([1, 2, 3], False), ([1, None, 3], False), ([2, 1], True), ([1, 1], True), ([], False)],
)
def test_execution_order(counts: list[int | None], out_of_order: bool) -> None:
    content = notebook_json([code("x\n", count) for count in counts])
    assert read_notebook(content.encode()).stats.out_of_order is out_of_order


@pytest.mark.parametrize("source", [["a\n", "b\n"], "a\nb\n", "a\nb"])
def test_source_may_be_a_list_or_a_string(source: object) -> None:
    parsed = read_notebook(notebook_json([code(source)]).encode())
    assert parsed.code == "a\nb\n"


def test_nbformat_3_worksheets_are_read() -> None:
    document = {
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": ["print(1)\n"],
                        "prompt_number": 1,
                        "outputs": [{"output_type": "pyerr", "traceback": ["boom"]}],
                    },
                    {"cell_type": "heading", "source": ["Title"]},
                ]
            }
        ],
        "metadata": {"language": "python"},
        "nbformat": 3,
    }
    stats = read_notebook(json.dumps(document).encode()).stats
    assert (stats.code_cells, stats.markdown_cells, stats.error_cells) == (1, 1, 1)
    assert stats.language == "python"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b'{"metadata": {}}', "no 'cells' list"),
        (b'{"cells": {"a": 1}}', "not a list"),
        (b'{"cells": [3]}', "cell 0 is a int"),
        (b'{"cells": [{"cell_type": "code", "source": 5}]}', "cell 0 source is int"),
        (b'{"cells": [{"cell_type": "code", "source": ["a", 1]}]}', "cell 0 source is list"),
        (
            b'{"cells": [{"cell_type": "code", "source": "", "outputs": 7}]}',
            "outputs is not a list",
        ),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_invalid_notebooks_say_why(content: bytes, reason: str) -> None:
    with pytest.raises(InvalidNotebook, match=reason):
        read_notebook(content)


@pytest.mark.parametrize(
    ("language", "extension"),
    [
        ("python", ".py"),
        ("Python", ".py"),
        ("R", ".r"),
        ("julia", ".jl"),
        ("brainfuck", None),
        (None, None),
    ],
)
def test_kernel_languages_map_to_engine_extensions(
    language: str | None, extension: str | None
) -> None:
    assert source_extension(language) == extension
