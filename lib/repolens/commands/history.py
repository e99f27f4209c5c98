"""``repolens history``: how a repository grew along the first-parent line of REV,
written to history.json and history.csv, with a short summary printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..core.printable import printable
from ..core.units import human_bytes
from ..history import HistoryError, HistoryOptions, HistoryResult, run_history
from ..history.git import parse_since
from ..scanning.options import check_root
from .errors import UsageError, write_failed
from .options import (
    DEFAULT_OUTPUT,
    add_cache_options,
    add_output_dir,
    add_quiet,
    cache_dir,
    output_dir,
    prepare_output_dir,
    progress_line,
    setting,
    whole_number,
)
from .pages import add_page_option, write_page

__all__ = ["DESCRIPTION", "HELP", "NAME", "add_arguments", "print_history", "run"]

NAME = "history"
HELP = "how the repository grew: the tree at every commit of its first-parent line"
DESCRIPTION = (
    "Read the first-parent line of REV in the git repository holding PATH "
    "(only its folder PATH when that is below the top) and write history.json, "
    "history.csv and the page history.html: files, bytes and lines by category and "
    "language, notebooks, LFS pointers and the largest files at every commit, and the "
    "commits where large files and large folders arrived. Each distinct blob is "
    "analysed once (cached by blob id)."
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path",
        nargs="?",
        default=None,
        help="the repository (default: $ANALYSIS_PATH, else the working folder)",
    )
    command.add_argument(
        "--rev", default="HEAD", help="the commit whose line is read (default: HEAD)"
    )
    command.add_argument(
        "--since", default=None, metavar="DATE", help="only commits from DATE on (YYYY-MM-DD)"
    )
    command.add_argument(
        "--max-commits",
        type=whole_number,
        default=None,
        metavar="N",
        help="only the newest N commits",
    )
    add_output_dir(
        command,
        f"where history.json and history.csv go (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})",
    )
    add_cache_options(command, "blob cache folder", "analyse every blob again")
    add_page_option(command, "history.html")
    add_quiet(command, "print nothing on success")


def run(args: argparse.Namespace) -> int:
    path = setting(args.path, "ANALYSIS_PATH", "PATH") or "."
    folder = output_dir(args)
    cache = cache_dir(args)
    try:
        since = None if args.since is None else parse_since(args.since)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    check_root(path)
    prepare_output_dir(folder)
    progress = progress_line(args)
    options = HistoryOptions(
        rev=args.rev, since=since, max_commits=args.max_commits, cache_dir=cache
    )
    try:
        result = run_history(path, folder, options, progress)
    except HistoryError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise write_failed("the history", folder, error) from None
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print_history(result, sys.stdout)
    if args.no_page:
        return 0
    parameters = {
        "path": str(Path(path).resolve()),
        "output_dir": str(folder.resolve()),
        "rev": args.rev,
        "draw_only": True,
    }
    name = Path(result.repository).name or result.repository
    return write_page("history.ipynb", folder, parameters, f"How {name} grew", args.quiet)


def print_history(result: HistoryResult, out: TextIO) -> None:
    """The short human summary printed after ``repolens history``."""
    first, last = result.first or {}, result.last or {}
    print(
        f"{printable(result.repository)}: {result.commits:,} commits from "
        f"{(first.get('time') or '?')[:10]} to {(last.get('time') or '?')[:10]}; "
        f"{result.blobs:,} distinct blobs, "
        f"{result.analysed:,} analysed in this run, in {result.elapsed:.2f} s",
        file=out,
    )
    for label, row in (("first", first), ("now", last)):
        if row:
            print(
                f"  {label:>5}: {row['files']:,} files, {human_bytes(row['bytes'])}, "
                f"{row['code']:,} lines of code, {row['notebooks']['notebooks']:,} notebooks",
                file=out,
            )
    for event in result.events[:10]:
        what = "folder of" if event.kind == "large_folder" else "file of"
        size = f"{event.files:,} files, " if event.kind == "large_folder" else ""
        print(
            f"  {event.commit[:10]} {printable(event.path)}: {what} "
            f"{size}{human_bytes(event.bytes)}" + (" (LFS)" if event.lfs else ""),
            file=out,
        )
    if len(result.events) > 10:
        print(f"  ... and {len(result.events) - 10} more arrivals in history.json", file=out)
    for note in result.notes:
        print(f"  note: {printable(note)}", file=out)
    for path in result.written:
        print(f"  wrote {printable(str(path))}", file=out)
