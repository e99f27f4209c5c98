"""A portfolio's rows: what one holds, the run it belongs to, and reading one back.

Each repository's folder gets one ``row.json``: its counts (or why it failed) and the id
of the run that wrote it. A row is read back only through the safe reader (a regular
file, at most ``MAX_ROW_BYTES``: never a FIFO, a device or a link) and only when it
validates against ``Row``: the types, ranges and lengths of the row schema
(``schema/portfolio.schema.json``, ``$defs/row_file``), whole numbers in
``0..MAX_COUNT`` and no ``NaN`` or infinity. A row that is not this repository's is
``missing``; a row of another run is ``stale``: neither is shown with numbers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ..core import safeio
from ..core.atomic import atomic_write
from .listing import MAX_PATH_BYTES, Repository
from .names import MAX_NAME

__all__ = [
    "COLUMNS",
    "MAX_COUNT",
    "MAX_REASON",
    "MAX_ROW_BYTES",
    "MEASURES",
    "RERUN_COLUMNS",
    "ROW_FILE",
    "RUN_ID",
    "Row",
    "failed_row",
    "new_run_id",
    "read_row",
    "valid_row",
    "write_row",
]

ROW_FILE = "row.json"
MAX_ROW_BYTES = 1 << 20
MAX_COUNT = 2**53 - 1  # exact in every JSON reader (a double's integers)
MAX_REASON = 1000
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
"""A run id: what ``--run-id`` and ``$REPOLENS_RUN_ID`` accept, and ``new_run_id`` makes."""

_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
_Text = Annotated[str, msgspec.Meta(max_length=MAX_PATH_BYTES)]


class Row(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One ``row.json``: the repository, its status and, when ``ok``, every measure."""

    index: _Count
    name: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=MAX_NAME)]
    path: _Text
    status: Literal["ok", "failed"]
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)]
    run_id: Annotated[str, msgspec.Meta(pattern=f"^{RUN_ID.pattern}$")]
    files: _Count | None = None
    bytes: _Count | None = None
    code: _Count | None = None
    comment: _Count | None = None
    blank: _Count | None = None
    data_rows: _Count | None = None
    top_language: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    languages: _Count | None = None
    code_files: _Count | None = None
    notebooks: _Count | None = None
    notebook_cells: _Count | None = None
    notebook_output_bytes: _Count | None = None
    notebooks_with_errors: _Count | None = None
    notebooks_out_of_order: _Count | None = None
    data_bytes: _Count | None = None
    model_bytes: _Count | None = None
    image_files: _Count | None = None
    image_bytes: _Count | None = None
    media_bytes: _Count | None = None
    archive_bytes: _Count | None = None
    largest_file: Annotated[str, msgspec.Meta(max_length=1 << 17)] | None = None
    largest_file_bytes: _Count | None = None
    unreadable: _Count | None = None
    errors: _Count | None = None
    warnings: _Count | None = None
    notes: _Count | None = None
    checks: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    rerun_notebooks: _Count | None = None
    reproduced: _Count | None = None
    rerun_problem: Annotated[str, msgspec.Meta(max_length=MAX_REASON)] | None = None
    seconds: Annotated[float, msgspec.Meta(ge=0, le=1e9)] | None = None
    worker_peak_kib: _Count | None = None


_RUN_FIELDS = ("run_id", "seconds", "worker_peak_kib")
COLUMNS = tuple(name for name in Row.__struct_fields__ if name not in _RUN_FIELDS)
"""The table's columns (portfolio.json rows and portfolio.csv), in order."""
RERUN_COLUMNS = ("rerun_notebooks", "reproduced", "rerun_problem")
"""What ``--rerun`` adds to an ``ok`` row: notebooks rerun, how many reproduced, and
what kept the rerun from running ('' when nothing did; the counts are empty when it did
not run at all); all three empty without ``--rerun``."""
MEASURES = tuple(
    name
    for name in COLUMNS
    if name not in ("index", "name", "path", "status", "reason", *RERUN_COLUMNS)
)
"""What an ``ok`` row has and a failed, missing or stale one leaves empty."""


