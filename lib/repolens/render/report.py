"""The metrics document (JSON) and the per-file table (CSV), written atomically.

The JSON keeps the keys of the original metrics tool (``timestamp``,
``base_path``, ``file_metrics[]``, ``summary`` with its totals) and adds the
richer fields beside them. Its shape is ``schema/metrics.schema.json``; its
``schema_version`` follows semantic versioning. Everything but ``timestamp``
depends only on the tree and the options: records are sorted by path.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import msgspec

from .._version import __version__
from ..core.atomic import AtomicFile, atomic_write, remove_stale_temporaries
from ..core.cells import guard_cell
from ..core.records import FileRecord, NotebookStats
from ..core.times import iso_time
from ..scanning.counting import engine_version
from ..scanning.options import ScanResult
from .summary import Group, Summary

__all__ = [
    "CSV_BOOLEAN_COLUMNS",
    "CSV_COLUMNS",
    "CSV_INTEGER_COLUMNS",
    "CSV_TIME_COLUMNS",
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "ReportWriter",
    "csv_row",
    "file_metric",
    "load_schema",
    "metrics_document",
    "record_row",
    "verify_report_set",
    "write_files_csv",
    "write_metrics_json",
    "write_reports",
]

SCHEMA_VERSION = "1.2.0"
_MB = 1024 * 1024
_PLACEHOLDER = "\u0000file_metrics\u0000"


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema the metrics document follows."""
    text = resources.files("repolens").joinpath("schema/metrics.schema.json").read_text("utf-8")
    return json.loads(text)


