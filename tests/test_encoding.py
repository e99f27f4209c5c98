"""A window of records encoded at once gives, record by record, the files.csv row and the
metrics.json item that ``rows.csv_row`` and ``metrics.item_text`` define."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from repolens.core.records import FileRecord, Kind, LineCounts, NotebookStats, State
from repolens.core.times import MAX_TIME_NS, MIN_TIME_NS
from repolens.render.encoding import encode_window
from repolens.render.metrics import item_text
from repolens.render.report import ReportWriter
from repolens.render.rows import csv_row


def reference(record: FileRecord) -> tuple[str, str]:
    """The row and item as the defining functions write them, one record alone."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(csv_row(record))
    return out.getvalue(), item_text(record)


# Text from a tree: commas, quotes, line breaks, formula starts, a lone surrogate (a name
# that is not UTF-8), and the item separator itself.
_odd_text = st.lists(
    st.sampled_from([*",\"\r\n=+-@\t'ab/é\udcff{}: ", '{"file_path": ']), max_size=12
).map("".join)
_times = st.one_of(
    st.integers(MIN_TIME_NS - 5, MIN_TIME_NS + 5),
    st.integers(-(10**12), 10**12),
    st.integers(1_600_000_000 * 10**9, 1_700_000_000 * 10**9),
    st.integers(MAX_TIME_NS - 5, MAX_TIME_NS + 5),
)
_counts = st.builds(LineCounts, st.integers(0, 9), st.integers(0, 9), st.integers(0, 9))
_notebooks = st.builds(
    NotebookStats,
    kernel=st.none() | _odd_text,
    language=st.none() | _odd_text,
    code_cells=st.integers(0, 5),
    markdown_cells=st.integers(0, 5),
    raw_cells=st.integers(0, 5),
    code_lines=_counts,
    markdown_lines=st.integers(0, 5),
    outputs=st.integers(0, 5),
    output_bytes=st.integers(0, 5),
    image_outputs=st.integers(0, 5),
    image_bytes=st.integers(0, 5),
    error_cells=st.integers(0, 5),
    executed_cells=st.integers(0, 5),
    out_of_order=st.booleans(),
)
records = st.builds(
    FileRecord,
    path=_odd_text.map(lambda text: "d/" + text),
    kind=st.sampled_from(Kind),
    extension=_odd_text,
    category=st.sampled_from(["code", "data", "other"]),
    language=st.none() | _odd_text,
    size_bytes=st.integers(0, 2**40),
    modified_ns=_times,
    changed_ns=_times,
    birth_ns=st.none() | _times,
    is_binary=st.none() | st.booleans(),
    encoding=st.none() | _odd_text,
    lines=st.none() | st.integers(0, 99),
    counts=st.none() | _counts,
    state=st.sampled_from(State),
    reason=_odd_text,
    notebook=st.none() | _notebooks,
    link_target=st.none() | _odd_text,
    path_is_utf8=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=8))
def test_a_window_encodes_each_record_as_it_alone_is_encoded(window: list[FileRecord]) -> None:
    encoded = encode_window(window)
    assert len(encoded) == len(window)
    assert encoded == [reference(record) for record in window]


def test_a_plain_window_gives_one_item_per_record_in_order() -> None:
    window = [
        FileRecord(
            path=f"src/{name}",
            kind=Kind.FILE,
            extension=".py",
            category="code",
            language="Python",
            size_bytes=10 * index,
            modified_ns=1_700_000_000_000_000_000 + index,
            changed_ns=1_700_000_000_123_456_789,
            birth_ns=None,
            is_binary=False,
            encoding="ascii",
            lines=index,
            counts=LineCounts(index, 0, 0),
            state=State.OK,
            reason="",
        )
        for index, name in enumerate(["a.py", "b, c.py", '"q".py', "=cmd.py"])
    ]
    encoded = encode_window(window)
    assert [json.loads(item)["file_path"] for _row, item in encoded] == [
        record.path for record in window
    ]
    rows = list(csv.reader(io.StringIO("".join(row for row, _item in encoded))))
    assert [row[0] for row in rows] == ["src/a.py", "src/b, c.py", 'src/"q".py', "src/=cmd.py"]
    assert encoded == [reference(record) for record in window]
    assert encode_window([]) == []


def test_the_writer_adds_a_window_as_it_adds_its_records_one_by_one(tmp_path: Path) -> None:
    window = [
        FileRecord(
            path=f"n{index}",
            kind=Kind.SYMLINK,
            extension="",
            category="other",
            language=None,
            size_bytes=1,
            modified_ns=0,
            changed_ns=0,
            birth_ns=None,
            is_binary=None,
            encoding=None,
            lines=None,
            counts=None,
            state=State.SYMLINK,
            reason="symbolic link to x, not followed",
            link_target="x",
        )
        for index in range(5)
    ]
    one, many = ReportWriter(tmp_path / "one"), ReportWriter(tmp_path / "many")
    rows = [one.add(record) for record in window]
    cached = [None, rows[1], ("not a row", "not an item"), None, rows[4]]
    assert many.add_window(window, cached) == rows  # a bad cached pair is encoded again
    assert one.rows == many.rows == len(window)
    assert written(one) == written(many)
    assert written(one)[0].count("\r\n") == len(window) + 1  # the header and a row each
    one.discard()
    many.discard()


def written(writer: ReportWriter) -> tuple[str, str]:
    """What a writer has written so far: files.csv's text and the metrics.json items."""
    assert writer._csv is not None and writer._items is not None
    writer._csv.handle.flush()
    writer._items.flush()
    writer._items.seek(0)
    with open(writer._csv.temporary, encoding="utf-8", newline="") as handle:
        return handle.read(), writer._items.read()
