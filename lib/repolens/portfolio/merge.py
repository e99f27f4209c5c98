"""One table of a portfolio: the rows the repositories' folders hold, merged into
``portfolio.json`` (schema ``schema/portfolio.schema.json``) and ``portfolio.csv``.

The merge reads only what exists: a repository whose folder has no row (its pod failed,
never ran, or was killed) is a ``missing`` row, and each shard with a failed or missing
repository is named, so a cluster run says which indexes to look at. The same rows give
the same bytes: rows in list order, no times.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from .._version import __version__
from ..render.report import guard_cell
from ..render.writers import atomic_write
from .listing import Repository, shard_of
from .run import ROW_FILE, failed_row

__all__ = [
    "COLUMNS",
    "PORTFOLIO_SCHEMA_VERSION",
    "load_portfolio_schema",
    "merge",
    "read_rows",
]

PORTFOLIO_SCHEMA_VERSION = "1.0.0"
COLUMNS = (
    "index",
    "name",
    "path",
    "status",
    "reason",
    "files",
    "bytes",
    "code",
    "comment",
    "blank",
    "top_language",
    "languages",
    "code_files",
    "notebooks",
    "notebook_cells",
    "notebook_output_bytes",
    "notebooks_with_errors",
    "notebooks_out_of_order",
    "data_bytes",
    "model_bytes",
    "image_files",
    "media_bytes",
    "archive_bytes",
    "largest_file",
    "largest_file_bytes",
    "unreadable",
    "errors",
    "warnings",
    "notes",
    "checks",
)
_TEXT = frozenset({"name", "path", "status", "reason", "top_language", "largest_file", "checks"})


def load_portfolio_schema() -> dict[str, Any]:
    text = resources.files("repolens").joinpath("schema/portfolio.schema.json").read_text("utf-8")
    return json.loads(text)


def _read_row(repository: Repository, folder: Path) -> dict[str, Any] | None:
    """The row a repository's folder holds, when it is this repository's and whole."""
    try:
        row = json.loads((folder / ROW_FILE).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(row, dict) or row.get("name") != repository.name:
        return None
    if row.get("status") == "ok" and any(key not in row for key in COLUMNS):
        return None
    return row


def read_rows(repositories: Sequence[Repository], output: Path) -> list[dict[str, Any]]:
    """Every repository's row, in list order; ``missing`` where its folder has none."""
    rows = []
    for repository in repositories:
        row = _read_row(repository, output / repository.name)
        if row is None:
            row = failed_row(repository, "missing", "no result: its analysis did not finish")
        rows.append(row)
    return rows


def _clean(row: dict[str, Any], repository: Repository, shards: int) -> dict[str, Any]:
    """A row with every column (None where a failed repository has no value), the
    index, name and path of the list (not what the folder claims), and its shard."""
    out: dict[str, Any] = {key: row.get(key) for key in COLUMNS}
    out.update(index=repository.index, name=repository.name, path=repository.path)
    out["reason"] = str(out["reason"] or "")
    out["shard"] = shard_of(repository.index, shards)
    return out


def merge(repositories: Sequence[Repository], output: Path, shards: int = 1) -> dict[str, Any]:
    """Write portfolio.json and portfolio.csv into ``output``; return the document."""
    rows = [
        _clean(row, repository, shards)
        for row, repository in zip(read_rows(repositories, output), repositories, strict=True)
    ]
    failed = sorted({row["shard"] for row in rows if row["status"] != "ok"})
    counts = {
        status: sum(1 for row in rows if row["status"] == status)
        for status in ("ok", "failed", "missing")
    }
    document = {
        "schema_version": PORTFOLIO_SCHEMA_VERSION,
        "tool": {"name": "repolens", "version": __version__},
        "repositories": len(rows),
        "shards": shards,
        "counts": counts,
        "failed_shards": failed,
        "rows": rows,
    }
    with atomic_write(output / "portfolio.json") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    with atomic_write(output / "portfolio.csv") as handle:
        writer = csv.writer(handle)  # RFC 4180, as files.csv
        writer.writerow([*COLUMNS, "shard"])
        for row in rows:
            writer.writerow(
                [
                    ("" if row[key] is None else guard_cell(row[key]) if key in _TEXT else row[key])
                    for key in (*COLUMNS, "shard")
                ]
            )
    return document