def _notebook(stats: NotebookStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {
        "kernel": stats.kernel,
        "language": stats.language,
        "cells": stats.cells,
        "code_cells": stats.code_cells,
        "markdown_cells": stats.markdown_cells,
        "raw_cells": stats.raw_cells,
        "code_lines": stats.code_lines.code,
        "code_comment_lines": stats.code_lines.comment,
        "code_blank_lines": stats.code_lines.blank,
        "markdown_lines": stats.markdown_lines,
        "outputs": stats.outputs,
        "output_bytes": stats.output_bytes,
        "image_outputs": stats.image_outputs,
        "image_bytes": stats.image_bytes,
        "error_cells": stats.error_cells,
        "executed_cells": stats.executed_cells,
        "out_of_order": stats.out_of_order,
    }


def file_metric(record: FileRecord) -> dict[str, Any]:
    """One ``file_metrics`` item: the original keys first, then the richer ones."""
    created = record.birth_ns if record.birth_ns is not None else record.changed_ns
    return {
        "file_path": record.path,
        "file_name": record.name,
        "file_type": record.extension,
        "size_bytes": record.size_bytes,
        "line_count": record.lines,
        "created_time": iso_time(created),
        "modified_time": iso_time(record.modified_ns),
        "kind": record.kind.value,
        "category": record.category,
        "language": record.language,
        "code_lines": record.code,
        "comment_lines": record.comment,
        "blank_lines": record.blank,
        "is_binary": record.is_binary,
        "encoding": record.encoding,
        "state": record.state.value,
        "reason": record.reason,
        "changed_time": iso_time(record.changed_ns),
        "birth_time": iso_time(record.birth_ns),
        "link_target": record.link_target,
        "path_is_utf8": record.path_is_utf8,
        "notebook": _notebook(record.notebook),
    }


def _group(group: Group) -> dict[str, int]:
    return {
        "files": group.files,
        "size_bytes": group.size_bytes,
        "lines": group.lines,
        "code_lines": group.counts.code,
        "comment_lines": group.counts.comment,
        "blank_lines": group.counts.blank,
    }


def _ranked(records: tuple[FileRecord, ...]) -> list[dict[str, Any]]:
    return [
        {
            "file_path": record.path,
            "size_bytes": record.size_bytes,
            "line_count": record.lines,
            "category": record.category,
        }
        for record in records
    ]


def _summary(summary: Summary) -> dict[str, Any]:
    largest = summary.largest[0] if summary.largest else None
    most = summary.most_lines[0] if summary.most_lines else None
    notebooks = summary.notebooks
    return {
        "total_files": summary.total_files,
        "total_lines": summary.total_lines,
        "total_size_bytes": summary.total_size_bytes,
        "total_size_mb": round(summary.total_size_bytes / _MB, 3),
        "files_by_type": summary.by_extension,
        "largest_file": None
        if largest is None
        else {"file_path": largest.path, "size_bytes": largest.size_bytes},
        "file_with_most_lines": None
        if most is None
        else {"file_path": most.path, "line_count": most.lines},
        "average_lines_per_file": round(summary.average_lines_per_file, 2),
        "average_file_size_mb": round(summary.average_file_size_bytes / _MB, 6),
        "total_records": summary.records,
        "code_lines": summary.files.counts.code,
        "comment_lines": summary.files.counts.comment,
        "blank_lines": summary.files.counts.blank,
        "binary_files": summary.binary_files,
        "by_category": {name: _group(group) for name, group in summary.by_category.items()},
        "by_language": {name: _group(group) for name, group in summary.by_language.items()},
        "by_state": summary.by_state,
        "top_n": summary.top,
        "largest_files": _ranked(summary.largest),
        "most_lines": _ranked(summary.most_lines),
        "notebooks": {
            "notebooks": notebooks.notebooks,
            "invalid": notebooks.invalid,
            "cells": notebooks.cells,
            "code_cells": notebooks.code_cells,
            "markdown_cells": notebooks.markdown_cells,
            "outputs": notebooks.outputs,
            "output_bytes": notebooks.output_bytes,
            "image_outputs": notebooks.image_outputs,
            "image_bytes": notebooks.image_bytes,
            "error_cells": notebooks.error_cells,
            "with_errors": notebooks.with_errors,
            "out_of_order": notebooks.out_of_order,
            "kernels": notebooks.kernels,
        },
    }


def metrics_document(
    result: ScanResult,
    summary: Summary,
    *,
    include_files: bool = True,
    files_csv: dict[str, Any] | None = None,
    findings: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """The whole metrics document as plain data (``file_metrics`` sorted by path)."""
    options = result.options
    document: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(result.started, UTC).isoformat(),
        "base_path": result.root,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "repolens", "version": __version__, "engine": engine_version()},
        "settings": {
            "gitignore": result.gitignore_applied,
            "git_work_tree": result.work_tree is not None,
            "excludes": list(options.excludes),
            "follow_symlinks": options.follow_symlinks,
            "max_count_bytes": options.max_count_bytes,
            "docstrings": "code",
            "gitignored_entries": result.gitignored,
            "excluded_entries": result.excluded,
        },
        "notes": list(result.notes),
        "summary": _summary(summary),
        "files_csv": files_csv,
    }
    if findings is not None:
        from .findings import finding_dict

        levels = {"error": 0, "warning": 0, "note": 0}
        by_check: dict[str, int] = {}
        for item in findings:
            levels[item.level.value] += 1
            by_check[item.check] = by_check.get(item.check, 0) + 1
        document["summary"]["findings"] = {**levels, "by_check": dict(sorted(by_check.items()))}
        document["findings"] = [finding_dict(item) for item in findings]
    if include_files:
        document["file_metrics"] = [file_metric(record) for record in result.records]
    return document


_item_encoder = msgspec.json.Encoder()
_std_encode = json.JSONEncoder(ensure_ascii=False).encode


def _item_text(record: FileRecord) -> str:
    """One ``file_metrics`` item on one line, spaced as ``json.dumps`` spaces it."""
    item = file_metric(record)
    try:
        return msgspec.json.format(_item_encoder.encode(item), indent=0).decode("utf-8")
    except (UnicodeError, msgspec.MsgspecError):  # a lone surrogate: escaped when written
        return _std_encode(item)


