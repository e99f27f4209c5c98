"""``repolens scan``: analyse every file under PATH, write metrics.json and files.csv
(or print the metrics document), and print a short summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..core.linekinds import other_lines
from ..core.printable import printable
from ..core.units import human_bytes
from ..render.report import REPORT_FILES, ReportWriter
from ..render.summary import Summariser, Summary
from ..scanning.options import ScanOptions, ScanResult, check_root
from ..scanning.scanner import ScanStream
from .errors import write_failed
from .options import (
    DEFAULT_OUTPUT,
    add_cache_options,
    add_excludes,
    add_output_dir,
    add_quiet,
    add_top,
    analysis_path,
    cache_dir,
    excludes,
    output_dir,
    prepare_output_dir,
    progress_line,
)

__all__ = ["DESCRIPTION", "FORMATS", "HELP", "NAME", "add_arguments", "print_summary", "run"]

NAME = "scan"
HELP = "analyse a tree and write metrics.json and files.csv"
DESCRIPTION = "Analyse every file under PATH and write the metrics reports."
FORMATS = ("json", "csv")


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or repr(text)}; choose from {', '.join(FORMATS)}"
        )
    return chosen


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "path",
        nargs="?",
        default=None,
        help="the tree to analyse (default: $ANALYSIS_PATH)",
    )
    add_output_dir(command, f"where reports go (default: $OUTPUT_DIR, else ./{DEFAULT_OUTPUT})")
    command.add_argument(
        "--format",
        type=_formats,
        default=FORMATS,
        metavar="LIST",
        help="comma-separated report files to write: json,csv (default: both)",
    )
    command.add_argument(
        "--json",
        dest="json_stream",
        choices=["-"],
        default=None,
        help="'--json -' prints the metrics document to stdout instead of the summary",
    )
    add_excludes(command)
    command.add_argument(
        "--no-gitignore",
        action="store_true",
        help="do not apply .gitignore rules (they apply only inside a git work tree)",
    )
    command.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links (each directory is still visited once)",
    )
    add_top(command, 10, "length of the largest-files lists (default: 10)")
    add_cache_options(command, "incremental cache folder", "read every file again")
    add_quiet(command, "print nothing on success")


def run(args: argparse.Namespace) -> int:
    path = analysis_path(args)
    to_stdout = args.json_stream == "-"
    folder = output_dir(args)
    cache = cache_dir(args)
    left_out = excludes(args.exclude)
    check_root(path)
    if not to_stdout:
        prepare_output_dir(folder)
    progress = progress_line(args)
    try:
        writer = ReportWriter(None if to_stdout else folder, args.format)
    except OSError as error:
        raise write_failed("the reports", folder, error) from None
    options = ScanOptions(
        gitignore=False if args.no_gitignore else None,
        excludes=left_out,
        follow_symlinks=args.follow_symlinks,
        cache_dir=cache,
        skip=(folder, *(folder / name for name in REPORT_FILES), *writer.own_paths()),
    )
    try:
        stream = ScanStream(path, options, progress)  # checks the root and the settings
    except BaseException:
        writer.discard()
        raise
    summariser = Summariser(args.top)
    try:
        for batch in stream.batches():
            summariser.add_window(batch.records)
            batch.encoded = writer.add_window(batch.records, batch.encoded)  # the cache keeps them
        result = stream.result()
        summary = summariser.summary()
        written: list[Path] = []
        if to_stdout:
            if hasattr(sys.stdout, "reconfigure"):  # no string may stop the document halfway
                sys.stdout.reconfigure(errors="backslashreplace")
            writer.write_json(sys.stdout, result, summary)
            sys.stdout.flush()
        else:
            written = writer.finish(result, summary)
    except OSError as error:
        if to_stdout:
            raise
        raise write_failed("the reports", folder, error) from None
    finally:
        writer.discard()
        if progress is not None:
            progress.close()
    if not args.quiet:
        print_summary(result, summary, written, sys.stderr if to_stdout else sys.stdout)
    return 0


def print_summary(result: ScanResult, summary: Summary, written: list[Path], out: TextIO) -> None:
    """The short human summary printed after a scan."""
    total = summary.files
    kinds = total.kinds
    print(
        f"{printable(result.root)}: {total.files:,} files, {human_bytes(total.size_bytes)}, "
        f"{kinds.code:,} lines of code ({kinds.comment:,} comment, {kinds.blank:,} blank)"
        + "".join(f", {count:,} {name}" for name, count in other_lines(kinds))
        + f" in {result.elapsed:.2f} s",
        file=out,
    )
    width = max([len(name) for name in summary.by_category] + [8])
    print(
        f"  {'category':<{width}} {'files':>9} {'size':>10} {'lines':>11} {'of code':>11}",
        file=out,
    )
    for name, group in summary.by_category.items():
        print(
            f"  {name:<{width}} {group.files:>9,} {human_bytes(group.size_bytes):>10} "
            f"{group.lines:>11,} {group.kinds.code:>11,}",
            file=out,
        )
    notebooks = summary.notebooks
    if notebooks.notebooks or notebooks.invalid:
        print(
            f"  notebooks: {notebooks.notebooks} ({notebooks.cells} cells, "
            f"{human_bytes(notebooks.output_bytes)} of outputs, "
            f"{notebooks.with_errors} with errors, "
            f"{notebooks.out_of_order} run out of order, {notebooks.invalid} invalid)",
            file=out,
        )
    if summary.largest:
        largest = summary.largest[0]
        print(f"  largest: {printable(largest.path)} ({human_bytes(largest.size_bytes)})", file=out)
    unusual = {state: n for state, n in summary.by_state.items() if state != "ok"}
    if unusual:
        print("  states: " + ", ".join(f"{state} {n:,}" for state, n in unusual.items()), file=out)
    if result.gitignored or result.excluded:
        print(
            f"  left out: {result.gitignored:,} git-ignored, {result.excluded:,} excluded", file=out
        )
    for note in (*result.notes, result.cache_note):
        if note:
            print(f"  note: {printable(note)}", file=out)
    for path in written:
        print(f"  wrote {printable(str(path))}", file=out)
