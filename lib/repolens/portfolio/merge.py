"""One table of a portfolio: the rows the repositories' folders hold, merged into
``portfolio.json`` (schema ``schema/portfolio.schema.json``) and ``portfolio.csv``.

The merge reads only what exists, and only rows of its own run (``rows.read_row``): a
repository whose folder has no valid row of its own (its pod failed, never ran, or was
killed) is ``missing``, one whose row an earlier run left is ``stale``, and each shard
with a failed, missing or stale repository is named, so a cluster run says which
indexes to look at. Every text cell of the CSV is guarded against formulas; numbers
reach it only from rows that validated. The same rows give the same bytes: rows in
list order, no times.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from .._version import __version__
from ..core.atomic import atomic_write
from ..core.cells import guard_cell
from .listing import Repository, shard_of
from .rows import COLUMNS, read_row

__all__ = [
    "COLUMNS",
    "PORTFOLIO_SCHEMA_VERSION",
    "STATUSES",
    "load_portfolio_schema",
    "merge",
    "read_rows",
]

PORTFOLIO_SCHEMA_VERSION = "2.1.0"  # 2.1: the rerun's columns
STATUSES = ("ok", "failed", "missing", "stale")


def load_portfolio_schema() -> dict[str, Any]:
    text = resources.files("repolens").joinpath("schema/portfolio.schema.json").read_text("utf-8")
    return json.loads(text)


def read_rows(
    repositories: Sequence[Repository], output: Path, run_id: str
) -> list[dict[str, Any]]:
    """Every repository's row of run ``run_id``, in list order (``missing`` or
    ``stale`` where its folder has none)."""
    return [read_row(repository, output, run_id) for repository in repositories]


def _clean(row: dict[str, Any], repository: Repository, shards: int) -> dict[str, Any]:
    """A row with every column (None where a failed repository has no value), the
    index, name and path of the list (not what the folder claims), and its shard."""
    out: dict[str, Any] = {key: row.get(key) for key in COLUMNS}
    out.update(index=repository.index, name=repository.name, path=repository.path)
    out["reason"] = str(out["reason"] or "")
    out["shard"] = shard_of(repository.index, shards)
    return out


def merge(
    repositories: Sequence[Repository], output: Path, shards: int = 1, *, run_id: str
) -> dict[str, Any]:
    """Write portfolio.json and portfolio.csv into ``output`` from the rows of run
    ``run_id``; return the document."""
    rows = [
        _clean(row, repository, shards)
        for row, repository in zip(
            read_rows(repositories, output, run_id), repositories, strict=True
        )
    ]
    failed = sorted({row["shard"] for row in rows if row["status"] != "ok"})
    counts = {status: sum(1 for row in rows if row["status"] == status) for status in STATUSES}
    document = {
        "schema_version": PORTFOLIO_SCHEMA_VERSION,
        "tool": {"name": "repolens", "version": __version__},
        "run_id": run_id,
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
                ["" if row[key] is None else guard_cell(row[key]) for key in (*COLUMNS, "shard")]
            )
    return document