def _document_halves(
    result: ScanResult,
    summary: Summary,
    files_csv: dict[str, Any] | None = None,
    findings: Sequence[Any] | None = None,
) -> tuple[str, str]:
    """The document's text before and after the ``file_metrics`` list."""
    head = metrics_document(
        result, summary, include_files=False, files_csv=files_csv, findings=findings
    )
    head["file_metrics"] = _PLACEHOLDER
    before, after = json.dumps(head, indent=2, ensure_ascii=False).split(
        json.dumps(_PLACEHOLDER), 1
    )
    return before, after + "\n"


def write_metrics_json(
    destination: str | os.PathLike[str] | IO[str],
    result: ScanResult,
    summary: Summary,
    files_csv: dict[str, Any] | None = None,
    findings: Sequence[Any] | None = None,
) -> None:
    """Write the metrics document of a result that holds its records, to a path (atomically)
    or to an open text stream: ``ReportWriter``'s document, its items from the records."""
    writer = ReportWriter(None, ("json",))
    try:
        writer.add_all(result.records)
        if hasattr(destination, "write"):
            writer.write_json(destination, result, summary, findings, files_csv)  # type: ignore[arg-type]
            return
        with atomic_write(destination, "w") as handle:  # type: ignore[arg-type]
            writer.write_json(handle, result, summary, findings, files_csv)
    finally:
        writer.discard()


CSV_COLUMNS = (
    "file_path",
    "file_name",
    "file_type",
    "kind",
    "category",
    "language",
    "size_bytes",
    "line_count",
    "code_lines",
    "comment_lines",
    "blank_lines",
    "is_binary",
    "encoding",
    "state",
    "reason",
    "modified_time",
    "changed_time",
    "birth_time",
    "notebook_kernel",
    "notebook_cells",
    "notebook_code_cells",
    "notebook_markdown_cells",
    "notebook_outputs",
    "notebook_output_bytes",
    "notebook_image_outputs",
    "notebook_error_cells",
    "notebook_out_of_order",
)
CSV_TIME_COLUMNS = ("modified_time", "changed_time", "birth_time")
CSV_BOOLEAN_COLUMNS = ("is_binary", "notebook_out_of_order")
CSV_INTEGER_COLUMNS = tuple(
    column
    for column in CSV_COLUMNS
    if column.endswith(("_bytes", "_count", "_lines", "_cells", "_outputs"))
)


# Columns whose text comes from the tree (names, link targets, notebook content).
_GUARDED = (
    "file_path",
    "file_name",
    "file_type",
    "language",
    "encoding",
    "reason",
    "notebook_kernel",
)


_GUARDED_INDEXES = tuple(CSV_COLUMNS.index(column) for column in _GUARDED)


def csv_row(record: FileRecord) -> list[Any]:
    """One files.csv row: text cells guarded against formulas, None as empty."""
    row = ["" if value is None else value for value in record_row(record)]
    for index in _GUARDED_INDEXES:
        row[index] = guard_cell(row[index])
    return row


def record_row(record: FileRecord) -> list[Any]:
    """A record's values in ``CSV_COLUMNS`` order, as they are (None where unknown)."""
    counts = record.counts
    notebook = record.notebook
    row: list[Any] = [
        record.path,
        record.name,
        record.extension,
        record.kind.value,
        record.category,
        record.language,
        record.size_bytes,
        record.lines,
        None if counts is None else counts.code,
        None if counts is None else counts.comment,
        None if counts is None else counts.blank,
        record.is_binary,
        record.encoding,
        record.state.value,
        record.reason,
        iso_time(record.modified_ns),
        iso_time(record.changed_ns),
        iso_time(record.birth_ns),
    ]
    if notebook is None:
        row += [None] * 9
    else:
        row += [
            notebook.kernel,
            notebook.cells,
            notebook.code_cells,
            notebook.markdown_cells,
            notebook.outputs,
            notebook.output_bytes,
            notebook.image_outputs,
            notebook.error_cells,
            notebook.out_of_order,
        ]
    return row


_item_decoder = msgspec.json.Decoder()


