"""Saved outputs against fresh ones: text with numbers within tolerance, HTML tables as
tables, MIME bundles on their richest common type, streams joined, missing and new
outputs counted, cells matched by position and source."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from repolens.rerun.compare import compare_bundles, compare_notebook, compare_outputs, ran_at
from repolens.rerun.model import DifferenceKind
from repolens.rerun.tables import compare_html
from repolens.rerun.text import RunTimes, Tolerance, compare_text, tokens


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def result(data: dict[str, Any], kind: str = "execute_result") -> dict[str, Any]:
    output: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        output["execution_count"] = 1
    return output


def error(name: str, value: str, traceback: list[str] | None = None) -> dict[str, Any]:
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": traceback or []}


def code(source: str, outputs: list[dict[str, Any]], count: int | None = 1) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "execution_count": count,
        "outputs": outputs,
    }


def notebook(*cells: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


# -- numbers in text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("1e-5 2E+10 -3.5e-2", ["1e-5", "2E+10", "-3.5e-2"]),
        ("-0.0 and 0.", ["-0.0", "0."]),
        ("nan NaN inf -inf Infinity", ["nan", "NaN", "inf", "-inf", "Infinity"]),
        ("total 1,234.5 of 1,000,000", ["1,234.5", "1,000,000"]),
        ("[1,2,3]", ["1", "2", "3"]),
        ("array([ 1.  , -2.5 ,  0.25])", ["1.", "-2.5", "0.25"]),
        ("conv2d_3 layer x1 has 64 units", ["64"]),
        ("information is infinite", []),
        (".5 and 5.", [".5", "5."]),
    ],
)
def test_numbers_are_tokenised_as_programs_print_them(text: str, numbers: list[str]) -> None:
    _skeleton, found = tokens(text)
    assert [item.text for item in found if item.kind == "number"] == numbers


@pytest.mark.parametrize(
    ("saved", "fresh", "same"),
    [
        pytest.param("0.1234567", "0.1234568", True, id="within-1e-6"),
        pytest.param("0.1234", "0.1235", False, id="beyond-1e-6"),
        pytest.param("-0.0", "0.0", True, id="signed-zero"),
        pytest.param("nan", "NaN", True, id="nan-is-nan"),
        pytest.param("nan", "0.5", False, id="nan-is-not-a-number"),
        pytest.param("inf", "inf", True, id="inf"),
        pytest.param("-inf", "inf", False, id="signed-inf"),
        pytest.param("1,234.5", "1234.5", True, id="thousands"),
        pytest.param("1e-5", "0.00001", True, id="exponent"),
        pytest.param("0.0", "1.1102230246251565e-16", True, id="rounding-noise-near-zero"),
        pytest.param(
            "array([ 1.        , -0.5       ])",
            "array([1.0000000001, -0.5])",
            True,
            id="numpy-repr-realigned",
        ),
        pytest.param(
            "[1. 2. 3.\n 4.]",
            "[1. 2. 3. 4.]",
            True,
            id="numpy-line-wrap",
        ),
        pytest.param("cat 1", "dog 1", False, id="words"),
        pytest.param("1 2", "1 2 3", False, id="another-count-of-numbers"),
    ],
)
def test_text_is_the_same_within_the_tolerance(saved: str, fresh: str, same: bool) -> None:
    difference, _cleaned = compare_text(saved, fresh)
    assert (difference is None) is same


def test_a_frame_printed_with_wider_columns_is_the_same_frame() -> None:
    frame = pd.DataFrame({"a": [1.5, 2.25], "label": ["x", "y"]})
    drifted = frame.assign(a=frame["a"] * (1 + 1e-9))
    with pd.option_context("display.precision", 12):
        saved, fresh = repr(frame), repr(drifted)
    assert saved != fresh
    assert compare_text(saved, fresh) == (None, True)


def test_numbers_beyond_the_tolerance_say_how_many_and_how_far() -> None:
    difference, cleaned = compare_text("a 1.0 b 2.0 c 3.0", "a 1.0 b 2.2 c 3.3")
    assert not cleaned and difference is not None
    assert difference.kind is DifferenceKind.NUMBER
    assert difference.detail == "2 of 3 numbers beyond 1e-06, largest relative change 0.0909"
    assert difference.saved == "a 1.0 b 2.0 c 3.0" and difference.fresh == "a 1.0 b 2.2 c 3.3"


def test_the_tolerance_is_configurable() -> None:
    assert compare_text("0.1234", "0.1235", Tolerance(relative=1e-2)) == (None, True)
    assert compare_text("0.1234567", "0.1234568", Tolerance(relative=1e-9))[0] is not None


def test_text_differences_show_the_first_line_that_parts() -> None:
    difference, _ = compare_text("same\nold line\nend", "same\nnew line\nend")
    assert difference is not None and difference.kind is DifferenceKind.TEXT
    assert (difference.saved, difference.fresh) == ("old line", "new line")


def test_sanitised_noise_is_the_same_and_counted_as_sanitised() -> None:
    assert compare_text("<A at 0x7f00deadbeef>", "<A at 0x55aa12345678>") == (None, True)
    assert compare_text("exactly", "exactly") == (None, False)


def test_a_date_is_data_unless_it_is_the_moment_of_the_run() -> None:
    ran = RunTimes(saved=datetime(2019, 5, 1, 10), fresh=datetime(2026, 5, 9, 12))
    now = ("run at 2019-05-01 10:00:03", "run at 2026-05-09 12:00:07")
    assert compare_text(*now, sides=ran) == (None, True)
    assert compare_text(*now)[0] is not None  # when neither side says when it ran
    data = ("index 2015-07-04", "index 2015-07-05")
    difference, _ = compare_text(*data, sides=ran)
    assert difference is not None and difference.detail == "1 date changed"


def test_a_huge_output_costs_time_linear_in_its_size() -> None:
    """200,000 numbers each side in well under the time a quadratic pairing would need."""
    saved = " ".join(f"{value * 0.001:.6f}" for value in range(200_000))
    fresh = " ".join(f"{value * 0.001:.6f}" for value in range(199_999)) + " 0"
    started = time.perf_counter()
    difference, _ = compare_text(saved, fresh)
    assert time.perf_counter() - started < 20
    assert difference is not None and difference.detail.startswith("1 of 200,000 numbers")


@settings(deadline=None)
@example("0\r")  # a carriage return before blanks only leaves the line as it was
@given(st.text(max_size=200))
def test_any_text_is_the_same_as_itself(text: str) -> None:
    assert compare_text(text, text) == (None, False)
    assert compare_text(text, text + " ")[0] is None  # whitespace alone is layout


# -- HTML tables ------------------------------------------------------------------------


def frame_html(frame: pd.DataFrame) -> str:
    return frame.to_html()


FRAME = pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": ["a", "b", "c"]}, index=["r1", "r2", "r3"])


def test_tables_within_the_tolerance_are_the_same() -> None:
    drifted = FRAME.assign(x=FRAME["x"] * (1 + 1e-9))
    with pd.option_context("display.precision", 12):
        assert compare_html(frame_html(FRAME), frame_html(drifted)) == (None, True)


def test_a_changed_cell_is_named_by_row_and_column() -> None:
    changed = FRAME.copy()
    changed.loc["r2", "x"] = 0.25
    difference, _ = compare_html(frame_html(FRAME), frame_html(changed))
    assert difference is not None and difference.kind is DifferenceKind.TABLE
    assert difference.detail.startswith(
        "table 1: 1 of 12 cells differ, the first at row 3, column 2"
    )
    assert (difference.saved, difference.fresh) == ("0.2", "0.25")


def test_a_table_of_another_shape_differs() -> None:
    difference, _ = compare_html(frame_html(FRAME), frame_html(FRAME.iloc[:2]))
    assert difference is not None and difference.kind is DifferenceKind.TABLE
    assert (difference.saved, difference.fresh) == ("4 rows × 3 columns", "3 rows × 3 columns")


def test_a_styler_with_random_ids_is_the_same_table() -> None:
    first = FRAME.style.highlight_max(subset=["x"]).set_uuid("a1b2c").to_html()
    second = FRAME.style.highlight_max(subset=["x"]).set_uuid("z9y8x").to_html()
    assert first != second
    assert compare_html(first, second)[0] is None


def test_text_around_a_table_is_compared_as_text() -> None:
    table = frame_html(FRAME)
    difference, _ = compare_html(f"<p>3 rows</p>{table}", f"<p>4 rows</p>{table}")
    assert difference is not None and difference.kind is DifferenceKind.NUMBER


def test_broken_html_is_read_not_raised() -> None:
    difference, _ = compare_html("<table><tr><td>1<td>2", "<table><tr><td>1<td>3</table>")
    assert difference is not None and difference.kind is DifferenceKind.TABLE


# -- bundles and streams ----------------------------------------------------------------


def test_execute_result_and_display_data_are_the_same_kind() -> None:
    differences, compared, _ = compare_outputs(
        [result({"text/plain": "42"})], [result({"text/plain": "42"}, "display_data")]
    )
    assert (differences, compared) == ((), 1)


@pytest.mark.parametrize(
    ("saved", "fresh", "kind"),
    [
        pytest.param(
            {"text/html": "<b>1</b>", "text/plain": "1"},
            {"text/plain": "1"},
            None,
            id="html-only-saved",
        ),
        pytest.param(
            {"image/svg+xml": "<svg/>", "text/plain": "<Figure>"},
            {"text/plain": "<Figure>"},
            None,
            id="svg-missing-is-no-failure",
        ),
        pytest.param(
            {"text/html": "<b>1</b>", "text/plain": "1"},
            {"text/html": "<b>2</b>", "text/plain": "1"},
            DifferenceKind.NUMBER,
            id="richest-common-type-decides",
        ),
        pytest.param(
            {"image/png": "AAAA"}, {"text/plain": "x"}, DifferenceKind.TYPE, id="nothing-in-common"
        ),
        pytest.param(
            {"application/json": {"a": 1, "b": [1, 2]}},
            {"application/json": {"b": [1, 2], "a": 1}},
            None,
            id="json-by-value",
        ),
    ],
)
def test_bundles_compare_on_the_richest_common_type(
    saved: dict[str, Any], fresh: dict[str, Any], kind: DifferenceKind | None
) -> None:
    difference, _ = compare_bundles(saved, fresh)
    assert (difference.kind if difference else None) == kind


def test_streams_are_joined_per_stream_as_nbval_does() -> None:
    saved = [stream("a\n"), stream("warn\n", "stderr"), stream("b\n")]
    fresh = [stream("a\nb\n"), stream("warn\n", "stderr")]
    differences, compared, _ = compare_outputs(saved, fresh)
    assert (differences, compared) == ((), 2)


def test_missing_and_new_outputs_are_counted() -> None:
    saved = [stream("x\n"), result({"text/plain": "1"}), result({"text/plain": "2"})]
    fresh = [result({"text/plain": "1"}), stream("oops\n", "stderr")]
    differences, compared, _ = compare_outputs(saved, fresh)
    kinds = sorted(item.kind.value for item in differences)
    assert compared == 1
    assert kinds == ["missing", "missing", "new"]


def test_errors_are_compared_by_name_and_message_not_traceback() -> None:
    saved = [error("ValueError", "bad value", ["\x1b[31mlong traceback 1"])]
    fresh = [error("ValueError", "bad value", ["another traceback"])]
    assert compare_outputs(saved, fresh)[0] == ()
    other = [error("KeyError", "'x'")]
    assert compare_outputs(saved, other)[0][0].kind is DifferenceKind.TEXT


def test_widgets_are_not_compared() -> None:
    widget = {
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
        "text/plain": "HBox()",
    }
    other = {
        "application/vnd.jupyter.widget-view+json": {"model_id": "xyz"},
        "text/plain": "HBox()",
    }
    assert compare_outputs([result(widget, "display_data")], [result(other, "display_data")]) == (
        (),
        0,
        0,
    )


# -- cells ------------------------------------------------------------------------------


def test_every_code_cell_that_ran_is_compared_by_its_saved_index() -> None:
    saved = notebook(
        {"cell_type": "markdown", "source": "# t", "metadata": {}},
        code("print(1)", [stream("1\n")]),
        code("x = 1", [], count=2),
        code("print('never run')", [], count=None),
        code("x", [result({"text/plain": "1"})]),
    )
    fresh = notebook(
        {"cell_type": "markdown", "source": "# t", "metadata": {}},
        code("print(1)", [stream("1\n")]),
        code("x = 1", []),
        code("print('never run')", [stream("never run\n")]),
        code("x", [result({"text/plain": "2"})]),
    )
    found = compare_notebook(saved, fresh)
    assert [item.index for item in found] == [1, 2, 4]
    assert [item.same for item in found] == [True, True, False]
    assert found[2].differences[0].kind is DifferenceKind.NUMBER


def test_an_injected_cell_shifts_nothing() -> None:
    saved = notebook(code("a = 1", []), code("print(a)", [stream("1\n")]))
    fresh = notebook(code("# injected", []), code("a = 1", []), code("print(a)", [stream("1\n")]))
    assert [(item.index, item.same) for item in compare_notebook(saved, fresh)] == [
        (0, True),
        (1, True),
    ]


def test_an_edited_cell_is_out_of_scope_its_outputs_missing() -> None:
    saved = notebook(code("print(1)", [stream("1\n")]))
    fresh = notebook(code("print(2)", [stream("2\n")]))
    (only,) = compare_notebook(saved, fresh)
    assert [item.kind for item in only.differences] == [DifferenceKind.MISSING]


def test_a_cell_that_did_not_run_fresh_has_its_outputs_missing() -> None:
    saved = notebook(code("print(1)", [stream("1\n")]))
    fresh = notebook(code("print(1)", []))
    (only,) = compare_notebook(saved, fresh)
    assert only.differences[0].kind is DifferenceKind.MISSING and only.compared == 0


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"cells": "x"},
        {"cells": [1, None, "x"]},
        {"cells": [{"cell_type": "code", "outputs": 3}]},
    ],
)
def test_notebooks_of_the_wrong_shape_compare_to_nothing(document: dict[str, Any]) -> None:
    assert compare_notebook(document, document) == ()


def test_the_tolerance_may_be_a_number() -> None:
    saved = notebook(code("x", [result({"text/plain": "0.1234"})]))
    fresh = notebook(code("x", [result({"text/plain": "0.1235"})]))
    assert not compare_notebook(saved, fresh)[0].same
    assert compare_notebook(saved, fresh, 1e-2)[0].same


def test_when_a_notebook_ran_comes_from_papermill_or_cell_timing() -> None:
    assert ran_at(notebook(papermill={"start_time": "2026-05-09T10:00:00.5+00:00"})) == datetime(
        2026, 5, 9, 10, 0, 0, 500000
    )
    timed = code("x", [])
    timed["metadata"]["execution"] = {"iopub.execute_input": "2024-01-02T03:04:05Z"}
    assert ran_at(notebook(timed)) == datetime(2024, 1, 2, 3, 4, 5)
    assert ran_at(notebook()) is None
