"""The metrics document (JSON) and the per-file table (CSV), written atomically.

``ReportWriter`` streams records into files.csv and the items of metrics.json (its
document is ``metrics``, its rows ``rows``), then writes metrics.json and renames both
into place; ``verify_report_set`` says whether the two come from the same run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import msgspec

from ..core.atomic import AtomicFile, atomic_write, remove_stale_temporaries
from ..core.cells import guard_cell
from ..core.records import FileRecord
from ..scanning.options import ScanResult
from .encoding import encode_window
from .metrics import document_halves, item_text
from .rows import CSV_COLUMNS, csv_row
from .summary import Summary

__all__ = [
    "REPORT_FILES",
    "ReportWriter",
    "verify_report_set",
    "write_files_csv",
    "write_metrics_json",
    "write_reports",
]


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
        return encode_window([record])[0]

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
            self._items.write(encoded[1] if encoded is not None else item_text(record))
        self.rows += 1
        return encoded

    def add_window(
        self, records: Sequence[FileRecord], encoded: Sequence[tuple[str, str] | None]
    ) -> list[tuple[str, str] | None]:
        """``add`` for a window of records at once (``encoded``: each one's rows from a
        cache, or None): the rows not given are encoded together (``encode_window``) and
        each file gets one write. Returns each record's rows, as ``add`` does."""
        if self._csv is None or self._items is None:  # one format: record by record
            return [self.add(record, rows) for record, rows in zip(records, encoded, strict=True)]
        kept: list[tuple[str, str] | None] = [
            rows if rows is not None and _fits(record, rows) else None
            for record, rows in zip(records, encoded, strict=True)
        ]
        missing = [index for index, rows in enumerate(kept) if rows is None]
        if missing:
            fresh = encode_window([records[index] for index in missing])
            for index, rows in zip(missing, fresh, strict=True):
                kept[index] = rows
        if not kept:
            return kept
        texts = [rows for rows in kept if rows is not None]
        self._csv.handle.write("".join([row for row, _item in texts]))
        self._items.write(",\n    " if self.rows else "[\n    ")
        self._items.write(",\n    ".join([item for _row, item in texts]))
        self.rows += len(texts)
        return kept

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
        before, after = document_halves(result, summary, files_csv, findings)
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