def _fits(record: FileRecord, encoded: Any) -> bool:
    """Whether rows kept by a cache are one files.csv row and one metrics.json item, both of
    this record's path: a cache can never add a row, an item, or break either file."""
    try:
        row, item = encoded
        if type(row) is not str or type(item) is not str or not row.endswith("\r\n"):
            return False
        body = row[:-2]
        first = guard_cell(record.path)
        if '"' in body or "\r" in body or "\n" in body:  # quoted cells: parse the row
            cells = list(csv.reader([body]))
            if len(cells) != 1 or len(cells[0]) != len(CSV_COLUMNS) or cells[0][0] != first:
                return False
        elif not body.startswith(first + ",") or body.count(",") != len(CSV_COLUMNS) - 1:
            return False
        if "\n" in item:
            return False
        decoded = _item_decoder.decode(item)
    except (csv.Error, msgspec.MsgspecError, ValueError, TypeError):
        return False
    return type(decoded) is dict and decoded.get("file_path") == record.path


class _Line:
    """Where a csv writer leaves one row's text."""

    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def _sha256_of(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, read back as written."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sealed(file: AtomicFile) -> str:
    """Flush a file about to be committed and return the SHA-256 of what it holds."""
    file.handle.flush()
    return _sha256_of(file.temporary)


def write_files_csv(
    destination: str | os.PathLike[str], records: Iterable[FileRecord]
) -> dict[str, Any]:
    """Write one CSV row per record, atomically (RFC 4180: CRLF ends a row; a cell holding
    a comma, quote, CR or LF is quoted). Returns ``{"sha256", "rows"}`` of what was written."""
    rows = 0
    with AtomicFile(destination, "w") as file:
        writer = csv.writer(file.handle, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for record in records:
            writer.writerow(csv_row(record))
            rows += 1
        sha256 = _sealed(file)
    return {"sha256": sha256, "rows": rows}


REPORT_FILES = ("metrics.json", "files.csv")


class ReportWriter:
    """Writes ``files.csv`` and the file items of ``metrics.json`` while records stream by;
    ``finish`` then writes ``metrics.json`` (summary first, items after) and renames both
    into place, files.csv first. Memory does not grow with the number of records: the
    items wait in an unnamed temporary file in the output folder.

    The JSON names the CSV written with it (``files_csv``: SHA-256 and rows), so a kill
    between the two renames leaves a set that ``verify_report_set`` rejects. Temporary
    files left by an earlier run that was killed are removed when the writer starts."""

    def __init__(
        self, output_dir: str | os.PathLike[str] | None, formats: Iterable[str] = ("json", "csv")
    ) -> None:
        wanted = set(formats)
        if output_dir is None:  # the JSON goes to a stream (``write_json``): no files
            wanted &= {"json"}
            self.folder = Path(tempfile.gettempdir())
        else:
            self.folder = Path(output_dir)
            self.folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(self.folder, REPORT_FILES)
        self.rows = 0
        self._csv: AtomicFile | None = None
        self._items: IO[str] | None = None
        self._line = _Line()
        self._rows = csv.writer(self._line, lineterminator="\r\n")  # one row's text
        try:
            if "csv" in wanted:
                self._csv = AtomicFile(self.folder / "files.csv", "w")
                csv.writer(self._csv.handle, lineterminator="\r\n").writerow(CSV_COLUMNS)
            if "json" in wanted:
                self._items = tempfile.TemporaryFile(  # noqa: SIM115 (closed by finish or discard)
                    "w+",
                    encoding="utf-8",
                    errors="backslashreplace",
                    newline="",
                    dir=self.folder,
                )
        except BaseException:
            self.discard()
            raise

    def own_paths(self) -> tuple[Path, ...]:
        """The files this writer has open in the output folder (for ``ScanOptions.skip``
        when the output folder is inside the tree)."""
        return () if self._csv is None else (Path(self._csv.temporary),)

    def encode(self, record: FileRecord) -> tuple[str, str]:
        """A record's files.csv row (with its CRLF) and metrics.json item, as text."""
        return self._row_text(record), _item_text(record)

    def _row_text(self, record: FileRecord) -> str:
        self._rows.writerow(csv_row(record))
        return self._line.text

    def add(
        self, record: FileRecord, encoded: tuple[str, str] | None = None
    ) -> tuple[str, str] | None:
        """Write a record (``encoded``: its rows as ``encode`` gave them earlier, from a
        cache); return its rows, or None when this writer needed only one of them and
        encoded only that."""
        if encoded is not None and not _fits(record, encoded):
            encoded = None
        if encoded is None and self._csv is not None and self._items is not None:
            encoded = self.encode(record)
        if self._csv is not None:
            self._csv.handle.write(encoded[0] if encoded is not None else self._row_text(record))
        if self._items is not None:
            self._items.write(",\n    " if self.rows else "[\n    ")
            self._items.write(encoded[1] if encoded is not None else _item_text(record))
        self.rows += 1
        return encoded

    def add_all(self, records: Iterable[FileRecord]) -> None:
        for record in records:
            self.add(record)

    def finish(
        self, result: ScanResult, summary: Summary, findings: Sequence[Any] | None = None
    ) -> list[Path]:
        """Write metrics.json around the items and rename both files; what was written."""
        written: list[Path] = []
        files_csv = None
        try:
            if self._csv is not None:
                sha256 = _sealed(self._csv)
                self._csv.commit()
                self._csv = None
                files_csv = {"sha256": sha256, "rows": self.rows}
                written.append(self.folder / "files.csv")
            if self._items is not None:
                with atomic_write(self.folder / "metrics.json", "w") as handle:
                    self.write_json(handle, result, summary, findings, files_csv)
                written.insert(0, self.folder / "metrics.json")
        finally:
            self.discard()
        return written

    def write_json(
        self,
        handle: IO[str],
        result: ScanResult,
        summary: Summary,
        findings: Sequence[Any] | None = None,
        files_csv: dict[str, Any] | None = None,
    ) -> None:
        """The metrics document, its items from the spool, written to an open text stream."""
        assert self._items is not None, "made without the json format"
        before, after = _document_halves(result, summary, files_csv, findings)
        handle.write(before)
        if self.rows:
            self._items.write("\n  ]")
            self._items.seek(0)
            shutil.copyfileobj(self._items, handle, 1 << 20)
        else:
            handle.write("[]")
        handle.write(after)

    def discard(self) -> None:
        """Drop whatever was not renamed into place (the run failed or was stopped)."""
        if self._csv is not None:
            self._csv.discard()
            self._csv = None
        if self._items is not None:
            self._items.close()
            self._items = None


def write_reports(
    output_dir: str | os.PathLike[str],
    result: ScanResult,
    summary: Summary,
    formats: Iterable[str] = ("json", "csv"),
    findings: Sequence[Any] | None = None,
) -> list[Path]:
    """Write ``files.csv`` then ``metrics.json`` for a result that holds its records."""
    writer = ReportWriter(output_dir, formats)
    try:
        writer.add_all(result.records)
    except BaseException:
        writer.discard()
        raise
    return writer.finish(result, summary, findings)


def verify_report_set(output_dir: str | os.PathLike[str]) -> str | None:
    """None when ``metrics.json`` and ``files.csv`` in ``output_dir`` come from the same run;
    else what is wrong, in one line."""
    folder = Path(output_dir)
    try:
        with open(folder / "metrics.json", encoding="utf-8") as handle:
            expected = json.load(handle).get("files_csv")
    except (OSError, ValueError, AttributeError) as error:
        return f"metrics.json cannot be read: {error}"
    if expected is None:
        return "metrics.json names no files.csv (written with --format json)"
    try:
        found = _sha256_of(folder / "files.csv")
    except OSError as error:
        return f"files.csv cannot be read: {error.strerror or error}"
    if found != expected.get("sha256"):
        return "files.csv is not the one written with metrics.json (an interrupted run?)"
    return None