def new_run_id() -> str:
    """A run id for a run that analyses and merges by itself: its start (UTC) and 32
    random bits, so that two runs never share one."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{secrets.token_hex(4)}"


def failed_row(repository: Repository, status: str, reason: str) -> dict[str, Any]:
    """A row with no measures: ``failed``, ``missing`` or ``stale``, and why."""
    return {
        "index": repository.index,
        "name": repository.name,
        "path": repository.path,
        "status": status,
        "reason": reason[:MAX_REASON],
    }


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def valid_row(value: Any) -> Row:
    """``value`` (a decoded row) as a ``Row``, or ``ValueError`` saying what is wrong."""
    try:
        row = msgspec.convert(value, Row)
    except msgspec.ValidationError as error:  # one line, whatever value it quotes
        raise ValueError(" ".join(str(error).split())[:300]) from None
    present = [name for name in MEASURES if getattr(row, name) is not None]
    if row.status == "ok" and len(present) != len(MEASURES):
        lacking = [name for name in MEASURES if getattr(row, name) is None]
        raise ValueError(f"an ok row without {', '.join(lacking[:3])}")
    reran = [name for name in RERUN_COLUMNS if getattr(row, name) is not None]
    if row.status == "failed" and (present or reran):
        raise ValueError(f"a failed row with {', '.join([*present, *reran][:3])}")
    _check_rerun(row)
    return row


def _check_rerun(row: Row) -> None:
    """A rerun's columns: none (no --rerun), or its problem with both counts, or a
    problem that says why there are none; never more reproduced than rerun."""
    counts = (row.rerun_notebooks, row.reproduced)
    if row.rerun_problem is None:
        if counts != (None, None):
            raise ValueError("a rerun's counts without its problem column")
        return
    if (counts[0] is None) != (counts[1] is None):
        raise ValueError("a rerun's counts come together: notebooks and reproduced")
    if counts[0] is None and not row.rerun_problem:
        raise ValueError("a rerun with no counts must say why")
    if counts[0] is not None and counts[1] > counts[0]:  # type: ignore[operator]
        raise ValueError("more notebooks reproduced than were rerun")


def _decode(data: bytes) -> Row:
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except RecursionError:
        raise ValueError("nested too deep") from None
    except ValueError as error:  # not JSON, NaN or Infinity, a number of thousands of digits
        raise ValueError(" ".join(str(error).split())[:200]) from None
    return valid_row(value)


def write_row(folder: Path, row: dict[str, Any]) -> None:
    """Write ``row`` (checked first: ``ValueError`` when it is not a valid row)."""
    valid_row(row)
    with atomic_write(folder / ROW_FILE) as handle:
        json.dump(row, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


def read_row(repository: Repository, output: Path, run_id: str) -> dict[str, Any]:
    """The row of ``repository`` in ``output``: its own row of this run (``ok`` or
    ``failed``), else a ``stale`` or ``missing`` row that says why."""
    folder = output / repository.name
    try:
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return failed_row(repository, "missing", "its folder is a symbolic link: not read")
        data = safeio.read_small_file(str(folder / ROW_FILE), MAX_ROW_BYTES)
    except FileNotFoundError:
        return failed_row(repository, "missing", "no result: its analysis did not finish")
    except OSError as error:
        return failed_row(
            repository, "missing", f"its row.json is unusable: {error.strerror or error}"
        )
    try:
        row = _decode(data)
    except ValueError as error:
        return failed_row(repository, "missing", f"its row.json is not a valid row: {error}")
    if (row.index, row.name, row.path) != (repository.index, repository.name, repository.path):
        return failed_row(repository, "missing", "its folder holds another repository's row")
    if row.run_id != run_id:
        return failed_row(
            repository, "stale", f"its row is from run {row.run_id}, not from this run ({run_id})"
        )
    return msgspec.to_builtins(row)
