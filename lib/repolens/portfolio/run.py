"""Analysing the repositories of a portfolio: each one as ``repolens check -o`` does it
(one scan, every check, metrics.json, files.csv and the findings: the same library call,
``analysis.checking.check_repository``) into its own folder, then its row (``row.json``,
with the run's id) beside them. Locally in worker processes (``--jobs``, see
``workers``); in a cluster one shard per pod of an Indexed Job. A repository that fails
is recorded with its reason and the run goes on.

The output folder is left out of every repository's scan by identity (``st_dev``,
``st_ino``: whatever path, link or bind mount leads to it); a repository that is the
output folder or inside it, or a folder's entry that is a symbolic link, is not
analysed at all; nothing is written into a result folder that is a link or a file.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import stat
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from ..analysis.checking import check_repository
from ..checks import ConfigError
from ..core.failures import failure_line
from ..core.folders import OutputFolderError
from ..core.printable import printable
from ..scanning.options import ScanError
from .listing import Repository, identity
from .reproduce import RerunRequest, rerun_columns
from .rows import MAX_REASON, ROW_FILE, failed_row, read_row, write_row
from .workers import describe_exit, run_each

__all__ = ["analyse_all", "analyse_repository"]

Report = Callable[[Repository, dict[str, Any], int, int], None]


def _summary_row(repository: Repository, summary: dict[str, Any]) -> dict[str, Any]:
    """The portfolio row of one analysed repository, from its metrics document's summary."""
    categories = summary["by_category"]
    languages = {  # languages of code only (metrics.json 2.0: code_lines is code)
        name: group for name, group in summary["by_language"].items() if group["code_lines"]
    }
    top = max(sorted(languages), key=lambda name: languages[name]["code_lines"], default="")
    notebooks = summary["notebooks"]
    findings = summary.get("findings", {})
    largest = summary.get("largest_file") or {}

    def size(category: str) -> int:
        return int(categories.get(category, {}).get("size_bytes", 0))

    def files(category: str) -> int:
        return int(categories.get(category, {}).get("files", 0))

    return {
        **failed_row(repository, "ok", ""),
        "files": summary["total_files"],
        "bytes": summary["total_size_bytes"],
        "code": summary["code_lines"],
        "comment": summary["comment_lines"],
        "blank": summary["blank_lines"],
        "data_rows": summary["data_rows"],
        "top_language": top,
        "languages": len(languages),
        "code_files": summary["code_files"],
        "notebooks": notebooks["notebooks"],
        "notebook_cells": notebooks["cells"],
        "notebook_output_bytes": notebooks["output_bytes"],
        "notebooks_with_errors": notebooks["with_errors"],
        "notebooks_out_of_order": notebooks["out_of_order"],
        "data_bytes": size("data"),
        "model_bytes": size("model"),
        "image_files": files("image"),
        "image_bytes": size("image"),
        "media_bytes": size("media"),
        "archive_bytes": size("archive"),
        "largest_file": largest.get("file_path") or "",
        "largest_file_bytes": int(largest.get("size_bytes") or 0),
        "unreadable": int(summary["by_state"].get("unreadable", 0)),
        "errors": int(findings.get("error", 0)),
        "warnings": int(findings.get("warning", 0)),
        "notes": int(findings.get("note", 0)),
        "checks": ",".join(sorted(findings.get("by_check", {}))),
    }


