"""The metrics document (metrics.json) as data and as text, its file items one per line.

The JSON keeps the keys of the original metrics tool (``timestamp``,
``base_path``, ``file_metrics[]``, ``summary`` with its totals) and adds the
richer fields beside them. Its shape is ``schema/metrics.schema.json``; its
``schema_version`` follows semantic versioning. Everything but ``timestamp``
depends only on the tree and the options: records are sorted by path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from .._version import __version__
from ..core.linekinds import Lines
from ..core.records import FileRecord, NotebookStats
from ..core.times import iso_time
from ..scanning.counting import engine_version
from ..scanning.options import ScanResult
from .findings import finding_dict
from .summary import Group, Summary

__all__ = [
    "SCHEMA_VERSION",
    "document_halves",
    "file_metric",
    "item_text",
    "load_schema",
    "metrics_document",
    "notebook_item",
]

SCHEMA_VERSION = "2.0.0"
_MB = 1024 * 1024
_PLACEHOLDER = "\u0000file_metrics\u0000"


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema the metrics document follows."""
    text = resources.files("repolens").joinpath("schema/metrics.schema.json").read_text("utf-8")
    return json.loads(text)


def notebook_item(stats: NotebookStats | None) -> dict[str, Any] | None:
    """A record's ``notebook`` value in metrics.json (None for a file that is not one)."""
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
        "notebook": notebook_item(record.notebook),
    }


def _lines(kinds: Lines) -> dict[str, int]:
    """Counted lines by what they are: code (with its comments) only where it is code."""
    return {
        "code_lines": kinds.code,
        "comment_lines": kinds.comment,
        "blank_lines": kinds.blank_lines,
        "data_rows": kinds.data,
        "markup_lines": kinds.markup,
        "text_lines": kinds.text,
        "config_lines": kinds.config,
    }


def _group(group: Group) -> dict[str, int]:
    return {
        "files": group.files,
        "size_bytes": group.size_bytes,
        "lines": group.lines,
        **_lines(group.kinds),
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
        **_lines(summary.files.kinds),
        "code_files": summary.code_files,
        "files_by_line_kind": summary.files_by_kind,
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


def item_text(record: FileRecord) -> str:
    """One ``file_metrics`` item on one line, spaced as ``json.dumps`` spaces it."""
    item = file_metric(record)
    try:
        return msgspec.json.format(_item_encoder.encode(item), indent=0).decode("utf-8")
    except (UnicodeError, msgspec.MsgspecError):  # a lone surrogate: escaped when written
        return _std_encode(item)


def document_halves(
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
