"""Analysing the repositories of a portfolio: each one as ``repolens check -o`` does it
(one scan, every check, metrics.json, files.csv and the findings) into its own folder,
then its row (``row.json``) beside them. Locally in worker processes (``--jobs``); in
a cluster one shard per pod of an Indexed Job. A repository that fails is recorded
with its reason and the run goes on.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from ..render.writers import atomic_write
from .listing import Repository

__all__ = ["ROW_FILE", "analyse_all", "analyse_repository", "failed_row"]

ROW_FILE = "row.json"
Report = Callable[[Repository, dict[str, Any], int, int], None]


def failed_row(repository: Repository, status: str, reason: str) -> dict[str, Any]:
    return {
        "index": repository.index,
        "name": repository.name,
        "path": repository.path,
        "status": status,
        "reason": reason,
    }


def _summary_row(repository: Repository, folder: Path) -> dict[str, Any]:
    """The portfolio row of one analysed repository, from its metrics.json."""
    document = json.loads((folder / "metrics.json").read_text("utf-8"))
    summary = document["summary"]
    categories = summary["by_category"]
    languages = {
        name: group
        for name, group in summary["by_language"].items()
        if name != "Jupyter Notebooks" and group["code_lines"]
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
        "top_language": top,
        "languages": len(languages),
        "code_files": files("code"),
        "notebooks": notebooks["notebooks"],
        "notebook_cells": notebooks["cells"],
        "notebook_output_bytes": notebooks["output_bytes"],
        "notebooks_with_errors": notebooks["with_errors"],
        "notebooks_out_of_order": notebooks["out_of_order"],
        "data_bytes": size("data"),
        "model_bytes": size("model"),
        "image_files": files("image"),
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


def analyse_repository(repository: Repository, output: str) -> dict[str, Any]:
    """Scan and check one repository into ``output/<name>/``; its row (also written to
    ``row.json`` there). Never raises for a repository's own failure: the row says it."""
    from ..cli import main

    folder = Path(output) / repository.name
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (folder / ROW_FILE).unlink()  # never a stale row for this run
    started = time.perf_counter()
    errors = io.StringIO()
    if not os.path.isdir(repository.location):
        row = failed_row(repository, "failed", f"{repository.path}: no such directory")
    else:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            code = main(
                ["check", repository.location, "-o", str(folder), "-q", "--fail-on", "never"]
            )
        if code == 0:
            try:
                row = _summary_row(repository, folder)
            except (OSError, ValueError, KeyError, TypeError) as error:
                row = failed_row(repository, "failed", f"its reports could not be read: {error}")
        else:
            said = errors.getvalue().strip().splitlines()
            reason = said[-1].removeprefix("repolens: error: ") if said else f"exit {code}"
            row = failed_row(repository, "failed", reason[:300])
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["worker_peak_kib"] = _peak_kib()  # of the process so far: the worker's high-water mark
    with atomic_write(folder / ROW_FILE) as handle:
        json.dump(row, handle, ensure_ascii=False, indent=1)
    return row


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
        context.set_forkserver_preload(["repolens.cli", "repolens.checks.run"])
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


def _worker_ready() -> None:
    """Each worker process starts with the notebook-free part of the package imported."""
    from .. import cli  # noqa: F401


def analyse_all(
    repositories: Sequence[Repository],
    output: Path,
    jobs: int,
    report: Report | None = None,
) -> list[dict[str, Any]]:
    """Analyse the repositories, ``jobs`` at a time (1: in this process); rows in list
    order. A worker that dies takes its repository with it (recorded as failed)."""
    done = 0
    total = len(repositories)
    rows: dict[int, dict[str, Any]] = {}

    def finished(repository: Repository, row: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        rows[repository.index] = row
        if report is not None:
            report(repository, row, done, total)

    if jobs <= 1 or total <= 1:
        for repository in repositories:
            finished(repository, analyse_repository(repository, str(output)))
        return [rows[repository.index] for repository in repositories]
    with ProcessPoolExecutor(
        max_workers=min(jobs, total), mp_context=_context(), initializer=_worker_ready
    ) as pool:
        futures = {
            pool.submit(analyse_repository, repository, str(output)): repository
            for repository in repositories
        }
        try:
            for future in as_completed(futures):
                repository = futures[future]
                try:
                    row = future.result()
                except BrokenProcessPool:
                    row = failed_row(repository, "failed", "its worker process died")
                except Exception as error:
                    row = failed_row(repository, "failed", f"{type(error).__name__}: {error}")
                finished(repository, row)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [rows[repository.index] for repository in repositories]
