"""A window of records encoded for the reports at once: each record's files.csv row and
metrics.json item from one pass over its fields, the items of the whole window encoded by
one msgspec call, the rows by one csv call.

The texts are the ones ``rows.csv_row`` and ``metrics.item_text`` define, byte for byte
(tests/test_encoding.py compares them on odd records of every kind); this module only
computes what the two share once (times, names, enum values) and batches the encoders.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

import msgspec

from ..core.cells import guard_cell
from ..core.records import FileRecord
from ..core.times import iso_time
from .metrics import item_text, notebook_item

__all__ = ["encode_window"]

_encoder = msgspec.json.Encoder()
_ITEM_START = '{"file_path": '
_BETWEEN = ", " + _ITEM_START  # never inside an item: a string's quotes are escaped


class _Rows:
    """Where a csv writer leaves each row's text (it writes a row in one call)."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        self.texts: list[str] = []

    def write(self, text: str) -> None:
        self.texts.append(text)


def _fields(record: FileRecord) -> tuple[list[Any], dict[str, Any]]:
    """A record's files.csv cells (``rows.csv_row``) and metrics.json item
    (``metrics.file_metric``), the values they share computed once."""
    path = record.path
    name = path.rsplit("/", 1)[-1]
    extension = record.extension
    kind = str(record.kind)
    state = str(record.state)
    language = record.language
    encoding = record.encoding
    reason = record.reason
    lines = record.lines
    counts = record.counts
    code = comment = blank = None
    if counts is not None:
        code, comment, blank = counts.code, counts.comment, counts.blank
    modified = iso_time(record.modified_ns)
    changed = iso_time(record.changed_ns)
    birth = None if record.birth_ns is None else iso_time(record.birth_ns)
    created = changed if record.birth_ns is None else birth
    is_binary = record.is_binary
    row: list[Any] = [
        guard_cell(path),
        guard_cell(name),
        guard_cell(extension),
        kind,
        record.category,
        "" if language is None else guard_cell(language),
        record.size_bytes,
        "" if lines is None else lines,
        "" if code is None else code,
        "" if comment is None else comment,
        "" if blank is None else blank,
        "" if is_binary is None else is_binary,
        "" if encoding is None else guard_cell(encoding),
        state,
        guard_cell(reason),
        "" if modified is None else modified,
        "" if changed is None else changed,
        "" if birth is None else birth,
    ]
    stats = record.notebook
    notebook = None
    if stats is None:
        row += ["", "", "", "", "", "", "", "", ""]
    else:
        cells = stats.code_cells + stats.markdown_cells + stats.raw_cells
        kernel = stats.kernel
        row += [
            "" if kernel is None else guard_cell(kernel),
            cells,
            stats.code_cells,
            stats.markdown_cells,
            stats.outputs,
            stats.output_bytes,
            stats.image_outputs,
            stats.error_cells,
            stats.out_of_order,
        ]
        notebook = notebook_item(stats)
    item = {
        "file_path": path,
        "file_name": name,
        "file_type": extension,
        "size_bytes": record.size_bytes,
        "line_count": lines,
        "created_time": created,
        "modified_time": modified,
        "kind": kind,
        "category": record.category,
        "language": language,
        "code_lines": code,
        "comment_lines": comment,
        "blank_lines": blank,
        "is_binary": is_binary,
        "encoding": encoding,
        "state": state,
        "reason": reason,
        "changed_time": changed,
        "birth_time": birth,
        "link_target": record.link_target,
        "path_is_utf8": record.path_is_utf8,
        "notebook": notebook,
    }
    return row, item


def _items(items: list[dict[str, Any]], records: Sequence[FileRecord]) -> list[str]:
    """Each item on one line, spaced as ``json.dumps`` spaces it: one encoding of the
    whole list, cut between items; one by one when a text cannot be UTF-8 (a lone
    surrogate, escaped as ``metrics.item_text`` escapes it)."""
    try:
        text = msgspec.json.format(_encoder.encode(items), indent=0).decode("utf-8")
    except (UnicodeError, msgspec.MsgspecError):
        return [item_text(record) for record in records]
    parts = text[1:-1].split(_BETWEEN)
    return [parts[0], *[_ITEM_START + part for part in parts[1:]]]


def encode_window(records: Sequence[FileRecord]) -> list[tuple[str, str]]:
    """Each record's files.csv row (with its CRLF) and metrics.json item, as text: what
    ``ReportWriter.encode`` gives for each record alone."""
    if not records:
        return []
    rows: list[list[Any]] = []
    items: list[dict[str, Any]] = []
    for record in records:
        row, item = _fields(record)
        rows.append(row)
        items.append(item)
    sink = _Rows()
    csv.writer(sink, lineterminator="\r\n").writerows(rows)
    return list(zip(sink.texts, _items(items, records), strict=True))