def _own_folder(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link to one, not a file)."""
    try:
        return stat.S_ISDIR(os.lstat(folder).st_mode)
    except OSError:
        return False


def _inside(location: str, output: tuple[int, int] | None) -> bool:
    """Whether ``location`` is the output folder or inside it, by identity (through
    links, ``..`` and bind mounts alike)."""
    if output is None:
        return False
    path = os.path.realpath(location)
    while True:
        if identity(path) == output:
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def _refusal(repository: Repository, output: Path) -> str:
    """Why a repository is not analysed at all ('' when it is)."""
    try:
        st = os.lstat(repository.location)
    except OSError as error:
        if isinstance(error, FileNotFoundError | NotADirectoryError):
            return f"{repository.path}: no such directory"
        return f"{repository.path}: {error.strerror or error}"
    if stat.S_ISLNK(st.st_mode) and not repository.follow_links:
        return "a symbolic link: not followed (a folder's repositories are its real subfolders)"
    if not os.path.isdir(repository.location):
        return f"{repository.path}: not a directory"
    if _inside(repository.location, identity(output)):
        return "it is the output folder or inside it: not analysed"
    return ""


def _checked(repository: Repository, output: Path, folder: Path) -> dict[str, Any]:
    """The row of the repository checked into ``folder`` as ``repolens check -o`` checks
    it, the output folder left out of the scan by identity; a failure's reason is the
    line the command would print. Nothing reaches the terminal: the caller reports."""
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            summary = check_repository(repository.location, folder, skip=(str(output),))
    except (ScanError, ConfigError, OutputFolderError) as error:
        reason = printable(str(error))
    except OSError as error:
        reason = printable(f"cannot write the findings into {folder}: {error.strerror or error}")
    except Exception as error:  # a surprise: one line, its traceback kept for a bug report
        reason = f"repolens: {failure_line(error)}"
    else:
        return _summary_row(repository, summary)
    return failed_row(repository, "failed", reason[:300])


def _record(folder: Path, row: dict[str, Any]) -> dict[str, Any]:
    """Write ``row`` into ``folder`` (a real folder only); a row that is not valid (a
    largest file's path longer than a row holds, say) becomes a failed row saying why."""
    if not _own_folder(folder):
        return row
    try:
        write_row(folder, row)
    except ValueError as error:
        keep = {key: row[key] for key in ("index", "name", "path")}
        row = {
            **keep,
            "status": "failed",
            "reason": f"its row is not valid: {error}"[:MAX_REASON],
            "run_id": row["run_id"],
        }
        write_row(folder, row)
    return row


def analyse_repository(
    repository: Repository, output: str, run_id: str, rerun: RerunRequest | None = None
) -> dict[str, Any]:
    """Scan and check one repository into ``output/<name>/``, and with ``rerun`` rerun its
    notebooks into ``output/<name>/rerun/``; its row (also written to ``row.json`` there,
    with ``run_id``). Never raises for a repository's own failure: the row says it.
    Interrupted, it writes no row."""
    started = time.perf_counter()
    out = Path(output)
    folder = out / repository.name
    refusal = _refusal(repository, out)
    existing = identity(folder)
    if refusal and existing is not None and existing == identity(repository.location):
        # a repository inside the output folder under its own name: nothing written into it
        return {**failed_row(repository, "failed", refusal), "run_id": run_id}
    with contextlib.suppress(FileExistsError):
        folder.mkdir()
    if not _own_folder(folder):  # a link or a file in the way: nothing is written there
        reason = f"its result folder {repository.name} is a link or a file, not a folder"
        return {**failed_row(repository, "failed", reason), "run_id": run_id}
    with contextlib.suppress(FileNotFoundError):
        (folder / ROW_FILE).unlink()  # never a stale row for this run
    row = (
        failed_row(repository, "failed", refusal) if refusal else _checked(repository, out, folder)
    )
    if rerun is not None and row["status"] == "ok":
        row.update(rerun_columns(repository.location, folder, out, rerun))
    row["run_id"] = run_id
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["worker_peak_kib"] = _peak_kib()  # of the process so far: the worker's high-water mark
    return _record(folder, row)


def _context() -> BaseContext:
    """How workers start: forked from this process when it runs one thread and has never
    counted with the engine (the command line: nothing to copy half-way, and the package
    is imported already); else from a fork server that imports the package once (a
    notebook's kernel runs threads; the engine keeps a native thread pool that a fork
    would leave without its threads); spawned where neither exists."""
    import multiprocessing
    import threading

    from ..scanning.counting import engine_ran_here

    methods = multiprocessing.get_all_start_methods()
    alone = threading.active_count() == 1 and not engine_ran_here()
    if "fork" in methods and alone and sys.platform == "linux":
        return get_context("fork")
    if "forkserver" in methods:
        context = get_context("forkserver")
        context.set_forkserver_preload(["repolens.analysis.checking", "repolens.checks.run"])
        return context
    return get_context("spawn")


def _peak_kib() -> int:
    """This process's peak resident memory (VmHWM: its own, not a parent's it forked from)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _preload() -> None:
    """What every child needs, imported once here before forking (not once per child)."""
    from ..analysis import checking  # noqa: F401
    from ..checks import run  # noqa: F401


def analyse_all(
    repositories: Sequence[Repository],
    output: Path,
    jobs: int,
    report: Report | None = None,
    *,
    run_id: str,
    rerun: RerunRequest | None = None,
) -> list[dict[str, Any]]:
    """Analyse the repositories (and rerun them, with ``rerun``), ``jobs`` at a time (1:
    in this process, else in ``jobs`` worker processes); rows in list order. A worker
    that dies takes only its repository with it (recorded as failed, with how it
    ended). Interrupted, every worker is ended before ``KeyboardInterrupt`` goes on (see
    ``workers``)."""
    done = 0
    total = len(repositories)
    rows: dict[int, dict[str, Any]] = {}

    def finished(repository: Repository, row: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        rows[repository.index] = row
        if report is not None:
            report(repository, row, done, total)

    def ended(repository: Repository, code: int) -> None:
        row = read_row(repository, output, run_id) if code == 0 else None
        if row is None or row["status"] not in ("ok", "failed"):
            why = (
                f"its worker process ended ({describe_exit(code)})"
                if row is None
                else f"its worker left no row of its own ({row['reason']})"
            )
            row = failed_row(repository, "failed", why)
            row = _record(output / repository.name, {**row, "run_id": run_id})
        finished(repository, row)

    if jobs <= 1 or total <= 1:
        for repository in repositories:
            finished(repository, analyse_repository(repository, str(output), run_id, rerun))
    else:
        context = _context()
        if context.get_start_method() == "fork":
            _preload()
        target = functools.partial(
            analyse_repository, output=str(output), run_id=run_id, rerun=rerun
        )
        run_each(repositories, min(jobs, total), context, target, ended)
    return [rows[repository.index] for repository in repositories]
